// random_token.hpp — unpredictable names for request files and session sockets.
//
//   std::string t = random_token();     // 32 lowercase hex digits (128 bits from getrandom(),
//                                       // or /dev/urandom where getrandom is missing)
//   is_token("0f3a...")                 // true for exactly 32 hex digits (either case)
//
// Throws MachineError(INTERNAL) when the system has no randomness to give: a guessable name
// is never used instead.
#pragma once
#include <string>

namespace mvsmtp::cli {

std::string random_token();
bool is_token(const std::string& text);

}  // namespace mvsmtp::cli
