// platform.hpp (private) — the few OS calls, behind one small interface per platform.
#pragma once
#include <chrono>
#include <cstddef>
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

// Gives the finished file `from` the name `to` unless `to` exists: true when done, false
// (and `from` untouched) when `to` already exists, std::runtime_error for other failures.
// Never replaces a file (renameat2 RENAME_NOREPLACE; link + unlink where the file system
// lacks it), so a stored message can never be overwritten by another writer.
bool publish_new(const std::string& from, const std::string& to);

// write_file_atomically for a name that must be new: false (nothing written, no temporary
// left) when `path` already exists. The file is mode 0600.
bool write_new_file(const std::string& path, const std::string& content);

// Creates `path` for writing, owner-only (0600) and exclusively (O_EXCL, no symbolic link
// followed): the file descriptor, or -1 with errno (EEXIST when the name is taken).
int create_new_file(const std::string& path);

// An exclusive flock on fd, waiting at most timeout_ms (0: only if free now); false when
// another holder kept it that long. Every wait of the library has a deadline, locks too.
bool lock_exclusive(int fd, int timeout_ms);

// n bytes from the operating system's random source (getrandom; /dev/urandom elsewhere).
// Thread-safe. Throws std::runtime_error when the source fails.
void random_bytes(void* buffer, std::size_t n);

}  // namespace mvsmtp::platform
