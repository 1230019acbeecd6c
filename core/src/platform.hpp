// platform.hpp (private) — the few OS calls, behind one small interface per platform.
#pragma once
#include <chrono>
#include <string>

namespace mvsmtp::platform {

// While alive, a write to a closed socket cannot deliver SIGPIPE to the process: the signal
// is blocked for this thread and any SIGPIPE it raised is consumed before unblocking (the
// technique libpq uses). OpenSSL writes with write(2), so MSG_NOSIGNAL alone is not enough.
// Guards nest: only the outermost one on a thread makes system calls, so a whole send can
// be wrapped once instead of paying four syscalls per socket operation.
class SigpipeGuard {
public:
    SigpipeGuard();
    ~SigpipeGuard();
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
    struct State;
    unsigned char state_[256];
};

// Flags for send() that suppress SIGPIPE where the OS has such a flag.
int nosignal_send_flags();

// Waits until the socket is readable (or writable) or has an error/hang-up to report; false
// when the deadline passes first. Interrupted waits are resumed with what is left.
bool wait_socket(int fd, bool for_write, std::chrono::steady_clock::time_point deadline);

// True when the file's permissions let users other than its owner read it.
bool readable_by_others(const std::string& path);
// A description of the file's mode for messages, e.g. "0644".
std::string mode_string(const std::string& path);

// Writes a whole file durably: to a temporary name in the same folder, fsync, rename.
// Throws std::runtime_error with errno text on failure.
void write_file_atomically(const std::string& path, const std::string& content);
void fsync_path(const std::string& path);

}  // namespace mvsmtp::platform
