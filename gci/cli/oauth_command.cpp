// oauth_command.cpp — `mvsmtp oauth`: sign in once on a headless server, and see or reset a
// profile's OAuth 2.0 tokens. Sending itself needs no command: SENDMAIL obtains and
// refreshes tokens by itself.
//
//   mvsmtp oauth login  --profile NAME [--config PATH]   device sign-in (RFC 8628); stores the refresh token
//   mvsmtp oauth status --profile NAME [--config PATH] [--refresh]
//   mvsmtp oauth logout --profile NAME [--config PATH]   forget the cached tokens
//
// Nothing here prints a token or a secret: status shows who a token is for, its scopes and
// expiry, and where it is cached. Exit status: 0, or the error code (mvsmtp errors).
#include <chrono>
#include <ctime>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>

#include "commands.hpp"
#include "mvsmtp/config.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/oauth_client.hpp"
#include "mvsmtp/token_cache.hpp"
#include "mvsmtp/token_source.hpp"
#include "mvsmtp/token_claims.hpp"
#include "server_flags.hpp"

namespace mvsmtp::cli {
namespace {

const char* kOAuthUsage = R"(Usage: mvsmtp oauth login|status|logout --profile NAME [--config PATH]

OAuth 2.0 for SMTP AUTH (XOAUTH2, OAUTHBEARER): the profile's oauth_* keys say how
mvsmtp obtains access tokens; every send then gets, caches and refreshes them itself.

