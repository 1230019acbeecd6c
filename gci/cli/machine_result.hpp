// machine_result.hpp — RESULTs that machine mode makes itself (not the library): refusals of a
// request file or a spool folder, a session process that is gone, usage errors under --hex.
// Same layout as the library's RESULT (gci/abi/layout.def): STATUS, ERROR, ERROR.NAME,
// MESSAGE, ..., TRANSIENT, up to R.CAPABILITIES.
//
//   throw MachineError(66, "spool folder /x/1000 is a symbolic link");   // → S.FAILED RESULT
//   std::string r = failure_result(67, "the session has ended ...");      // S.FAILED, not transient
//   std::string r = ok_result("request file ready");                     // S.OK, error 0
//
// Error numbers are those of core/include/mvsmtp/error_codes.def; names come from the library
// (mvs_error_text), so they cannot drift.
#pragma once
#include <stdexcept>
#include <string>

namespace mvsmtp::cli {

namespace code {
constexpr int Ok = 0;
constexpr int OutcomeUnknown = 44;
constexpr int BadArgument = 60;
constexpr int BadOption = 66;
constexpr int BadHandle = 67;
constexpr int Internal = 99;
}  // namespace code

// A refusal with its error code; machine mode turns it into failure_result(code, what()).
struct MachineError : std::runtime_error {
    MachineError(int code, const std::string& message) : std::runtime_error(message), code(code) {}
    int code;
};

// S.FAILED RESULT. R.TRANSIENT is 1 only for the temporary range 10-29 unless told otherwise.
std::string failure_result(int error, const std::string& message);
std::string failure_result(int error, const std::string& message, bool transient);
// S.OK RESULT (status 0, error 0, no error name).
std::string ok_result(const std::string& message);

}  // namespace mvsmtp::cli
