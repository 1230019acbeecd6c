// SASL mechanisms: exact wire lines (RFC 4616, RFC 2195 test vector) and mechanism choice.
#include <boost/test/unit_test.hpp>

#include "mvsmtp/auth.hpp"
#include "mvsmtp/error.hpp"
#include "support/error_code_of.hpp"

using namespace mvsmtp;

namespace {
Reply challenge(const std::string& text) { return parse_reply("334 " + text + "\r\n"); }
Capabilities offering(const std::string& mechs) {
    return Capabilities::from_ehlo(parse_reply("250-x\r\n250 AUTH " + mechs + "\r\n"));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_auth)

BOOST_AUTO_TEST_CASE(plain_initial_response) {
    Credentials c("testuser@example.test", "testpass");
    SaslExchange s(Mechanism::Plain, c);
    // base64("\0testuser@example.test\0testpass")
    BOOST_TEST(s.first_line() == "AUTH PLAIN AHRlc3R1c2VyQGV4YW1wbGUudGVzdAB0ZXN0cGFzcw==\r\n");
}

BOOST_AUTO_TEST_CASE(login_ignores_prompt_wording) {
    // aiosmtpd prompts "User Name\0" / "Password\0"; Poco 1.11 silently gives up on those.
    Credentials c("user", "pass");
    SaslExchange s(Mechanism::Login, c);
    BOOST_TEST(s.first_line() == "AUTH LOGIN\r\n");
    BOOST_TEST(s.respond(challenge("VXNlciBOYW1lAA==")) == "dXNlcg==\r\n");
    BOOST_TEST(s.respond(challenge("UGFzc3dvcmQA")) == "cGFzcw==\r\n");
    BOOST_CHECK_THROW(s.respond(challenge("")), Error);
}

BOOST_AUTO_TEST_CASE(cram_md5_rfc2195_vector) {
    Credentials c("tim", "tanstaaftanstaaf");
    SaslExchange s(Mechanism::CramMd5, c);
    BOOST_TEST(s.first_line() == "AUTH CRAM-MD5\r\n");
    BOOST_TEST(s.respond(challenge("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+")) ==
               "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n");
}

BOOST_AUTO_TEST_CASE(xoauth2_answers_error_challenge_with_empty_line) {
    Credentials c("u@example.com", "tok");
    SaslExchange s(Mechanism::XOAuth2, c);
    BOOST_TEST(s.first_line() == "AUTH XOAUTH2 dXNlcj11QGV4YW1wbGUuY29tAWF1dGg9QmVhcmVyIHRvawEB\r\n");
    BOOST_TEST(s.respond(challenge("eyJzdGF0dXMiOiI0MDEifQ==")) == "\r\n");
}

BOOST_AUTO_TEST_CASE(xoauth2_keeps_the_servers_json_error) {
    Credentials c("u@example.com", "tok");
    SaslExchange s(Mechanism::XOAuth2, c);
    s.first_line();
    // {"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}
    s.respond(challenge("eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ=="));
    BOOST_TEST(s.server_error() == R"({"status":"401","schemes":"bearer","scope":"https://mail.google.com/"})");
    // the server must now end the exchange: a second challenge is a protocol error, not a retry
    BOOST_CHECK_THROW(s.respond(challenge("eyJzdGF0dXMiOiI0MDEifQ==")), Error);
}

BOOST_AUTO_TEST_CASE(oauthbearer_rfc7628_initial_response) {
    Credentials c("user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
    SaslExchange s(Mechanism::OAuthBearer, c, SaslTarget{"server.example.com", 143});
    // RFC 7628 §3.1's example, byte for byte: gs2 header "n,a=user," then host, port and auth,
    // each ended by ^A, and a final ^A
    BOOST_TEST(s.first_line() ==
               "AUTH OAUTHBEARER bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9"
               "QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB\r\n");
    // RFC 7628 §3.2.3: after the server's error challenge the client sends a single ^A
    BOOST_TEST(s.respond(challenge("eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=")) == "AQ==\r\n");
    BOOST_TEST(s.server_error() == R"({"status":"invalid_token"})");
}

BOOST_AUTO_TEST_CASE(token_of_2500_characters_goes_after_the_334) {
    // RFC 4954 §4: an initial response that would make the AUTH line longer than 512 octets
    // is not sent on it; AUTH goes alone and the response answers the empty 334.
    const std::string token(2500, 'T');
    Credentials c("billing@contoso.example", token);
    for (Mechanism m : {Mechanism::XOAuth2, Mechanism::OAuthBearer}) {
        SaslExchange s(m, c, SaslTarget{"smtp.office365.com", 587});
        BOOST_TEST(s.first_line() == std::string("AUTH ") + mechanism_name(m) + "\r\n");
        const std::string response = s.respond(challenge(""));
        BOOST_TEST(response.size() > 3300u);
        BOOST_TEST(response.substr(response.size() - 2) == "\r\n");
        BOOST_TEST(response.find(' ') == std::string::npos);
    }
    // short ones keep the initial response (one round trip less)
    Credentials shorter("u@example.com", std::string(300, 'T'));
    SaslExchange s(Mechanism::XOAuth2, shorter);
    BOOST_TEST(s.first_line().size() <= 512u);
    BOOST_TEST(s.first_line().rfind("AUTH XOAUTH2 ", 0) == 0);
}

BOOST_AUTO_TEST_CASE(long_password_plain_goes_after_the_334_too) {
    Credentials c("u", std::string(600, 'p'));
    SaslExchange s(Mechanism::Plain, c);
    BOOST_TEST(s.first_line() == "AUTH PLAIN\r\n");
    BOOST_TEST(s.respond(challenge("")).size() > 800u);
}

BOOST_AUTO_TEST_CASE(mechanism_order_depends_on_tls) {
    // Regression (item 15): CRAM-MD5 used to come first even over TLS, where it adds nothing
    // and fails on servers that store hashed passwords.
    using V = std::vector<Mechanism>;
    BOOST_TEST((mechanisms_to_try(offering("PLAIN LOGIN CRAM-MD5"), {}, true) == V{Mechanism::Plain, Mechanism::Login}));
    BOOST_TEST((mechanisms_to_try(offering("CRAM-MD5 LOGIN PLAIN"), {}, false) ==
                V{Mechanism::CramMd5, Mechanism::Plain, Mechanism::Login}));
    BOOST_TEST((mechanisms_to_try(offering("LOGIN PLAIN"), {}, false) == V{Mechanism::Plain, Mechanism::Login}));
    BOOST_TEST((mechanisms_to_try(offering("LOGIN XOAUTH2"), {}, true) == V{Mechanism::Login}));
    // over TLS CRAM-MD5 only when named
    BOOST_TEST(mechanisms_to_try(offering("CRAM-MD5"), {}, true).empty());
    BOOST_TEST((mechanisms_to_try(offering("CRAM-MD5 PLAIN"), {Mechanism::CramMd5}, true) == V{Mechanism::CramMd5}));
    // an explicit list keeps its order, drops what is not offered and repeats nothing
    BOOST_TEST((mechanisms_to_try(offering("PLAIN LOGIN"), {Mechanism::Login, Mechanism::CramMd5, Mechanism::Plain,
                                                             Mechanism::Login}, true) ==
                V{Mechanism::Login, Mechanism::Plain}));
    BOOST_TEST(mechanisms_to_try(offering("XOAUTH2"), {}, true).empty());
    BOOST_TEST(mechanisms_to_try(offering("PLAIN"), {Mechanism::CramMd5}, false).empty());
    BOOST_TEST((mechanisms_to_try(offering("PLAIN OAUTHBEARER"), {Mechanism::XOAuth2, Mechanism::OAuthBearer}, true) ==
                V{Mechanism::OAuthBearer}));
}

BOOST_AUTO_TEST_CASE(which_refusals_fall_back) {
    for (int code : {535, 504, 534}) BOOST_TEST(falls_back(parse_reply(std::to_string(code) + " no\r\n")), code);
    for (int code : {454, 421, 530, 538, 501, 550}) BOOST_TEST(!falls_back(parse_reply(std::to_string(code) + " no\r\n")), code);
}

BOOST_AUTO_TEST_CASE(unanswerable_challenges_are_protocol_errors_and_cancel_with_a_star) {
    Credentials c("u", "p");
    SaslExchange cram(Mechanism::CramMd5, c);
    cram.first_line();
    BOOST_TEST((testsupport::error_code_of([&] { cram.respond(challenge("%%%not base64%%%")); }) ==
                ErrorCode::ProtocolError));
    SaslExchange plain(Mechanism::Plain, c);
    plain.first_line();
    BOOST_TEST((testsupport::error_code_of([&] { plain.respond(challenge("c29tZXRoaW5n")); }) ==
                ErrorCode::ProtocolError));
    BOOST_TEST(SaslExchange::cancel_line() == "*\r\n");  // RFC 4954 §4
}

BOOST_AUTO_TEST_CASE(endless_challenges_stop) {
    Credentials c("u", "p");
    SaslExchange s(Mechanism::Login, c);
    s.first_line();
    s.respond(challenge("a"));
    s.respond(challenge("b"));
    BOOST_CHECK_THROW(s.respond(challenge("c")), Error);
}

BOOST_AUTO_TEST_CASE(mechanism_names_round_trip) {
    for (auto m : {Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5, Mechanism::XOAuth2, Mechanism::OAuthBearer})
        BOOST_TEST((*parse_mechanism(mechanism_name(m)) == m));
    BOOST_TEST((*parse_mechanism("cram-md5") == Mechanism::CramMd5));
    BOOST_TEST(!parse_mechanism("NTLM").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
