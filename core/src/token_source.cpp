// token_source.cpp — cached, refreshed access tokens; see mvsmtp/token_source.hpp.
#include "mvsmtp/token_source.hpp"

#include <ctime>

#include "mvsmtp/error.hpp"
#include "mvsmtp/oauth_client.hpp"
#include "mvsmtp/token_cache.hpp"
#include "secret_file.hpp"

namespace mvsmtp {
namespace {

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string describe(const OAuthSettings& s, const CachedToken& t, bool cached, const std::string& cache_path) {
    const std::int64_t left = t.expires_at - now_seconds();
    return std::string(cached ? "cached" : "new") + " access token for " + s.user + " (" + oauth_grant_name(s.grant) +
           " from " + s.token_endpoint() + "), expires in " + std::to_string(left) + " s; cache " + cache_path;
}

AccessToken access_from(const OAuthSettings& s, const CachedToken& t, bool cached, const std::string& cache_path) {
    return AccessToken{t.access_token, cached, t.expires_at, t.scope, describe(s, t, cached, cache_path)};
}

}  // namespace

TokenSource::TokenSource(OAuthSettings settings) : settings_(std::move(settings)) {}

int TokenSource::lock_timeout_ms() const {
    // Long enough for the holder's whole request: its connection and one full answer.
    return settings_.timeouts.connect_ms + settings_.timeouts.io_ms + 2000;
}

AccessToken TokenSource::from_static_file() const {
    AccessToken t;
    t.value = read_secret_line(settings_.token_file, ErrorCode::PasswordFile, "OAuth access token file");
    t.description = "static access token for " + settings_.user + " from " + settings_.token_file;
    return t;
}

AccessToken TokenSource::get() {
    if (settings_.grant == OAuthGrant::Static) return from_static_file();
    const TokenCache cache(settings_.cache_file());
    if (const auto t = cache.load(); t && t->access_valid(now_seconds())) return access_from(settings_, *t, true, cache.path());
    const TokenCache::Lock lock = cache.lock(lock_timeout_ms());
    // Another process may have refreshed while this one waited for the lock.
    if (const auto t = cache.load(); t && t->access_valid(now_seconds())) return access_from(settings_, *t, true, cache.path());
    return obtain_locked("");
}

AccessToken TokenSource::replace(const AccessToken& rejected) {
    if (!can_refresh()) throw Error(ErrorCode::OAuthTokenRejected, "the static OAuth token cannot be refreshed");
    const TokenCache cache(settings_.cache_file());
    const TokenCache::Lock lock = cache.lock(lock_timeout_ms());
    if (const auto t = cache.load(); t && t->access_token != rejected.value && t->access_valid(now_seconds()))
        return access_from(settings_, *t, true, cache.path());
    return obtain_locked(rejected.value);
}

// Called with the cache lock held.
AccessToken TokenSource::obtain_locked(const std::string& rejected) {
    const TokenCache cache(settings_.cache_file());
    CachedToken stored = cache.load().value_or(CachedToken{});
    if (!rejected.empty() && stored.access_token == rejected) stored.access_token.clear();
    TokenGrant grant;
    if (settings_.grant == OAuthGrant::ClientCredentials) {
        grant = request_client_credentials(settings_);
    } else {
        std::string seed;
        if (!settings_.refresh_token_file.empty())
            seed = read_secret_line(settings_.refresh_token_file, ErrorCode::PasswordFile, "OAuth refresh token file");
        std::string refresh = stored.refresh_token.empty() ? seed : stored.refresh_token;
        if (refresh.empty())
            throw Error(ErrorCode::OAuthLoginNeeded, "profile [" + settings_.profile + "] has no OAuth refresh token yet: "
                                                     "sign in once with: mvsmtp oauth login --profile " + settings_.profile);
        try {
            grant = request_refresh(settings_, refresh);
        } catch (const Error& e) {
            // The cached refresh token is dead but the administrator put a new one in the
            // seed file: use that one, once.
            if (e.code() != ErrorCode::OAuthGrantInvalid || seed.empty() || seed == refresh) throw;
            refresh = seed;
            grant = request_refresh(settings_, refresh);
        }
        if (grant.refresh_token.empty()) grant.refresh_token = refresh;  // not rotated: keep it
    }
    CachedToken fresh;
    fresh.access_token = grant.access_token;
    fresh.refresh_token = grant.refresh_token;
    fresh.scope = grant.scope.empty() ? settings_.effective_scope() : grant.scope;
    fresh.grant = oauth_grant_name(settings_.grant);
    fresh.obtained_at = now_seconds();
    fresh.expires_at = fresh.obtained_at + (grant.expires_in > 0 ? grant.expires_in : 3600);
    cache.store(fresh);
    return access_from(settings_, fresh, false, cache.path());
}

}  // namespace mvsmtp
