// session_process.cpp — see session_process.hpp.
#include "session_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <vector>

#include "abi_call.hpp"
#include "dynarray.hpp"
#include "framing.hpp"
#include "layout.hpp"
#include "machine_result.hpp"
#include "owner.hpp"
#include "peer_uid.hpp"
#include "random_token.hpp"
#include "spool.hpp"

namespace mvsmtp::cli {
namespace {

constexpr int kRequestReadSeconds = 30;   // a connected client must send its request by then
constexpr int kReplyWriteSeconds = 60;    // and read the RESULT
constexpr int kOwnerPollMs = 1000;

volatile sig_atomic_t g_terminate = 0;
void on_terminate(int) { g_terminate = 1; }

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// Closes every fd but `keep` (the engine's files and sockets must not stay open in us).
void close_inherited_fds(const std::vector<int>& keep) {
    auto kept = [&](int fd) {
        for (int k : keep)
            if (k == fd) return true;
        return false;
    };
    std::vector<int> open_fds;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        const int own = ::dirfd(d);
        while (const dirent* e = ::readdir(d)) {
            if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
            const int fd = std::atoi(e->d_name);
            if (fd != own) open_fds.push_back(fd);
        }
        ::closedir(d);
    } else {
        long max = ::sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > 65536) max = 65536;
        for (int fd = 0; fd < max; ++fd) open_fds.push_back(fd);
    }
    for (int fd : open_fds)
        if (!kept(fd)) ::close(fd);
}

void detach_stdio() {
    const int null = ::open("/dev/null", O_RDWR);
    if (null < 0) return;
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    if (null > 2) ::close(null);
}

int listen_on(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::chmod(path.c_str(), 0600) != 0 ||
        ::listen(fd, 8) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool peer_is_us(int fd) {
    uid_t uid;
    return peer_uid(fd, uid) && uid == ::geteuid();
}

// One request → its RESULT; `closing` is set by CLOSE.
std::string serve(const std::string& request, int handle, bool& closing) {
    std::vector<std::string> parts;
    for (auto p : gci::split(request, '\x1F')) parts.emplace_back(p);
    const std::string op = upper(parts[0]);
    if (op == "SEND" && parts.size() == 3) return call_send(handle, parts[1], parts[2]);
    if (op == "CMD" && parts.size() == 2) return call_cmd(handle, parts[1]);
    if (op == "CLOSE" && parts.size() == 1) {
        closing = true;
        return call_close(handle);
    }
    return failure_result(code::BadArgument, "the session process does not understand this request");
}

[[noreturn]] void session_main(int report_fd, const std::string& path, const std::string& options, int idle_seconds,
                               const Owner& owner) {
    detach_stdio();  // first: the caller's captured stdout must not stay open in us
    close_inherited_fds({0, 1, 2, report_fd});
    ::umask(077);
    sigset_t none;  // the caller may have blocked signals; we want SIGTERM to reach us
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGCHLD, SIG_DFL);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGQUIT, SIG_IGN);
    struct sigaction term {};
    term.sa_handler = on_terminate;  // no SA_RESTART: poll() returns and we end cleanly
    ::sigaction(SIGTERM, &term, nullptr);

    auto report = [&](const std::string& result) {
        const Io st = write_frame(report_fd, result, Clock::now() + std::chrono::seconds(kReplyWriteSeconds));
        ::close(report_fd);
        return st == Io::Ok;
    };
    const int listener = listen_on(path);
    if (listener < 0) {
        report(failure_result(code::BadOption, "cannot listen on " + path + ": " + std::strerror(errno)));
        ::_exit(0);
    }
    const std::string opened = call_open(options);
    const int handle = handle_of(opened);
    if (failed(opened) || handle <= 0) {
        ::unlink(path.c_str());
        report(opened);
        ::_exit(0);
    }
    if (!report(opened)) {  // the client gave up waiting: nobody knows this session
        ::unlink(path.c_str());
        call_close(handle);
        ::_exit(0);
    }

    auto last_request = Clock::now();
    const auto idle = std::chrono::seconds(idle_seconds);
    for (;;) {
        if (g_terminate || !owner.alive() || Clock::now() >= last_request + idle) break;
        pollfd p{listener, POLLIN, 0};
        if (::poll(&p, 1, ms_until(last_request + idle, kOwnerPollMs)) <= 0) continue;
        const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        if (!peer_is_us(client)) {
            ::close(client);
            continue;
        }
        std::string request;
        if (read_frame(client, request, Clock::now() + std::chrono::seconds(kRequestReadSeconds)) != Io::Ok) {
            ::close(client);  // nothing done: a half request is never acted on
            continue;
        }
        bool closing = false;
        const std::string result = serve(request, handle, closing);
        if (closing) ::unlink(path.c_str());  // gone before the caller hears CLOSE's RESULT
        write_frame(client, result, Clock::now() + std::chrono::seconds(kReplyWriteSeconds));
        ::close(client);
        if (closing) ::_exit(0);
        last_request = Clock::now();
    }
    ::unlink(path.c_str());
    ::close(listener);
    call_close(handle);  // QUIT
    ::_exit(0);
}

}  // namespace

