// dkim_canon.hpp (private) — RFC 6376 §3.4 canonicalisation, and the hashes built on it.
//
//   DkimBodyHash body(DkimCanon::Relaxed);  body.write(chunk...);  std::string bh = body.finish();
//   DkimMessageHash m(DkimCanon::Relaxed);  write_message(msg, m, o);  m.header_block(); m.body_hash();
//   canonical_header(DkimCanon::Relaxed, "Subject:  Hi\r\n there ")  →  "subject:Hi there"
//
// The body is canonicalised as it streams, holding back only what the end of the message
// could still remove (trailing empty lines, trailing whitespace of a line), so memory stays
// constant however large the message.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mvsmtp/dkim.hpp"
#include "mvsmtp/sink.hpp"
#include "openssl_handles.hpp"

namespace mvsmtp {

// One header field as written, without its final CRLF (folds kept).
struct HeaderField {
    std::string name;  // as written, before the colon
    std::string raw;   // "Name: value\r\n continued"
};

// The fields of a header block (CRLF line ends; a line starting with SP/HTAB continues the
// field above it). Text before the first field that is not one is ignored.
std::vector<HeaderField> split_header_block(std::string_view block);

// A field canonicalised, without a final CRLF: simple = as written; relaxed = lower-case
// name, unfolded, runs of WSP as one SP, no WSP at the end or around the colon.
std::string canonical_header(DkimCanon canon, std::string_view raw_field);

// SHA-256 of a canonicalised body, streamed.
class DkimBodyHash : public ByteSink {
public:
    explicit DkimBodyHash(DkimCanon canon);
    void write(const char* data, std::size_t size) override;
    using ByteSink::write;
    // base64 of the digest (bh=); call once, after the last write.
    std::string finish();

private:
    void content(char c);
    void end_line();
    void emit(const char* p, std::size_t n);
    void emit_pending_lines();

    DkimCanon canon_;
    openssl::MdCtx sha_;
    char buffer_[16384];
    std::size_t used_ = 0;
    std::uint64_t empty_lines_ = 0;  // held back: they vanish if nothing follows
    bool line_has_content_ = false;
    bool pending_space_ = false;     // relaxed: WSP seen, written only if the line goes on
    bool pending_cr_ = false;
    bool anything_ = false;          // a non-empty line was emitted
};

// Splits a streamed message at its first empty line: the header block is kept (at most
// 1 MiB, else Error(BadArgument)), the body goes into a DkimBodyHash.
class DkimMessageHash : public ByteSink {
public:
    explicit DkimMessageHash(DkimCanon body_canon) : body_(body_canon) {}
    void write(const char* data, std::size_t size) override;
    using ByteSink::write;
    const std::string& header_block() const { return header_; }
    std::string body_hash() { return body_.finish(); }

private:
    std::string header_;
    bool in_body_ = false;
    DkimBodyHash body_;
};

}  // namespace mvsmtp
