// bench_sessions.cpp — throughput and cost of libmvsmtp.so through its C ABI (mvsmtp.h),
// called exactly as a MultiValue engine calls it: dynamic arrays with ASCII 30/29/28 marks,
// caller-owned result buffers, mvs_fetch for long results. Run by tests/bench/run.sh, which
// compares the figures with smtp-source, Python smtplib and curl (DESIGN §5).
//
//   mvsmtp_bench bulk     [--server smtp://127.0.0.1:2500] [--count 2000] [--size 4096] [--no-pipelining]
//                         [--separate: one SMTP.SEND with M.SEPARATE and COUNT To addresses]
//   mvsmtp_bench oneshot  [--server smtp://127.0.0.1:2525] [--count 50] [--ca FILE] [--token T]
//   mvsmtp_bench parallel [--server smtp://127.0.0.1:2500] [--sessions 2] [--count 2000] [--size 4096]
//   mvsmtp_bench memory   [--count 100000] [--dir /dev/shm]
//   mvsmtp_bench soak     [--server smtp://127.0.0.1:2500] [--count 10000] [--refused-every 100]
//                         (tests/bench/soak.sh: one-shot SENDMAILs over the network, plus a
//                         refused connection every N calls and an SMTP.OPEN/SEND/CLOSE every 1,000)
//
// Every mode checks every RESULT (status 0 = sent; 2 = stored for `memory`) and stops with a
// clear error and exit status 1 otherwise. Each mode ends with one machine-readable line
// "BENCH key=value ..." for run.sh.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "dynarray.hpp"
#include "layout.hpp"
#include "mvsmtp.h"

namespace {

using Clock = std::chrono::steady_clock;
using mvsmtp::gci::DynArrayBuilder;
using mvsmtp::gci::extract;

namespace M = mvsmtp::gci::field::Message;
namespace O = mvsmtp::gci::field::Options;
namespace R = mvsmtp::gci::field::Result;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "mvsmtp_bench: error: %s\n", what.c_str());
    std::exit(1);
}

// The whole RESULT of the call that returned `total` into `buf` (mvs_fetch for the rest).
std::string full_result(int total, const char* buf, int cap, const char* call) {
    if (total < 0) die(std::string(call) + " returned " + std::to_string(total) + " (ABI misuse)");
    std::string all(buf, std::min(total, cap - 1));
    while (static_cast<int>(all.size()) < total) {
        std::vector<char> more(static_cast<std::size_t>(total - all.size()) + 1);
        const int rest = mvs_fetch(static_cast<int>(all.size()), more.data(), static_cast<int>(more.size()));
        if (rest <= 0) die(std::string(call) + ": mvs_fetch returned " + std::to_string(rest) + " before the end");
        all.append(more.data(), std::strlen(more.data()));
    }
    return all;
}

std::string describe(const std::string& r) {
    return "status " + extract(r, R::STATUS) + ", error " + extract(r, R::ERROR) + " " + extract(r, R::ERROR_NAME) +
           ": " + extract(r, R::MESSAGE) + " [reply " + extract(r, R::REPLY_CODE) + " " +
           mvsmtp::gci::marks_to(extract(r, R::REPLY_TEXT), " | ") + "]";
}

// ~size bytes of plain text on the wire: 76-character lines, each mark becomes CRLF.
std::string make_body(int size) {
    std::string body;
    const std::string line = "The quick brown fox jumps over the lazy dog; mvsmtp benchmark payload line.";
    while (static_cast<int>(body.size()) + 2 < size) {
        const int room = size - static_cast<int>(body.size()) - 2;  // CRLF counts two on the wire
        body += line.substr(0, std::min<std::size_t>(line.size(), static_cast<std::size_t>(room)));
        body += '\x1E';
    }
    return body;
}

std::string make_message(const std::string& from, const std::string& to, const std::string& subject) {
    DynArrayBuilder m;
    m.set(M::FROM, from);
    m.set(M::TO, to);
    m.set(M::SUBJECT, subject);
    return m.str();
}

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Args {
    std::map<std::string, std::string> kv;
    bool flag(const std::string& k) const { return kv.count(k) != 0; }
    std::string str(const std::string& k, const std::string& dflt) const {
        auto it = kv.find(k);
        return it == kv.end() ? dflt : it->second;
    }
    long num(const std::string& k, long dflt) const {
        auto it = kv.find(k);
        if (it == kv.end()) return dflt;
        char* end = nullptr;
        const long v = std::strtol(it->second.c_str(), &end, 10);
        if (!end || *end || v <= 0) die("--" + k + " needs a positive number, not '" + it->second + "'");
        return v;
    }
};

