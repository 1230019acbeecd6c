// random_token.cpp — see random_token.hpp.
#include "random_token.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cctype>

#if defined(__linux__)
#include <sys/random.h>
#endif

#include "machine_result.hpp"

namespace mvsmtp::cli {
namespace {

bool fill_from_getrandom(unsigned char* buf, std::size_t n) {
#if defined(__linux__)
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = getrandom(buf + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        got += static_cast<std::size_t>(r);
    }
    return true;
#else
    (void)buf;
    (void)n;
    return false;
#endif
}

bool fill_from_urandom(unsigned char* buf, std::size_t n) {
    const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += static_cast<std::size_t>(r);
    }
    ::close(fd);
    return got == n;
}

}  // namespace

std::string random_token() {
    unsigned char bytes[16];
    if (!fill_from_getrandom(bytes, sizeof bytes) && !fill_from_urandom(bytes, sizeof bytes))
        throw MachineError(code::Internal, "no random numbers available (getrandom and /dev/urandom failed)");
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

bool is_token(const std::string& text) {
    if (text.size() != 32) return false;
    for (unsigned char c : text)
        if (!std::isxdigit(c)) return false;
    return true;
}

}  // namespace mvsmtp::cli
