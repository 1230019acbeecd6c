// spool.cpp — see spool.hpp.
#include "spool.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "machine_result.hpp"
#include "random_token.hpp"

namespace mvsmtp::cli {
namespace {

constexpr time_t kRequestMaxAge = 3600;  // a .req older than this is a crashed run's leftover
constexpr time_t kSocketMinAge = 60;     // a fresh socket may belong to a session still starting

[[noreturn]] void refuse(const std::string& what) { throw MachineError(code::BadOption, what); }

std::string octal(mode_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

bool ends_with(const std::string& s, const char* tail) {
    const std::size_t n = std::strlen(tail);
    return s.size() >= n && s.compare(s.size() - n, n, tail) == 0;
}

void check_root(const std::string& root) {
    struct stat st {};
    if (::lstat(root.c_str(), &st) != 0)
        refuse("spool folder " + root + " cannot be used: " + std::strerror(errno) + " (the installer creates it)");
    if (S_ISLNK(st.st_mode)) refuse("spool folder " + root + " is a symbolic link; give the real folder");
    if (!S_ISDIR(st.st_mode)) refuse("spool folder " + root + " is not a directory");
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
        refuse("spool folder " + root + " is owned by uid " + std::to_string(st.st_uid) +
               ", neither root nor this user");
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
        refuse("spool folder " + root + " (mode " + octal(st.st_mode) +
               ") is writable by others without the sticky bit; use mode 1733 or 0700");
}

}  // namespace

std::string ensure_user_folder(const std::string& given_root) {
    std::string root = given_root;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    if (root.empty()) refuse("--spool needs a folder");
    check_root(root);
    const std::string folder = root + "/" + std::to_string(::geteuid());
    if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST)
        refuse("spool folder " + folder + " cannot be created: " + std::strerror(errno));
    struct stat st {};
    if (::lstat(folder.c_str(), &st) != 0) refuse("spool folder " + folder + ": " + std::strerror(errno));
    if (S_ISLNK(st.st_mode)) refuse("spool folder " + folder + " is a symbolic link; remove it");
    if (!S_ISDIR(st.st_mode)) refuse("spool folder " + folder + " is not a directory; remove it");
    if (st.st_uid != ::geteuid())
        refuse("spool folder " + folder + " is owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
               std::to_string(::geteuid()) + ")");
    if (st.st_mode & 077)
        refuse("spool folder " + folder + " has mode " + octal(st.st_mode) +
               "; it must be private to its user (chmod 0700)");
    return folder;
}

std::string new_request_file(const std::string& folder) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        const std::string path = folder + "/" + random_token() + ".req";
        const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600);
        if (fd >= 0) {
            ::close(fd);
            return path;
        }
        if (errno != EEXIST)
            throw MachineError(code::BadOption, "cannot create a request file in " + folder + ": " + std::strerror(errno));
    }
    throw MachineError(code::Internal, "cannot create a request file in " + folder + ": every name was taken");
}

void sweep_user_folder(const std::string& folder) {
    const int dfd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) return;
    DIR* dir = ::fdopendir(dfd);
    if (!dir) {
        ::close(dfd);
        return;
    }
    const time_t now = std::time(nullptr);
    while (const dirent* e = ::readdir(dir)) {
        const std::string name = e->d_name;
        const bool req = ends_with(name, ".req"), sock = ends_with(name, ".sock");
        if (!req && !sock) continue;
        struct stat st {};
        if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_uid != ::geteuid()) continue;
        if (req && S_ISREG(st.st_mode) && now - st.st_mtime > kRequestMaxAge) {
            ::unlinkat(dfd, e->d_name, 0);
        } else if (sock && S_ISSOCK(st.st_mode) && now - st.st_mtime > kSocketMinAge) {
            // Nobody listening: its session process was killed without cleaning up.
            const std::string path = folder + "/" + name;
            sockaddr_un addr{};
            if (path.size() >= sizeof addr.sun_path) continue;
            addr.sun_family = AF_UNIX;
            std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
            const int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (s < 0) continue;
            const bool refused = ::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno == ECONNREFUSED;
            ::close(s);
            if (refused) ::unlinkat(dfd, e->d_name, 0);
        }
    }
    ::closedir(dir);
}

std::string socket_path(const std::string& folder, const std::string& token) { return folder + "/" + token + ".sock"; }

}  // namespace mvsmtp::cli
