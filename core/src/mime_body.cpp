// mime_body.cpp — the MIME entity tree of a message (RFC 2045, RFC 2046).
//
//   text only            text/plain
//   html only            text/html
//   text + html          multipart/alternative (text first: §5.1.4, least preferred first)
//   + attachments        multipart/mixed [ the above, attachment, attachment ... ]
//
// Text parts always say charset=utf-8 (also for pure ASCII, which is valid UTF-8: one
// label, no guessing). Their transfer encoding follows the content: 7bit when every byte
// is ASCII (no NUL) and no line exceeds 998 octets (RFC 5322 §2.1.1); otherwise
// quoted-printable when at most 1 byte in 6 is non-ASCII (QP costs 3 octets for such a
// byte, base64 4/3 for every byte), base64 when more. Attachments are always base64, also
// text/* ones: it keeps their bytes (line endings included) exactly as in the file.
//
// Every entity is written without a CRLF after its last line, and every delimiter is
// written as CRLF "--boundary": the CRLF belongs to the delimiter (RFC 2046 §5.1.1), so
// a body that ends with a line break keeps it and one that does not gains none.
#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

#include "attachment_file.hpp"
#include "mime_internal.hpp"
#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/mime.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp::mime_detail {
namespace {

enum class Cte { SevenBit, EightBit, QuotedPrintable, Base64 };

constexpr std::size_t kMaxLine = 998;
constexpr std::size_t kChunk = Base64Sink::kLineBytes * 1024;  // 58,368 bytes per read

// allow_8bit: the server takes 8BITMIME (RFC 6152), so UTF-8 text with sane lines can
// travel as it is instead of growing by a third in quoted-printable.
Cte choose_encoding(std::string_view crlf_text, bool allow_8bit) {
    const auto* p = reinterpret_cast<const unsigned char*>(crlf_text.data());
    const std::size_t n = crlf_text.size();
    // Non-ASCII bytes and NULs, eight bytes at a time (this runs twice over every text body
    // per message: once to size the message, once to send it).
    std::size_t non_ascii = 0, i = 0;
    bool nul = false;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL, kOnes = 0x0101010101010101ULL;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        if (w & kHigh) non_ascii += static_cast<std::size_t>(__builtin_popcountll(w & kHigh));
        if ((w - kOnes) & ~w & kHigh) nul = true;
    }
    for (; i < n; ++i) {
        non_ascii += p[i] >= 0x80 ? 1 : 0;
        nul = nul || p[i] == 0;
    }
    // Longest line: the text is CRLF-normalised, so lines end at LF.
    std::size_t longest = 0;
    for (std::size_t start = 0; start < n;) {
        const void* lf = std::memchr(p + start, '\n', n - start);
        const std::size_t end = lf ? static_cast<std::size_t>(static_cast<const unsigned char*>(lf) - p) : n;
        std::size_t len = end - start;
        if (lf && len > 0 && p[end - 1] == '\r') --len;
        longest = std::max(longest, len);
        start = end + 1;
    }
    if (non_ascii == 0 && !nul && longest <= kMaxLine) return Cte::SevenBit;
    if (allow_8bit && !nul && longest <= kMaxLine) return Cte::EightBit;
    return non_ascii * 6 <= crlf_text.size() ? Cte::QuotedPrintable : Cte::Base64;
}

const char* cte_name(Cte c) {
    switch (c) {
        case Cte::SevenBit:
            return "7bit";
        case Cte::EightBit:
            return "8bit";
        case Cte::QuotedPrintable:
            return "quoted-printable";
        case Cte::Base64:
            return "base64";
    }
    return "base64";
}

// A boundary is "=_mvsmtp_" + 24 hex digits. "=_" cannot occur in base64 (no '_' in the
// alphabet) or QP ('=' is always followed by a hex digit or CRLF) output, so only a 7bit
// text could contain it; we check. The digits are SHA-256 of the Message-ID (random,
// from prepare) and the boundary's role, so a prepared message always writes the same
// bytes while two messages never share a boundary.
std::string new_boundary(const std::string& message_id, const char* role, const std::string& text,
                         const std::string& html) {
    static const char hex[] = "0123456789abcdef";
    for (unsigned counter = 0;; ++counter) {
        const std::string seed = message_id + '\n' + role + '\n' + std::to_string(counter);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;
        if (EVP_Digest(seed.data(), seed.size(), md, &md_len, EVP_sha256(), nullptr) != 1)
            throw Error(ErrorCode::Internal, "SHA-256 failed");
        std::string b = "=_mvsmtp_";
        for (int i = 0; i < 12; ++i) {
            b += hex[md[i] >> 4];
            b += hex[md[i] & 0xF];
        }
        if (text.find(b) == std::string::npos && html.find(b) == std::string::npos) return b;
    }
}

