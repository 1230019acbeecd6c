// owner.cpp — see owner.hpp.
#include "owner.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <vector>

namespace mvsmtp::cli {
namespace {

std::string proc_file(pid_t pid, const char* name) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + name);
    if (!in) return {};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Fields after "(comm)" of /proc/<pid>/stat: [0] = field 3 (state), [1] = field 4 (ppid),
// [19] = field 22 (starttime). comm may hold spaces and ')', so split after the last ')'.
std::vector<std::string> stat_fields(pid_t pid) {
    const std::string stat = proc_file(pid, "stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return {};
    std::istringstream in(stat.substr(close + 1));
    std::vector<std::string> fields;
    for (std::string f; in >> f;) fields.push_back(f);
    return fields;
}

bool is_shell(const std::string& comm) {
    static const char* kShells[] = {"sh", "bash", "dash", "ksh", "zsh", "busybox"};
    for (const char* s : kShells)
        if (comm == s) return true;
    return false;
}

}  // namespace

bool Owner::alive() const {
    if (pid <= 0) return true;  // unknown owner: only the idle limit ends the session
    if (start_time.empty()) return ::kill(pid, 0) == 0 || errno == EPERM;
    const auto fields = stat_fields(pid);
    return fields.size() > 19 && fields[19] == start_time;
}

Owner find_owner() {
    pid_t pid = ::getppid();
    for (int depth = 0; depth < 64 && pid > 1; ++depth) {
        std::string comm = proc_file(pid, "comm");
        while (!comm.empty() && (comm.back() == '\n' || comm.back() == ' ')) comm.pop_back();
        const auto fields = stat_fields(pid);
        if (fields.size() <= 19) break;  // no /proc: fall back to the parent
        if (!is_shell(comm)) return Owner{pid, fields[19]};
        pid = static_cast<pid_t>(std::stol(fields[1]));
    }
    if (pid > 1) return Owner{pid, {}};
    // Only shells up to init: the first non-shell would be init itself, which never ends.
    const pid_t parent = ::getppid();
    const auto fields = stat_fields(parent);
    return Owner{parent, fields.size() > 19 ? fields[19] : std::string()};
}

}  // namespace mvsmtp::cli
