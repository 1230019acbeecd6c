// mvsmtp/token_source.hpp — the access token for a profile's AUTH, from wherever the profile
// says: a static token file, or the cache, refreshed under the cache lock through the
// client-credentials or refresh-token grant when it is missing or about to expire.
//
//   TokenSource tokens(profile.oauth);
//   AccessToken t = tokens.get();              // cached when still valid
//   ... AUTH XOAUTH2 refused t ...
//   if (t.from_cache && tokens.can_refresh())
//       t = tokens.replace(t);                 // exactly one refresh, then one retry
//
// Concurrent processes: the first to find the cache stale takes the lock and asks the
// endpoint; the others wait for the lock, find the fresh token and ask nothing. A rotated
// refresh token is saved at once. Nothing here logs a token.
#pragma once
#include <cstdint>
#include <string>

#include "mvsmtp/oauth_settings.hpp"

namespace mvsmtp {

struct AccessToken {
    std::string value;            // secret
    bool from_cache = false;      // reused, not obtained just now for this call
    std::int64_t expires_at = 0;  // Unix seconds; 0 unknown (static token)
    std::string scope;
    // One line for transcripts and SMTP.TEST: where the token came from and until when.
    std::string description;
};

class TokenSource {
public:
    explicit TokenSource(OAuthSettings settings);
    const OAuthSettings& settings() const { return settings_; }

    AccessToken get();
    // After the mail server refused `rejected`: a newer token from the cache if another
    // process has one, else one obtained now. Error when none can be had.
    AccessToken replace(const AccessToken& rejected);
    // A static token cannot be refreshed.
    bool can_refresh() const { return settings_.grant != OAuthGrant::Static; }

private:
    AccessToken obtain_locked(const std::string& rejected);
    AccessToken from_static_file() const;
    int lock_timeout_ms() const;

    OAuthSettings settings_;
};

}  // namespace mvsmtp
