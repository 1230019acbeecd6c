// hex.hpp — the 7-bit form of machine mode (--hex): two hexadecimal digits per byte, as
// BASIC's OCONV(x, 'MX') writes and ICONV(x, 'MX') reads it.
//
//   to_hex("A\x1E")        → "411E"          (uppercase)
//   from_hex("41 1e\n")    → "A\x1E"         (whitespace and line breaks ignored)
//   from_hex("4")          → throws UsageError (odd number of digits, or a non-hex character)
#pragma once
#include <string>

namespace mvsmtp::cli {

std::string to_hex(const std::string& bytes);
std::string from_hex(const std::string& text);

}  // namespace mvsmtp::cli
