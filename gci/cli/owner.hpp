// owner.hpp — which process a session process belongs to, and whether it is still there.
//
//   Owner o = find_owner();      // in the mvsmtp client, before the session process starts
//   ... later, in the session process, once a second:
//   if (!o.alive()) { QUIT; exit; }
//
// The owner is the process that ran mvsmtp through a shell (the database engine's EXECUTE):
// starting from the client's parent, processes whose /proc/<pid>/comm is sh, bash, dash, ksh,
// zsh or busybox are skipped and the first other ancestor is taken. Its start time (field 22
// of /proc/<pid>/stat) is remembered, so a recycled PID is not mistaken for the owner: the
// owner is gone when /proc/<pid> is missing or its start time differs. Without /proc (not
// Linux) the owner is the client's parent, checked with kill(pid, 0).
#pragma once
#include <sys/types.h>

#include <string>

namespace mvsmtp::cli {

struct Owner {
    pid_t pid = 0;
    std::string start_time;  // "" when /proc is not available
    bool alive() const;
};

Owner find_owner();

}  // namespace mvsmtp::cli
