// reply.cpp — strict multi-line reply parsing with RFC 3463 enhanced status codes.
#include "mvsmtp/reply.hpp"

#include <cctype>

#include "mvsmtp/error.hpp"

namespace mvsmtp {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

[[noreturn]] void malformed(std::string_view line, const char* why) {
    std::string shown(line.substr(0, 80));
    for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    throw Error(ErrorCode::ProtocolError,
                std::string("malformed SMTP reply (") + why + "): \"" + shown + "\"");
}

// RFC 3463 §2: class "." subject "." detail, class 2/4/5 matching the reply's first digit,
// subject and detail 1-3 digits, then a space or the end of the line. Returns the length
// of the code (0 when the text does not start with one).
std::size_t enhanced_length(std::string_view text, int reply_code) {
    if (text.size() < 5) return 0;
    const char cls = text[0];
    if (cls != '2' && cls != '4' && cls != '5') return 0;
    if (cls - '0' != reply_code / 100 || text[1] != '.') return 0;
    std::size_t i = 2;
    for (int part = 0; part < 2; ++part) {
        std::size_t digits = 0;
        while (i < text.size() && is_digit(text[i]) && digits < 4) { ++i; ++digits; }
        if (digits == 0 || digits > 3) return 0;
        if (part == 0) {
            if (i >= text.size() || text[i] != '.') return 0;
            ++i;
        }
    }
    if (i < text.size() && text[i] != ' ') return 0;
    return i;
}

}  // namespace

std::string Reply::text() const {
    std::string out;
    for (const auto& l : lines) {
        if (!out.empty()) out += ' ';
        out += l;
    }
    return out;
}

std::string Reply::summary() const {
    std::string out = std::to_string(code);
    if (!enhanced.empty()) out += " " + enhanced;
    if (!lines.empty() && !lines.front().empty()) out += " " + lines.front();
    return out;
}

bool ReplyParser::feed(std::string_view line) {
    if (complete_) { current_ = Reply{}; complete_ = false; }
    if (line.size() > kMaxLineLength) malformed(line, "line too long");
    if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]))
        malformed(line, "no three-digit code");
    if (line[0] < '2' || line[0] > '5') malformed(line, "code out of range");
    if (line.size() > 3 && line[3] != ' ' && line[3] != '-') malformed(line, "bad separator");
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (!current_.lines.empty() && code != current_.code)
        malformed(line, "continuation code differs");
    if (current_.lines.size() >= kMaxLines) malformed(line, "too many lines");
    current_.code = code;

    std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view{};
    const std::size_t enh = enhanced_length(text, code);
    if (enh > 0) {
        if (current_.lines.empty()) current_.enhanced = std::string(text.substr(0, enh));
        text.remove_prefix(enh);
        if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    }
    current_.lines.emplace_back(text);
    complete_ = line.size() == 3 || line[3] == ' ';
    return complete_;
}

Reply ReplyParser::take() {
    Reply r = std::move(current_);
    current_ = Reply{};
    complete_ = false;
    return r;
}

Reply parse_reply(std::string_view text) {
    ReplyParser parser;
    while (!text.empty()) {
        std::size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        if (parser.feed(line)) {
            if (!text.empty()) malformed(text, "data after final line");
            return parser.take();
        }
    }
    throw Error(ErrorCode::ProtocolError, "incomplete SMTP reply");
}

}  // namespace mvsmtp
