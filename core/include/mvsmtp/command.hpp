// mvsmtp/command.hpp — SMTP commands rendered as exact wire lines (RFC 5321 §4.1).
//
//   command::mail_from("a@b.example", {"SIZE=42"})  →  "MAIL FROM:<a@b.example> SIZE=42\r\n"
//   command::rcpt_to("c@d.example")                  →  "RCPT TO:<c@d.example>\r\n"
//   command::rcpt_to("\"john smith\"@bücher.example") →  "RCPT TO:<\"john smith\"@xn--bcher-kva.example>\r\n"
//
// Addresses go through smtp_path (address.hpp): internationalised domains in A-labels, a
// quoted local part exactly as written.
// Renderers refuse (Error BadAddress / BadArgument) any argument that could inject a second
// command: CR, LF, NUL, angle brackets or a blank outside a quoted local part in an address. Lines stay within the RFC 5321
// §4.5.3.1.4 limit of 512 octets.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace mvsmtp::command {

std::string ehlo(std::string_view client_name);
std::string helo(std::string_view client_name);
std::string starttls();
std::string auth(std::string_view mechanism, std::string_view initial_response = {});
// One line of a SASL exchange (a base64 response, or "*" to cancel).
std::string auth_response(std::string_view response);
std::string mail_from(std::string_view address, const std::vector<std::string>& parameters = {});
std::string rcpt_to(std::string_view address, const std::vector<std::string>& parameters = {});
std::string data();
std::string rset();
std::string noop();
std::string quit();

// The name a client gives in EHLO: a domain, or an address literal "[127.0.0.1]".
// Anything else (spaces, control characters, empty) is refused with BadOption.
std::string checked_client_name(std::string_view name);

}  // namespace mvsmtp::command
