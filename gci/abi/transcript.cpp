// transcript.cpp — see transcript.hpp.
#include "transcript.hpp"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormatter.h>

#include <cctype>
#include <fstream>

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
        // Appending per line keeps the log complete even if the process dies mid-session.
        std::ofstream out(state->path, std::ios::app);
        if (out) out << Poco::DateTimeFormatter::format(Poco::DateTime(), "%Y-%m-%dT%H:%M:%S.%iZ ") << line << '\n';
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
