// request_file.cpp — see request_file.hpp.
#include "request_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "machine_result.hpp"

namespace mvsmtp::cli {
namespace {

// Unlinks path if it is still the regular file we opened and it is ours.
void remove_if_ours(const std::string& path, const struct stat* opened) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) return;
    if (opened && (st.st_dev != opened->st_dev || st.st_ino != opened->st_ino)) return;
    ::unlink(path.c_str());
}

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::string read_request_file(const std::string& path, bool remove, bool strict) {
    int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;  // O_NONBLOCK: a FIFO must not hang us
    if (strict) flags |= O_NOFOLLOW;
    Fd f{::open(path.c_str(), flags)};
    if (f.fd < 0) {
        const int err = errno;
        if (remove) remove_if_ours(path, nullptr);  // never a link, never someone else's
        if (strict && err == ELOOP)
            throw MachineError(code::BadOption, "request file " + path + " is a symbolic link; refused");
        throw MachineError(code::BadArgument, "cannot read request file " + path + ": " + std::strerror(err));
    }
    struct stat st {};
    if (::fstat(f.fd, &st) != 0)
        throw MachineError(code::Internal, "cannot stat request file " + path + ": " + std::strerror(errno));
    if (remove) remove_if_ours(path, &st);  // it may hold a password: gone whatever happens next
    if (!S_ISREG(st.st_mode)) throw MachineError(code::BadOption, "request file " + path + " is not a regular file; refused");
    if (strict && st.st_uid != ::geteuid())
        throw MachineError(code::BadOption, "request file " + path + " is owned by uid " + std::to_string(st.st_uid) +
                                                ", not by this user; refused");
    if (strict && (st.st_mode & 077)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        throw MachineError(code::BadOption, "request file " + path + " has mode " + mode +
                                                "; it must be readable by its owner only (0600); refused unread");
    }
    if (st.st_size > kMaxRequestBytes)
        throw MachineError(code::BadArgument, "request file " + path + " is larger than 64 MiB");
    ::fcntl(f.fd, F_SETFL, ::fcntl(f.fd, F_GETFL) & ~O_NONBLOCK);
    std::string data;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(f.fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw MachineError(code::BadArgument, "cannot read request file " + path + ": " + std::strerror(errno));
        if (n == 0) break;
        data.append(buf, static_cast<std::size_t>(n));
        if (static_cast<long long>(data.size()) > kMaxRequestBytes)
            throw MachineError(code::BadArgument, "request file " + path + " is larger than 64 MiB");
    }
    return data;
}

}  // namespace mvsmtp::cli
