// marshal.hpp — BASIC dynamic arrays ⇄ core types, for the C ABI and the CLI.
//
//   ProfileRequest req = options_request(options);          // OPTIONS → profile request
//   Message m = decode_message(message, body, charset);      // MESSAGE + BODY → Message
//   std::string result = encode_result(report);              // DeliveryReport → RESULT
//
// Layouts are in layout.def (and basic/SMTP.H). Decoding throws mvsmtp::Error with
// BadArgument / BadAddress / BadOption naming the field at fault.
#pragma once
#include <string>
#include <string_view>

#include "mvsmtp/config.hpp"
#include "mvsmtp/delivery.hpp"
#include "mvsmtp/message.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp::gci {

ProfileRequest options_request(std::string_view options);
InputCharset charset_of(const Profile& profile);
Message decode_message(std::string_view message, std::string_view body, InputCharset charset);
std::string encode_result(const DeliveryReport& report);
// A RESULT for a failure that happened before any delivery was attempted.
std::string encode_failure(ErrorCode code, const std::string& message);

}  // namespace mvsmtp::gci
