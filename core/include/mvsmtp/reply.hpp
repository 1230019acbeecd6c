// mvsmtp/reply.hpp — SMTP replies and the multi-line reply parser (RFC 5321 §4.2, RFC 3463).
//
//   mvsmtp::ReplyParser p;
//   for (each line read without its CRLF) if (p.feed(line)) { Reply r = p.take(); ... }
//
// The parser is strict: a line that is not "DDD", "DDD text" or "DDD-text", a first digit
// outside 2-5, or a continuation whose code differs from the first line throws
// Error(ProtocolError). It holds no socket, so it cannot loop at EOF: the reader decides.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mvsmtp {

struct Reply {
    int code = 0;                     // 220, 250, 354, 421, 550 ...
    std::string enhanced;             // RFC 3463 "5.7.1", empty when the server sent none
    std::vector<std::string> lines;   // text of each line, enhanced code removed

    bool is_positive() const { return code >= 200 && code < 400; }
    bool is_intermediate() const { return code >= 300 && code < 400; }
    bool is_transient() const { return code >= 400 && code < 500; }
    bool is_permanent() const { return code >= 500; }
    // The text of all lines joined with a space.
    std::string text() const;
    // "550 5.1.1 text of first line" — a one-line summary for messages and RESULT.
    std::string summary() const;
};

class ReplyParser {
public:
    // Longest line accepted (RFC 5321 §4.5.3.1.5 says 512; real servers send longer
    // EHLO lines, so we allow more but still bound memory).
    static constexpr std::size_t kMaxLineLength = 4096;
    static constexpr std::size_t kMaxLines = 1000;

    // Feeds one line (CRLF already removed). Returns true when the reply is complete.
    bool feed(std::string_view line);
    // The completed reply; resets the parser for the next one.
    Reply take();
    bool in_progress() const { return !current_.lines.empty(); }

private:
    Reply current_;
    bool complete_ = false;
};

// Parses a whole reply held in a string (lines separated by CRLF or LF); for tests and tools.
Reply parse_reply(std::string_view text);

}  // namespace mvsmtp