std::string plain_options(const std::string& server, bool pipelining, const std::string& max_size = "") {
    DynArrayBuilder o;
    if (!max_size.empty()) o.set(O::MAX_SIZE, max_size);
    o.set(O::SERVER, server);
    o.set(O::TLS, "off");  // smtp-sink offers no STARTTLS
    o.set(O::HELO, "bench.example.test");
    o.set(O::CONNECT_TIMEOUT, "5");
    o.set(O::TIMEOUT, "30");
    if (!pipelining) o.set(O::PIPELINING, "0");
    return o.str();
}

// One session: mvs_open, `count` × mvs_send, mvs_close. Returns the ms from open to close.
struct SessionRun {
    double ms = 0;
    long bytes = 0;  // R.SIZE of the last message
    std::string error;
};

SessionRun run_session(const std::string& options, const std::string& message, const std::string& body, long count,
                       const std::string& label) {
    SessionRun run;
    std::vector<char> buf(4096);
    const int cap = static_cast<int>(buf.size());
    auto fail = [&](const std::string& what, const std::string& r) {
        run.error = label + ": " + what + " failed: " + describe(r);
        return run;
    };
    const auto t0 = Clock::now();
    std::string r = full_result(mvs_open(options.c_str(), buf.data(), cap), buf.data(), cap, "mvs_open");
    if (extract(r, R::STATUS) != "0") return fail("mvs_open", r);
    const std::string handle_text = extract(r, R::HANDLE);
    const int handle = std::atoi(handle_text.c_str());
    if (handle <= 0) {
        run.error = label + ": mvs_open succeeded but RESULT<17> (handle) is '" + handle_text + "'";
        return run;
    }
    for (long i = 0; i < count; ++i) {
        r = full_result(mvs_send(handle, message.c_str(), body.c_str(), buf.data(), cap), buf.data(), cap, "mvs_send");
        if (extract(r, R::STATUS) != "0") return fail("mvs_send #" + std::to_string(i + 1), r);
    }
    run.bytes = std::atol(extract(r, R::SIZE).c_str());
    r = full_result(mvs_close(handle, buf.data(), cap), buf.data(), cap, "mvs_close");
    if (extract(r, R::STATUS) != "0") return fail("mvs_close", r);
    run.ms = ms_since(t0);
    return run;
}

int mode_bulk(const Args& a) {
    const std::string server = a.str("server", "smtp://127.0.0.1:2500");
    const long count = a.num("count", 2000);
    const int size = static_cast<int>(a.num("size", 4096));
    const bool pipelining = !a.flag("no-pipelining");
    // --separate: ONE SMTP.SEND of a message with M.SEPARATE and `count` To addresses, so
    // each copy's content travels with the next copy's envelope (one round trip each).
    const bool separate = a.flag("separate");
    std::string message = make_message("Bench <bench@example.test>", "sink@example.test", "mvsmtp bulk benchmark");
    if (separate) {
        std::vector<std::string> to;
        for (long i = 0; i < count; ++i) to.push_back("sink" + std::to_string(i) + "@example.test");
        DynArrayBuilder m;
        m.set(M::FROM, "Bench <bench@example.test>");
        m.set(M::TO, to);
        m.set(M::SUBJECT, "mvsmtp bulk benchmark");
        m.set(M::SEPARATE, "1");
        message = m.str();
    }
    SessionRun run = run_session(plain_options(server, pipelining), message, make_body(size), separate ? 1 : count, "bulk");
    if (!run.error.empty()) die(run.error);
    const double per_s = count / (run.ms / 1000.0);
    std::printf("bulk: %ld messages of %ld bytes on one session to %s, PIPELINING %s: %.1f ms, %.0f msgs/s, %.1f ms per 1,000\n",
                count, run.bytes, server.c_str(), pipelining ? "on" : "off", run.ms, per_s, run.ms * 1000.0 / count);
    std::printf("BENCH mode=bulk pipelining=%d separate=%d count=%ld msg_bytes=%ld ms=%.3f msgs_per_s=%.1f ms_per_1000=%.2f\n",
                pipelining ? 1 : 0, separate ? 1 : 0, count, run.bytes, run.ms, per_s, run.ms * 1000.0 / count);
    return 0;
}

