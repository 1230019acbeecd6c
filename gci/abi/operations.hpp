// operations.hpp — the BASIC-visible operations, each returning a complete RESULT.
//
//   sendmail(message, body, options)   SENDMAIL
//   open_session(options)              SMTP.OPEN   (RESULT<R.HANDLE>)
//   send_on(handle, message, body)     SMTP.SEND
//   command_on(handle, command)        SMTP.CMD
//   close_session(handle)              SMTP.CLOSE
//   verify(addresses, options)         SMTP.VERIFY (RCPT.CLASS, RCPT.EXCHANGER, RCPT.CATCHALL)
//   queue_control(command, options)    SMTP.QUEUE.CONTROL (queue_control.cpp)
//
// None of them throws: every failure is a RESULT with S.FAILED and an error code. abi.cpp
// only adds the buffer convention and the last-resort catch.
#pragma once
#include <functional>
#include <string>

namespace mvsmtp::gci {

std::string sendmail(const char* message, const char* body, const char* options) noexcept;
std::string open_session(const char* options) noexcept;
std::string send_on(int handle, const char* message, const char* body) noexcept;
std::string command_on(int handle, const char* command) noexcept;
std::string close_session(int handle) noexcept;
// Asks each address's mail exchangers at RCPT TO, never sends (mvsmtp/direct.hpp). R.STATUS:
// S.SENT when every address was accepted, S.PARTIAL when some were, else S.FAILED.
std::string verify(const char* addresses, const char* options) noexcept;
// The durable queue: COMMAND<1> LIST | SHOW | FLUSH | RETRY | DELETE | PURGE, COMMAND<2> its
// argument (queue id, ALL for FLUSH, seconds for PURGE); the folder from the profile or
// O.QUEUE (none: BAD.OPTION). FLUSH never waits for a rate-limit slot (see queue_control.cpp).
std::string queue_control(const char* command, const char* options) noexcept;

// work(), with every exception turned into an S.FAILED RESULT: the one firewall each
// operation runs inside.
std::string encode_guarded(const std::function<std::string()>& work) noexcept;

}  // namespace mvsmtp::gci
