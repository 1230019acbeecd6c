// mime_internal.hpp — shared between the mime_*.cpp files; not a public header.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "mvsmtp/message.hpp"
#include "mvsmtp/mime.hpp"
#include "mvsmtp/sink.hpp"

namespace mvsmtp::mime_detail {

// n random bytes as 2n lower-case hex digits (OpenSSL RAND_bytes; Error(Internal) if the
// generator fails, which only happens when the OS has no entropy source).
std::string random_hex(std::size_t n);

// "<32 hex digits@domain>"; domain falls back to the From domain, then "mvsmtp.invalid".
std::string new_message_id(const Message& message, std::string_view domain);

// RFC 5322 §3.3 date-time in UTC: "Tue, 05 Mar 2024 09:04:00 +0000".
std::string format_date(std::int64_t epoch_seconds);

// The message header block up to and including MIME-Version, priority and custom headers
// (the root entity adds its own Content-* lines and the blank line). message_id is the
// one to write (message.message_id, or a fresh one when that is empty).
std::string render_headers(const Message& message, const std::string& message_id);

// The root entity: Content-* headers, blank line, body. Its last line has no CRLF.
// Boundaries are derived from message_id, so writing a prepared message twice gives the
// same bytes (an outbox copy and the sent message agree).
void write_body(const Message& message, const std::string& message_id, const WriteOptions& options,
                ByteSink& out);

}  // namespace mvsmtp::mime_detail

namespace mvsmtp {
class Error;
// The MessageTooLarge error for a message over Message::size_limit (mime_validate.cpp).
Error too_large(std::uint64_t limit);
}  // namespace mvsmtp