int mode_parallel(const Args& a) {
    const std::string server = a.str("server", "smtp://127.0.0.1:2500");
    const long sessions = a.num("sessions", 2);
    const long count = a.num("count", 2000);
    const int size = static_cast<int>(a.num("size", 4096));
    const bool pipelining = !a.flag("no-pipelining");
    const std::string options = plain_options(server, pipelining);
    const std::string message = make_message("Bench <bench@example.test>", "sink@example.test", "mvsmtp parallel benchmark");
    const std::string body = make_body(size);
    std::vector<SessionRun> runs(static_cast<std::size_t>(sessions));
    std::vector<std::thread> threads;
    const auto t0 = Clock::now();
    for (long k = 0; k < sessions; ++k) {
        const long share = count / sessions + (k < count % sessions ? 1 : 0);
        threads.emplace_back([&, k, share] {
            runs[static_cast<std::size_t>(k)] = run_session(options, message, body, share, "session " + std::to_string(k + 1));
        });
    }
    for (auto& t : threads) t.join();
    const double ms = ms_since(t0);
    for (const auto& r : runs)
        if (!r.error.empty()) die(r.error);
    const double per_s = count / (ms / 1000.0);
    std::printf("parallel: %ld sessions (threads, one handle each), %ld messages in all: %.1f ms, %.0f msgs/s aggregate\n",
                sessions, count, ms, per_s);
    std::printf("BENCH mode=parallel sessions=%ld count=%ld ms=%.3f msgs_per_s=%.1f\n", sessions, count, ms, per_s);
    return 0;
}

int mode_oneshot(const Args& a) {
    const std::string server = a.str("server", "smtp://127.0.0.1:2525");
    const long count = a.num("count", 50);
    const char* tb = std::getenv("MVSMTP_TESTBED");
    const std::string testbed = tb && *tb ? tb : "/tmp/mvsmtp-testbed";
    const std::string ca = a.str("ca", testbed + "/tls/ca.crt");
    const std::string token = a.str("token", "mvsmtp-bench-" + std::to_string(getpid()));
    const std::string user = a.str("user", "testuser@example.test");
    const std::string to = a.str("to", "testuser@example.test");

    // The password file the library insists on: first line, mode 0600; removed at the end.
    char pwpath[] = "/tmp/mvsmtp-bench-pw-XXXXXX";
    const int fd = mkstemp(pwpath);
    if (fd < 0) die("cannot create a password file in /tmp");
    const std::string pw = a.str("password", "testpass") + "\n";
    if (write(fd, pw.data(), pw.size()) != static_cast<ssize_t>(pw.size())) die("cannot write the password file");
    close(fd);
    chmod(pwpath, 0600);

    DynArrayBuilder o;
    o.set(O::SERVER, server);
    o.set(O::TLS, "required");
    o.set(O::USER, user);
    o.set(O::PASSWORD_FILE, pwpath);
    o.set(O::CA_FILE, ca);
    o.set(O::HELO, "bench.example.test");
    o.set(O::CONNECT_TIMEOUT, "5");
    o.set(O::TIMEOUT, "30");
    const std::string options = o.str();
    const std::string body = make_body(static_cast<int>(a.num("size", 1024)));

    std::vector<char> buf(4096);
    const int cap = static_cast<int>(buf.size());
    std::vector<double> ms;
    for (long i = 0; i < count; ++i) {
        const std::string message =
            make_message("Bench <bench@example.test>", to, "mvsmtp oneshot " + token + " " + std::to_string(i + 1));
        const auto t0 = Clock::now();
        const int n = mvs_sendmail(message.c_str(), body.c_str(), options.c_str(), buf.data(), cap);
        const std::string r = full_result(n, buf.data(), cap, "mvs_sendmail");
        ms.push_back(ms_since(t0));
        if (std::getenv("MVSMTP_BENCH_VERBOSE")) std::fprintf(stderr, "  send %ld: %.2f ms\n", i + 1, ms.back());
        if (extract(r, R::STATUS) != "0") {
            unlink(pwpath);
            die("mvs_sendmail #" + std::to_string(i + 1) + " failed: " + describe(r));
        }
    }
    unlink(pwpath);
    const double mean = std::accumulate(ms.begin(), ms.end(), 0.0) / ms.size();
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    const double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    std::printf("oneshot: %ld × mvs_sendmail (connect, EHLO, STARTTLS, EHLO, AUTH, MAIL/RCPT/DATA, QUIT) to %s: "
                "mean %.2f ms, median %.2f ms, first %.2f ms, min %.2f ms, max %.2f ms\n",
                count, server.c_str(), mean, median, ms.front(), sorted.front(), sorted.back());
    std::printf("BENCH mode=oneshot count=%ld mean_ms=%.3f median_ms=%.3f first_ms=%.3f min_ms=%.3f max_ms=%.3f\n",
                count, mean, median, ms.front(), sorted.front(), sorted.back());
    return 0;
}

