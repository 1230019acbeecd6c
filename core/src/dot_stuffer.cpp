// dot_stuffer.cpp — line-ending normalisation and dot-stuffing for DATA.
#include "mvsmtp/dot_stuffer.hpp"

#include <string>

namespace mvsmtp {

void DotStuffer::write(const char* data, std::size_t size) {
    bytes_in_ += size;
    std::string chunk;
    chunk.reserve(size + size / 32 + 8);
    for (std::size_t i = 0; i < size; ++i) {
        const char c = data[i];
        if (pending_cr_) {
            pending_cr_ = false;
            chunk += "\r\n";
            at_line_start_ = true;
            if (c == '\n') continue;  // it was a CRLF pair
        }
        if (c == '\r') { pending_cr_ = true; continue; }
        if (c == '\n') { chunk += "\r\n"; at_line_start_ = true; continue; }
        if (at_line_start_ && c == '.') chunk += '.';
        at_line_start_ = false;
        chunk += c;
    }
    out_.write(chunk.data(), chunk.size());
}

void DotStuffer::finish() {
    std::string tail;
    if (pending_cr_) { tail += "\r\n"; pending_cr_ = false; at_line_start_ = true; }
    if (!at_line_start_) tail += "\r\n";
    tail += ".\r\n";
    out_.write(tail.data(), tail.size());
    at_line_start_ = true;
}

}  // namespace mvsmtp
