// command.cpp — wire rendering of SMTP commands; see mvsmtp/command.hpp.
#include "mvsmtp/command.hpp"

#include <cstdio>

#include "mvsmtp/address.hpp"
#include "mvsmtp/error.hpp"

namespace mvsmtp {

MailParameter MailParameter::size(std::uint64_t octets) { return {Extension::Size, "SIZE", std::to_string(octets)}; }
MailParameter MailParameter::body_8bitmime() { return {Extension::EightBitMime, "BODY", "8BITMIME"}; }
MailParameter MailParameter::smtputf8() { return {Extension::SmtpUtf8, "SMTPUTF8", ""}; }
MailParameter MailParameter::ret(std::string_view v) { return {Extension::Dsn, "RET", std::string(v)}; }
MailParameter MailParameter::envid(std::string_view v) { return {Extension::Dsn, "ENVID", xtext(v)}; }
RcptParameter RcptParameter::notify(std::string_view v) { return {Extension::Dsn, "NOTIFY", std::string(v)}; }
RcptParameter RcptParameter::orcpt(std::string_view a) { return {Extension::Dsn, "ORCPT", "rfc822;" + xtext(a)}; }

std::size_t mail_allowance(Extension e) {
    switch (e) {
        case Extension::Size: return 26;
        case Extension::EightBitMime: return 16;
        case Extension::SmtpUtf8: return 10;
        case Extension::Dsn: return 100;
    }
    return 0;
}

std::size_t rcpt_allowance(Extension e) {
    switch (e) {
        case Extension::Dsn: return 500;
        default: return 0;  // SIZE, BODY and SMTPUTF8 are MAIL parameters only
    }
}

std::string xtext(std::string_view text) {
    std::string out;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < '!' || u > '~' || c == '+' || c == '=') {
            char hex[4];
            std::snprintf(hex, sizeof hex, "+%02X", u);
            out += hex;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace mvsmtp

namespace mvsmtp::command {
namespace {

constexpr std::size_t kMaxCommandLine = 512;  // RFC 5321 §4.5.3.1.4, CRLF included
// A SASL response line may be longer: RFC 4954 §4 has servers accept 12,288 octets, which
// carries an OAuth access token of any realistic length.
constexpr std::size_t kMaxSaslResponseLine = 12288;

bool has_line_break_or_nul(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string finish(std::string line, std::size_t limit = kMaxCommandLine) {
    if (has_line_break_or_nul(line))
        throw Error(ErrorCode::BadArgument, "SMTP command argument contains CR, LF or NUL");
    line += "\r\n";
    if (line.size() > limit)
        throw Error(ErrorCode::BadArgument, "SMTP command line longer than " + std::to_string(limit) + " octets");
    return line;
}

// The line limit: 512 octets, plus each extension's allowance once (RFC 5321 §4.5.3.1.4
// leaves the extensions to say how much longer their parameters make a line).
template <typename Parameter>
std::string path_command(const char* verb, std::string_view address, const std::vector<Parameter>& parameters,
                         std::size_t (*allowance)(Extension)) {
    // smtp_path refuses what could end the path or inject a command, keeps a quoted local
    // part with blanks as written, and puts an internationalised domain in A-labels.
    std::string line = std::string(verb) + "<" + smtp_path(address) + ">";
    std::size_t limit = kMaxCommandLine;
    std::vector<Extension> counted;
    for (const auto& p : parameters) {
        const std::string text = p.text();
        if (p.keyword.empty() || text.find_first_of(" <>") != std::string::npos ||
            text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
            throw Error(ErrorCode::BadArgument, "malformed SMTP parameter");
        line += " " + text;
        bool seen = false;
        for (Extension e : counted) seen = seen || e == p.extension;
        if (!seen) {
            counted.push_back(p.extension);
            limit += allowance(p.extension);
        }
    }
    return finish(std::move(line), limit);
}

}  // namespace

std::string checked_client_name(std::string_view name) {
    if (name.empty() || name.size() > 255)
        throw Error(ErrorCode::BadOption, "HELO name must be 1-255 characters");
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f)
            throw Error(ErrorCode::BadOption, "HELO name contains a space or control character");
    }
    return std::string(name);
}

std::string ehlo(std::string_view n) { return finish("EHLO " + checked_client_name(n)); }
std::string helo(std::string_view n) { return finish("HELO " + checked_client_name(n)); }
std::string starttls() { return "STARTTLS\r\n"; }

std::string auth(std::string_view mechanism, std::string_view initial_response) {
    std::string line = "AUTH " + std::string(mechanism);
    if (!initial_response.empty()) line += " " + std::string(initial_response);
    return finish(std::move(line));
}

std::string auth_response(std::string_view response) {
    return finish(std::string(response), kMaxSaslResponseLine);
}

std::string mail_from(std::string_view address, const std::vector<MailParameter>& parameters) {
    return path_command("MAIL FROM:", address, parameters, &mail_allowance);
}

std::string rcpt_to(std::string_view address, const std::vector<RcptParameter>& parameters) {
    if (address.empty()) throw Error(ErrorCode::BadAddress, "empty recipient address");
    return path_command("RCPT TO:", address, parameters, &rcpt_allowance);
}

std::string data() { return "DATA\r\n"; }
std::string rset() { return "RSET\r\n"; }
std::string noop() { return "NOOP\r\n"; }
std::string quit() { return "QUIT\r\n"; }

}  // namespace mvsmtp::command
