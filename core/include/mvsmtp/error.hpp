// mvsmtp/error.hpp — the one error type and the stable numeric code table.
//
//   try { ... } catch (const mvsmtp::Error& e) {
//       e.code();            // ErrorCode, numbered as in error_codes.def (stable)
//       e.is_transient();    // true for 10-29: retrying later may succeed
//       e.reply();           // the SMTP reply that caused it, if any
//   }
//
// Every failure the core raises is an mvsmtp::Error; gci/ turns it into RESULT fields and
// nothing else crosses the C boundary. Messages never contain secrets.
#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mvsmtp/reply.hpp"

namespace mvsmtp {

enum class ErrorCode : int {
#define MVSMTP_ERROR(name, number, basic, text) name = number,
#include "mvsmtp/error_codes.def"
#undef MVSMTP_ERROR
};

struct ErrorInfo {
    ErrorCode code;
    const char* basic_name;   // the suffix of the BASIC EQUATE, e.g. "AUTH.FAILED"
    const char* text;         // default human text
};

// The whole table, in numeric order (for docs, the BASIC include check and the CLI).
const std::vector<ErrorInfo>& error_table();
const ErrorInfo& error_info(ErrorCode code);
inline int error_number(ErrorCode code) { return static_cast<int>(code); }
// 10-29: a later attempt may succeed without changing anything.
bool is_transient(ErrorCode code);

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message);
    Error(ErrorCode code, const std::string& message, Reply reply);

    ErrorCode code() const noexcept { return code_; }
    bool is_transient() const noexcept { return mvsmtp::is_transient(code_); }
    const std::optional<Reply>& reply() const noexcept { return reply_; }

private:
    ErrorCode code_;
    std::optional<Reply> reply_;
};

}  // namespace mvsmtp
