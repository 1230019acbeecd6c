// session_client.cpp — see session_client.hpp.
#include "session_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <thread>

#include "framing.hpp"
#include "machine_result.hpp"
#include "peer_uid.hpp"
#include "random_token.hpp"
#include "session_process.hpp"
#include "spool.hpp"

namespace mvsmtp::cli {
namespace {

std::string ended() {
    return failure_result(code::BadHandle,
                          "the session has ended (closed, idle longer than its O.SESSION.IDLE seconds (default " +
                              std::to_string(kDefaultSessionIdle) + "), or its caller ended); open a new one",
                          false);
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::string call_session(const std::string& folder, const std::string& given_token, const std::string& op,
                         const std::vector<std::string>& args) {
    if (!is_token(given_token))
        return failure_result(code::BadHandle, "the session token is malformed (32 hexadecimal digits expected)", false);
    std::string token = given_token;
    for (char& c : token) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string path = socket_path(folder, token);
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) return ended();
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (s.fd < 0) return failure_result(code::Internal, std::string("socket: ") + std::strerror(errno));
    const auto connect_deadline = Clock::now() + std::chrono::seconds(kConnectSeconds);
    for (;;) {
        if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
        const int err = errno;
        if (err == EINTR) continue;
        if (err == EAGAIN || err == EINPROGRESS) {  // listen backlog full: the session is busy
            if (Clock::now() >= connect_deadline)
                return failure_result(11, "the session process did not take the call within " +
                                              std::to_string(kConnectSeconds) + " s; nothing was sent");
            if (err == EINPROGRESS) {
                pollfd p{s.fd, POLLOUT, 0};
                ::poll(&p, 1, ms_until(connect_deadline));
                int so = 0;
                socklen_t len = sizeof so;
                ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &so, &len);
                if (so == 0 && (p.revents & POLLOUT)) break;
                if (so != 0) return ended();
                continue;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        return ended();  // ENOENT, ECONNREFUSED, ...: nobody is there any more
    }
    uid_t server_uid;
    if (!peer_uid(s.fd, server_uid) || server_uid != ::geteuid())
        return failure_result(code::BadHandle, "the session socket " + path + " is not served by this user; refused", false);

    std::string request = op;
    for (const auto& a : args) request += '\x1F' + a;
    // The session process acts only on a whole frame: a request not fully written did nothing.
    const Io sent = write_frame(s.fd, request, Clock::now() + std::chrono::seconds(60));
    if (sent == Io::Timeout)
        return failure_result(11, "the session process did not read the request within 60 s; nothing was sent");
    if (sent != Io::Ok) return ended();
    std::string result;
    const Io st = read_frame(s.fd, result, Clock::now() + std::chrono::seconds(kReplySeconds));
    if (st == Io::Ok) return result;
    const std::string why = st == Io::Timeout ? "did not answer within " + std::to_string(kReplySeconds) + " s"
                                              : "ended";
    if (op == "SEND")
        return failure_result(code::OutcomeUnknown,
                              "the session process " + why + " during SMTP.SEND: the message may or may not have been accepted",
                              false);
    if (op == "CMD")
        return failure_result(code::OutcomeUnknown,
                              "the session process " + why + " during SMTP.CMD: the command may or may not have reached the server",
                              false);
    return failure_result(code::BadHandle, "the session process " + why + " during SMTP.CLOSE; the session is over", false);
}

}  // namespace mvsmtp::cli
