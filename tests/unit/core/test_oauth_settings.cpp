// OAuth profile keys: provider presets, defaults, overrides and the refusals that keep a
// token from being sent as a password or a secret from being read from a shared file.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "mvsmtp/config.hpp"
#include "mvsmtp/error.hpp"
#include "support/error_code_of.hpp"
#include "support/temp_dir.hpp"

using namespace mvsmtp;

namespace {

using testsupport::TempDir;

const char* kM365 = "[m365]\nserver = smtp://smtp.office365.com:587\nuser = billing@contoso.example\n"
                    "oauth_grant = client_credentials\noauth_tenant = contoso.onmicrosoft.com\n"
                    "oauth_client_id = 11111111-2222-3333-4444-555555555555\n";

Profile load(const TempDir& d, const std::string& ini, const std::string& profile = "m365") {
    ProfileRequest r;
    r.config_path = d.write("mvsmtp.ini", ini);
    r.profile = profile;
    return load_profile(r);
}

ErrorCode code_of(const TempDir& d, const std::string& ini) {
    return testsupport::error_code_of([&] { load(d, ini); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_oauth_settings)

BOOST_AUTO_TEST_CASE(microsoft_client_credentials_preset) {
    TempDir d;
    const std::string secret = d.write("secret", "s3cr3t-value\n");
    const Profile p = load(d, std::string(kM365) + "oauth_client_secret_file = " + secret + "\n");
    BOOST_TEST(p.oauth.enabled());
    BOOST_TEST(p.oauth.client_secret == "s3cr3t-value");
    BOOST_TEST(p.oauth.user == "billing@contoso.example");
    BOOST_TEST(p.oauth.token_endpoint() == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
    BOOST_TEST(p.oauth.device_endpoint() == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode");
    BOOST_TEST(p.oauth.effective_scope() == "https://outlook.office365.com/.default");
    // a token is never offered as a password: AUTH defaults to the token mechanisms
    BOOST_REQUIRE_EQUAL(p.auth.size(), 2u);
    BOOST_TEST((p.auth[0] == Mechanism::XOAuth2));
    BOOST_TEST((p.auth[1] == Mechanism::OAuthBearer));
}

BOOST_AUTO_TEST_CASE(delegated_and_google_presets_and_overrides) {
    TempDir d;
    Profile p = load(d, "[m]\nuser = u@contoso.example\noauth_grant = refresh_token\noauth_tenant = organizations\n"
                        "oauth_client_id = c\noauth_authority = https://login.microsoftonline.us/\n", "m");
    BOOST_TEST(p.oauth.token_endpoint() == "https://login.microsoftonline.us/organizations/oauth2/v2.0/token");
    BOOST_TEST(p.oauth.effective_scope() == "https://outlook.office.com/SMTP.Send offline_access");
    p = load(d, "[g]\nuser = u@gmail.example\noauth_grant = refresh_token\noauth_provider = Google\noauth_client_id = c\n", "g");
    BOOST_TEST(p.oauth.token_endpoint() == "https://oauth2.googleapis.com/token");
    BOOST_TEST(p.oauth.effective_scope() == "https://mail.google.com/");
    p = load(d, "[c]\nuser = u@x.example\noauth_grant = refresh_token\noauth_provider = custom\noauth_client_id = c\n"
                "oauth_token_url = https://idp.example/token\noauth_scope = smtp\n", "c");
    BOOST_TEST(p.oauth.token_endpoint() == "https://idp.example/token");
    BOOST_TEST(p.oauth.effective_scope() == "smtp");
}

BOOST_AUTO_TEST_CASE(missing_pieces_are_named) {
    TempDir d;
    // no client secret nor certificate
    BOOST_TEST((code_of(d, kM365) == ErrorCode::BadOption));
    // no tenant
    BOOST_TEST((code_of(d, "[m365]\nuser = u@x.example\noauth_grant = refresh_token\noauth_client_id = c\n") == ErrorCode::BadOption));
    // no user: the token must be for a mailbox
    BOOST_TEST((code_of(d, "[m365]\noauth_grant = refresh_token\noauth_tenant = t\noauth_client_id = c\n") == ErrorCode::BadOption));
    // custom provider without a token endpoint; plain-http endpoints
    BOOST_TEST((code_of(d, "[m365]\nuser = u@x.example\noauth_grant = refresh_token\noauth_provider = custom\noauth_client_id = c\n"
                           "oauth_scope = s\n") == ErrorCode::BadOption));
    BOOST_TEST((code_of(d, "[m365]\nuser = u@x.example\noauth_grant = refresh_token\noauth_client_id = c\noauth_tenant = t\n"
                           "oauth_token_url = http://idp.example/token\n") == ErrorCode::BadOption));
    BOOST_TEST((code_of(d, "[m365]\nuser = u@x.example\noauth_grant = magic\n") == ErrorCode::BadOption));
    // a certificate without its key
    BOOST_TEST((code_of(d, std::string(kM365) + "oauth_client_certificate = /x.crt\n") == ErrorCode::BadOption));
    // static needs its token file
    BOOST_TEST((code_of(d, "[m365]\nuser = u@x.example\noauth_grant = static\n") == ErrorCode::BadOption));
}

BOOST_AUTO_TEST_CASE(token_never_sent_as_a_password) {
    TempDir d;
    const std::string secret = d.write("secret", "s\n");
    const std::string base = std::string(kM365) + "oauth_client_secret_file = " + secret + "\n";
    BOOST_TEST((code_of(d, base + "auth = PLAIN\n") == ErrorCode::BadOption));
    BOOST_TEST((code_of(d, base + "password = hunter2\n") == ErrorCode::BadOption));
    BOOST_TEST((load(d, base + "auth = OAUTHBEARER\n").auth.size() == 1u));
}

BOOST_AUTO_TEST_CASE(shared_secret_files_are_refused) {
    TempDir d;
    const std::string secret = d.write("secret", "s\n", 0644);
    BOOST_TEST((code_of(d, std::string(kM365) + "oauth_client_secret_file = " + secret + "\n") == ErrorCode::ConfigInsecure));
    // an inline client secret needs an owner-only configuration file
    ProfileRequest r;
    r.config_path = d.write("shared.ini", std::string(kM365) + "oauth_client_secret = s\n", 0644);
    r.profile = "m365";
    BOOST_TEST((testsupport::error_code_of([&] { load_profile(r); }) == ErrorCode::ConfigInsecure));
}

BOOST_AUTO_TEST_CASE(cache_file_names_differ_by_client_and_mailbox) {
    OAuthSettings a;
    a.grant = OAuthGrant::ClientCredentials;
    a.tenant = "t";
    a.client_id = "c1";
    a.user = "u@x.example";
    a.profile = "bill ing/../x";
    a.cache_dir = "/var/lib/mvsmtp/tokens/";
    OAuthSettings b = a;
    b.client_id = "c2";
    OAuthSettings c = a;
    c.user = "v@x.example";
    BOOST_TEST(a.cache_file().rfind("/var/lib/mvsmtp/tokens/bill_ing____x-", 0) == 0);
    BOOST_TEST(a.cache_file() != b.cache_file());
    BOOST_TEST(a.cache_file() != c.cache_file());
    BOOST_TEST(a.cache_file() == OAuthSettings(a).cache_file());
}

BOOST_AUTO_TEST_SUITE_END()
