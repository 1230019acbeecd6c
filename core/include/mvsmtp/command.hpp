// mvsmtp/command.hpp — SMTP commands rendered as exact wire lines (RFC 5321 §4.1).
//
//   command::mail_from("a@b.example", {MailParameter::size(42)})  →  "MAIL FROM:<a@b.example> SIZE=42\r\n"
//   command::rcpt_to("c@d.example")                                →  "RCPT TO:<c@d.example>\r\n"
//   command::rcpt_to("\"john smith\"@bücher.example")               →  "RCPT TO:<\"john smith\"@xn--bcher-kva.example>\r\n"
//
// Addresses go through smtp_path (address.hpp): internationalised domains in A-labels, a
// quoted local part exactly as written.
// Renderers refuse (Error BadAddress / BadArgument) any argument that could inject a second
// command: CR, LF, NUL, angle brackets or a blank outside a quoted local part in an address.
// Lines stay within the RFC 5321 §4.5.3.1.4 limit of 512 octets plus what each extension
// whose parameters the line carries allows on top (after lettre's typed MailParameter /
// RcptParameter).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mvsmtp {

// The service extension that defines a MAIL/RCPT parameter, and so how much longer than
// 512 octets it lets the command line grow (each extension counted once per line).
enum class Extension {
    Size,          // RFC 1870 §5: MAIL +26
    EightBitMime,  // RFC 6152 §2: MAIL +16 (BODY=)
    SmtpUtf8,      // RFC 6531 §3.4: MAIL +10
    Dsn,           // RFC 3461 §4: MAIL +100 (RET, ENVID), RCPT +500 (NOTIFY, ORCPT)
};

// One esmtp-param (RFC 5321 §4.1.2): keyword, optional value, and its extension.
struct MailParameter {
    static MailParameter size(std::uint64_t octets);       // SIZE=n
    static MailParameter body_8bitmime();                  // BODY=8BITMIME
    static MailParameter smtputf8();                       // SMTPUTF8
    static MailParameter ret(std::string_view full_or_hdrs);  // RET=FULL | RET=HDRS
    static MailParameter envid(std::string_view envid);    // ENVID=<xtext of envid>
    Extension extension;
    std::string keyword;
    std::string value;  // wire form (already xtext where the extension says so); may be empty
    std::string text() const { return value.empty() ? keyword : keyword + "=" + value; }
};

struct RcptParameter {
    static RcptParameter notify(std::string_view list);   // NOTIFY=NEVER | SUCCESS,FAILURE,DELAY
    static RcptParameter orcpt(std::string_view address); // ORCPT=rfc822;<xtext of address>
    Extension extension;
    std::string keyword;
    std::string value;
    std::string text() const { return value.empty() ? keyword : keyword + "=" + value; }
};

// How many octets an extension adds to the 512-octet limit of a MAIL or RCPT line.
std::size_t mail_allowance(Extension e);
std::size_t rcpt_allowance(Extension e);

// RFC 3461 §4 xtext: '+', '=' and characters outside '!'..'~' become "+HH".
std::string xtext(std::string_view text);

}  // namespace mvsmtp

namespace mvsmtp::command {

std::string ehlo(std::string_view client_name);
std::string helo(std::string_view client_name);
std::string starttls();
std::string auth(std::string_view mechanism, std::string_view initial_response = {});
// One line of a SASL exchange (a base64 response, or "*" to cancel).
std::string auth_response(std::string_view response);
std::string mail_from(std::string_view address, const std::vector<MailParameter>& parameters = {});
std::string rcpt_to(std::string_view address, const std::vector<RcptParameter>& parameters = {});
std::string data();
std::string rset();
std::string noop();
std::string quit();

// The name a client gives in EHLO: a domain, or an address literal "[127.0.0.1]".
// Anything else (spaces, control characters, empty) is refused with BadOption.
std::string checked_client_name(std::string_view name);

}  // namespace mvsmtp::command
