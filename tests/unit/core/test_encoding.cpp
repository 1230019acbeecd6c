// test_encoding.cpp — base64, quoted-printable, RFC 2047 words, RFC 2231 parameters and
// header folding (mvsmtp/encoding.hpp). Encoders are checked against exact strings; the
// splitting rules are checked by decoding every piece on its own.
#include <boost/test/unit_test.hpp>

#include <random>

#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/text.hpp"

using namespace mvsmtp;

namespace {

std::vector<std::string> split(const std::string& s, const std::string& sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
        if (p == std::string::npos) return out;
        start = p + sep.size();
    }
}

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    BOOST_FAIL("bad hex digit in encoded output: " << c);
    return 0;
}

// A strict QP decoder: =XX must be upper-case hex, '=' at line end is a soft break.
std::string qp_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '=') {
            out += s[i];
        } else if (s.compare(i + 1, 2, "\r\n") == 0) {
            i += 2;
        } else {
            BOOST_REQUIRE(i + 2 < s.size());
            out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
    }
    return out;
}

// Decodes one "=?UTF-8?X?...?=" word; fails the test if it is not one.
std::string decode_word(const std::string& w) {
    BOOST_REQUIRE_MESSAGE(w.size() > 12 && w.compare(0, 8, "=?UTF-8?") == 0 &&
                              w.compare(w.size() - 2, 2, "?=") == 0 && w[9] == '?',
                          "not an encoded word: " << w);
    const std::string text = w.substr(10, w.size() - 12);
    if (w[8] == 'B') return base64_decode(text);
    BOOST_REQUIRE(w[8] == 'Q');
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '_')
            out += ' ';
        else if (text[i] == '=') {
            out += static_cast<char>(hexval(text[i + 1]) * 16 + hexval(text[i + 2]));
            i += 2;
        } else
            out += text[i];
    }
    return out;
}

std::string percent_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else
            out += s[i];
    }
    return out;
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_encoding)

// ---- base64 ----

BOOST_AUTO_TEST_CASE(base64_rfc4648_vectors) {
    BOOST_TEST(base64_encode("") == "");
    BOOST_TEST(base64_encode("f") == "Zg==");
    BOOST_TEST(base64_encode("fo") == "Zm8=");
    BOOST_TEST(base64_encode("foo") == "Zm9v");
    BOOST_TEST(base64_encode("foob") == "Zm9vYg==");
    BOOST_TEST(base64_encode("fooba") == "Zm9vYmE=");
    BOOST_TEST(base64_encode("foobar") == "Zm9vYmFy");
    BOOST_TEST(base64_decode("Zm9v\r\nYmE=") == "fooba");
    BOOST_TEST(base64_decode("Zg==") == "f");
    BOOST_CHECK_THROW(base64_decode("Zm9v!"), Error);
    BOOST_CHECK_THROW(base64_decode("Zg=x"), Error);
    BOOST_CHECK_THROW(base64_decode("Z"), Error);
}

BOOST_AUTO_TEST_CASE(base64_sink_lines_are_76_and_crlf_separated) {
    const std::string line =
        "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB";
    StringSink a;
    Base64Sink b(a);
    b.write(std::string(57, 'A'));
    b.finish();
    BOOST_TEST(a.data == line);  // exactly one line, no CRLF after the last line

    StringSink c;
    Base64Sink d(c);
    d.write(std::string(58, 'A'));
    d.finish();
    BOOST_TEST(c.data == line + "\r\nQQ==");

    StringSink e;
    Base64Sink f(e);
    f.finish();
    BOOST_TEST(e.data == "");
}

