// OAuth 2.0 AUTH on the wire: a scripted SMTP server asserts the exact lines the session sends
// (initial response or AUTH alone, the empty / ^A answer to a JSON error challenge, one refresh
// and one retry for a refused cached token, no retry for a fresh one, nothing at all when the
// token endpoint fails); tokens come from the rig's test OAuth server.
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "mvsmtp/encoding.hpp"
#include "mvsmtp/session.hpp"
#include "mvsmtp/token_cache.hpp"
#include "support/fake_server.hpp"
#include "support/oauth_server_control.hpp"
#include "support/testbed.hpp"

using namespace mvsmtp;
using testsupport::FakeServer;

namespace {

const std::string kUser = "testuser@example.test";
const std::string kSecret = "wire-test-client-secret-7Qz";
const std::string kJsonError = "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=";  // {"status":"401",...}

struct Fixture {
    std::filesystem::path cache_dir;
    Fixture() {
        cache_dir = std::filesystem::temp_directory_path() / testbed::unique_token("oauth-wire");
        reset(600, 3600);  // a JWT with these claims needs about 500 characters
    }
    ~Fixture() {
        std::error_code ec;
        std::filesystem::remove_all(cache_dir, ec);
        try {
            oauthtest::post("/_test/mode", R"({"fail": null, "slow": 0, "reject_all_tokens": false})");
        } catch (...) {
        }
    }
    static void reset(int token_length, int expires_in) {
        oauthtest::post("/_test/reset", R"({"clients": {"wire-app": {"secret": ")" + kSecret + R"(", "username": ")" + kUser +
                                            R"("}}, "token_length": )" + std::to_string(token_length) +
                                            R"(, "expires_in": )" + std::to_string(expires_in) + "}");
    }
    OAuthSettings oauth() const {
        OAuthSettings o;
        o.grant = OAuthGrant::ClientCredentials;
        o.provider = "microsoft";
        o.authority = oauthtest::kAuthority;
        o.tenant = "wire.test";
        o.client_id = "wire-app";
        o.client_secret = kSecret;
        o.ca_file = testbed::ca_file();
        o.cache_dir = cache_dir.string();
        o.user = kUser;
        o.profile = "wire";
        o.timeouts = {3000, 3000};
        return o;
    }
    SessionSettings settings(int port, Mechanism m = Mechanism::XOAuth2) const {
        SessionSettings s;
        s.host = "127.0.0.1";
        s.port = port;
        s.tls.mode = TlsMode::Off;
        s.allow_plaintext_auth = true;  // the scripted server speaks plaintext
        s.client_name = "client.example.test";
        s.timeouts = {3000, 3000};
        s.mechanisms = {m};
        s.tokens = std::make_shared<TokenSource>(oauth());
        return s;
    }
    void cache_token(const std::string& token) const {
        CachedToken t;
        t.access_token = token;
        t.obtained_at = std::time(nullptr);
        t.expires_at = t.obtained_at + 3600;
        t.grant = "client_credentials";
        TokenCache(oauth().cache_file()).store(t);
    }
};

FakeServer::Script smtp_script(std::vector<std::string> after_ehlo) {
    FakeServer::Script s = {"220 fake.example.test ESMTP", "250-fake.example.test\r\n250 AUTH XOAUTH2 OAUTHBEARER"};
    s.insert(s.end(), after_ehlo.begin(), after_ehlo.end());
    return s;
}

ErrorCode open_and_quit(SessionSettings s, std::string* message = nullptr) {
    try {
        Session session(std::move(s));
        session.open();
        session.quit();
    } catch (const Error& e) {
        if (message) *message = e.what();
        return e.code();
    }
    return ErrorCode::Ok;
}

// The Bearer token inside an XOAUTH2 / OAUTHBEARER response line.
std::string bearer_of(const std::string& line) {
    const auto sp = line.rfind(' ');
    const std::string raw = base64_decode(sp == std::string::npos ? line : line.substr(sp + 1));
    const auto at = raw.find("auth=Bearer ");
    if (at == std::string::npos) return {};
    return raw.substr(at + 12, raw.find('\x01', at) - at - 12);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_oauth_session, Fixture)

BOOST_AUTO_TEST_CASE(short_token_goes_as_initial_response) {
    cache_token("short.cached.token");
    FakeServer server(smtp_script({"235 2.7.0 ok", "221 bye"}));
    std::string message;
    BOOST_TEST((open_and_quit(settings(server.port()), &message) == ErrorCode::Ok), message);
    server.join();
    const auto lines = server.received();
    BOOST_REQUIRE_EQUAL(lines.size(), 3u);
    BOOST_TEST(lines[0] == "EHLO client.example.test");
    BOOST_TEST(lines[1] == "AUTH XOAUTH2 " + base64_encode("user=" + kUser + "\x01" "auth=Bearer short.cached.token\x01\x01"));
    BOOST_TEST(lines[2] == "QUIT");
    BOOST_TEST(oauthtest::token_requests() == 0);  // the cached token was still valid
}