// /proc/self figures: resident set, its peak (kB), and open file descriptors.
long status_kb(const std::string& field) {
    std::ifstream in("/proc/self/status");
    std::string key;
    while (in >> key) {
        if (key == field) {
            long kb = 0;
            in >> kb;
            return kb;
        }
        in.ignore(1 << 16, '\n');
    }
    return -1;
}
long rss_kb() { return status_kb("VmRSS:"); }
long peak_rss_kb() { return status_kb("VmHWM:"); }

long fd_count() {
    long n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (dirent* e = readdir(d))
            if (e->d_name[0] != '.') ++n;
        closedir(d);
    }
    return n - 1;  // the descriptor opendir itself held
}

// Removes every plain file in `dir` (the outbox this mode created); returns how many.
long empty_dir(const std::string& dir) {
    long n = 0;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
            if (unlink((dir + "/" + e->d_name).c_str()) == 0) ++n;
        }
        closedir(d);
    }
    return n;
}

int mode_memory(const Args& a) {
    const long count = a.num("count", 100000);
    const long warmup = std::min<long>(1000, count / 10 + 1);
    // The outbox fsyncs every file; on tmpfs (/dev/shm) that costs nothing, so the run
    // measures the library rather than the disk. --dir DIR chooses another parent.
    struct stat st {};
    const std::string parent =
        a.str("dir", stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    std::string pattern = parent + "/mvsmtp-bench-outbox-XXXXXX";
    if (!mkdtemp(pattern.data())) die("cannot create a temporary outbox folder in " + parent);
    const std::string outbox = pattern;
    // No server anywhere: no profile file may name one (the library then stores the message).
    unsetenv("MVSMTP_CONFIG");
    if (chdir(outbox.c_str()) != 0) die("cannot chdir to " + outbox);
    DynArrayBuilder o;
    o.set(O::OUTBOX, outbox);
    const std::string options = o.str();
    const std::string message = make_message("Bench <bench@example.test>", "sink@example.test", "mvsmtp memory benchmark");
    const std::string body = make_body(1024);
    std::vector<char> buf(4096);
    const int cap = static_cast<int>(buf.size());
    const long rss0 = rss_kb(), fd0 = fd_count();
    long rss_warm = 0, fd_warm = 0, removed = 0;
    const auto t0 = Clock::now();
    for (long i = 0; i < count; ++i) {
        const std::string r =
            full_result(mvs_sendmail(message.c_str(), body.c_str(), options.c_str(), buf.data(), cap), buf.data(), cap,
                        "mvs_sendmail");
        if (extract(r, R::STATUS) != "2") {
            empty_dir(outbox);
            rmdir(outbox.c_str());
            die("mvs_sendmail #" + std::to_string(i + 1) + " into the outbox: expected status 2 (stored): " + describe(r));
        }
        if (i + 1 == warmup) {
            rss_warm = rss_kb();
            fd_warm = fd_count();
        }
        if ((i + 1) % 1000 == 0) removed += empty_dir(outbox);  // keep the disk use small
    }
    const double ms = ms_since(t0);
    const long rss1 = rss_kb(), fd1 = fd_count();
    removed += empty_dir(outbox);
    if (chdir("/") != 0 || rmdir(outbox.c_str()) != 0) std::fprintf(stderr, "mvsmtp_bench: warning: could not remove %s\n", outbox.c_str());
    std::printf("memory: %ld × mvs_sendmail into the outbox %s (%.1f s, %.3f ms each; %ld files removed): "
                "RSS %ld kB before, %ld kB after %ld calls, %ld kB at the end (growth after warm-up %+ld kB); "
                "fds %ld / %ld / %ld\n",
                count, outbox.c_str(), ms / 1000, ms / count, removed, rss0, rss_warm, warmup, rss1, rss1 - rss_warm, fd0, fd_warm, fd1);
    std::printf("BENCH mode=memory count=%ld ms=%.1f rss_before_kb=%ld rss_warm_kb=%ld rss_after_kb=%ld "
                "rss_growth_kb=%ld fd_before=%ld fd_warm=%ld fd_after=%ld\n",
                count, ms, rss0, rss_warm, rss1, rss1 - rss_warm, fd0, fd_warm, fd1);
    return 0;
}

long thread_count() { return status_kb("Threads:"); }

// Soak: COUNT mvs_sendmail calls, each a whole conversation (connect, EHLO, MAIL, RCPT, DATA,
// QUIT) with smtp-sink, TLS off, the RESULT checked every time. Every --refused-every'th call goes
// to a port nobody listens on (the error path must release what it took) and every 1,000th is an
// SMTP.OPEN / SMTP.SEND / SMTP.CLOSE. RSS, descriptors and threads are read at the start, after
// a warm-up of min(1,000, COUNT/10) calls (allocator and OpenSSL caches settle) and at the end.
int mode_soak(const Args& a) {
    const long count = a.num("count", 10000);
    const long refused_every = a.num("refused-every", 100);
    const long warmup = std::min<long>(1000, count / 10 + 1);
    unsetenv("MVSMTP_CONFIG");
    auto options = [](const std::string& server) {
        DynArrayBuilder o;
        o.set(O::SERVER, server);
        o.set(O::TLS, "off");
        o.set(O::HELO, "soak.example.test");
        o.set(O::CONNECT_TIMEOUT, "5");
        o.set(O::TIMEOUT, "30");
        return o.str();
    };
    const std::string good = options(a.str("server", "smtp://127.0.0.1:2500"));
    const std::string refused = options("smtp://127.0.0.1:9");   // discard port: nothing listens on loopback
    const std::string message = make_message("Soak <soak@example.test>", "sink@example.test", "mvsmtp soak");
    const std::string body = make_body(2048);
    std::vector<char> buf(4096);
    const int cap = static_cast<int>(buf.size());
    const long rss0 = rss_kb(), fd0 = fd_count(), th0 = thread_count();
    long rss_warm = 0, fd_warm = 0, sessions = 0, refusals = 0;
    const auto t0 = Clock::now();
    for (long i = 0; i < count; ++i) {
        if (refused_every > 0 && (i + 1) % refused_every == 0) {
            const std::string r = full_result(mvs_sendmail(message.c_str(), body.c_str(), refused.c_str(), buf.data(), cap),
                                              buf.data(), cap, "mvs_sendmail");
            if (extract(r, R::STATUS) != "3") die("call #" + std::to_string(i + 1) + " to a closed port did not fail: " + describe(r));
            ++refusals;
        } else if ((i + 1) % 1000 == 550) {   // not a multiple of --refused-every (100)
            const std::string o = full_result(mvs_open(good.c_str(), buf.data(), cap), buf.data(), cap, "mvs_open");
            if (extract(o, R::STATUS) != "0") die("SMTP.OPEN #" + std::to_string(i + 1) + ": " + describe(o));
            const int h = std::atoi(extract(o, R::HANDLE).c_str());
            const std::string r = full_result(mvs_send(h, message.c_str(), body.c_str(), buf.data(), cap), buf.data(), cap, "mvs_send");
            if (extract(r, R::STATUS) != "0") die("SMTP.SEND #" + std::to_string(i + 1) + ": " + describe(r));
            full_result(mvs_close(h, buf.data(), cap), buf.data(), cap, "mvs_close");
            ++sessions;
        } else {
            const std::string r = full_result(mvs_sendmail(message.c_str(), body.c_str(), good.c_str(), buf.data(), cap),
                                              buf.data(), cap, "mvs_sendmail");
            if (extract(r, R::STATUS) != "0") die("mvs_sendmail #" + std::to_string(i + 1) + ": " + describe(r));
        }
        if (i + 1 == warmup) {
            rss_warm = rss_kb();
            fd_warm = fd_count();
        }
        if ((i + 1) % 10000 == 0) std::fprintf(stderr, "soak: %ld calls, RSS %ld kB, fds %ld\n", i + 1, rss_kb(), fd_count());
    }
    const double ms = ms_since(t0);
    const long rss1 = rss_kb(), fd1 = fd_count(), th1 = thread_count();
    std::printf("soak: %ld calls through the C ABI (%ld SMTP.OPEN/SEND/CLOSE, %ld refused connections) in %.1f s "
                "(%.3f ms each): RSS %ld kB at the start, %ld kB after %ld calls, %ld kB at the end (%+ld kB after "
                "warm-up); descriptors %ld / %ld / %ld; threads %ld / %ld\n",
                count, sessions, refusals, ms / 1000, ms / count, rss0, rss_warm, warmup, rss1, rss1 - rss_warm, fd0,
                fd_warm, fd1, th0, th1);
    std::printf("BENCH mode=soak count=%ld ms=%.1f rss_before_kb=%ld rss_warm_kb=%ld rss_after_kb=%ld "
                "rss_growth_kb=%ld fd_before=%ld fd_warm=%ld fd_after=%ld threads_before=%ld threads_after=%ld\n",
                count, ms, rss0, rss_warm, rss1, rss1 - rss_warm, fd0, fd_warm, fd1, th0, th1);
    return 0;
}

// One message with a large file attachment to smtp-sink: wall time and how much the process's
// peak resident memory grew (DESIGN §5: < 32 MB for 100 MB, streamed, never loaded whole).
int mode_attachment(const Args& a) {
    const std::string server = a.str("server", "smtp://127.0.0.1:2500");
    const std::string path = a.str("file", "");
    if (path.empty()) die("attachment needs --file PATH");
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) die("cannot stat " + path);
    DynArrayBuilder m;
    m.set(M::FROM, "Bench <bench@example.test>");
    m.set(M::TO, "sink@example.test");
    m.set(M::SUBJECT, "mvsmtp attachment benchmark");
    m.set(M::ATTACH_PATH, path);
    // --outbox DIR: store instead of sending (encoding and writing only; use a tmpfs).
    const std::string outbox = a.str("outbox", "");
    // The file may be larger than the default max_size (100M): the benchmark measures speed.
    std::string options = plain_options(server, true, "1024G");
    if (!outbox.empty()) {
        DynArrayBuilder o;
        o.set(O::OUTBOX, outbox);
        o.set(O::MAX_SIZE, "1024G");
        options = o.str();
    }
    std::vector<char> buf(4096);
    const long rss_before = peak_rss_kb();
    const auto t0 = Clock::now();
    const std::string r = full_result(mvs_sendmail(m.str().c_str(), "see attachment", options.c_str(), buf.data(),
                                                   static_cast<int>(buf.size())),
                                      buf.data(), static_cast<int>(buf.size()), "mvs_sendmail");
    const double ms = ms_since(t0);
    if (extract(r, R::STATUS) != (outbox.empty() ? "0" : "2")) die("attachment send failed: " + describe(r));
    if (!outbox.empty()) {
        const std::string eml = extract(r, R::OUTBOX_FILE);
        std::remove(eml.c_str());
        std::remove((eml.substr(0, eml.size() - 4) + ".envelope").c_str());
    }
    const long growth = peak_rss_kb() - rss_before;
    std::printf("attachment: %.1f MB file, %s, %.1f ms, peak RSS grew %ld kB\n", st.st_size / 1e6,
                outbox.empty() ? ("sent to " + server).c_str() : ("stored in " + outbox).c_str(), ms, growth);
    std::printf("BENCH mode=attachment stored=%d file_bytes=%lld ms=%.3f peak_rss_growth_kb=%ld\n",
                outbox.empty() ? 0 : 1, static_cast<long long>(st.st_size), ms, growth);
    return 0;
}

