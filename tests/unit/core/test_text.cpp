// test_text.cpp — input charsets, UTF-8 validation, CRLF normalisation (mvsmtp/text.hpp).
#include <boost/test/unit_test.hpp>

#include "mvsmtp/text.hpp"

using namespace mvsmtp;

BOOST_AUTO_TEST_SUITE(test_text)

BOOST_AUTO_TEST_CASE(valid_utf8_passes_through_unchanged) {
    const std::string s = "Grüße 漢字 \xF0\x9F\x98\x80 plain";
    BOOST_TEST(to_utf8(s, InputCharset::Utf8) == s);
    BOOST_TEST(to_utf8("", InputCharset::Utf8) == "");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_decoded_as_cp1252_as_a_whole) {
    BOOST_TEST(to_utf8("caf\xE9", InputCharset::Utf8) == "caf\xC3\xA9");    // é
    BOOST_TEST(to_utf8("\x80 5", InputCharset::Utf8) == "\xE2\x82\xAC 5");  // €
    // One invalid byte makes the WHOLE string cp1252, the valid-looking "ü" included:
    // mixing two decodings in one string would hide the caller's mistake.
    BOOST_TEST(to_utf8("\xC3\xBC \xE9", InputCharset::Utf8) == "\xC3\x83\xC2\xBC \xC3\xA9");
}

BOOST_AUTO_TEST_CASE(cp1252_and_latin1_tables) {
    BOOST_TEST(to_utf8("\x80\x93\x9F", InputCharset::Cp1252) == "\xE2\x82\xAC\xE2\x80\x9C\xC5\xB8");
    BOOST_TEST(to_utf8("\x81", InputCharset::Cp1252) == "\xC2\x81");  // undefined → C1
    BOOST_TEST(to_utf8("\x80\xFF", InputCharset::Latin1) == "\xC2\x80\xC3\xBF");
    BOOST_TEST(to_utf8("abc", InputCharset::Latin1) == "abc");
    // Explicit cp1252 converts even bytes that happen to form valid UTF-8.
    BOOST_TEST(to_utf8("\xC3\xA9", InputCharset::Cp1252) == "\xC3\x83\xC2\xA9");
}

BOOST_AUTO_TEST_CASE(valid_utf8_is_strict) {
    BOOST_TEST(valid_utf8("a\xC3\xA9\xE6\xBC\xA2\xF0\x9F\x98\x80"));
    BOOST_TEST(!valid_utf8("\xC0\xAF"));          // overlong '/'
    BOOST_TEST(!valid_utf8("\xE0\x80\xAF"));      // overlong
    BOOST_TEST(!valid_utf8("\xED\xA0\x80"));      // UTF-16 surrogate
    BOOST_TEST(!valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    BOOST_TEST(!valid_utf8("\xE2\x82"));          // truncated
    BOOST_TEST(!valid_utf8("\x80"));              // stray continuation
    BOOST_TEST(!valid_utf8("\xFF"));
}

BOOST_AUTO_TEST_CASE(is_ascii_and_sequence_length) {
    BOOST_TEST(is_ascii("hello\x7F"));
    BOOST_TEST(!is_ascii("h\xC3\xA9"));
    BOOST_TEST(utf8_sequence_length('a') == 1u);
    BOOST_TEST(utf8_sequence_length(0xC3) == 2u);
    BOOST_TEST(utf8_sequence_length(0xE6) == 3u);
    BOOST_TEST(utf8_sequence_length(0xF0) == 4u);
    BOOST_TEST(utf8_sequence_length(0x80) == 1u);
}

BOOST_AUTO_TEST_CASE(line_endings_become_crlf) {
    BOOST_TEST(to_crlf("a\nb\rc\r\nd\n\r") == "a\r\nb\r\nc\r\nd\r\n\r\n");
    BOOST_TEST(to_crlf("\r\n\r\n") == "\r\n\r\n");
    BOOST_TEST(to_crlf("no newline") == "no newline");
    BOOST_TEST(to_crlf("\r") == "\r\n");
}

BOOST_AUTO_TEST_CASE(charset_names) {
    BOOST_TEST((input_charset_from_name("utf-8") == InputCharset::Utf8));
    BOOST_TEST((input_charset_from_name("Windows-1252") == InputCharset::Cp1252));
    BOOST_TEST((input_charset_from_name("CP1252") == InputCharset::Cp1252));
    BOOST_TEST((input_charset_from_name("iso-8859-1") == InputCharset::Latin1));
    BOOST_TEST(!input_charset_from_name("EBCDIC").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
