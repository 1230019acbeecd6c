// mvsmtp/dot_stuffer.hpp — the DATA transparency codec (RFC 5321 §4.5.2).
//
//   DotStuffer data(connection_sink);
//   write_message(msg, data);     // any chunking
//   data.finish();                // terminates with CRLF "." CRLF
//
// Every line ending that reaches the wire is CRLF: a bare LF or a bare CR in the input
// becomes CRLF (bare line endings are how SMTP smuggling works; Postfix and Exchange
// reject them). Every line that begins with "." gets a second ".".
#pragma once
#include <cstdint>

#include "mvsmtp/sink.hpp"

namespace mvsmtp {

class DotStuffer : public ByteSink {
public:
    explicit DotStuffer(ByteSink& out) : out_(out) {}
    void write(const char* data, std::size_t size) override;
    using ByteSink::write;
    // Ends the last line if needed and writes the terminating ".\r\n".
    void finish();
    std::uint64_t bytes_in() const { return bytes_in_; }

private:
    ByteSink& out_;
    bool at_line_start_ = true;
    bool pending_cr_ = false;
    std::uint64_t bytes_in_ = 0;
};

}  // namespace mvsmtp