BOOST_AUTO_TEST_CASE(base64_sink_output_does_not_depend_on_chunking) {
    std::mt19937 rng(42);
    std::string data(200000, '\0');
    for (char& ch : data) ch = static_cast<char>(rng());
    StringSink whole;
    {
        Base64Sink b(whole);
        b.write(data);
        b.finish();
    }
    StringSink pieces;
    {
        Base64Sink b(pieces);
        std::size_t i = 0;
        while (i < data.size()) {
            const std::size_t n = std::min<std::size_t>(rng() % 300, data.size() - i);
            b.write(data.data() + i, n);
            i += n;
        }
        b.finish();
    }
    BOOST_TEST(whole.data == pieces.data);
    const auto lines = split(whole.data, "\r\n");
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) BOOST_REQUIRE_EQUAL(lines[i].size(), 76u);
    BOOST_TEST(base64_decode(whole.data) == data);
}

// ---- quoted-printable ----

BOOST_AUTO_TEST_CASE(qp_exact_outputs) {
    BOOST_TEST(quoted_printable_encode("abc  ") == "abc =20");  // Poco drops this blank
    BOOST_TEST(quoted_printable_encode("a \r\nb\t") == "a=20\r\nb=09");
    BOOST_TEST(quoted_printable_encode("a b\r\n") == "a b\r\n");
    BOOST_TEST(quoted_printable_encode("x=y") == "x=3Dy");
    BOOST_TEST(quoted_printable_encode(".start\r\n.\r\nin.side") == "=2Estart\r\n=2E\r\nin.side");
    BOOST_TEST(quoted_printable_encode("Gr\xC3\xBC\xC3\x9F"
                                       "e") == "Gr=C3=BC=C3=9Fe");
    BOOST_TEST(quoted_printable_encode(std::string("a\0b\rc\nd", 7)) == "a=00b=0Dc=0Ad");
    BOOST_TEST(quoted_printable_encode("") == "");
}

BOOST_AUTO_TEST_CASE(qp_soft_breaks_at_76) {
    BOOST_TEST(quoted_printable_encode(std::string(76, 'a')) == std::string(76, 'a'));
    BOOST_TEST(quoted_printable_encode(std::string(77, 'a')) ==
               std::string(75, 'a') + "=\r\n" + "aa");
    BOOST_TEST(quoted_printable_encode(std::string(100, 'a')) ==
               std::string(75, 'a') + "=\r\n" + std::string(25, 'a'));
    // An escape is never split across a soft break.
    BOOST_TEST(quoted_printable_encode(std::string(74, 'a') + "\xC3\xA9") ==
               std::string(74, 'a') + "=\r\n=C3=A9");
    // A '.' that would start a continuation line is escaped too.
    BOOST_TEST(quoted_printable_encode(std::string(75, 'a') + ".b") ==
               std::string(75, 'a') + "=\r\n=2Eb");
    // Blank at the very end after a soft break is still encoded.
    BOOST_TEST(quoted_printable_encode(std::string(75, 'a') + "  ") ==
               std::string(75, 'a') + "=\r\n =20");
}

BOOST_AUTO_TEST_CASE(qp_round_trips_and_keeps_lines_short) {
    std::mt19937 rng(7);
    const char alphabet[] = "ab =.\t\xC3\xA9\r\n\x01~";
    for (int round = 0; round < 200; ++round) {
        std::string s;
        const int n = static_cast<int>(rng() % 400);
        for (int i = 0; i < n; ++i) s += alphabet[rng() % (sizeof alphabet - 1)];
        s = to_crlf(s);
        const std::string enc = quoted_printable_encode(s);
        BOOST_REQUIRE(qp_decode(enc) == s);
        for (const std::string& line : split(enc, "\r\n")) {
            BOOST_REQUIRE_LE(line.size(), 76u);
            BOOST_REQUIRE(line.empty() || (line.back() != ' ' && line.back() != '\t'));
            BOOST_REQUIRE(line.empty() || line.front() != '.');
            for (unsigned char c : line) BOOST_REQUIRE((c >= 32 && c < 127) || c == '\t');
        }
    }
}

// ---- RFC 2047 ----

