// mvsmtp/encoding.hpp — the MIME transfer and header encodings, as small pure functions.
//
//   Base64Sink b64(out);  b64.write(chunk);  ...  b64.finish();  // 76-char lines
//   write_quoted_printable(to_crlf(text), out);                  // RFC 2045 §6.7
//   std::string w = encode_words("Grüße aus Köln");     // "=?UTF-8?B?R3LDvMOf...?="
//   auto p = encode_parameter("filename", "Ü.pdf");      // {"filename*=UTF-8''%C3%9C.pdf"}
//   std::string h = fold_header("Subject", value);      // "Subject: ...\r\n", folded
//
// Line convention for body encoders: lines are SEPARATED by CRLF and the last line has no
// CRLF after it, so a multipart writer can always append "\r\n--boundary": by RFC 2046
// §5.1.1 that CRLF belongs to the delimiter, and the content decodes byte-exact.
// Everything produced here is 7-bit ASCII. Only fold_header and base64_decode throw
// (mvsmtp::Error), besides errors a sink throws, which pass through; the rest cannot fail
// (short of running out of memory).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mvsmtp/sink.hpp"

namespace mvsmtp {

// ---- base64 (RFC 2045 §6.8) ---------------------------------------------------------

// Streaming base64 with 76-character lines (57 input bytes per line, OpenSSL's
// EVP_EncodeBlock). Accepts any chunking; memory is a fixed 64 KiB staging buffer.
class Base64Sink : public ByteSink {
public:
    static constexpr std::size_t kLineBytes = 57;  // 57 bytes → 76 characters
    explicit Base64Sink(ByteSink& out);
    void write(const char* data, std::size_t size) override;
    using ByteSink::write;
    // Encodes the final partial line (with '=' padding) and flushes. Call exactly once.
    void finish();

private:
    void emit_line(const unsigned char* in, std::size_t n);
    void flush();
    ByteSink& out_;
    unsigned char pending_[kLineBytes];
    std::size_t pending_size_ = 0;
    std::string buffer_;
    std::size_t used_ = 0;
    bool first_line_ = true;
};

// Unbroken base64 of data (one line, no CRLF), e.g. for SMTP AUTH.
std::string base64_encode(std::string_view data);
// Decodes base64, ignoring CR, LF, space and tab. Throws Error(BadArgument) on any other
// character outside the alphabet or on bad padding.
std::string base64_decode(std::string_view text);

// ---- quoted-printable (RFC 2045 §6.7) -------------------------------------------------

// Encodes text whose line breaks are already CRLF (see to_crlf). Hard line breaks are
// copied as CRLF; lines are soft-broken with "=" so that none exceeds 76 characters;
// '=' and every byte outside 33-126 are =XX, except space and tab inside a line;
// whitespace at the end of a line or of the content is encoded (=20/=09) so no relay can
// strip it (the bug in Poco's encoder); a '.' that starts an output line is written =2E
// so no line of the part can ever look like the SMTP end-of-data marker. A lone CR or LF
// (not normalised by the caller) is encoded =0D / =0A.
void write_quoted_printable(std::string_view crlf_text, ByteSink& out);
std::string quoted_printable_encode(std::string_view crlf_text);

// ---- RFC 2047 encoded words -----------------------------------------------------------

enum class WordEncoding {
    Auto,  // whichever of B and Q is shorter for this text (Q on a tie: readable)
    B,
    Q,
};

// True when text cannot go into an unstructured header as it is: it contains non-ASCII
// bytes, control characters other than HTAB, the sequence "=?" (a reader would try to
// decode it, RFC 2047 §5), or a run of more than kMaxHeaderToken non-blank octets (it
// could not be folded under the 998-octet limit).
constexpr std::size_t kMaxHeaderToken = 900;
bool needs_encoded_words(std::string_view text);

// Encodes UTF-8 text as "=?UTF-8?X?...?=" words separated by single spaces (the
// separator is folding whitespace that decoders drop between adjacent words, §6.2).
// Words are split only between characters, never inside a UTF-8 sequence (§5), and each
// is at most 75 characters (§2). first_column is how much of the first header line is
// already used (e.g. 9 for "Subject: "), so the first word keeps that line within 78.
// Q words use only the characters §5(3) allows in a phrase, so they fit any header.
std::string encode_words(std::string_view utf8, std::size_t first_column = 0,
                         WordEncoding encoding = WordEncoding::Auto);

// ---- MIME parameters (RFC 2045 §5.1, RFC 2231) ---------------------------------------

// Renders one parameter as one or more pieces to join with "; " (the folder may break
// between them). Printable-ASCII values become attribute="value" with '"' and '\'
// escaped; when that piece would not fit a 78-column line it is split into RFC 2231 §3
// continuations attribute*0="..."; attribute*1="...". Values with non-ASCII or control
// characters become RFC 2231 §4 attribute*=UTF-8''%XX..., continued as attribute*0*=,
// attribute*1*= ... when long; segments end on character boundaries.
std::vector<std::string> encode_parameter(std::string_view attribute, std::string_view utf8_value);

// The de-facto form for Content-Type name= that Outlook reads: attribute="value" for
// printable ASCII, otherwise attribute="=?UTF-8?...?=" (encoded words inside quotes, as
// Thunderbird writes; not RFC 2047-conformant, so Content-Disposition filename= always
// carries the RFC 2231 form too).
std::string encode_parameter_legacy(std::string_view attribute, std::string_view utf8_value);

// ---- header folding (RFC 5322 §2.1.1, §2.2.3) ----------------------------------------

// Returns "name: value\r\n" folded at whitespace (a CRLF inserted before the first blank of
// a run) so that lines stay within 78 octets where possible. Never folds where the rest of
// the field is blank or before the first character of the value. Throws
// Error(BadArgument) naming the header if some line would still exceed 998 octets.
// The caller has already refused CR/LF/NUL (validate) and encoded non-ASCII text.
std::string fold_header(std::string_view name, std::string_view value);

}  // namespace mvsmtp
