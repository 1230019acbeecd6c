// tmux_session.hpp — runs a program in a REAL terminal (a detached tmux pane) so a test sees
// what a user would see: prompts, terminal echo, echo switched off for passwords.
//
//   tmux_test::TmuxSession t("/path/mvsmtp shell --server smtp://127.0.0.1:2525");
//   t.expect("\n220 ");                  // waits until NEW screen text matches (regex)
//   t.type("EHLO client.example.test");  // types the text, then Enter
//   t.screen();                          // everything shown so far, scrollback included
//   t.wait_exit();                       // the program's exit status once it ended
//
// Header-only, like testbed.hpp. Throws std::runtime_error when tmux is not installed
// (a test of a terminal must not quietly pass without one) and when expect() times out
// (with the screen in the message). Each session has its own tmux server (-S <socket>),
// killed by the destructor on every path, so a user's own tmux is never touched.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "support/testbed.hpp"

namespace tmux_test {

// tmux's path from $PATH; throws with a clear message when it is missing.
inline std::string tmux_path() {
    std::istringstream dirs(testbed::env_or("PATH", "/usr/local/bin:/usr/bin:/bin"));
    for (std::string d; std::getline(dirs, d, ':');) {
        const std::string candidate = (d.empty() ? "." : d) + "/tmux";
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    throw std::runtime_error(
        "tmux is not installed (apt-get install tmux; tests/testbed/rig.sh install does it): "
        "this test drives a real terminal and cannot run without one");
}

// Quotes one word for the shell tmux runs a command with.
inline std::string shell_quote(const std::string& word) {
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

class TmuxSession {
public:
    explicit TmuxSession(const std::string& command, int width = 200, int height = 50)
        : tmux_(tmux_path()),
          name_(testbed::unique_token("mvsmtp-tmux")),
          socket_((std::filesystem::temp_directory_path() / (name_ + ".sock")).string()) {
        // A placeholder first, so remain-on-exit is set before the program can end: the
        // pane (and its screen) stays after the program exits, with its exit status.
        must({"-f", "/dev/null", "new-session", "-d", "-s", name_, "-x", std::to_string(width), "-y",
              std::to_string(height), "sleep 86400"});
        must({"set-option", "-g", "remain-on-exit", "on"});
        // The shell around the program prints its exit status: tmux 3.3a's own
        // #{pane_dead_status} stays empty when the pty closes before tmux reaps the child.
        must({"respawn-pane", "-k", "-t", name_, command + "; echo \"" + kExitMarker + "$?]\""});
    }
    ~TmuxSession() {
        try {
            tmux({"kill-session", "-t", name_});
            tmux({"kill-server"});
        } catch (...) {
        }
        std::error_code ignored;
        std::filesystem::remove(socket_, ignored);  // tmux leaves it behind
    }
    TmuxSession(const TmuxSession&) = delete;
    TmuxSession& operator=(const TmuxSession&) = delete;

    // Types `text` literally (no key names), then Enter.
    void type(const std::string& text) {
        if (!text.empty()) must({"send-keys", "-t", name_, "-l", "--", text});
        must({"send-keys", "-t", name_, "Enter"});
    }

    // Everything the pane shows, scrollback included; wrapped lines joined.
    std::string screen() const { return must({"capture-pane", "-p", "-J", "-S", "-", "-t", name_}); }

    // Waits until screen text not matched before matches `pattern`; returns the match.
    std::string expect(const std::string& pattern, int timeout_ms = 15000) {
        const std::regex re(pattern);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        std::string text;
        for (;;) {
            text = screen();
            std::smatch m;
            if (consumed_ <= text.size() &&
                std::regex_search(text.cbegin() + static_cast<std::ptrdiff_t>(consumed_), text.cend(), m, re)) {
                consumed_ = static_cast<std::size_t>(m[0].second - text.cbegin());
                return m[0].str();
            }
            if (std::chrono::steady_clock::now() >= deadline) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        throw std::runtime_error("tmux: no /" + pattern + "/ on the screen within " +
                                 std::to_string(timeout_ms) + " ms; screen:\n" + text);
    }

    // The program's exit status once it has ended; throws after timeout_ms.
    int wait_exit(int timeout_ms = 15000) const {
        const std::string marker = kExitMarker;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            const std::string text = screen();
            const auto at = text.find(marker);
            if (at != std::string::npos && text.find(']', at) != std::string::npos)
                return std::atoi(text.c_str() + at + marker.size());
            if (std::chrono::steady_clock::now() >= deadline)
                throw std::runtime_error("tmux: the program did not end within " + std::to_string(timeout_ms) +
                                         " ms; screen:\n" + text);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

private:
    testbed::CommandResult tmux(const std::vector<std::string>& args) const {
        std::vector<std::string> argv = {tmux_, "-S", socket_};
        argv.insert(argv.end(), args.begin(), args.end());
        return testbed::run(argv);
    }
    std::string must(const std::vector<std::string>& args) const {
        const auto r = tmux(args);
        if (r.status != 0)
            throw std::runtime_error("tmux " + args.front() + " failed (exit " + std::to_string(r.status) +
                                     "): " + r.err);
        return r.out;
    }

    static constexpr const char* kExitMarker = "[tmux_session: exit status ";

    std::string tmux_;
    std::string name_;            // session name
    std::string socket_;          // this session's own tmux server
    std::size_t consumed_ = 0;    // screen text already matched by expect()
};

}  // namespace tmux_test