BOOST_AUTO_TEST_CASE(encoded_words_exact) {
    BOOST_TEST(encode_words("Hello World", 0, WordEncoding::Q) == "=?UTF-8?Q?Hello_World?=");
    BOOST_TEST(encode_words("a_b=c?d\"e", 0, WordEncoding::Q) == "=?UTF-8?Q?a=5Fb=3Dc=3Fd=22e?=");
    BOOST_TEST(encode_words("Gr\xC3\xBC\xC3\x9F"
                            "e",
                            0, WordEncoding::Q) == "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=");
    BOOST_TEST(encode_words("Gr\xC3\xBC\xC3\x9F"
                            "e",
                            0, WordEncoding::B) == "=?UTF-8?B?R3LDvMOfZQ==?=");
    // Auto picks the shorter: B for CJK, Q for mostly-ASCII text.
    BOOST_TEST(encode_words("\xE6\xBC\xA2\xE5\xAD\x97") == "=?UTF-8?B?5ryi5a2X?=");
    BOOST_TEST(encode_words("Caf\xC3\xA9 menu today") == "=?UTF-8?Q?Caf=C3=A9_menu_today?=");
    BOOST_TEST(encode_words("") == "");
}

BOOST_AUTO_TEST_CASE(encoded_words_split_only_on_character_boundaries) {
    const std::string samples[] = {
        repeat("caf\xC3\xA9 ", 40),                            // 2-byte
        repeat("\xE6\xBC\xA2\xE5\xAD\x97", 60),                // 3-byte, no blanks
        repeat("\xF0\x9F\x98\x80", 50),                        // 4-byte emoji
        repeat("a\xF0\x9F\x98\x80\xC3\xA9\xE6\xBC\xA2 ", 25),  // mixed, odd offsets
    };
    for (const std::string& text : samples) {
        for (WordEncoding enc : {WordEncoding::Auto, WordEncoding::B, WordEncoding::Q}) {
            const std::string out = encode_words(text, 9, enc);
            const auto words = split(out, " ");
            BOOST_TEST(words.size() > 2u);
            BOOST_TEST(words.front().size() + 9 <= 78u);  // first line stays within 78
            std::string joined;
            for (const std::string& w : words) {
                BOOST_TEST(w.size() <= 75u);
                const std::string d = decode_word(w);
                BOOST_TEST(valid_utf8(d), "word " << w << " is not valid UTF-8 on its own");
                joined += d;
            }
            BOOST_TEST(joined == text);
        }
    }
}

BOOST_AUTO_TEST_CASE(when_header_text_needs_encoding) {
    BOOST_TEST(!needs_encoded_words("Invoice 1042 (March)"));
    BOOST_TEST(needs_encoded_words("Caf\xC3\xA9"));
    BOOST_TEST(needs_encoded_words("looks =?like?= a word"));
    BOOST_TEST(needs_encoded_words("bell\x07"));
    BOOST_TEST(!needs_encoded_words(std::string(900, 'x')));
    BOOST_TEST(needs_encoded_words(std::string(901, 'x')));
}

// ---- RFC 2231 parameters ----

BOOST_AUTO_TEST_CASE(parameters_exact) {
    using V = std::vector<std::string>;
    BOOST_TEST((encode_parameter("filename", "report.pdf") == V{"filename=\"report.pdf\""}));
    BOOST_TEST((encode_parameter("filename", "a\"b\\c.txt") == V{"filename=\"a\\\"b\\\\c.txt\""}));
    BOOST_TEST((encode_parameter("filename",
                                 "\xC3\x9C"
                                 "berweisung M\xC3\xA4rz.pdf") ==
                V{"filename*=UTF-8''%C3%9Cberweisung%20M%C3%A4rz.pdf"}));
    BOOST_TEST(encode_parameter_legacy("name", "report.pdf") == "name=\"report.pdf\"");
    BOOST_TEST(encode_parameter_legacy("name",
                                       "\xC3\x9C"
                                       "bersicht-2024.pdf") ==
               "name=\"=?UTF-8?Q?=C3=9Cbersicht-2024=2Epdf?=\"");
}

