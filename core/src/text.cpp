// text.cpp — charset conversion to UTF-8, UTF-8 validation, CRLF normalisation.
#include "mvsmtp/text.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <cstdint>

namespace mvsmtp {
namespace {

// Windows-1252 0x80-0x9F. The five bytes cp1252 leaves undefined (81 8D 8F 90 9D) map to
// the C1 control of the same value, as the WHATWG Encoding Standard does, so decoding
// never fails and never loses a byte.
const char32_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {  // single-byte charsets never reach beyond the BMP
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string decode_single_byte(std::string_view input, bool cp1252) {
    std::string out;
    out.reserve(input.size() + input.size() / 4);
    for (unsigned char b : input) {
        if (b < 0x80)
            out += static_cast<char>(b);
        else if (cp1252 && b < 0xA0)
            append_utf8(out, kCp1252High[b - 0x80]);
        else
            append_utf8(out, b);
    }
    return out;
}

char upper_ascii(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

bool name_is(std::string_view name, std::string_view want) {
    if (name.size() != want.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (upper_ascii(name[i]) != want[i]) return false;
    return true;
}

}  // namespace

std::optional<InputCharset> input_charset_from_name(std::string_view name) {
    if (name_is(name, "UTF-8") || name_is(name, "UTF8")) return InputCharset::Utf8;
    if (name_is(name, "CP1252") || name_is(name, "WINDOWS-1252") || name_is(name, "WIN1252"))
        return InputCharset::Cp1252;
    if (name_is(name, "LATIN1") || name_is(name, "LATIN-1") || name_is(name, "ISO-8859-1") ||
        name_is(name, "ISO8859-1"))
        return InputCharset::Latin1;
    return std::nullopt;
}

std::string to_utf8(std::string_view input, InputCharset cs) {
    switch (cs) {
        case InputCharset::Utf8:
            // Whole-string fallback: see the policy in text.hpp.
            if (valid_utf8(input)) return std::string(input);
            return decode_single_byte(input, true);
        case InputCharset::Cp1252:
            return decode_single_byte(input, true);
        case InputCharset::Latin1:
            return decode_single_byte(input, false);
    }
    return std::string(input);
}

bool is_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return false;
    return true;
}

std::size_t utf8_sequence_length(unsigned char b) {
    if (b < 0xC2) return 1;  // ASCII, continuation byte or overlong lead: one byte
    if (b < 0xE0) return 2;
    if (b < 0xF0) return 3;
    if (b < 0xF5) return 4;
    return 1;
}

bool valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        // ASCII fast path, eight bytes at a time (mail bodies are mostly ASCII).
        while (i + 8 <= n) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ULL) break;
            i += 8;
        }
        if (i >= n) break;
        const unsigned char b = p[i];
        if (b < 0x80) {
            ++i;
            continue;
        }
        const std::size_t len = utf8_sequence_length(b);
        if (len == 1 || i + len > n) return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((p[i + k] & 0xC0) != 0x80) return false;
        // RFC 3629 §4: the second byte's range excludes overlongs, surrogates, > U+10FFFF.
        const unsigned char b1 = p[i + 1];
        if (b == 0xE0 && b1 < 0xA0) return false;
        if (b == 0xED && b1 > 0x9F) return false;
        if (b == 0xF0 && b1 < 0x90) return false;
        if (b == 0xF4 && b1 > 0x8F) return false;
        i += len;
    }
    return true;
}

std::string ascii_upper(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

std::string ascii_lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

std::string printable_ascii(std::string_view s, std::size_t limit, char replacement) {
    std::string out;
    for (char c : s) {
        if (out.size() >= limit) return out + "...";
        const auto u = static_cast<unsigned char>(c);
        out += (u >= 0x20 && u < 0x7f) ? c : replacement;
    }
    return out;
}

std::size_t find_line_break(std::string_view s, std::size_t from) {
    // Windows keep this linear for any input: an unbounded memchr for CR in LF-only text
    // (the usual BASIC body) would rescan the rest of the text for every line.
    constexpr std::size_t kWindow = 4096;
    const char* base = s.data();
    for (std::size_t pos = from; pos < s.size();) {
        const std::size_t win = std::min(kWindow, s.size() - pos);
        const void* lf = std::memchr(base + pos, '\n', win);
        const std::size_t limit = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - (base + pos)) : win;
        if (const void* cr = std::memchr(base + pos, '\r', limit))
            return static_cast<std::size_t>(static_cast<const char*>(cr) - base);
        if (lf) return pos + limit;
        pos += win;
    }
    return s.size();
}

std::string to_crlf(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 32 + 2);
    // Copy runs between line breaks in one append each (this runs over every body twice
    // per message; byte-at-a-time appends dominated bulk sending).
    std::size_t start = 0;
    while (start < s.size()) {
        const std::size_t brk = find_line_break(s, start);
        if (brk == s.size()) {
            out.append(s.data() + start, s.size() - start);
            break;
        }
        out.append(s.data() + start, brk - start);
        out += "\r\n";
        start = brk + 1;
        if (s[brk] == '\r' && start < s.size() && s[start] == '\n') ++start;
    }
    return out;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace mvsmtp
