// encoding_base64.cpp — streaming base64 with 76-character lines (RFC 2045 §6.8).
//
// Speed matters here (DESIGN §5: a 100 MB attachment must encode at least as fast as
// coreutils base64). OpenSSL's EVP_EncodeBlock turns one 57-byte group into exactly one
// 76-character line; we write lines straight into a 64 KiB staging buffer and hand the
// sink large chunks, so the per-byte cost is the table lookup and nothing else.
#include <openssl/evp.h>

#include <cstring>

#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"

namespace mvsmtp {
namespace {

constexpr std::size_t kLineChars = 76;
constexpr std::size_t kLinesPerFlush = 840;  // 840 * 78 = 65,520 bytes staged
constexpr std::size_t kBufferSize = kLinesPerFlush * (kLineChars + 2);

}  // namespace

Base64Sink::Base64Sink(ByteSink& out) : out_(out) {
    buffer_.resize(kBufferSize + 1);
}

void Base64Sink::emit_line(const unsigned char* in, std::size_t n) {
    if (used_ + kLineChars + 3 > buffer_.size()) flush();
    char* dst = &buffer_[used_];
    if (!first_line_) {
        *dst++ = '\r';
        *dst++ = '\n';
        used_ += 2;
    }
    first_line_ = false;
    // EVP_EncodeBlock writes a terminating NUL after the output; buffer_ keeps a spare
    // byte for it, and the next line overwrites it.
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(dst), in, static_cast<int>(n));
    used_ += static_cast<std::size_t>(written);
}

void Base64Sink::flush() {
    if (used_ == 0) return;
    out_.write(buffer_.data(), used_);
    used_ = 0;
}

void Base64Sink::write(const char* data, std::size_t size) {
    auto p = reinterpret_cast<const unsigned char*>(data);
    if (pending_size_ > 0) {
        const std::size_t take = std::min(size, kLineBytes - pending_size_);
        std::memcpy(pending_ + pending_size_, p, take);
        pending_size_ += take;
        p += take;
        size -= take;
        if (pending_size_ < kLineBytes) return;
        emit_line(pending_, kLineBytes);
        pending_size_ = 0;
    }
    while (size >= kLineBytes) {  // the hot loop: whole lines straight from the input
        emit_line(p, kLineBytes);
        p += kLineBytes;
        size -= kLineBytes;
    }
    std::memcpy(pending_, p, size);
    pending_size_ = size;
}

void Base64Sink::finish() {
    if (pending_size_ > 0) emit_line(pending_, pending_size_);
    pending_size_ = 0;
    flush();
}

std::string base64_encode(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()),
                                  static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string base64_decode(std::string_view text) {
    static const auto table = [] {
        struct T {
            signed char v[256];
        } t{};
        std::memset(t.v, -1, sizeof t.v);
        const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < 64; ++i)
            t.v[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
        return t;
    }();
    std::string out;
    out.reserve(text.size() / 4 * 3);
    unsigned int acc = 0;
    int bits = 0, pad = 0;
    for (unsigned char c : text) {
        if (c == '\r' || c == '\n' || c == ' ' || c == '\t') continue;
        if (c == '=') {
            ++pad;
            continue;
        }
        const int v = table.v[c];
        if (v < 0 || pad > 0) throw Error(ErrorCode::BadArgument, "invalid base64 input");
        acc = (acc << 6) | static_cast<unsigned int>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    // Leftover bits must be the zero padding of a 2- or 3-character final group.
    if (pad > 2 || bits >= 6 || (bits > 0 && (acc & ((1u << bits) - 1)) != 0) ||
        (pad > 0 && pad != bits / 2))
        throw Error(ErrorCode::BadArgument, "invalid base64 padding");
    return out;
}

}  // namespace mvsmtp
