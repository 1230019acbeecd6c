// transcript.hpp — collects a session's protocol log for RESULT or appends it to a file.
//
//   Transcript t = Transcript::from_setting(profile.transcript);   // "", "result" or a path
//   settings.transcript = t.hook();
//   ... t.lines()  → "C: EHLO x", "S: 250-...", "-- TLS TLSv1.3 ..."
//
// Secrets never get here: the connection redacts AUTH lines before calling the hook. Lines
// kept for RESULT are bounded (kMaxLines) so a long batch cannot grow memory without limit;
// a file transcript is appended line by line with a UTC timestamp. The file is created
// owner-only (0600); an existing file that others can read is not written, and the one line
// saying so comes back with take_lines() (R.TRANSCRIPT).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "mvsmtp/connection.hpp"

namespace mvsmtp::gci {

class Transcript {
public:
    static constexpr std::size_t kMaxLines = 2000;

    static Transcript from_setting(const std::string& setting);
    TranscriptHook hook();                       // empty when no transcript is wanted
    bool to_result() const { return state_ && state_->to_result; }
    // The lines gathered since the last take (RESULT mode); clears them.
    std::vector<std::string> take_lines();

private:
    struct State {
        bool to_result = false;
        std::string path;
        std::vector<std::string> lines;
        std::size_t dropped = 0;
        bool refused = false;  // the file is readable by others: not written
    };
    std::shared_ptr<State> state_;
};

}  // namespace mvsmtp::gci
