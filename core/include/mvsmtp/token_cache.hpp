// mvsmtp/token_cache.hpp — OAuth tokens shared by every process of the site that uses the
// same profile: one owner-only JSON file per (endpoint, client, mailbox, scope), replaced
// atomically, and a lock file so that concurrent processes refresh once, not N times.
//
//   TokenCache cache(settings.cache_file());
//   auto lock = cache.lock(10000);          // exclusive; waits at most 10 s
//   std::optional<CachedToken> t = cache.load();
//   cache.store(updated);                   // temporary file, fsync, rename, fsync folder
//
// The folder is created 0700; a cache file or folder other users could read or change is
// refused (Error ConfigInsecure) and never used. A damaged file reads as empty (it is only
// a cache; the next store replaces it).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace mvsmtp {

struct CachedToken {
    std::string access_token;    // secret
    std::string refresh_token;   // secret
    std::string scope;           // as granted
    std::string grant;           // how the access token was obtained
    std::int64_t obtained_at = 0;
    std::int64_t expires_at = 0; // Unix seconds; 0 = no access token

    // Usable now: present and not within the renewal margin of its expiry (60 s, or a
    // quarter of its lifetime for short-lived tokens).
    bool access_valid(std::int64_t now) const;
};

class TokenCache {
public:
    explicit TokenCache(std::string path);
    const std::string& path() const { return path_; }

    std::optional<CachedToken> load() const;
    void store(const CachedToken& token) const;
    void remove() const;

    // Exclusive lock on <path>.lock, released when the object goes. Waits at most
    // timeout_ms, then Error(OAuthUnavailable).
    class Lock {
    public:
        explicit Lock(int fd) : fd_(fd) {}
        Lock(Lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
        Lock(const Lock&) = delete;
        Lock& operator=(const Lock&) = delete;
        Lock& operator=(Lock&&) = delete;
        ~Lock();

    private:
        int fd_;
    };
    Lock lock(int timeout_ms) const;

private:
    void ensure_folder() const;
    std::string path_;
};

}  // namespace mvsmtp