void usage() {
    std::fprintf(stderr,
                 "usage: mvsmtp_bench bulk     [--server URL] [--count N] [--size BYTES] [--no-pipelining] [--separate]\n"
                 "       mvsmtp_bench oneshot  [--server URL] [--count N] [--ca FILE] [--token T] [--size BYTES]\n"
                 "       mvsmtp_bench parallel [--server URL] [--sessions K] [--count N] [--size BYTES] [--no-pipelining]\n"
                 "       mvsmtp_bench memory   [--count N] [--dir PARENT]\n"
                 "       mvsmtp_bench soak     [--server URL] [--count N] [--refused-every N]\n"
                 "       mvsmtp_bench attachment --file PATH [--server URL | --outbox DIR]\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) usage();
    const std::string mode = argv[1];
    Args a;
    for (int i = 2; i < argc; ++i) {
        std::string k = argv[i];
        if (k.rfind("--", 0) != 0) usage();
        k = k.substr(2);
        if (k == "no-pipelining" || k == "separate") {
            a.kv[k] = "1";
        } else {
            if (i + 1 >= argc) usage();
            a.kv[k] = argv[++i];
        }
    }
    if (mode == "bulk") return mode_bulk(a);
    if (mode == "oneshot") return mode_oneshot(a);
    if (mode == "parallel") return mode_parallel(a);
    if (mode == "memory") return mode_memory(a);
    if (mode == "soak") return mode_soak(a);
    if (mode == "attachment") return mode_attachment(a);
    usage();
}
