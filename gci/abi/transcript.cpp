// transcript.cpp — see transcript.hpp.
#include "transcript.hpp"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormatter.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

namespace mvsmtp::gci {
namespace {

const char* prefix(Direction d) {
    switch (d) {
        case Direction::Sent: return "C: ";
        case Direction::Received: return "S: ";
        case Direction::Info: return "-- ";
    }
    return "-- ";
}

// Appends one line to the transcript file, which is created owner-only (0600): it holds whole
// conversations. A file that others can already read is left alone and false returned.
bool append_private(const std::string& path, const std::string& line, bool& refused) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) return true;  // a transcript that cannot be written must not break the send
    struct stat st {};
    if (::fstat(fd, &st) != 0 || (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
        ::close(fd);
        refused = true;
        return false;
    }
    std::size_t done = 0;
    while (done < line.size()) {
        const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return true;
}

}  // namespace

Transcript Transcript::from_setting(const std::string& setting) {
    Transcript t;
    if (setting.empty()) return t;
    t.state_ = std::make_shared<State>();
    std::string lower;
    for (char c : setting) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "result") t.state_->to_result = true;
    else t.state_->path = setting;
    return t;
}

TranscriptHook Transcript::hook() {
    if (!state_) return {};
    auto state = state_;
    return [state](Direction d, std::string_view text) {
        std::string line = std::string(prefix(d)) + std::string(text);
        if (state->to_result) {
            if (state->lines.size() < kMaxLines) state->lines.push_back(std::move(line));
            else ++state->dropped;
            return;
        }
        if (state->refused) return;
        // Appending per line keeps the log complete even if the process dies mid-session.
        const std::string stamped =
            Poco::DateTimeFormatter::format(Poco::DateTime(), "%Y-%m-%dT%H:%M:%S.%iZ ") + line + "\n";
        bool refused = false;
        if (!append_private(state->path, stamped, refused) && refused) {
            state->refused = true;
            // Said once, in R.TRANSCRIPT, since the file is not the place for it.
            state->lines.push_back("-- transcript file " + state->path +
                                   " is readable by others: not written (chmod 600 it, or name a new file)");
        }
    };
}

std::vector<std::string> Transcript::take_lines() {
    if (!state_) return {};
    std::vector<std::string> out;
    out.swap(state_->lines);
    if (state_->dropped) {
        out.push_back("-- " + std::to_string(state_->dropped) + " more lines not kept");
        state_->dropped = 0;
    }
    return out;
}

}  // namespace mvsmtp::gci