std::string multipart_header(const char* subtype, const std::string& boundary) {
    return fold_header("Content-Type",
                       std::string("multipart/") + subtype + "; boundary=\"" + boundary + "\"") +
           "\r\n";
}

void write_text(const char* subtype, const std::string& crlf_text, bool allow_8bit, ByteSink& out) {
    const Cte cte = choose_encoding(crlf_text, allow_8bit);
    out.write(std::string("Content-Type: text/") + subtype + "; charset=utf-8\r\n" +
              "Content-Transfer-Encoding: " + cte_name(cte) + "\r\n\r\n");
    switch (cte) {
        case Cte::SevenBit:
        case Cte::EightBit:
            out.write(crlf_text);
            break;
        case Cte::QuotedPrintable:
            write_quoted_printable(crlf_text, out);
            break;
        case Cte::Base64: {
            Base64Sink b64(out);
            b64.write(crlf_text);
            b64.finish();
            break;
        }
    }
}

void write_file(const std::string& path, Base64Sink& b64) {
    AttachmentFile f(path);  // regular files only: a FIFO or a device is refused, never waited on
    std::unique_ptr<char[]> buf(new char[kChunk]);
    // Fill whole chunks (a short read is not the end) so base64 lines stay aligned.
    for (;;) {
        std::size_t n = 0;
        while (n < kChunk) {
            const std::size_t got = f.read(buf.get() + n, kChunk - n);
            if (got == 0) break;
            n += got;
        }
        if (n > 0) b64.write(buf.get(), n);
        if (n < kChunk) break;
    }
}

std::string attachment_name(const Attachment& a) {
    if (!a.filename.empty()) return to_utf8(a.filename);
    const std::size_t slash = a.path.find_last_of("/\\");
    return to_utf8(slash == std::string::npos ? a.path : a.path.substr(slash + 1));
}

// Attachments are always base64, and RFC 2046 (§5.1.1, §5.2.1) allows no encoding but 7bit,
// 8bit or binary for a multipart/* or message/* body: a reader parses the base64 text as a
// message (found by tests/fuzz/fuzz_mime with check_mime.py). Such a type is sent as
// application/octet-stream; the file and its name are unchanged.
std::string attachment_type(const Attachment& a, const std::string& name) {
    const std::string type = a.content_type.empty() ? guess_content_type(name) : a.content_type;
    const std::string top = ascii_lower(trim(type.substr(0, type.find('/'))));
    return top == "multipart" || top == "message" ? std::string("application/octet-stream") : type;
}

void write_attachment(const Attachment& a, ByteSink& out) {
    const std::string name = attachment_name(a);
    std::string type = attachment_type(a, name);
    std::string disposition = "attachment";
    if (!name.empty()) {
        // Outlook reads name= on Content-Type, everyone else filename= (RFC 2183, with
        // RFC 2231 for non-ASCII or long names): write both.
        type += "; " + encode_parameter_legacy("name", name);
        for (const std::string& piece : encode_parameter("filename", name))
            disposition += "; " + piece;
    }
    out.write(fold_header("Content-Type", type) + fold_header("Content-Disposition", disposition) +
              "Content-Transfer-Encoding: base64\r\n\r\n");
    Base64Sink b64(out);
    if (!a.path.empty())
        write_file(a.path, b64);
    else
        b64.write(a.data);
    b64.finish();
}

// The text/html part of the message, as one entity.
void write_content(const std::string& id, const std::string& text, const std::string& html,
                   bool allow_8bit, ByteSink& out) {
    if (!html.empty() && !text.empty()) {
        const std::string b = new_boundary(id, "alternative", text, html);
        out.write(multipart_header("alternative", b) + "--" + b + "\r\n");
        write_text("plain", text, allow_8bit, out);
        out.write("\r\n--" + b + "\r\n");
        write_text("html", html, allow_8bit, out);
        out.write("\r\n--" + b + "--");
    } else if (!html.empty()) {
        write_text("html", html, allow_8bit, out);
    } else {
        write_text("plain", text, allow_8bit, out);
    }
}

}  // namespace

void write_body(const Message& m, const std::string& id, const WriteOptions& options, ByteSink& out) {
    const std::string text = to_crlf(to_utf8(m.text));
    const std::string html = to_crlf(to_utf8(m.html));
    if (m.attachments.empty()) {
        write_content(id, text, html, options.allow_8bit, out);
        return;
    }
    const std::string b = new_boundary(id, "mixed", text, html);
    out.write(multipart_header("mixed", b) + "This is a multi-part message in MIME format.");
    if (!text.empty() || !html.empty()) {
        out.write("\r\n--" + b + "\r\n");
        write_content(id, text, html, options.allow_8bit, out);
    }
    for (const Attachment& a : m.attachments) {
        out.write("\r\n--" + b + "\r\n");
        write_attachment(a, out);
    }
    out.write("\r\n--" + b + "--");
}

}  // namespace mvsmtp::mime_detail
