// peer_uid.cpp — see peer_uid.hpp.
#include "peer_uid.hpp"

#include <sys/socket.h>
#include <unistd.h>

namespace mvsmtp::cli {

bool peer_uid(int fd, uid_t& uid) {
#if defined(SO_PEERCRED) && defined(__linux__)
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) return false;
    uid = cred.uid;
    return true;
#else
    gid_t gid;
    return ::getpeereid(fd, &uid, &gid) == 0;
#endif
}

}  // namespace mvsmtp::cli