int session_idle_seconds(const std::string& options) {
    std::string v = gci::extract(options, gci::field::Options::SESSION_IDLE);
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(v.begin());
    if (v.empty()) return kDefaultSessionIdle;
    bool digits = v.size() <= 6;
    for (unsigned char c : v) digits = digits && std::isdigit(c);
    const int n = digits ? std::atoi(v.c_str()) : 0;
    if (n < 1 || n > kMaxSessionIdle)
        throw MachineError(code::BadOption, "OPTIONS<O.SESSION.IDLE> must be a whole number of seconds from 1 to " +
                                                std::to_string(kMaxSessionIdle) + " (got \"" + v + "\")");
    return n;
}

OpenOutcome open_session(const std::string& folder, const std::string& options) {
    const int idle = session_idle_seconds(options);
    const std::string token = random_token();
    const std::string path = socket_path(folder, token);
    if (path.size() >= sizeof(sockaddr_un{}.sun_path))
        throw MachineError(code::BadOption, "spool folder " + folder + " has too long a path for a session socket (at most " +
                                                std::to_string(sizeof(sockaddr_un{}.sun_path) - 40) + " characters)");
    const Owner owner = find_owner();
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0)
        throw MachineError(code::Internal, std::string("cannot start a session process: pipe: ") + std::strerror(errno));
    std::cout.flush();
    std::fflush(nullptr);
    const pid_t child = ::fork();
    if (child < 0) {
        ::close(report[0]);
        ::close(report[1]);
        throw MachineError(code::Internal, std::string("cannot start a session process: fork: ") + std::strerror(errno));
    }
    if (child == 0) {
        ::setsid();
        const pid_t grandchild = ::fork();
        if (grandchild != 0) ::_exit(grandchild < 0 ? 1 : 0);
        ::close(report[0]);
        session_main(report[1], path, options, idle, owner);
    }
    ::close(report[1]);
    ::waitpid(child, nullptr, 0);
    std::string result;
    const Io st = read_frame(report[0], result, Clock::now() + std::chrono::seconds(kOpenReportSeconds));
    ::close(report[0]);  // a session process still opening finds the pipe closed and ends
    if (st == Io::Timeout)
        return {failure_result(11, "SMTP.OPEN did not finish within " + std::to_string(kOpenReportSeconds) +
                                       " s; the session process gives up"),
                ""};
    if (st != Io::Ok) return {failure_result(code::Internal, "the session process ended before SMTP.OPEN finished"), ""};
    if (failed(result) || handle_of(result) <= 0) return {result, ""};
    return {result, token};
}

}  // namespace mvsmtp::cli