BOOST_AUTO_TEST_CASE(long_parameters_use_rfc2231_continuations) {
    const std::string name = repeat(
                                 "\xC3\x9C"
                                 "berweisung \xE6\xBC\xA2\xF0\x9F\x98\x80 ",
                                 6) +
                             ".pdf";
    const auto pieces = encode_parameter("filename", name);
    BOOST_REQUIRE(pieces.size() > 2u);
    std::string joined;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        const std::string head = "filename*" + std::to_string(i) + "*=" + (i == 0 ? "UTF-8''" : "");
        BOOST_REQUIRE(pieces[i].compare(0, head.size(), head) == 0);
        BOOST_TEST(pieces[i].size() <= 76u);
        const std::string segment = percent_decode(pieces[i].substr(head.size()));
        BOOST_TEST(valid_utf8(segment));  // segments end on character boundaries
        joined += segment;
    }
    BOOST_TEST(joined == name);

    const std::string ascii = std::string(100, 'r') + ".csv";
    const auto ap = encode_parameter("filename", ascii);
    BOOST_REQUIRE_EQUAL(ap.size(), 2u);
    BOOST_TEST(ap[0].compare(0, 12, "filename*0=\"") == 0);
    BOOST_TEST(ap[1].compare(0, 12, "filename*1=\"") == 0);
    BOOST_TEST(ap[0].substr(12, ap[0].size() - 13) + ap[1].substr(12, ap[1].size() - 13) == ascii);
}

// ---- folding ----

BOOST_AUTO_TEST_CASE(fold_exact) {
    BOOST_TEST(fold_header("Subject", "Hello") == "Subject: Hello\r\n");
    const std::string w = "abcdefghij";
    std::string value = w;
    for (int i = 0; i < 9; ++i) value += " " + w;
    BOOST_TEST(fold_header("X-Test", value) ==
               "X-Test: " + repeat(w + " ", 5) + w + "\r\n " + repeat(w + " ", 3) + w + "\r\n");
}

BOOST_AUTO_TEST_CASE(fold_prefers_breaks_outside_quotes) {
    const std::string v =
        "attachment; filename=\"a quite long file name with some spaces in it.pdf\"";
    BOOST_TEST(fold_header("Content-Disposition", v) ==
               "Content-Disposition: attachment;\r\n filename=\"a quite long file name with some "
               "spaces in it.pdf\"\r\n");
}

BOOST_AUTO_TEST_CASE(fold_limits) {
    // Lines stay within 78 where blanks allow; unfolding restores the value exactly.
    std::string value;
    for (int i = 0; i < 200; ++i) value += "word" + std::to_string(i) + (i % 7 ? " " : "  ");
    value += "end";
    const std::string folded = fold_header("Subject", value);
    for (const std::string& line : split(folded.substr(0, folded.size() - 2), "\r\n")) {
        BOOST_TEST(line.size() <= 78u);
        BOOST_TEST(line.find_first_not_of(" \t") != std::string::npos);
    }
    std::string unfolded = folded.substr(0, folded.size() - 2);
    for (std::size_t p; (p = unfolded.find("\r\n")) != std::string::npos;) unfolded.erase(p, 2);
    BOOST_TEST(unfolded == "Subject: " + value);
    // Trailing blanks are never a fold point (a line of only blanks is obsolete syntax).
    BOOST_TEST(fold_header("X", "a" + std::string(100, ' ')) ==
               "X: a" + std::string(100, ' ') + "\r\n");
    // A token too long for 998 octets is refused, not cut.
    BOOST_CHECK_THROW(fold_header("X-Long", std::string(1000, 'x')), Error);
    BOOST_TEST(fold_header("X-Long", std::string(990, 'x')).size() == 1000u);  // 998 + CRLF
    BOOST_CHECK_THROW(fold_header("X-Long", std::string(991, 'x')), Error);
}

BOOST_AUTO_TEST_SUITE_END()
