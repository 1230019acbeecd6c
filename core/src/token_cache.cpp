// token_cache.cpp — the owner-only token cache file and its lock; see mvsmtp/token_cache.hpp.
#include "mvsmtp/token_cache.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mvsmtp/error.hpp"
#include "platform.hpp"

namespace mvsmtp {
namespace {

std::string folder_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? std::string("/") : path.substr(0, slash);
}

std::string octal(mode_t mode) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
    return buffer;
}

// Creates missing folders (0700) on the way to `dir`.
void make_folders(const std::string& dir) {
    if (dir.empty() || dir == "/" || dir == ".") return;
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) return;
    make_folders(folder_of(dir));
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        throw Error(ErrorCode::BadOption, "cannot create the OAuth token cache folder " + dir + ": " + std::strerror(errno));
}

std::string text_of(const Poco::JSON::Object::Ptr& o, const char* key) {
    try {
        return o->has(key) ? o->getValue<std::string>(key) : std::string();
    } catch (...) {
        return {};
    }
}

std::int64_t number_of(const Poco::JSON::Object::Ptr& o, const char* key) {
    try {
        return o->has(key) ? o->getValue<std::int64_t>(key) : 0;
    } catch (...) {
        return 0;
    }
}

}  // namespace

bool CachedToken::access_valid(std::int64_t now) const {
    if (access_token.empty() || expires_at <= 0) return false;
    const std::int64_t lifetime = std::max<std::int64_t>(0, expires_at - obtained_at);
    const std::int64_t margin = std::min<std::int64_t>(60, lifetime / 4);
    return now < expires_at - margin;
}

TokenCache::TokenCache(std::string path) : path_(std::move(path)) {}

void TokenCache::ensure_folder() const {
    const std::string dir = folder_of(path_);
    make_folders(dir);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw Error(ErrorCode::BadOption, "OAuth token cache folder " + dir + " is not a folder");
    // Someone else's folder, or one others may write to, could have our tokens swapped or
    // read: refuse it rather than trust it.
    if (st.st_uid != ::geteuid() || (st.st_mode & 0022) != 0)
        throw Error(ErrorCode::ConfigInsecure, "OAuth token cache folder " + dir + " must belong to this user and not be "
                                               "writable by others (mode " + octal(st.st_mode) + "); fix it with: chmod 700 " + dir);
}

std::optional<CachedToken> TokenCache::load() const {
    const int fd = ::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        throw Error(ErrorCode::BadOption, "cannot open the OAuth token cache " + path_ + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(ErrorCode::BadOption, "OAuth token cache " + path_ + " is not a regular file");
    }
    if (st.st_uid != ::geteuid() || (st.st_mode & 0077) != 0) {
        ::close(fd);
        throw Error(ErrorCode::ConfigInsecure, "OAuth token cache " + path_ + " holds tokens but is not owner-only (mode " +
                                                   octal(st.st_mode) + "); fix it with: chmod 600 " + path_);
    }
    std::string text;
    char buffer[8192];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > 1024 * 1024) break;
    }
    ::close(fd);
    try {
        Poco::JSON::Parser parser;
        const auto o = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
        CachedToken t;
        t.access_token = text_of(o, "access_token");
        t.refresh_token = text_of(o, "refresh_token");
        t.scope = text_of(o, "scope");
        t.grant = text_of(o, "grant");
        t.obtained_at = number_of(o, "obtained_at");
        t.expires_at = number_of(o, "expires_at");
        return t;
    } catch (...) {
        return std::nullopt;  // damaged: treated as empty and replaced by the next store
    }
}

void TokenCache::store(const CachedToken& t) const {
    ensure_folder();
    Poco::JSON::Object o;
    o.set("version", 1);
    o.set("access_token", t.access_token);
    o.set("refresh_token", t.refresh_token);
    o.set("scope", t.scope);
    o.set("grant", t.grant);
    o.set("obtained_at", static_cast<Poco::Int64>(t.obtained_at));
    o.set("expires_at", static_cast<Poco::Int64>(t.expires_at));
    std::ostringstream out;
    o.stringify(out);
    try {
        platform::write_file_atomically(path_, out.str());
    } catch (const std::exception& e) {
        throw Error(ErrorCode::BadOption, std::string("cannot write the OAuth token cache: ") + e.what());
    }
}

void TokenCache::remove() const {
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT)
        throw Error(ErrorCode::BadOption, "cannot remove the OAuth token cache " + path_ + ": " + std::strerror(errno));
}

TokenCache::Lock::~Lock() {
    if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

TokenCache::Lock TokenCache::lock(int timeout_ms) const {
    ensure_folder();
    const std::string lock_path = path_ + ".lock";
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        throw Error(ErrorCode::BadOption, "cannot open the OAuth token lock " + lock_path + ": " + std::strerror(errno));
    Lock lock(fd);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            throw Error(ErrorCode::BadOption, "cannot lock " + lock_path + ": " + std::strerror(errno));
        if (std::chrono::steady_clock::now() >= deadline)
            throw Error(ErrorCode::OAuthUnavailable, "another process has been obtaining an OAuth token for more than " +
                                                         std::to_string(timeout_ms / 1000) + " s (lock " + lock_path + ")");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return lock;
}

}  // namespace mvsmtp
