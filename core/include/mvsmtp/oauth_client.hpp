// mvsmtp/oauth_client.hpp — the OAuth 2.0 token endpoint conversations mvsmtp needs:
// client credentials (RFC 6749 §4.4, with a secret or an RFC 7523 certificate assertion),
// refresh token (§6), and the device authorization grant (RFC 8628) for a first sign-in on
// a headless server.
//
//   TokenGrant t = request_client_credentials(settings);
//   TokenGrant r = request_refresh(settings, refresh_token);      // r.refresh_token: rotated or ""
//   DeviceAuthorization d = start_device_authorization(settings);  // show d.verification_uri, d.user_code
//   while (poll_device_token(settings, d.device_code, t) != DevicePoll::Done) sleep(d.interval);
//
// Errors (mvsmtp::Error) carry the provider's error and error_description, never a secret:
// OAuthUnavailable (unreachable, timeout, HTTP 5xx, not JSON), OAuthClientInvalid
// (invalid_client), OAuthGrantInvalid (invalid_grant), OAuthRefused (anything else),
// OAuthLoginNeeded (a device code that expired or was declined).
#pragma once
#include <cstdint>
#include <string>

#include "mvsmtp/oauth_settings.hpp"

namespace mvsmtp {

struct TokenGrant {
    std::string access_token;   // secret
    std::string refresh_token;  // secret; "" when the endpoint sent none
    std::string scope;          // as granted, when the endpoint says
    std::int64_t expires_in = 0;
};

TokenGrant request_client_credentials(const OAuthSettings& settings);
TokenGrant request_refresh(const OAuthSettings& settings, const std::string& refresh_token);

struct DeviceAuthorization {
    std::string device_code;               // secret until it expires
    std::string user_code;                 // shown to the person signing in
    std::string verification_uri;          // where they go (Google calls it verification_url)
    std::string verification_uri_complete; // with the code filled in, when the provider gives one
    std::string message;                   // the provider's own instruction text, if any
    int interval = 5;                      // seconds between polls (RFC 8628 §3.2 default)
    int expires_in = 900;
};

DeviceAuthorization start_device_authorization(const OAuthSettings& settings);

enum class DevicePoll { Pending, SlowDown, Done };
// One poll of the token endpoint; Done fills `grant`. SlowDown: add 5 s to the interval
// (RFC 8628 §3.5).
DevicePoll poll_device_token(const OAuthSettings& settings, const std::string& device_code, TokenGrant& grant);

}  // namespace mvsmtp
