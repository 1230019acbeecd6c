// oauth_settings.cpp — provider presets and checks; see mvsmtp/oauth_settings.hpp.
#include "mvsmtp/oauth_settings.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <cctype>
#include <cstdlib>

#include <pwd.h>
#include <unistd.h>

#include "mvsmtp/error.hpp"
#include "mvsmtp/text.hpp"
#include "secret_file.hpp"

namespace mvsmtp {
namespace {

constexpr const char* kMicrosoftAuthority = "https://login.microsoftonline.com";
constexpr const char* kGoogleTokenUrl = "https://oauth2.googleapis.com/token";
constexpr const char* kGoogleDeviceUrl = "https://oauth2.googleapis.com/device/code";
// Microsoft 365 SMTP AUTH: app-only tokens ask for the resource's .default scope; delegated
// ones for SMTP.Send, with offline_access so a refresh token comes back.
constexpr const char* kMicrosoftAppScope = "https://outlook.office365.com/.default";
// (Microsoft writes the delegated scope with outlook.office.com; the app-only one with office365.)
constexpr const char* kMicrosoftDelegatedScope = "https://outlook.office.com/SMTP.Send offline_access";
constexpr const char* kGoogleScope = "https://mail.google.com/";

std::string strip_slash(std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
}

std::string home_directory() {
    if (const char* home = std::getenv("HOME"); home && *home) return home;
    struct passwd pw {};
    struct passwd* found = nullptr;
    char buffer[4096];
    if (::getpwuid_r(::getuid(), &pw, buffer, sizeof buffer, &found) == 0 && found && found->pw_dir)
        return found->pw_dir;
    return {};
}

void need(const std::string& value, const OAuthSettings& s, const char* key) {
    if (value.empty())
        throw Error(ErrorCode::BadOption, std::string("oauth_grant = ") + oauth_grant_name(s.grant) +
                                              " needs " + key + " in profile [" + s.profile + "]");
}

void need_https(const std::string& url, const char* what) {
    if (ascii_lower(url).rfind("https://", 0) != 0)
        throw Error(ErrorCode::BadOption, std::string(what) + " must be an https:// URL (got \"" + url + "\")");
}

// Microsoft identity platform v2.0 endpoints: <authority>/<tenant>/oauth2/v2.0/<what>
std::string microsoft_endpoint(const OAuthSettings& s, const char* what) {
    return strip_slash(s.authority.empty() ? kMicrosoftAuthority : s.authority) + "/" + s.tenant + "/oauth2/v2.0/" + what;
}

}  // namespace

const char* oauth_grant_name(OAuthGrant g) {
    switch (g) {
        case OAuthGrant::None: return "none";
        case OAuthGrant::Static: return "static";
        case OAuthGrant::ClientCredentials: return "client_credentials";
        case OAuthGrant::RefreshToken: return "refresh_token";
    }
    return "none";
}

std::string OAuthSettings::token_endpoint() const {
    if (!token_url.empty()) return token_url;
    if (provider == "google") return kGoogleTokenUrl;
    if (provider == "microsoft") return microsoft_endpoint(*this, "token");
    return {};
}

std::string OAuthSettings::device_endpoint() const {
    if (!device_url.empty()) return device_url;
    if (provider == "google") return kGoogleDeviceUrl;
    if (provider == "microsoft") return microsoft_endpoint(*this, "devicecode");
    return {};
}

std::string OAuthSettings::effective_scope() const {
    if (!scope.empty()) return scope;
    if (provider == "google") return kGoogleScope;
    if (provider == "microsoft") return grant == OAuthGrant::ClientCredentials ? kMicrosoftAppScope : kMicrosoftDelegatedScope;
    return {};
}

std::string OAuthSettings::cache_file() const {
    std::string dir = cache_dir;
    if (dir.empty()) {
        const std::string home = home_directory();
        if (home.empty())
            throw Error(ErrorCode::BadOption, "no home directory for the OAuth token cache: set oauth_cache in profile [" +
                                                  profile + "]");
        dir = home + "/.mvsmtp/tokens";
    }
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(token_endpoint() + "\n" + client_id + "\n" + user + "\n" + effective_scope() + "\n" +
               oauth_grant_name(grant));
    std::string name;
    for (char c : profile.empty() ? std::string("default") : profile)
        name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    return strip_slash(dir) + "/" + name + "-" + Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 16) + ".json";
}

void finish_oauth_settings(OAuthSettings& s) {
    if (!s.enabled()) return;
    s.provider = ascii_lower(s.provider.empty() ? std::string("microsoft") : s.provider);
    if (s.provider != "microsoft" && s.provider != "google" && s.provider != "custom")
        throw Error(ErrorCode::BadOption, "oauth_provider must be microsoft, google or custom (got \"" + s.provider + "\")");
    need(s.user, s, "user (the mailbox the token is for)");
    if (s.grant == OAuthGrant::Static) {
        need(s.token_file, s, "oauth_token_file");
        return;
    }
    need(s.client_id, s, "oauth_client_id");
    if (s.provider == "microsoft" && s.token_url.empty()) need(s.tenant, s, "oauth_tenant");
    if (s.provider == "custom" && s.token_url.empty()) need(s.token_url, s, "oauth_token_url");
    need_https(s.token_endpoint(), "the OAuth token endpoint");
    if (!s.authority.empty()) need_https(s.authority, "oauth_authority");
    if (s.grant == OAuthGrant::ClientCredentials) {
        const bool by_certificate = !s.client_certificate.empty() || !s.client_key.empty();
        if (by_certificate) {
            need(s.client_certificate, s, "oauth_client_certificate");
            need(s.client_key, s, "oauth_client_key");
        } else {
            need(s.client_secret, s, "oauth_client_secret_file (or oauth_client_certificate and oauth_client_key)");
        }
    }
    if (s.effective_scope().empty()) need(s.scope, s, "oauth_scope");
}

}  // namespace mvsmtp
