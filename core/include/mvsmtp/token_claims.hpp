// mvsmtp/token_claims.hpp — what a JWT-shaped access token says about itself, for
// `mvsmtp oauth status` (who, which application, which scopes). The signature is NOT checked:
// the mail server does that; this is only a label. Opaque tokens (Google's) give nothing.
//
//   TokenClaims c = token_claims(access_token);
//   c.subject;     // "billing@contoso.com" (upn, unique_name, preferred_username, email or sub)
//   c.scopes;      // "SMTP.Send" (scp) or the application roles, space separated
#pragma once
#include <string>

namespace mvsmtp {

struct TokenClaims {
    std::string subject;
    std::string application;  // appid / azp / client_id, with app_displayname when present
    std::string audience;
    std::string scopes;
};

TokenClaims token_claims(const std::string& access_token) noexcept;

}  // namespace mvsmtp
