// rate_limit.cpp — sliding windows in a shared state file; see mvsmtp/rate_limit.hpp.
#include "mvsmtp/rate_limit.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "mvsmtp/error.hpp"
#include "mvsmtp/text.hpp"
#include "platform.hpp"

namespace mvsmtp {
namespace {

double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Send {
    double at;
    long recipients;
};

// Holds an exclusive flock on the lock file for its lifetime.
class FileLock {
public:
    explicit FileLock(const std::string& path) {
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd_ < 0) throw Error(ErrorCode::OutboxFailed, "cannot open the rate-limit lock " + path + ": " + std::strerror(errno));
        // Held for a read and a small write only: 10 s means a stuck process, not a busy one.
        if (!platform::lock_exclusive(fd_, 10000)) {
            ::close(fd_);
            throw Error(ErrorCode::OutboxFailed, "the rate-limit state " + path + " stayed locked for 10 s");
        }
    }
    ~FileLock() { ::close(fd_); }  // closing drops the lock
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    int fd_ = -1;
};

std::vector<Send> read_sends(const std::string& path) {
    std::vector<Send> sends;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        Send s{0, 0};
        if (fields >> s.at >> s.recipients) sends.push_back(s);
    }
    return sends;
}

// A send is counted when it starts; the provider counts it when it arrives, a little later
// and not always the same little. Windows are kept this much longer so that the provider's
// count stays within the limit too (5 %, at most 2 s: 30/minute is kept as 30 per 62 s).
double margin_for(const RateLimit& limit) { return std::min(2.0, limit.seconds * 0.05); }

// When a window of `limit` next has room for `amount` more (0 if it has now).
double wait_for(const std::vector<Send>& sends, RateLimit limit, long amount, bool count_recipients, double now) {
    if (!limit.enabled()) return 0;
    limit.seconds += margin_for(limit);
    if (amount > limit.count) amount = limit.count;  // one message bigger than the limit still goes, alone
    long used = 0;
    for (const Send& s : sends)
        if (s.at > now - limit.seconds) used += count_recipients ? s.recipients : 1;
    if (used + amount <= limit.count) return 0;
    // Oldest first: the window frees what each send took when it leaves the window.
    for (const Send& s : sends) {
        if (s.at <= now - limit.seconds) continue;
        used -= count_recipients ? s.recipients : 1;
        if (used + amount <= limit.count) return std::max(0.001, s.at + limit.seconds - now);
    }
    return limit.seconds;
}

}  // namespace

RateLimit parse_rate(const std::string& raw) {
    const std::string text = ascii_lower(trim(raw));
    if (text.empty() || text == "0" || text == "none") return {};
    const auto slash = text.find('/');
    auto bad = [&] {
        return Error(ErrorCode::BadOption, "a rate limit is N/PERIOD, e.g. 30/minute, 10000/day or 10/2s (got \"" + raw + "\")");
    };
    if (slash == std::string::npos || slash == 0) throw bad();
    RateLimit r;
    try {
        std::size_t used = 0;
        const std::string count = trim(text.substr(0, slash));
        r.count = std::stol(count, &used);
        if (used != count.size() || r.count <= 0) throw bad();
        std::string period = trim(text.substr(slash + 1));
        double multiple = 1;
        std::size_t digits = 0;
        while (digits < period.size() && (std::isdigit(static_cast<unsigned char>(period[digits])) || period[digits] == '.')) ++digits;
        if (digits > 0) multiple = std::stod(period.substr(0, digits));
        period = trim(period.substr(digits));
        double unit = 0;
        if (period == "s" || period == "sec" || period == "second" || period == "seconds") unit = 1;
        else if (period == "m" || period == "min" || period == "minute" || period == "minutes") unit = 60;
        else if (period == "h" || period == "hour" || period == "hours") unit = 3600;
        else if (period == "d" || period == "day" || period == "days") unit = 86400;
        if (unit == 0 || multiple <= 0) throw bad();
        r.seconds = unit * multiple;
    } catch (const Error&) {
        throw;
    } catch (...) {
        throw bad();
    }
    return r;
}

std::string rate_text(const RateLimit& limit) {
    if (!limit.enabled()) return "none";
    std::ostringstream out;
    out << limit.count << "/" << limit.seconds << "s";
    return out.str();
}

RateGate::RateGate(RateLimits limits, std::string state_file) : limits_(limits), state_file_(std::move(state_file)) {}

double RateGate::try_take(std::size_t recipients, double now) {
    if (!limits_.enabled()) return 0;
    if (now <= 0) now = wall_seconds();
    FileLock lock(state_file_ + ".lock");
    std::vector<Send> sends = read_sends(state_file_);
    const double keep = std::max(limits_.messages.seconds + margin_for(limits_.messages),
                                 limits_.recipients.seconds + margin_for(limits_.recipients));
    sends.erase(std::remove_if(sends.begin(), sends.end(), [&](const Send& s) { return s.at <= now - keep || s.at > now + 86400; }),
                sends.end());
    const double wait = std::max(wait_for(sends, limits_.messages, 1, false, now),
                                 wait_for(sends, limits_.recipients, static_cast<long>(recipients), true, now));
    if (wait > 0) return wait;
    sends.push_back({now, static_cast<long>(recipients)});
    std::ostringstream out;
    out.precision(17);
    for (const Send& s : sends) out << s.at << ' ' << s.recipients << '\n';
    try {
        platform::write_file_atomically(state_file_, out.str());
    } catch (const std::exception& e) {
        throw Error(ErrorCode::OutboxFailed, std::string("cannot write the rate-limit state: ") + e.what());
    }
    return 0;
}

}  // namespace mvsmtp
