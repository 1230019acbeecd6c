// framing.cpp — see framing.hpp.
#include "framing.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace mvsmtp::cli {
namespace {

void make_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && !(flags & O_NONBLOCK)) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

bool is_socket(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

// Waits until fd is ready for `events` or the deadline passes.
Io wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int r = ::poll(&p, 1, ms_until(deadline));
        if (r > 0) return Io::Ok;  // readable, writable, or HUP/ERR: the next call tells
        if (r == 0) return Io::Timeout;
        if (errno != EINTR) return Io::Error;
        if (Clock::now() >= deadline) return Io::Timeout;
    }
}

}  // namespace

int ms_until(Clock::time_point deadline, int cap_ms) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    return static_cast<int>(std::min<long long>(left, cap_ms));
}

Io write_all(int fd, const std::string& data, Clock::time_point deadline) {
    make_nonblocking(fd);
    const bool sock = is_socket(fd);
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = sock ? ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL)
                               : ::write(fd, data.data() + done, data.size() - done);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            const Io w = wait_for(fd, POLLOUT, deadline);
            if (w != Io::Ok) return w;
            continue;
        }
        return (n < 0 && (errno == EPIPE || errno == ECONNRESET)) ? Io::Closed : Io::Error;
    }
    return Io::Ok;
}

Io read_exact(int fd, std::string& out, std::size_t n, Clock::time_point deadline) {
    make_nonblocking(fd);
    out.clear();
    out.reserve(n);
    char buf[65536];
    while (out.size() < n) {
        const ssize_t r = ::read(fd, buf, std::min(sizeof buf, n - out.size()));
        if (r > 0) {
            out.append(buf, static_cast<std::size_t>(r));
            continue;
        }
        if (r == 0) return Io::Closed;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            const Io w = wait_for(fd, POLLIN, deadline);
            if (w != Io::Ok) return w;
            continue;
        }
        return errno == ECONNRESET ? Io::Closed : Io::Error;
    }
    return Io::Ok;
}

Io write_frame(int fd, const std::string& payload, Clock::time_point deadline) {
    if (payload.size() > kMaxFrame) return Io::Error;
    char header[16];
    std::snprintf(header, sizeof header, "%010zu", payload.size());
    // One buffer, one write sequence: the peer never sees a header without its bytes coming.
    return write_all(fd, std::string(header, 10) + payload, deadline);
}

Io read_frame(int fd, std::string& payload, Clock::time_point deadline) {
    std::string header;
    const Io h = read_exact(fd, header, 10, deadline);
    if (h != Io::Ok) return h;
    std::size_t n = 0;
    for (char c : header) {
        if (c < '0' || c > '9') return Io::Error;
        n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    if (n > kMaxFrame) return Io::Error;
    return read_exact(fd, payload, n, deadline);
}

}  // namespace mvsmtp::cli
