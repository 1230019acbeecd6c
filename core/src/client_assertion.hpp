// client_assertion.hpp (private) — the signed JWT a confidential client presents instead of a
// secret (RFC 7523 §2.2; Microsoft's "certificate credentials"): RS256 over
// {aud, iss, sub, jti, nbf, iat, exp}, header x5t = SHA-1 thumbprint of the certificate.
//
//   form.emplace_back("client_assertion", client_assertion(settings, token_endpoint_url));
//
// The key file must be owner-only (Error ConfigInsecure); a missing or non-RSA key or
// certificate is Error(BadOption). The assertion is valid for 10 minutes.
#pragma once
#include <string>

#include "mvsmtp/oauth_settings.hpp"

namespace mvsmtp {

std::string client_assertion(const OAuthSettings& settings, const std::string& audience);

// base64url without padding (RFC 7515 §2)
std::string base64url(const std::string& data);
std::string base64url_decode(const std::string& text);

}  // namespace mvsmtp
