// mvsmtp/oauth_settings.hpp — what a profile says about OAuth 2.0: which grant obtains the
// access token, from which endpoint, for which client, and where tokens are cached.
//
//   [m365]                                  ; profile keys (mvsmtp.ini)
//   user               = billing@contoso.com
//   oauth_grant        = client_credentials ; client_credentials | refresh_token | static
//   oauth_provider     = microsoft          ; microsoft | google | custom
//   oauth_tenant       = contoso.onmicrosoft.com
//   oauth_client_id    = 00000000-...
//   oauth_client_secret_file = /etc/mvsmtp/m365.secret   ; chmod 600
//
//   OAuthSettings s = profile.oauth;       // filled by load_profile()
//   s.enabled();  s.token_endpoint();  s.effective_scope();  s.cache_file();
//
// Provider presets give the endpoints and default scopes; every one can be overridden
// (oauth_authority, oauth_token_url, oauth_device_url, oauth_scope). Secrets (client
// secret, key files, refresh and access token files) must be owner-only, like passwords.
#pragma once
#include <string>

#include "mvsmtp/connection.hpp"

namespace mvsmtp {

enum class OAuthGrant {
    None,               // no OAuth: user and password as before
    Static,             // an access token read from oauth_token_file (no refresh possible)
    ClientCredentials,  // app-only (Microsoft 365): client id + secret or certificate
    RefreshToken,       // delegated: a refresh token from `mvsmtp oauth login` or a seed file
};

const char* oauth_grant_name(OAuthGrant g);

struct OAuthSettings {
    OAuthGrant grant = OAuthGrant::None;
    std::string provider = "microsoft";  // microsoft | google | custom
    std::string tenant;                  // microsoft: tenant name or id ("organizations", "common")
    std::string authority;               // microsoft: https://login.microsoftonline.com (or a national cloud)
    std::string client_id;
    std::string client_secret;           // never logged
    std::string client_certificate;      // PEM certificate (client assertion, RFC 7523)
    std::string client_key;              // PEM private key for it (owner-only)
    std::string scope;                   // empty → the provider's default for the grant
    std::string token_url;               // empty → the provider's
    std::string device_url;              // empty → the provider's (device authorization, RFC 8628)
    std::string ca_file;                 // trust for the token endpoint; empty → system store
    std::string cache_dir;               // empty → ~/.mvsmtp/tokens
    std::string refresh_token_file;      // seed for the refresh-token grant (owner-only)
    std::string token_file;              // static access token (owner-only)
    std::string user;                    // the mailbox the token is for (the profile's user)
    std::string profile;                 // profile name, for messages and the cache file name
    Timeouts timeouts;                   // connect and per-read limits for the token endpoint

    bool enabled() const { return grant != OAuthGrant::None; }
    // Delegated grants: a user signed in (device login or refresh token).
    bool delegated() const { return grant == OAuthGrant::RefreshToken; }
    std::string token_endpoint() const;
    std::string device_endpoint() const;
    std::string effective_scope() const;
    // The cache file for this profile's tokens: one per (endpoint, client, user, scope).
    std::string cache_file() const;
};

// Fills in the provider's defaults and checks the combination; throws Error(BadOption /
// ConfigInvalid) naming the missing key. Reads the secret and key files (owner-only).
void finish_oauth_settings(OAuthSettings& settings);

}  // namespace mvsmtp
