// peer_uid.hpp — the user id of the process at the other end of a connected unix socket.
//
//   uid_t uid;
//   if (!peer_uid(fd, uid) || uid != geteuid()) refuse();
//
// Linux: SO_PEERCRED (for a client, the credentials the listener had at listen()); elsewhere
// (AIX, BSD) getpeereid(). False when the system cannot tell: treat as "not ours".
#pragma once
#include <sys/types.h>

namespace mvsmtp::cli {

bool peer_uid(int fd, uid_t& uid);

}  // namespace mvsmtp::cli
