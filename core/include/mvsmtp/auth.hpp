// mvsmtp/auth.hpp — SMTP AUTH (RFC 4954): PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195),
// XOAUTH2 (Google/Microsoft).
//
//   Credentials cred("user", "secret");
//   auto mech = choose_mechanism(caps, {});        // strongest the server offers
//   SaslExchange sasl(*mech, cred);
//   send(sasl.first_line());                       // "AUTH PLAIN AHVzZXIAc2VjcmV0"
//   while (reply.code == 334) send(sasl.respond(reply));
//
// Credentials never print their secret: there is no operator<< and no accessor that logs.
// Every line produced here is secret; the connection's transcript redacts it.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mvsmtp/capabilities.hpp"
#include "mvsmtp/reply.hpp"

namespace mvsmtp {

enum class Mechanism { CramMd5, Plain, Login, XOAuth2 };

const char* mechanism_name(Mechanism m);
// "PLAIN", "login", "CRAM-MD5", "XOAUTH2" → Mechanism; nullopt for anything else.
std::optional<Mechanism> parse_mechanism(const std::string& name);

class Credentials {
public:
    Credentials(std::string user, std::string secret)
        : user_(std::move(user)), secret_(std::move(secret)) {}
    const std::string& user() const { return user_; }
    // Only SaslExchange reads the secret.
    friend class SaslExchange;

private:
    std::string user_;
    std::string secret_;  // password, or the OAuth2 access token for XOAUTH2
};

// Picks from `allowed` (or, when empty, the default order CRAM-MD5, PLAIN, LOGIN: CRAM-MD5
// never sends the password itself; LOGIN last as it is the least specified) the first one
// the server offers. XOAUTH2 is used only when asked for, because its secret is a token.
std::optional<Mechanism> choose_mechanism(const Capabilities& caps,
                                          const std::vector<Mechanism>& allowed);

class SaslExchange {
public:
    static constexpr int kMaxRounds = 10;  // a server that keeps challenging is broken

    SaslExchange(Mechanism mechanism, const Credentials& credentials);
    Mechanism mechanism() const { return mechanism_; }
    // The AUTH command line, with an initial response where the mechanism has one.
    std::string first_line();
    // The answer to a 334 challenge. Throws Error(ProtocolError) on a challenge that makes
    // no sense for the mechanism or after kMaxRounds.
    std::string respond(const Reply& challenge);

private:
    Mechanism mechanism_;
    const Credentials& credentials_;
    int round_ = 0;
};

}  // namespace mvsmtp
