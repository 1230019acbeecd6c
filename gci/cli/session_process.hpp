// session_process.hpp — SMTP.OPEN out of process: a session process that holds one real SMTP
// connection across many `mvsmtp machine call` runs.
//
//   OpenOutcome o = open_session(folder, options);   // folder = ensure_user_folder(root)
//   print o.result; if (!o.token.empty()) print "SESSION " + o.token;
//
// The client (this mvsmtp run) forks; the child calls setsid() and forks again, and the
// grandchild becomes the session process (the intermediate exits at once, so nobody has to
// reap it). The session process immediately points fds 0/1/2 at /dev/null (EXECUTE ...
// CAPTURING waits until every holder of its stdout pipe is gone), closes every other inherited
// fd, sets umask 077, listens on <folder>/<token>.sock (mode 0600), calls mvs_open with
// OPTIONS and reports the OPEN RESULT to the client through a pipe made before the fork. The
// client waits at most kOpenReportSeconds for it, then returns; the options (and any
// password in them) stay in the session process's memory only.
//
// After a failed OPEN the session process removes its socket and ends. Otherwise it serves
// one request at a time (see session_client.hpp for the client half): accept, check the
// peer's uid (SO_PEERCRED) is its own, read one frame within 30 s ("SEND␟MESSAGE␟BODY",
// "CMD␟COMMAND" or "CLOSE"), run it on its handle, write the RESULT frame back. It says QUIT
// (mvs_close), removes its socket and ends: after CLOSE; after OPTIONS<O.SESSION.IDLE>
// seconds without a request (default 600, allowed 1..86400, else BAD.OPTION at OPEN); when
// its owner process ends (owner.hpp, checked every second); on SIGTERM. It never writes to
// stdout or stderr and starts no threads.
#pragma once
#include <string>

namespace mvsmtp::cli {

constexpr int kDefaultSessionIdle = 600;
constexpr int kMaxSessionIdle = 86400;
constexpr int kOpenReportSeconds = 300;

struct OpenOutcome {
    std::string result;  // the OPEN RESULT (the library's, or a failure made here)
    std::string token;   // 32 lowercase hex when OPEN succeeded, else ""
};

OpenOutcome open_session(const std::string& folder, const std::string& options);

// OPTIONS<O.SESSION.IDLE> in seconds (empty → 600); MachineError(BAD.OPTION) when not 1..86400.
int session_idle_seconds(const std::string& options);

}  // namespace mvsmtp::cli
