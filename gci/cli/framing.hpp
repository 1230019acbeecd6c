// framing.hpp — messages between the mvsmtp client and a session process (and the OPEN report
// on its pipe): 10 ASCII decimal digits giving the length, then that many bytes.
//
//   auto deadline = Clock::now() + std::chrono::seconds(30);
//   if (write_frame(fd, "SEND\x1F" + msg + "\x1F" + body, deadline) != Io::Ok) ...
//   std::string reply; Io st = read_frame(fd, reply, deadline);
//
// Every read and write has a deadline (poll); the fd is switched to non-blocking. Writes to a
// socket use MSG_NOSIGNAL, so a vanished peer is Io::Closed, never SIGPIPE. A frame longer than
// kMaxFrame, or a header that is not 10 digits, is Io::Error.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace mvsmtp::cli {

using Clock = std::chrono::steady_clock;

enum class Io { Ok, Closed, Timeout, Error };

constexpr std::size_t kMaxFrame = 128u * 1024 * 1024;

Io write_all(int fd, const std::string& data, Clock::time_point deadline);
Io read_exact(int fd, std::string& out, std::size_t n, Clock::time_point deadline);
Io write_frame(int fd, const std::string& payload, Clock::time_point deadline);
Io read_frame(int fd, std::string& payload, Clock::time_point deadline);
// Milliseconds from now until deadline, clamped to [0, cap_ms] (for poll()).
int ms_until(Clock::time_point deadline, int cap_ms = 1 << 30);

}  // namespace mvsmtp::cli
