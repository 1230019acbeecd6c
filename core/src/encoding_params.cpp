// encoding_params.cpp — MIME parameter values: quoted strings (RFC 2045 §5.1) and RFC 2231
// extended/continued parameters, as Thunderbird writes them for attachment names.
#include <algorithm>
#include <cstring>

#include "mvsmtp/encoding.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

// A piece sits on its own folded line: one leading blank and a trailing ';' leave 76.
constexpr std::size_t kPieceMax = 76;
const char kHex[] = "0123456789ABCDEF";

bool printable_ascii(std::string_view v) {
    for (unsigned char c : v)
        if (c < 0x20 || c > 0x7E) return false;
    return true;
}

std::string quoted(std::string_view v) {
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') out += '\\';  // RFC 5322 §3.2.4 quoted-pair
        out += c;
    }
    out += '"';
    return out;
}

// RFC 2231 §7 attribute-char: any CHAR except SPACE, CTLs, "*", "'", "%" and tspecials.
bool attribute_char(unsigned char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    return c != 0 && std::strchr("!#$&+-.^_`|~", c) != nullptr;
}

std::string percent_encode(std::string_view chars) {
    std::string out;
    for (unsigned char c : chars) {
        if (attribute_char(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        }
    }
    return out;
}

// §3 continuations of a printable-ASCII value: attribute*N="...". A segment never ends
// between a backslash and the character it escapes, because we split the raw value.
std::vector<std::string> continued_quoted(std::string_view attribute, std::string_view v) {
    std::vector<std::string> pieces;
    std::size_t start = 0;
    for (int n = 0; start < v.size(); ++n) {
        const std::string head = std::string(attribute) + "*" + std::to_string(n) + "=";
        std::size_t end = start;
        std::size_t width = head.size() + 2;  // the quotes
        while (end < v.size()) {
            const std::size_t w = (v[end] == '"' || v[end] == '\\') ? 2 : 1;
            if (end > start && width + w > kPieceMax) break;
            width += w;
            ++end;
        }
        pieces.push_back(head + quoted(v.substr(start, end - start)));
        start = end;
    }
    return pieces;
}

// §4 + §4.1: attribute*=UTF-8''%XX..., or attribute*0*=UTF-8''...; attribute*1*=...
// Segments end on character boundaries so a reader that decodes them one by one still
// sees valid UTF-8.
std::vector<std::string> extended(std::string_view attribute, std::string_view v) {
    const std::string whole = std::string(attribute) + "*=UTF-8''" + percent_encode(v);
    if (whole.size() <= kPieceMax) return {whole};

    std::vector<std::string> pieces;
    std::size_t i = 0;
    for (int n = 0; i < v.size(); ++n) {
        std::string piece = std::string(attribute) + "*" + std::to_string(n) + "*=";
        if (n == 0) piece += "UTF-8''";
        const std::size_t before = piece.size();
        while (i < v.size()) {
            const std::size_t len =
                std::min(utf8_sequence_length(static_cast<unsigned char>(v[i])), v.size() - i);
            const std::string enc = percent_encode(v.substr(i, len));
            if (piece.size() > before && piece.size() + enc.size() > kPieceMax) break;
            piece += enc;
            i += len;
        }
        pieces.push_back(std::move(piece));
    }
    return pieces;
}

}  // namespace

std::vector<std::string> encode_parameter(std::string_view attribute, std::string_view value) {
    if (printable_ascii(value)) {
        std::string simple = std::string(attribute) + "=" + quoted(value);
        if (simple.size() <= kPieceMax) return {std::move(simple)};
        return continued_quoted(attribute, value);
    }
    return extended(attribute, value);
}

std::string encode_parameter_legacy(std::string_view attribute, std::string_view value) {
    if (printable_ascii(value) && !needs_encoded_words(value))
        return std::string(attribute) + "=" + quoted(value);
    // Encoded words contain no '"' or '\', so the quoted-string needs no escapes.
    return std::string(attribute) + "=\"" + encode_words(value, attribute.size() + 3) + "\"";
}

}  // namespace mvsmtp
