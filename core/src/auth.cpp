// auth.cpp — SASL mechanisms for SMTP AUTH.
#include "mvsmtp/auth.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/HMACEngine.h>
#include <Poco/MD5Engine.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "mvsmtp/command.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

std::string base64(const std::string& raw) {
    std::ostringstream out;
    Poco::Base64Encoder enc(out);
    enc.rdbuf()->setLineLength(0);
    enc << raw;
    enc.close();
    return out.str();
}

std::string unbase64(const std::string& text) {
    try {
        std::istringstream in(text);
        Poco::Base64Decoder dec(in);
        std::string out((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
        return out;
    } catch (...) {
        throw Error(ErrorCode::ProtocolError, "server sent an AUTH challenge that is not base64");
    }
}

std::string challenge_text(const Reply& r) { return r.lines.empty() ? std::string() : r.lines.front(); }

constexpr std::size_t kMaxAuthLine = 512;  // RFC 5321 §4.5.3.1.4 applies to AUTH (RFC 4954 §4)

}  // namespace

const char* mechanism_name(Mechanism m) {
    switch (m) {
        case Mechanism::CramMd5: return "CRAM-MD5";
        case Mechanism::Plain: return "PLAIN";
        case Mechanism::Login: return "LOGIN";
        case Mechanism::XOAuth2: return "XOAUTH2";
        case Mechanism::OAuthBearer: return "OAUTHBEARER";
    }
    return "PLAIN";
}

std::optional<Mechanism> parse_mechanism(const std::string& name) {
    std::string u = name;
    for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (Mechanism m : {Mechanism::CramMd5, Mechanism::Plain, Mechanism::Login, Mechanism::XOAuth2,
                        Mechanism::OAuthBearer})
        if (u == mechanism_name(m)) return m;
    return std::nullopt;
}

bool is_token_mechanism(Mechanism m) { return m == Mechanism::XOAuth2 || m == Mechanism::OAuthBearer; }

std::vector<Mechanism> mechanisms_to_try(const Capabilities& caps, const std::vector<Mechanism>& allowed,
                                         bool encrypted) {
    static const std::vector<Mechanism> kOverTls = {Mechanism::Plain, Mechanism::Login};
    static const std::vector<Mechanism> kCleartext = {Mechanism::CramMd5, Mechanism::Plain, Mechanism::Login};
    std::vector<Mechanism> out;
    for (Mechanism m : !allowed.empty() ? allowed : encrypted ? kOverTls : kCleartext)
        if (caps.offers_auth(mechanism_name(m)) && std::find(out.begin(), out.end(), m) == out.end())
            out.push_back(m);
    return out;
}

bool falls_back(const Reply& reply) { return reply.code == 535 || reply.code == 504 || reply.code == 534; }

SaslExchange::SaslExchange(Mechanism mechanism, const Credentials& credentials, SaslTarget target)
    : mechanism_(mechanism), credentials_(credentials), target_(std::move(target)) {}

std::string SaslExchange::initial_response() const {
    switch (mechanism_) {
        case Mechanism::Plain:  // RFC 4616: authzid NUL authcid NUL passwd
            return base64(std::string(1, '\0') + credentials_.user_ + std::string(1, '\0') + credentials_.secret_);
        case Mechanism::XOAuth2:
            return base64("user=" + credentials_.user_ + "\x01" + "auth=Bearer " + credentials_.secret_ + "\x01\x01");
        case Mechanism::OAuthBearer: {
            // RFC 7628 §3.1. The gs2 header escapes ',' and '=' in the authzid (RFC 5801 §4).
            std::string authzid;
            for (char c : credentials_.user_) {
                if (c == ',') authzid += "=2C";
                else if (c == '=') authzid += "=3D";
                else authzid += c;
            }
            std::string kv = "n,a=" + authzid + ",\x01";
            if (!target_.host.empty()) kv += "host=" + target_.host + "\x01";
            if (target_.port > 0) kv += "port=" + std::to_string(target_.port) + "\x01";
            return base64(kv + "auth=Bearer " + credentials_.secret_ + "\x01\x01");
        }
        case Mechanism::Login:
        case Mechanism::CramMd5: break;
    }
    return {};
}

std::string SaslExchange::first_line() {
    const std::string name = mechanism_name(mechanism_);
    const std::string ir = initial_response();
    if (ir.empty()) return command::auth(name);
    if (std::string("AUTH ").size() + name.size() + 1 + ir.size() + 2 > kMaxAuthLine) {
        initial_response_pending_ = true;
        return command::auth(name);
    }
    return command::auth(name, ir);
}

std::string SaslExchange::cancel_line() { return command::auth_response("*"); }

std::string SaslExchange::respond(const Reply& challenge) {
    if (++round_ > kMaxRounds)
        throw Error(ErrorCode::ProtocolError, "AUTH exchange did not finish after 10 rounds");
    if (initial_response_pending_) {
        // AUTH went without its initial response; the server's empty 334 asks for it.
        initial_response_pending_ = false;
        if (!challenge_text(challenge).empty())
            throw Error(ErrorCode::ProtocolError,
                        std::string("unexpected AUTH challenge for ") + mechanism_name(mechanism_));
        --round_;  // the exchange proper starts now
        return command::auth_response(initial_response());
    }
    switch (mechanism_) {
        case Mechanism::Login:
            // Username first, then password, whatever the prompts say: servers word them
            // differently ("Username:", "User Name\0"), and Poco 1.11 silently gives up
            // on unfamiliar ones.
            if (round_ == 1) return command::auth_response(base64(credentials_.user_));
            if (round_ == 2) return command::auth_response(base64(credentials_.secret_));
            break;
        case Mechanism::CramMd5:
            if (round_ == 1) {
                Poco::HMACEngine<Poco::MD5Engine> hmac(credentials_.secret_);
                hmac.update(unbase64(challenge_text(challenge)));
                const std::string digest = Poco::DigestEngine::digestToHex(hmac.digest());
                return command::auth_response(base64(credentials_.user_ + " " + digest));
            }
            break;
        case Mechanism::XOAuth2:
        case Mechanism::OAuthBearer:
            // The server explains the failure in a base64 JSON challenge and waits for the
            // client to give up before its final 5xx: an empty line for XOAUTH2, a single ^A
            // for OAUTHBEARER (RFC 7628 §3.2.3). A second challenge is never answered: the
            // same token is not tried again.
            if (round_ == 1) {
                server_error_ = printable_ascii(unbase64(challenge_text(challenge)), 400);
                return command::auth_response(mechanism_ == Mechanism::XOAuth2 ? "" : base64("\x01"));
            }
            break;
        case Mechanism::Plain:
            // We always send an initial response; an empty 334 means the server wants it
            // again (RFC 4954 §4).
            if (round_ == 1 && challenge_text(challenge).empty())
                return command::auth_response(initial_response());
            break;
    }
    throw Error(ErrorCode::ProtocolError,
                std::string("unexpected AUTH challenge for ") + mechanism_name(mechanism_));
}

}  // namespace mvsmtp
