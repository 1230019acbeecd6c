// queue.cpp — `mvsmtp queue`: the durable queue for operators, and its long-running flusher.
//
//   mvsmtp queue list                       one line per queued message
//   mvsmtp queue show ID                    its metadata, one line per recipient
//   mvsmtp queue flush [--all]              one delivery pass (progress on a terminal)
//   mvsmtp queue retry ID | delete ID       due now | removed, undelivered
//   mvsmtp queue purge --older-than 7d      removes messages queued longer ago
//   mvsmtp queue run [--interval SECONDS]   flushes until SIGTERM / SIGINT
//   common: --profile P  --config F  --queue DIR   (the folder: --queue, else the profile's queue)
//
// list, show, retry, delete and purge go through mvs_queue, exactly as BASIC's
// SMTP.QUEUE.CONTROL does. flush and run call the core's Queue::flush directly, like the other
// operator tools (mx, oauth): only in process can they show progress, wait for rate-limit
// slots (a database call must not) and stop between two messages on a signal.
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "abi_call.hpp"
#include "commands.hpp"
#include "dynarray.hpp"
#include "layout.hpp"
#include "mvsmtp/config.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/queue.hpp"
#include "server_flags.hpp"

namespace mvsmtp::cli {
namespace {

namespace O = gci::field::Options;
namespace R = gci::field::Result;

const char* kQueueUsage = R"(Usage: mvsmtp queue SUBCOMMAND [--profile NAME] [--config PATH] [--queue DIR]

The durable queue: SENDMAIL stores a message there (RESULT S.QUEUED, R.QUEUE.ID) when it
could not be delivered for a temporary reason (relay down, 4xx, DNS, a rate limit) and a
queue folder is set (profile key queue = DIR, or O.QUEUE). Queued messages are sent again
with the profile and options they were queued with.

Subcommands:
  list                    one line per message: id, created (UTC), attempts, next attempt
                          (UTC), pending/total recipients, last reason; then a count line
  show ID                 the message's metadata and one line per recipient: its state
                          (pending, accepted, failed), last error and last reply
  flush [--all]           one delivery pass over the messages that are due (--all: every
                          message, due or not). Waits for rate-limit slots (rate_limit,
                          recipient_limit). On a terminal one updating line shows done/total,
                          messages per second and the time left; otherwise one line at the end:
                            flushed N: D delivered, Q deferred, F failed, R left by the rate
                            limit, in S s
  retry ID                make the message due now (the next flush sends it)
  delete ID               remove the message from the queue, undelivered
  purge --older-than DURATION
                          remove every message queued longer ago than DURATION (90s, 30m,
                          12h, 7d; a bare number is seconds), undelivered
  run [--interval SECONDS]
                          the flusher: loop { flush what is due (paced); sleep until the next
                          message is due, at most SECONDS (default 60) } until SIGTERM or
                          SIGINT, which end it after the current message (exit 0). One line
                          per pass that did something. Run it from systemd, cron @reboot...

Where: --queue DIR overrides the profile's queue folder; --profile and --config choose the
profile as for send. No folder at all is BAD.OPTION (66).
Exit status: 0 when the subcommand did its work (flush, run: also when messages stay
deferred, which is what the queue is for); flush: 33 (MESSAGE.REJECTED) when a message
failed for good in this pass (it is in DIR/failed/ and queue_notify was told); show, retry,
delete of an unknown id: 60 (BAD.ARGUMENT); else the error code of RESULT.
)";

struct Common {
    std::string profile, config, queue;
    std::string options() const {
        gci::DynArrayBuilder o;
        o.set(O::PROFILE, profile);
        o.set(O::CONFIG, config);
        o.set(O::QUEUE, queue);
        return o.str();
    }
    ProfileRequest request() const {
        ProfileRequest r;
        r.profile = profile;
        r.config_path = config;
        if (!queue.empty()) r.overrides["queue"] = queue;
        return r;
    }
};

std::string command(const std::string& verb, const std::string& argument = "") {
    gci::DynArrayBuilder c;
    c.set(1, verb);
    c.set(2, argument);
    return c.str();
}

// A failed RESULT: its error line on stderr, its code as the exit status.
int failure(const std::string& result) {
    std::cerr << "mvsmtp: " << error_line(result) << "\n";
    return exit_status(result);
}

std::string error_name(int code) {
    for (const auto& info : error_table())
        if (static_cast<int>(info.code) == code) return info.basic_name;
    return std::to_string(code);
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

int run_list(const Common& c) {
    const std::string r = call_queue(command("LIST"), c.options());
    if (failed(r)) return failure(r);
    const auto ids = gci::values(r, R::QUEUE_ID);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const int v = static_cast<int>(i) + 1;
        // The total of recipients is in SHOW only: LIST's RESULT stays one value per message.
        const std::string shown = call_queue(command("SHOW", ids[i]), c.options());
        const std::size_t total = gci::values(shown, R::RCPT_ADDRESS).size();
        std::cout << ids[i] << "  created " << gci::extract(r, R::QUEUE_CREATED, v) << " UTC  attempts "
                  << gci::extract(r, R::QUEUE_ATTEMPTS, v) << "  next " << or_dash(gci::extract(r, R::QUEUE_NEXT, v))
                  << (gci::extract(r, R::QUEUE_NEXT, v).empty() ? "" : " UTC") << "  pending "
                  << gci::extract(r, R::QUEUE_PENDING, v) << "/" << total << "  "
                  << or_dash(gci::extract(r, R::QUEUE_REASON, v)) << "\n";
    }
    std::cout << gci::extract(r, R::MESSAGE) << "\n";
    return 0;
}

int run_show(const Common& c, const std::string& id) {
    const std::string r = call_queue(command("SHOW", id), c.options());
    if (failed(r)) return failure(r);
    using gci::extract;
    std::cout << "id:            " << extract(r, R::QUEUE_ID) << "\n"
              << "message-id:    " << or_dash(extract(r, R::MESSAGE_ID)) << "\n"
              << "created:       " << extract(r, R::QUEUE_CREATED) << " UTC\n"
              << "attempts:      " << extract(r, R::QUEUE_ATTEMPTS) << "\n"
              << "next attempt:  " << or_dash(extract(r, R::QUEUE_NEXT)) << (extract(r, R::QUEUE_NEXT).empty() ? "" : " UTC") << "\n"
              << "last reason:   " << or_dash(extract(r, R::QUEUE_REASON)) << "\n"
              << "size:          " << or_dash(extract(r, R::SIZE)) << " octets\n"
              << "file:          " << or_dash(extract(r, R::OUTBOX_FILE)) << "\n"
              << "summary:       " << extract(r, R::MESSAGE) << "\n"
              << "recipients:\n";
    const auto addrs = gci::values(r, R::RCPT_ADDRESS);
    std::size_t width = 0;
    for (const auto& a : addrs) width = std::max(width, a.size());
    for (std::size_t i = 0; i < addrs.size(); ++i) {
        const int v = static_cast<int>(i) + 1;
        const std::string status = extract(r, R::RCPT_STATUS, v);
        const int code = std::atoi(status.c_str());
        const std::string state = extract(r, R::RCPT_QUEUED, v) == "1" ? "pending " : code == 0 ? "accepted" : "failed  ";
        std::string addr = addrs[i];
        addr.resize(width, ' ');
        std::cout << "  " << state << "  " << addr << "  " << (code ? std::to_string(code) + " " + error_name(code) : "-")
                  << "  " << or_dash(extract(r, R::RCPT_TEXT, v)) << "\n";
    }
    return 0;
}

int run_simple(const Common& c, const std::string& verb, const std::string& argument) {
    const std::string r = call_queue(command(verb, argument), c.options());
    if (failed(r)) return failure(r);
    std::cout << gci::extract(r, R::MESSAGE) << "\n";
    return 0;
}

// "90s", "30m", "12h", "7d", "3600" → seconds.
long long parse_duration(const std::string& text) {
    static const std::pair<char, long long> kUnits[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
    if (!text.empty()) {
        long long unit = 1;
        std::string digits = text;
        for (const auto& [suffix, seconds] : kUnits)
            if (text.back() == suffix) {
                unit = seconds;
                digits.pop_back();
            }
        if (!digits.empty() && digits.size() <= 9 &&
            std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
            return std::stoll(digits) * unit;
    }
    throw UsageError("--older-than needs a DURATION like 90s, 30m, 12h or 7d (got \"" + text + "\")");
}

// ---- flush and run: the core's Queue::flush in this process ----

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop = true; }

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a sleep ends at once
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string fixed(double v, int decimals) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string summary(const FlushReport& f, double seconds) {
    return "flushed " + std::to_string(f.due) + ": " + std::to_string(f.delivered) + " delivered, " +
           std::to_string(f.deferred) + " deferred, " + std::to_string(f.failed) + " failed, " +
           std::to_string(f.rate_limited) + " left by the rate limit, in " + fixed(seconds, 1) + " s";
}

// The queue settings of the chosen profile; no folder is BAD.OPTION, as for mvs_queue.
QueueSettings loaded_queue(const Common& c) {
    const Profile profile = load_profile(c.request());
    if (!profile.queue.enabled())
        throw Error(ErrorCode::BadOption, "no queue folder: give --queue DIR or set queue = DIR in the profile");
    return profile.queue;
}

// One pass: the core's flush, paced (it waits for rate-limit slots), with a progress line
// when `progress_line`. Stops between two messages once SIGTERM/SIGINT arrived (when handlers
// are installed).
FlushReport one_pass(Queue& queue, bool all, bool progress_line) {
    const auto start = std::chrono::steady_clock::now();
    FlushOptions options;
    options.all = all;
    options.pace = true;
    options.should_stop = [] { return g_stop.load(); };
    if (progress_line)
        options.progress = [start](std::size_t done, std::size_t total, const QueueEntry&) {
            const double elapsed = seconds_since(start);
            const double rate = elapsed > 0 ? done / elapsed : 0;
            const std::string left = rate > 0 ? fixed((total - done) / rate, 0) + " s left" : "";
            std::cout << "\r\033[K" << done << "/" << total << "  " << fixed(rate, 1) << " msg/s  " << left << std::flush;
        };
    return queue.flush(options);
}

int run_flush(const Common& c, bool all) {
    Queue queue(loaded_queue(c));
    install_stop_handlers();
    const bool tty = isatty(1) == 1;
    const auto start = std::chrono::steady_clock::now();
    const FlushReport f = one_pass(queue, all, tty);
    if (tty) std::cout << "\r\033[K";
    std::cout << summary(f, seconds_since(start)) << "\n";
    for (const auto& e : f.errors) std::cout << "  " << e << "\n";
    return f.failed ? error_number(ErrorCode::MessageRejected) : 0;
}

// Sleeps up to `seconds`, in short slices so a signal (or its flag) ends it at once.
void sleep_unless_stopped(std::int64_t seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!g_stop && std::chrono::steady_clock::now() < until) {
        timespec slice{0, 200 * 1000 * 1000};
        nanosleep(&slice, nullptr);
    }
}

int run_loop(const Common& c, int interval) {
    Queue queue(loaded_queue(c));
    install_stop_handlers();
    std::cout << "mvsmtp queue run: flushing " << queue.settings().folder << " (at most every " << interval
              << " s; SIGTERM or SIGINT to stop)" << std::endl;
    while (!g_stop) {
        const auto start = std::chrono::steady_clock::now();
        const FlushReport f = one_pass(queue, false, false);
        if (f.due || f.delivered || f.deferred || f.failed || f.rate_limited) {
            std::cout << summary(f, seconds_since(start)) << "\n";
            for (const auto& e : f.errors) std::cout << "  " << e << "\n";
            std::cout << std::flush;
        }
        if (g_stop) break;
        // Until the next message is due, at most --interval, at least one second.
        std::int64_t wait = interval;
        const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch()).count();
        for (const QueueEntry& e : queue.list())
            if (e.pending()) wait = std::min<std::int64_t>(wait, std::max<std::int64_t>(1, e.next_attempt - now));
        sleep_unless_stopped(std::max<std::int64_t>(1, wait));
    }
    std::cout << "mvsmtp queue run: stopped" << std::endl;
    return 0;
}

}  // namespace

