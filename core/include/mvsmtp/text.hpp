// mvsmtp/text.hpp — input character sets, UTF-8 checks and line-ending normalisation.
//
//   std::string s = mvsmtp::to_utf8(bytes_from_basic, mvsmtp::InputCharset::Utf8);
//   if (mvsmtp::is_ascii(s)) ...                  // 7-bit: no encoding needed
//   std::string body = mvsmtp::to_crlf(s);        // LF, CR and CRLF all become CRLF
//
// Charset policy (DESIGN §2, "Character sets"): input is UTF-8 unless the caller says
// otherwise. With InputCharset::Utf8, valid UTF-8 passes through untouched; input that is
// NOT valid UTF-8 is decoded as Windows-1252 AS A WHOLE (not byte by byte), because a BASIC
// program that was never told about UTF-8 almost always holds cp1252/Latin-1 text, and
// mixing two decodings inside one string would only hide the mistake. Invalid bytes are
// therefore never sent raw. None of these functions throw.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mvsmtp {

enum class InputCharset {
    Utf8,    // UTF-8; invalid input falls back to Windows-1252 (see above)
    Cp1252,  // Windows-1252; the 5 bytes it leaves undefined map to U+0081 etc. (WHATWG)
    Latin1,  // ISO-8859-1: every byte is the code point of the same value
};

// "UTF-8"/"UTF8", "CP1252"/"WINDOWS-1252", "LATIN1"/"ISO-8859-1" (case-insensitive);
// nullopt for anything else. For gci/ option parsing.
std::optional<InputCharset> input_charset_from_name(std::string_view name);

// Converts input to UTF-8 according to cs (see the policy above).
std::string to_utf8(std::string_view input, InputCharset cs = InputCharset::Utf8);

// Position of the first CR or LF at or after `from` (size() when none). Two memchr scans,
// not a byte loop: every body passes through here twice per message.
std::size_t find_line_break(std::string_view s, std::size_t from);

// ASCII case mapping (protocol keywords, option values); other bytes are left alone.
std::string ascii_upper(std::string s);
std::string ascii_lower(std::string s);
// Without leading and trailing blanks, tabs, CR and LF.
std::string trim(const std::string& s);

// Text from a remote party made safe to show in RESULT or a transcript: every byte outside
// printable ASCII becomes `replacement`; at most `limit` characters, then "...".
std::string printable_ascii(std::string_view s, std::size_t limit, char replacement = '?');

// True when every byte is < 0x80.
bool is_ascii(std::string_view s);

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s);

// Length of the UTF-8 sequence introduced by lead byte b (1 for ASCII and for stray
// continuation/invalid bytes, so callers always make progress).
std::size_t utf8_sequence_length(unsigned char b);

// Every CRLF, lone CR and lone LF becomes CRLF (RFC 5322 §2.3: CR and LF only as a pair).
std::string to_crlf(std::string_view s);

}  // namespace mvsmtp
