// mvsmtp/auth.hpp — SMTP AUTH (RFC 4954): PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195),
// XOAUTH2 (Google/Microsoft) and OAUTHBEARER (RFC 7628).
//
//   Credentials cred("user", "secret");
//   for (Mechanism m : mechanisms_to_try(caps, {}, encrypted)) {   // preference order
//       SaslExchange sasl(m, cred);
//       send(sasl.first_line());                   // "AUTH PLAIN AHVzZXIAc2VjcmV0"
//       while (reply.code == 334) send(sasl.respond(reply));   // throws: send cancel_line()
//       if (!falls_back(reply)) break;             // 535/504/534: the next mechanism, once each
//   }
//   sasl.server_error();                           // XOAUTH2/OAUTHBEARER: the server's JSON
//
// An initial response that would make the AUTH line longer than 512 octets (a 2,500-character
// access token does) is not put on it: AUTH goes alone and the response answers the empty
// 334 (RFC 4954 §4), on a line of up to 12,288 octets.
// Credentials never print their secret: there is no operator<< and no accessor that logs.
// Every line produced here is secret; the connection's transcript redacts it.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mvsmtp/capabilities.hpp"
#include "mvsmtp/reply.hpp"

namespace mvsmtp {

enum class Mechanism { CramMd5, Plain, Login, XOAuth2, OAuthBearer };

const char* mechanism_name(Mechanism m);
// "PLAIN", "login", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER" → Mechanism; nullopt for anything else.
std::optional<Mechanism> parse_mechanism(const std::string& name);
// XOAUTH2 and OAUTHBEARER: the secret is an OAuth 2.0 access token, not a password.
bool is_token_mechanism(Mechanism m);

// Where the client connected: OAUTHBEARER names it to the server (RFC 7628 §3.1).
struct SaslTarget {
    std::string host;
    int port = 0;
};

class Credentials {
public:
    Credentials(std::string user, std::string secret)
        : user_(std::move(user)), secret_(std::move(secret)) {}
    const std::string& user() const { return user_; }
    // Only SaslExchange reads the secret.
    friend class SaslExchange;

private:
    std::string user_;
    std::string secret_;  // password, or the OAuth 2.0 access token for XOAUTH2/OAUTHBEARER
};

// The mechanisms of `allowed` that the server offers, in the order to try them. When
// `allowed` is empty, the default order depends on the channel:
//   encrypted (TLS):  PLAIN, LOGIN. The password is protected by TLS; CRAM-MD5 adds nothing
//                     there and needs a server that stores the password in a reversible form,
//                     so it is used over TLS only when named in `allowed`.
//   not encrypted:    CRAM-MD5, PLAIN, LOGIN (only reached when the caller allowed plaintext
//                     AUTH): CRAM-MD5 first because it never sends the password itself.
// LOGIN comes after PLAIN as the less specified one. XOAUTH2/OAUTHBEARER are used only when
// asked for: their secret is a token. Each mechanism appears once.
std::vector<Mechanism> mechanisms_to_try(const Capabilities& caps, const std::vector<Mechanism>& allowed,
                                         bool encrypted);

// True when a failed AUTH reply lets the client try its next mechanism (RFC 4954 §6):
// 535 (credentials invalid: some servers offer CRAM-MD5 but cannot check it against a
// hashed password), 504 (mechanism not supported after all), 534 (mechanism too weak).
bool falls_back(const Reply& reply);

class SaslExchange {
public:
    static constexpr int kMaxRounds = 10;  // a server that keeps challenging is broken

    SaslExchange(Mechanism mechanism, const Credentials& credentials, SaslTarget target = {});
    Mechanism mechanism() const { return mechanism_; }
    // XOAUTH2/OAUTHBEARER: the error the server explained in a 334 challenge, decoded
    // (e.g. {"status":"401","schemes":"bearer","scope":"..."}); printable ASCII only, at
    // most 400 characters; "" when none came.
    const std::string& server_error() const { return server_error_; }
    // The AUTH command line, with an initial response where the mechanism has one.
    std::string first_line();
    // "*": what the client sends when it cannot answer a challenge; the server then ends the
    // exchange with 501 (RFC 4954 §4).
    static std::string cancel_line();
    // The answer to a 334 challenge. Throws Error(ProtocolError) on a challenge that makes
    // no sense for the mechanism (not base64, an unexpected round) or after kMaxRounds; the
    // caller then sends cancel_line() and reads the server's 501.
    std::string respond(const Reply& challenge);

private:
    std::string initial_response() const;

    Mechanism mechanism_;
    const Credentials& credentials_;
    SaslTarget target_;
    bool initial_response_pending_ = false;  // AUTH went alone: the first 334 asks for it
    std::string server_error_;
    int round_ = 0;
};

}  // namespace mvsmtp
