// platform_posix.cpp — POSIX implementations of platform.hpp.
#include "platform.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/random.h>
#endif

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <new>
#include <stdexcept>

namespace mvsmtp::platform {

struct SigpipeGuard::State {
    sigset_t old_mask;
    bool was_pending = false;
    bool blocked = false;
    bool outermost = false;
};

namespace {
thread_local int guard_depth = 0;
}  // namespace

SigpipeGuard::SigpipeGuard() {
    static_assert(sizeof(State) <= sizeof(state_), "state buffer too small");
    auto* s = new (state_) State();
    if (guard_depth++ > 0) return;  // an outer guard already protects this thread
    s->outermost = true;
    sigset_t pipe_set, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    s->was_pending = sigismember(&pending, SIGPIPE) == 1;
    s->blocked = pthread_sigmask(SIG_BLOCK, &pipe_set, &s->old_mask) == 0;
}

SigpipeGuard::~SigpipeGuard() {
    auto* s = reinterpret_cast<State*>(state_);
    --guard_depth;
    if (s->outermost && s->blocked) {
        // Consume only a SIGPIPE that we caused; one that was already pending belongs to
        // the caller.
        if (!s->was_pending) {
            sigset_t pipe_set, pending;
            sigemptyset(&pipe_set);
            sigaddset(&pipe_set, SIGPIPE);
            sigemptyset(&pending);
            if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
                const struct timespec zero = {0, 0};
                while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {}
            }
        }
        pthread_sigmask(SIG_SETMASK, &s->old_mask, nullptr);
    }
    s->~State();
}

int nosignal_send_flags() {
#ifdef MSG_NOSIGNAL
    return MSG_NOSIGNAL;
#else
    return 0;
#endif
}

bool wait_socket(int fd, bool for_write, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
        const int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 24LL * 3600 * 1000)));
        if (rc > 0) return true;  // ready, or POLLERR/POLLHUP: the next call reports it
        if (rc < 0 && errno != EINTR) return true;  // let the socket call report the error
    }
}

bool readable_by_others(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return false;
    return (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

std::string mode_string(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return "?";
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return buf;
}

void fsync_path(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

namespace {

std::string folder_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : slash == 0 ? std::string("/") : path.substr(0, slash);
}

// Writes `content` to a fresh temporary beside `path` (mkostemp: O_EXCL, mode 0600) and
// fsyncs it; returns the temporary's name. Two writers never share one, and a crash leaves
// at most a stray temporary, never a half-written `path`.
std::string write_temporary(const std::string& path, const std::string& content) {
    std::string tmp = path + ".tmp.XXXXXX";
    const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(path + ".tmp: " + std::strerror(errno));
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            throw std::runtime_error(tmp + ": " + std::strerror(e));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        throw std::runtime_error(tmp + ": " + std::strerror(e));
    }
    return tmp;
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
    const std::string tmp = write_temporary(path, content);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        throw std::runtime_error(path + ": " + std::strerror(e));
    }
    fsync_path(folder_of(path));
}

bool publish_new(const std::string& from, const std::string& to) {
#if defined(__linux__) && defined(RENAME_NOREPLACE)
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return true;
    if (errno == EEXIST) return false;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        throw std::runtime_error(to + ": " + std::strerror(errno));
    // The file system cannot rename without replacing: link() fails with EEXIST instead.
#endif
    if (::link(from.c_str(), to.c_str()) != 0) {
        if (errno == EEXIST) return false;
        throw std::runtime_error(to + ": " + std::strerror(errno));
    }
    ::unlink(from.c_str());
    return true;
}

bool write_new_file(const std::string& path, const std::string& content) {
    const std::string tmp = write_temporary(path, content);
    bool published = false;
    try {
        published = publish_new(tmp, path);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    if (!published) {
        ::unlink(tmp.c_str());
        return false;
    }
    fsync_path(folder_of(path));
    return true;
}

int create_new_file(const std::string& path) {
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

bool lock_exclusive(int fd, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
        if (errno != EWOULDBLOCK && errno != EINTR) return false;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        ::usleep(10000);
    }
}

void random_bytes(void* buffer, std::size_t n) {
    auto* p = static_cast<unsigned char*>(buffer);
#ifdef __linux__
    while (n > 0) {
        const ssize_t got = ::getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOSYS) break;  // a kernel older than 3.17: fall back to the device
            throw std::runtime_error(std::string("getrandom: ") + std::strerror(errno));
        }
        p += got;
        n -= static_cast<std::size_t>(got);
    }
    if (n == 0) return;
#endif
    const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(std::string("/dev/urandom: ") + std::strerror(errno));
    while (n > 0) {
        const ssize_t got = ::read(fd, p, n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            ::close(fd);
            throw std::runtime_error("/dev/urandom: read failed");
        }
        p += got;
        n -= static_cast<std::size_t>(got);
    }
    ::close(fd);
}

}  // namespace mvsmtp::platform
