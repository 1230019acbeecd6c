// session_client.hpp — SMTP.SEND / SMTP.CMD / SMTP.CLOSE out of process: hands one request to
// the session process that SMTP.OPEN started (session_process.hpp) and returns its RESULT.
//
//   std::string r = call_session(folder, token, "SEND", {message, body});
//   std::string r = call_session(folder, token, "CMD", {"NOOP"});
//   std::string r = call_session(folder, token, "CLOSE", {});
//
// Connects to <folder>/<token>.sock within kConnectSeconds, checks that the process behind it
// runs as this user (SO_PEERCRED), writes one frame ("SEND␟MESSAGE␟BODY", ...) and waits up to
// kReplySeconds for the RESULT frame. Failures are RESULTs, never exceptions:
//   token not 32 hex digits                   BAD.HANDLE
//   socket missing or nobody listening        BAD.HANDLE, "the session has ended ..." (nothing sent)
//   socket of another user                    BAD.HANDLE (nothing sent)
//   connection accepted by nobody in 5 s      TIMEOUT (nothing sent)
//   connection lost, or no RESULT in time, after the request was written:
//     SEND, CMD                               OUTCOME.UNKNOWN, not transient (it may have gone)
//     CLOSE                                   BAD.HANDLE (the session is over either way)
#pragma once
#include <string>
#include <vector>

namespace mvsmtp::cli {

constexpr int kConnectSeconds = 5;
constexpr int kReplySeconds = 3600;

std::string call_session(const std::string& folder, const std::string& token, const std::string& op,
                         const std::vector<std::string>& args);

}  // namespace mvsmtp::cli