  login    first sign-in for a delegated profile (oauth_grant = refresh_token) with the
           device authorization grant (RFC 8628): prints a web address and a code, waits
           while someone signs in with them on any browser, then stores the refresh token
           in the profile's token cache. Microsoft 365 only: Google does not allow the
           Gmail scope in this flow (docs/oauth-google.md: put a refresh token obtained
           on a workstation in oauth_refresh_token_file instead).
  status   the profile's grant, endpoint, client and mailbox; the cached access token
           (who it is for, scopes, expiry) and whether a refresh token is stored.
           --refresh: obtain a token now (as a send would) and show it.
  logout   delete the profile's cached tokens (the next send or login starts afresh).

Profile keys (mvsmtp.ini; files holding secrets must be chmod 600):
  user                      the mailbox that sends (the token is for it)
  auth                      XOAUTH2 and/or OAUTHBEARER (default: XOAUTH2, OAUTHBEARER)
  oauth_grant               client_credentials | refresh_token | static
  oauth_provider            microsoft (default) | google | custom
  oauth_tenant              Microsoft tenant (contoso.onmicrosoft.com or its id)
  oauth_authority           Microsoft sign-in host (default https://login.microsoftonline.com)
  oauth_client_id           the application (client) id
  oauth_client_secret_file  file holding the client secret (or oauth_client_secret = ...)
  oauth_client_certificate  PEM certificate uploaded to the app registration, and
  oauth_client_key          its PEM private key: a signed assertion instead of a secret
  oauth_scope               default: client_credentials https://outlook.office365.com/.default;
                            Microsoft delegated https://outlook.office.com/SMTP.Send offline_access;
                            Google https://mail.google.com/
  oauth_token_url           token endpoint (default: the provider's)
  oauth_device_url          device authorization endpoint (default: the provider's)
  oauth_ca_file             CA file to trust for the endpoints (default: the system store)
  oauth_cache               token cache folder (default ~/.mvsmtp/tokens; give every process
                            of the site the same one, owned by the user they run as)
  oauth_refresh_token_file  a refresh token obtained elsewhere (used when none is cached)
  oauth_token_file          oauth_grant = static: a fixed access token (no refresh)

Examples:
  mvsmtp oauth login --profile m365
  mvsmtp oauth status --profile m365 --refresh
)";

struct OAuthArgs {
    std::string action;
    ProfileRequest request;
    bool refresh = false;
};

OAuthArgs parse(const std::vector<std::string>& raw) {
    OAuthArgs out;
    ArgReader args(raw);
    while (args.next()) {
        const std::string& flag = args.flag();
        if (flag == "--profile") out.request.profile = args.value();
        else if (flag == "--config") out.request.config_path = args.value();
        else if (flag == "--refresh") out.refresh = true;
        else if (flag.empty() || flag[0] == '-') throw UsageError("unknown option " + flag + " (try mvsmtp oauth --help)");
        else if (out.action.empty()) out.action = flag;
        else throw UsageError("unexpected argument " + flag);
    }
    if (out.action != "login" && out.action != "status" && out.action != "logout")
        throw UsageError("mvsmtp oauth needs login, status or logout (try mvsmtp oauth --help)");
    return out;
}

Profile oauth_profile(const OAuthArgs& a) {
    Profile p = load_profile(a.request);
    if (!p.oauth.enabled())
        throw Error(ErrorCode::BadOption, "profile [" + (p.name.empty() ? std::string("default") : p.name) +
                                              "] has no oauth_grant: nothing to do");
    return p;
}

std::string utc(std::int64_t t) {
    char buffer[32];
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm {};
    gmtime_r(&tt, &tm);
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

void line(const char* label, const std::string& value) {
    std::cout << label << std::string(label[0] ? 16 - std::string(label).size() : 0, ' ') << value << "\n";
}

void show_token(const std::string& token, const std::string& scope, std::int64_t expires_at) {
    const std::int64_t left = expires_at - now();
    line("access token:", expires_at == 0 ? std::string("present (expiry unknown)")
                          : left > 0     ? "valid until " + utc(expires_at) + " (" + std::to_string(left) + " s)"
                                         : "expired at " + utc(expires_at) + " (a send obtains a new one)");
    const TokenClaims c = token_claims(token);
    if (!c.subject.empty()) line("token is for:", c.subject);
    if (!c.application.empty()) line("application:", c.application);
    if (!c.audience.empty()) line("audience:", c.audience);
    const std::string scopes = !c.scopes.empty() ? c.scopes : scope;
    if (!scopes.empty()) line("scopes:", scopes);
    if (c.subject.empty() && c.scopes.empty()) line("", "(opaque token: the provider does not say more in it)");
}

int status(const OAuthArgs& a) {
    const Profile p = oauth_profile(a);
    const OAuthSettings& s = p.oauth;
    line("profile:", s.profile + (p.source.empty() ? "" : " (" + p.source + ")"));
    line("grant:", oauth_grant_name(s.grant));
    line("mailbox:", s.user);
    if (s.grant == OAuthGrant::Static) {
        line("token file:", s.token_file);
        TokenSource tokens(s);
        show_token(tokens.get().value, "", 0);
        return 0;
    }
    line("provider:", s.provider);
    line("token endpoint:", s.token_endpoint());
    line("client id:", s.client_id);
    line("client auth:", !s.client_certificate.empty() ? "certificate " + s.client_certificate
                         : !s.client_secret.empty()     ? std::string("client secret")
                                                        : std::string("none (public client)"));
    line("scope asked:", s.effective_scope());
    const TokenCache cache(s.cache_file());
    line("cache:", cache.path());
    if (a.refresh) {
        TokenSource tokens(s);
        const AccessToken t = tokens.get();
        line("obtained:", t.from_cache ? "the cached token is still valid (no request made)" : "a new token, just now");
    }
    const auto t = cache.load();
    if (!t) {
        line("access token:", "none cached yet");
        line("refresh token:", s.delegated() ? (s.refresh_token_file.empty() ? "none: run mvsmtp oauth login --profile " + s.profile
                                                                             : "none cached; the seed file " + s.refresh_token_file + " will be used")
                                             : "not used by this grant");
        return 0;
    }
    line("obtained at:", t->obtained_at ? utc(t->obtained_at) : "unknown");
    if (t->access_token.empty()) line("access token:", "none");
    else show_token(t->access_token, t->scope, t->expires_at);
    line("refresh token:", !t->refresh_token.empty() ? std::string("stored") : s.delegated() ? "none: run mvsmtp oauth login" : "not used by this grant");
    return 0;
}

int logout(const OAuthArgs& a) {
    const Profile p = oauth_profile(a);
    const TokenCache cache(p.oauth.cache_file());
    const auto lock = cache.lock(p.oauth.timeouts.connect_ms + p.oauth.timeouts.io_ms);
    cache.remove();
    std::cout << "tokens of profile [" << p.oauth.profile << "] forgotten (" << cache.path() << ")\n";
    return 0;
}

int login(const OAuthArgs& a) {
    const Profile p = oauth_profile(a);
    const OAuthSettings& s = p.oauth;
    if (!s.delegated())
        throw Error(ErrorCode::BadOption, "profile [" + s.profile + "] uses oauth_grant = " + oauth_grant_name(s.grant) +
                                              ": only oauth_grant = refresh_token needs a sign-in");
    if (s.provider == "google" && s.device_url.empty())
        throw Error(ErrorCode::BadOption, "Google does not allow the Gmail scope in the device sign-in flow: obtain a "
                                          "refresh token on a workstation and name its file in oauth_refresh_token_file "
                                          "(docs/oauth-google.md)");
    const DeviceAuthorization d = start_device_authorization(s);
    std::cout << "To sign in as " << s.user << ", open " << d.verification_uri << " in any browser and enter the code "
              << d.user_code << "\n";
    if (!d.verification_uri_complete.empty()) std::cout << "(or open " << d.verification_uri_complete << ")\n";
    std::cout << "Waiting for the sign-in; the code expires in " << d.expires_in << " s..." << std::endl;
    int interval = d.interval;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(d.expires_in);
    TokenGrant grant;
    for (;;) {
        if (std::chrono::steady_clock::now() >= deadline)
            throw Error(ErrorCode::OAuthLoginNeeded, "the sign-in code expired before anyone used it: run mvsmtp oauth login again");
        std::this_thread::sleep_for(std::chrono::seconds(interval));
        const DevicePoll r = poll_device_token(s, d.device_code, grant);
        if (r == DevicePoll::Done) break;
        if (r == DevicePoll::SlowDown) interval += 5;  // RFC 8628 §3.5
    }
    if (grant.refresh_token.empty())
        throw Error(ErrorCode::OAuthRefused, "the sign-in succeeded but no refresh token came back: add offline_access to "
                                             "oauth_scope");
    const TokenCache cache(s.cache_file());
    const auto lock = cache.lock(s.timeouts.connect_ms + s.timeouts.io_ms);
    CachedToken t;
    t.access_token = grant.access_token;
    t.refresh_token = grant.refresh_token;
    t.scope = grant.scope.empty() ? s.effective_scope() : grant.scope;
    t.grant = "device_code";
    t.obtained_at = now();
    t.expires_at = t.obtained_at + (grant.expires_in > 0 ? grant.expires_in : 3600);
    cache.store(t);
    std::cout << "Signed in. The refresh token is stored in " << cache.path() << " (owner-only); sends now refresh "
                 "the access token by themselves.\n";
    const TokenClaims c = token_claims(t.access_token);
    if (!c.subject.empty()) std::cout << "The token is for " << c.subject << ".\n";
    return 0;
}

}  // namespace

int run_oauth(const std::vector<std::string>& args) {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
        std::cout << kOAuthUsage;
        return 0;
    }
    const OAuthArgs a = parse(args);
    try {
        if (a.action == "login") return login(a);
        if (a.action == "status") return status(a);
        return logout(a);
    } catch (const Error& e) {
        std::cerr << "mvsmtp oauth " << a.action << ": " << error_info(e.code()).basic_name << ": " << e.what() << "\n";
        return error_number(e.code());
    }
}

}  // namespace mvsmtp::cli
