// encoding_words.cpp — RFC 2047 encoded words for header text.
//
// Poco 1.11's encodeWord splits inside UTF-8 sequences (smtp-anchors B.4); here each word
// is built from whole characters, so every word decodes to valid UTF-8 on its own, which
// is what RFC 2047 §5 requires ("each 'encoded-word' MUST represent an integral number of
// characters").
#include <algorithm>

#include "mvsmtp/encoding.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

constexpr std::size_t kMaxWord = 75;   // §2: an encoded word is at most 75 characters
constexpr std::size_t kMaxLine = 78;   // RFC 5322 §2.1.1 soft limit
constexpr std::size_t kOverhead = 12;  // "=?UTF-8?Q?" + "?="
const char kHex[] = "0123456789ABCDEF";

// §5(3): inside a phrase, a Q word may only contain letters, digits and !*+-/ literally
// (plus '_' for space); this set is safe in every header, so it is used everywhere.
bool q_literal(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' ||
           c == '*' || c == '+' || c == '-' || c == '/';
}

std::size_t q_width(unsigned char c) {
    return (q_literal(c) || c == ' ') ? 1 : 3;
}

void q_append(std::string& out, unsigned char c) {
    if (c == ' ')
        out += '_';
    else if (q_literal(c))
        out += static_cast<char>(c);
    else {
        out += '=';
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
}

std::size_t b_width(std::size_t bytes) {
    return 4 * ((bytes + 2) / 3);
}

// Splits text into character-aligned chunks whose encoded form fits budget(i) (i = chunk
// index); a single character always fits (at most 12 encoded characters).
template <class Width>
std::vector<std::string_view> split_chars(std::string_view text, std::size_t first_budget,
                                          std::size_t budget, Width width) {
    std::vector<std::string_view> chunks;
    std::size_t start = 0, i = 0;
    std::size_t limit = first_budget;
    while (i < text.size()) {
        const std::size_t len =
            std::min(utf8_sequence_length(static_cast<unsigned char>(text[i])), text.size() - i);
        if (i > start && width(text.substr(start, i + len - start)) > limit) {
            chunks.push_back(text.substr(start, i - start));
            start = i;
            limit = budget;
        }
        i += len;
    }
    if (i > start) chunks.push_back(text.substr(start, i - start));
    return chunks;
}

std::size_t q_width_of(std::string_view s) {
    std::size_t w = 0;
    for (unsigned char c : s) w += q_width(c);
    return w;
}

}  // namespace

bool needs_encoded_words(std::string_view text) {
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x7F || (c < 0x20 && c != '\t')) return true;
        if (c == '=' && i + 1 < text.size() && text[i + 1] == '?') return true;
        run = (c == ' ' || c == '\t') ? 0 : run + 1;
        if (run > kMaxHeaderToken) return true;
    }
    return false;
}

std::string encode_words(std::string_view text, std::size_t first_column, WordEncoding encoding) {
    if (text.empty()) return {};
    if (encoding == WordEncoding::Auto)
        encoding = q_width_of(text) <= b_width(text.size()) ? WordEncoding::Q : WordEncoding::B;

    // The first word should end the first line by column 78; if the header name leaves
    // too little room for a useful word, accept a longer first line instead.
    std::size_t first_word = kMaxWord;
    if (first_column + kOverhead + 8 <= kMaxLine)
        first_word = std::min(kMaxWord, kMaxLine - first_column);
    const std::size_t first_budget = first_word - kOverhead;
    const std::size_t budget = kMaxWord - kOverhead;

    std::vector<std::string_view> chunks;
    if (encoding == WordEncoding::Q) {
        chunks = split_chars(text, first_budget, budget, q_width_of);
    } else {
        chunks = split_chars(text, first_budget, budget,
                             [](std::string_view s) { return b_width(s.size()); });
    }

    std::string out;
    for (std::string_view chunk : chunks) {
        if (!out.empty()) out += ' ';
        if (encoding == WordEncoding::Q) {
            out += "=?UTF-8?Q?";
            for (unsigned char c : chunk) q_append(out, c);
        } else {
            out += "=?UTF-8?B?";
            out += base64_encode(chunk);
        }
        out += "?=";
    }
    return out;
}

}  // namespace mvsmtp
