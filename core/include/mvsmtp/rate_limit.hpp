// mvsmtp/rate_limit.hpp — a provider's submission limits (Exchange Online: 30 messages a
// minute, 10,000 recipients a day), kept by every process of the site together, so that a
// statement run paces itself instead of being refused after the first 30.
//
//   RateLimits limits{parse_rate("30/minute"), parse_rate("10000/day")};
//   RateGate gate(limits, "/u2/mail/queue/rate.state");
//   double wait = gate.try_take(3);       // 0: taken, go; > 0: seconds until a slot frees
//
// The state is a small file beside its lock file (flock): sends within the longest window,
// one line each (time, recipients). Windows slide: at most N in any PERIOD, measured when a
// send starts and kept 5 % (at most 2 s) longer, so that the provider, who counts a message
// when it arrives, sees no more than N either.
#pragma once
#include <cstddef>
#include <string>

namespace mvsmtp {

struct RateLimit {
    long count = 0;      // 0: no limit
    double seconds = 0;  // the window
    bool enabled() const { return count > 0 && seconds > 0; }
};

// "30/minute", "10000/day", "10/2s", "500/d", "" (none). PERIOD: s, second, m, minute, h,
// hour, d, day, with an optional number before it. Error(BadOption) otherwise.
RateLimit parse_rate(const std::string& text);
std::string rate_text(const RateLimit& limit);

struct RateLimits {
    RateLimit messages;    // rate_limit
    RateLimit recipients;  // recipient_limit
    bool enabled() const { return messages.enabled() || recipients.enabled(); }
};

class RateGate {
public:
    RateGate(RateLimits limits, std::string state_file);
    // One message with `recipients` recipients: 0 when both limits allow it now (it is then
    // counted), else the seconds to wait before asking again (nothing counted). `now` is
    // seconds since the epoch (0: the real clock). Throws Error(OutboxFailed) when the state
    // file cannot be used.
    double try_take(std::size_t recipients, double now = 0);

private:
    RateLimits limits_;
    std::string state_file_;
};

}  // namespace mvsmtp
