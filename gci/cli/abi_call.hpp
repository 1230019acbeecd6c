// abi_call.hpp — the CLI's only way into the product: the same C ABI BASIC uses.
//
//   std::string result = call_sendmail(message, body, options);
//
// Reads the whole result with the pre-sized buffer + mvs_fetch pattern the BASIC wrappers
// use, so the CLI exercises exactly that path.
#pragma once
#include <string>

namespace mvsmtp::cli {

std::string call_sendmail(const std::string& message, const std::string& body, const std::string& options);
// Exit status for a RESULT: its error code (0 when sent or stored).
int exit_status(const std::string& result);

}  // namespace mvsmtp::cli
