// command.cpp — wire rendering of SMTP commands; see mvsmtp/command.hpp.
#include "mvsmtp/command.hpp"

#include "mvsmtp/address.hpp"
#include "mvsmtp/error.hpp"

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

std::string path_command(const char* verb, std::string_view address,
                         const std::vector<std::string>& parameters) {
    // smtp_path refuses what could end the path or inject a command, keeps a quoted local
    // part with blanks as written, and puts an internationalised domain in A-labels.
    std::string line = std::string(verb) + "<" + smtp_path(address) + ">";
    for (const auto& p : parameters) {
        if (p.empty() || p.find(' ') != std::string::npos)
            throw Error(ErrorCode::BadArgument, "malformed SMTP parameter");
        line += " " + p;
    }
    return finish(std::move(line));
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

std::string mail_from(std::string_view address, const std::vector<std::string>& parameters) {
    return path_command("MAIL FROM:", address, parameters);
}

std::string rcpt_to(std::string_view address, const std::vector<std::string>& parameters) {
    if (address.empty()) throw Error(ErrorCode::BadAddress, "empty recipient address");
    return path_command("RCPT TO:", address, parameters);
}

std::string data() { return "DATA\r\n"; }
std::string rset() { return "RSET\r\n"; }
std::string noop() { return "NOOP\r\n"; }
std::string quit() { return "QUIT\r\n"; }

}  // namespace mvsmtp::command
