// oauth_client.cpp — token endpoint requests and their errors; see mvsmtp/oauth_client.hpp.
#include "mvsmtp/oauth_client.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>

#include "client_assertion.hpp"
#include "https_form.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

using JsonObject = Poco::JSON::Object::Ptr;

// What a provider wrote, safe to put in RESULT.
std::string shown(const std::string& text, std::size_t limit = 300) { return printable_ascii(text, limit, ' '); }

JsonObject parse_object(const std::string& body) {
    try {
        Poco::JSON::Parser parser;
        return parser.parse(body).extract<JsonObject>();
    } catch (...) {
        return nullptr;
    }
}

std::string text_of(const JsonObject& o, const char* key) {
    if (!o || !o->has(key)) return {};
    try {
        return o->getValue<std::string>(key);
    } catch (...) {
        return {};
    }
}

std::int64_t number_of(const JsonObject& o, const char* key, std::int64_t fallback) {
    if (!o || !o->has(key)) return fallback;
    try {
        return o->getValue<std::int64_t>(key);  // also parses "3600" (some providers quote it)
    } catch (...) {
        return fallback;
    }
}

struct Endpoint {
    std::string url;
    std::string what;  // "token endpoint", "device authorization endpoint"
};

[[noreturn]] void throw_endpoint_error(const Endpoint& e, const HttpAnswer& a, const JsonObject& o) {
    const std::string error = text_of(o, "error");
    std::string text = "OAuth " + e.what + " " + e.url + " answered HTTP " + std::to_string(a.status);
    if (!error.empty()) text += ": " + shown(error, 80);
    const std::string description = text_of(o, "error_description");
    if (!description.empty()) text += " (" + shown(description) + ")";
    if (error == "invalid_client")
        throw Error(ErrorCode::OAuthClientInvalid, text + "; check oauth_client_id and the client secret or certificate");
    if (error == "invalid_grant")
        throw Error(ErrorCode::OAuthGrantInvalid, text + "; the refresh token is no longer valid: sign in again with "
                                                         "mvsmtp oauth login");
    if (error == "expired_token" || error == "access_denied")
        throw Error(ErrorCode::OAuthLoginNeeded, text + "; run mvsmtp oauth login again");
    if (a.status >= 500 || error == "temporarily_unavailable" || (!o && error.empty()))
        throw Error(ErrorCode::OAuthUnavailable, text + (o ? "" : " (not an OAuth JSON answer)"));
    throw Error(ErrorCode::OAuthRefused, text);
}

JsonObject call(const Endpoint& e, const Form& form, const OAuthSettings& s, HttpAnswer& answer) {
    answer = post_form(e.url, form, s.ca_file, s.timeouts);
    JsonObject o = parse_object(answer.body);
    if (answer.status != 200 || !o) throw_endpoint_error(e, answer, o);
    return o;
}

// Client authentication in the body (RFC 6749 §2.3.1), or a signed assertion (RFC 7523 §2.2).
void authenticate_client(Form& form, const OAuthSettings& s, const std::string& audience) {
    form.emplace_back("client_id", s.client_id);
    if (!s.client_certificate.empty()) {
        form.emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.emplace_back("client_assertion", client_assertion(s, audience));
    } else if (!s.client_secret.empty()) {
        form.emplace_back("client_secret", s.client_secret);
    }
}

TokenGrant grant_from(const Endpoint& e, const JsonObject& o) {
    TokenGrant g;
    g.access_token = text_of(o, "access_token");
    g.refresh_token = text_of(o, "refresh_token");
    g.scope = shown(text_of(o, "scope"), 1000);
    g.expires_in = number_of(o, "expires_in", 3600);
    if (g.access_token.empty() || g.access_token.size() > 65536)
        throw Error(ErrorCode::OAuthUnavailable, "OAuth " + e.what + " " + e.url + " answered without a usable access_token");
    const std::string type = text_of(o, "token_type");
    if (!type.empty() && type != "Bearer" && type != "bearer")
        throw Error(ErrorCode::OAuthRefused, "OAuth " + e.what + " issued a \"" + shown(type, 40) + "\" token, not a Bearer token");
    for (char c : g.access_token)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            throw Error(ErrorCode::OAuthUnavailable, "OAuth " + e.what + " issued an access token with spaces or control characters");
    return g;
}

}  // namespace

TokenGrant request_client_credentials(const OAuthSettings& s) {
    const Endpoint e{s.token_endpoint(), "token endpoint"};
    Form form{{"grant_type", "client_credentials"}, {"scope", s.effective_scope()}};
    authenticate_client(form, s, e.url);
    HttpAnswer a;
    return grant_from(e, call(e, form, s, a));
}

TokenGrant request_refresh(const OAuthSettings& s, const std::string& refresh_token) {
    const Endpoint e{s.token_endpoint(), "token endpoint"};
    Form form{{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}, {"scope", s.effective_scope()}};
    authenticate_client(form, s, e.url);
    HttpAnswer a;
    return grant_from(e, call(e, form, s, a));
}

DeviceAuthorization start_device_authorization(const OAuthSettings& s) {
    const Endpoint e{s.device_endpoint(), "device authorization endpoint"};
    if (e.url.empty())
        throw Error(ErrorCode::BadOption, "profile [" + s.profile + "] has no device authorization endpoint: set oauth_device_url");
    Form form{{"client_id", s.client_id}, {"scope", s.effective_scope()}};
    HttpAnswer a;
    const JsonObject o = call(e, form, s, a);
    DeviceAuthorization d;
    d.device_code = text_of(o, "device_code");
    d.user_code = shown(text_of(o, "user_code"), 40);
    d.verification_uri = shown(text_of(o, "verification_uri"), 300);
    if (d.verification_uri.empty()) d.verification_uri = shown(text_of(o, "verification_url"), 300);  // Google
    d.verification_uri_complete = shown(text_of(o, "verification_uri_complete"), 400);
    d.message = shown(text_of(o, "message"), 400);
    d.interval = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(60, number_of(o, "interval", 5))));
    d.expires_in = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(86400, number_of(o, "expires_in", 900))));
    if (d.device_code.empty() || d.user_code.empty() || d.verification_uri.empty())
        throw Error(ErrorCode::OAuthRefused, "OAuth device authorization endpoint " + e.url +
                                                 " answered without device_code, user_code or verification_uri");
    return d;
}

DevicePoll poll_device_token(const OAuthSettings& s, const std::string& device_code, TokenGrant& grant) {
    const Endpoint e{s.token_endpoint(), "token endpoint"};
    Form form{{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"}, {"device_code", device_code}};
    authenticate_client(form, s, e.url);
    const HttpAnswer a = post_form(e.url, form, s.ca_file, s.timeouts);
    const JsonObject o = parse_object(a.body);
    if (a.status == 200 && o) {
        grant = grant_from(e, o);
        return DevicePoll::Done;
    }
    const std::string error = text_of(o, "error");
    if (error == "authorization_pending") return DevicePoll::Pending;
    if (error == "slow_down") return DevicePoll::SlowDown;
    throw_endpoint_error(e, a, o);
}

}  // namespace mvsmtp