BOOST_AUTO_TEST_CASE(token_of_2500_characters_goes_after_the_334) {
    reset(2500, 3600);
    FakeServer server(smtp_script({"334 ", "235 2.7.0 ok", "221 bye"}));
    std::string message;
    BOOST_TEST((open_and_quit(settings(server.port()), &message) == ErrorCode::Ok), message);
    server.join();
    const auto lines = server.received();
    BOOST_REQUIRE_EQUAL(lines.size(), 4u);
    BOOST_TEST(lines[1] == "AUTH XOAUTH2");
    BOOST_TEST(bearer_of(lines[2]).size() == 2500u);
    BOOST_TEST(lines[2].size() > 3300u);
    BOOST_TEST(lines[3] == "QUIT");
    BOOST_TEST(oauthtest::token_requests() == 1);
}

BOOST_AUTO_TEST_CASE(refused_cached_token_gets_one_refresh_and_one_retry) {
    cache_token("stale.cached.token");
    FakeServer server(smtp_script({"334 " + kJsonError, "535 5.7.8 token expired", "334 ", "235 2.7.0 ok", "221 bye"}));
    std::string message;
    BOOST_TEST((open_and_quit(settings(server.port()), &message) == ErrorCode::Ok), message);
    server.join();
    const auto lines = server.received();
    BOOST_REQUIRE_EQUAL(lines.size(), 6u);
    BOOST_TEST(bearer_of(lines[1]) == "stale.cached.token");
    BOOST_TEST(lines[2] == "");  // XOAUTH2: the empty response to the JSON challenge
    BOOST_TEST(lines[3] == "AUTH XOAUTH2");
    BOOST_TEST(bearer_of(lines[4]).size() == 600u);
    BOOST_TEST(lines[5] == "QUIT");
    BOOST_TEST(oauthtest::token_requests() == 1);
    // the new token replaced the refused one in the cache
    BOOST_TEST(TokenCache(oauth().cache_file()).load()->access_token == bearer_of(lines[4]));
}

BOOST_AUTO_TEST_CASE(second_refusal_is_token_rejected_with_the_servers_json) {
    cache_token("stale.cached.token");
    FakeServer server(smtp_script({"334 " + kJsonError, "535 5.7.8 no", "334 ", "334 " + kJsonError,
                                   "535 5.7.8 still no", "221 bye"}));
    std::string message;
    BOOST_TEST((open_and_quit(settings(server.port()), &message) == ErrorCode::OAuthTokenRejected), message);
    server.join();
    const auto lines = server.received();
    BOOST_REQUIRE_EQUAL(lines.size(), 7u);  // EHLO, AUTH, "", AUTH, token, "", QUIT: never a third AUTH
    BOOST_TEST(lines[5] == "");
    BOOST_TEST(lines[6] == "QUIT");
    BOOST_TEST(message.find(R"({"status":"401","schemes":"bearer","scope":"mail"})") != std::string::npos);
    BOOST_TEST(message.find("stale.cached.token") == std::string::npos);
    BOOST_TEST(oauthtest::token_requests() == 1);
}

BOOST_AUTO_TEST_CASE(fresh_token_refused_is_not_retried) {
    FakeServer server(smtp_script({"334 ", "334 " + kJsonError, "535 5.7.3 Authentication unsuccessful", "221 bye"}));
    std::string message;
    BOOST_TEST((open_and_quit(settings(server.port()), &message) == ErrorCode::OAuthTokenRejected), message);
    server.join();
    const auto lines = server.received();
    BOOST_REQUIRE_EQUAL(lines.size(), 5u);
    BOOST_TEST(lines[3] == "");
    BOOST_TEST(lines[4] == "QUIT");
    BOOST_TEST(message.find("5.7.3") != std::string::npos);
    BOOST_TEST(oauthtest::token_requests() == 1);
}

BOOST_AUTO_TEST_CASE(oauthbearer_answers_the_error_challenge_with_ctrl_a) {
    FakeServer server(smtp_script({"334 ", "334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=", "535 5.7.8 no", "221 bye"}));
    std::string message;
    BOOST_TEST((open_and_quit(settings(server.port(), Mechanism::OAuthBearer), &message) == ErrorCode::OAuthTokenRejected), message);
    server.join();
    const auto lines = server.received();
    BOOST_REQUIRE_EQUAL(lines.size(), 5u);
    BOOST_TEST(lines[1] == "AUTH OAUTHBEARER");
    BOOST_TEST(base64_decode(lines[2]).rfind("n,a=" + kUser + ",\x01host=127.0.0.1\x01port=", 0) == 0);
    BOOST_TEST(lines[3] == "AQ==");
    BOOST_TEST(message.find(R"({"status":"invalid_token"})") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(token_endpoint_down_sends_no_auth_at_all) {
    oauthtest::post("/_test/mode", R"({"fail": "unavailable"})");
    FakeServer server(smtp_script({"221 bye"}));
    std::string message;
    BOOST_TEST((open_and_quit(settings(server.port()), &message) == ErrorCode::OAuthUnavailable), message);
    server.join();
    const auto lines = server.received();
    BOOST_REQUIRE_EQUAL(lines.size(), 2u);
    BOOST_TEST(lines[1] == "QUIT");
    BOOST_TEST(message.find("503") != std::string::npos);
    BOOST_TEST(message.find(kSecret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(transient_refusal_is_auth_deferred_without_retry) {
    cache_token("cached.token");
    FakeServer server(smtp_script({"454 4.7.0 Temporary authentication failure", "221 bye"}));
    std::string message;
    BOOST_TEST((open_and_quit(settings(server.port()), &message) == ErrorCode::AuthDeferred), message);
    server.join();
    BOOST_TEST(server.received().size() == 3u);
    BOOST_TEST(oauthtest::token_requests() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