int run_queue(const std::vector<std::string>& args) {
    Common common;
    std::vector<std::string> positional;
    bool all = false;
    std::string older_than;
    int interval = 60;
    ArgReader reader(args);
    while (reader.next()) {
        const std::string& flag = reader.flag();
        if (flag == "--help" || flag == "-h") {
            std::cout << kQueueUsage;
            return 0;
        }
        if (flag == "--profile") { common.profile = reader.value(); continue; }
        if (flag == "--config") { common.config = reader.value(); continue; }
        if (flag == "--queue") { common.queue = reader.value(); continue; }
        if (flag == "--all") { all = true; continue; }
        if (flag == "--older-than") { older_than = reader.value(); continue; }
        if (flag == "--interval") {
            const std::string v = reader.value();
            try {
                std::size_t used = 0;
                interval = std::stoi(v, &used);
                if (used != v.size()) interval = 0;
            } catch (const std::exception&) {
                interval = 0;
            }
            if (interval < 1 || interval > 86400) throw UsageError("--interval must be 1..86400 seconds (got \"" + v + "\")");
            continue;
        }
        if (!flag.empty() && flag[0] == '-') throw UsageError("unknown option " + flag + " (try mvsmtp queue --help)");
        refuse_marks("a queue argument", flag);
        positional.push_back(flag);
    }
    if (positional.empty()) throw UsageError("queue needs a subcommand: list, show, flush, retry, delete, purge, run (try mvsmtp queue --help)");
    const std::string sub = positional[0];
    const std::size_t want = sub == "show" || sub == "retry" || sub == "delete" ? 2 : 1;
    if (positional.size() != want)
        throw UsageError("queue " + sub + (want == 2 ? " takes one ID" : " takes no argument") + " (try mvsmtp queue --help)");
    if (all && sub != "flush") throw UsageError("--all belongs to queue flush");
    if (!older_than.empty() && sub != "purge") throw UsageError("--older-than belongs to queue purge");
    if (sub == "list") return run_list(common);
    if (sub == "show") return run_show(common, positional[1]);
    if (sub == "retry") return run_simple(common, "RETRY", positional[1]);
    if (sub == "delete") return run_simple(common, "DELETE", positional[1]);
    if (sub == "purge") {
        if (older_than.empty()) throw UsageError("queue purge needs --older-than DURATION (e.g. 7d)");
        return run_simple(common, "PURGE", std::to_string(parse_duration(older_than)));
    }
    try {
        if (sub == "flush") return run_flush(common, all);
        if (sub == "run") return run_loop(common, interval);
    } catch (const Error& e) {
        std::cerr << "mvsmtp: " << e.what() << "\n";
        return error_number(e.code());
    }
    throw UsageError("unknown queue subcommand \"" + sub + "\" (list, show, flush, retry, delete, purge, run)");
}

}  // namespace mvsmtp::cli
