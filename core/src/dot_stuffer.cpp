// dot_stuffer.cpp — line-ending normalisation and dot-stuffing for DATA.
#include "mvsmtp/dot_stuffer.hpp"

#include <string>

#include "mvsmtp/text.hpp"

namespace mvsmtp {

void DotStuffer::write(const char* data, std::size_t size) {
    bytes_in_ += size;
    std::string chunk;
    chunk.reserve(size + size / 32 + 8);
    std::size_t i = 0;
    while (i < size) {
        if (pending_cr_) {
            pending_cr_ = false;
            chunk += "\r\n";
            at_line_start_ = true;
            if (data[i] == '\n') { ++i; continue; }  // it was a CRLF pair
        }
        if (at_line_start_ && data[i] == '.') chunk += '.';
        at_line_start_ = false;
        // Copy the rest of the line in one run; stop at the next CR or LF.
        const std::size_t end = find_line_break(std::string_view(data, size), i);
        chunk.append(data + i, end - i);
        i = end;
        if (i == size) break;
        if (data[i] == '\r') {
            pending_cr_ = true;
        } else {
            chunk += "\r\n";
            at_line_start_ = true;
        }
        ++i;
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
