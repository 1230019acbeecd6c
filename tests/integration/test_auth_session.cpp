// test_auth_session.cpp — AUTH in a Session, on the wire: which mechanism comes first (over
// TLS and in allowed cleartext), the fallback to the next mechanism after 535/504/534 (each
// once, never a loop), and the "*" that cancels an exchange the client cannot follow
// (RFC 4954 §4). Scripted peers assert the exact lines; real Postfix (the rig's 2525
// STARTTLS and 2526 cleartext listeners) proves the choice interoperates.
//
//   ./build/tests/mvsmtp_integration --run_test=test_auth_session
#include <boost/test/unit_test.hpp>

#include <memory>

#include "mvsmtp/encoding.hpp"
#include "mvsmtp/session.hpp"
#include "support/fake_server.hpp"
#include "support/testbed.hpp"

using namespace mvsmtp;
using testsupport::FakeServer;
using Lines = std::vector<std::string>;

namespace {

// RFC 2195's example: user "tim", password "tanstaaftanstaaf", this challenge, this answer.
const std::string kCramChallenge = "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+";
const std::string kCramAnswer = "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw";
const std::string kPlain = "AUTH PLAIN " + base64_encode(std::string("\0tim\0tanstaaftanstaaf", 21));
const std::string kUser64 = base64_encode("tim");
const std::string kPass64 = base64_encode("tanstaaftanstaaf");

SessionSettings cleartext_to(const FakeServer& server) {
    SessionSettings s;
    s.host = "127.0.0.1";
    s.port = server.port();
    s.tls.mode = TlsMode::Off;
    s.allow_plaintext_auth = true;
    s.credentials = Credentials("tim", "tanstaaftanstaaf");
    s.client_name = "client.example.test";
    s.timeouts = {3000, 3000};
    return s;
}

// Opens a session; returns the error code (Ok when AUTH succeeded) and the error text.
ErrorCode open_session(SessionSettings s, std::string* what = nullptr) {
    try {
        Session session(std::move(s));
        session.open();
        session.quit();
        return ErrorCode::Ok;
    } catch (const Error& e) {
        if (what) *what = e.what();
        return e.code();
    }
}

std::string ehlo_offering(const std::string& mechanisms) { return "250-fake\r\n250 AUTH " + mechanisms; }

SessionSettings postfix(int port, TlsMode mode, std::shared_ptr<std::vector<std::string>> log) {
    SessionSettings s;
    s.host = "127.0.0.1";
    s.port = port;
    s.tls.mode = mode;
    s.tls.ca_file = testbed::ca_file();
    s.credentials = Credentials("testuser@example.test", "testpass");
    s.client_name = "client.example.test";
    s.timeouts = {5000, 5000};
    s.transcript = [log](Direction d, std::string_view t) {
        if (d == Direction::Sent) log->push_back(std::string(t));
    };
    return s;
}

Lines auth_lines(const std::vector<std::string>& sent) {
    Lines out;
    for (const auto& l : sent)
        if (l.rfind("AUTH", 0) == 0) out.push_back(l.substr(0, l.find_last_not_of("\r\n") + 1));
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_auth_session)

BOOST_AUTO_TEST_CASE(cleartext_when_allowed_prefers_cram_md5) {
    // Without TLS (explicitly allowed), CRAM-MD5 first: it never sends the password.
    FakeServer server({"220 fake", ehlo_offering("PLAIN LOGIN CRAM-MD5"), "334 " + kCramChallenge, "235 2.7.0 ok",
                       "221 bye"});
    BOOST_TEST((open_session(cleartext_to(server)) == ErrorCode::Ok));
    server.join();
    BOOST_TEST((server.received() == Lines{"EHLO client.example.test", "AUTH CRAM-MD5", kCramAnswer, "QUIT"}));
}

BOOST_AUTO_TEST_CASE(plain_refused_with_535_falls_back_to_login) {
    FakeServer server({"220 fake", ehlo_offering("PLAIN LOGIN"), "535 5.7.8 Authentication failed",
                       "334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "235 2.7.0 ok", "221 bye"});
    std::string what;
    BOOST_TEST((open_session(cleartext_to(server), &what) == ErrorCode::Ok), what);
    server.join();
    BOOST_TEST((server.received() ==
                Lines{"EHLO client.example.test", kPlain, "AUTH LOGIN", kUser64, kPass64, "QUIT"}));
}

BOOST_AUTO_TEST_CASE(each_mechanism_once_then_auth_failed) {
    // 504 and 535 both move on; after the last one offered the session ends, no second round.
    FakeServer server({"220 fake", ehlo_offering("LOGIN PLAIN CRAM-MD5"), "504 5.5.4 CRAM-MD5 not available",
                       "535 5.7.8 no", "334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "535 5.7.8 no", "221 bye"});
    std::string what;
    BOOST_TEST((open_session(cleartext_to(server), &what) == ErrorCode::AuthFailed), what);
    server.join();
    BOOST_TEST((server.received() == Lines{"EHLO client.example.test", "AUTH CRAM-MD5", kPlain, "AUTH LOGIN", kUser64,
                                           kPass64, "QUIT"}));
    BOOST_TEST(what.find("AUTH CRAM-MD5, PLAIN, LOGIN failed for user tim") != std::string::npos, what);
    BOOST_TEST(what.find("535") != std::string::npos, what);
    BOOST_TEST(what.find("tanstaaf") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(server_hanging_up_on_the_fallback_leaves_auth_failed) {
    // The 535 is the answer: a dropped connection on the next attempt must not turn a wrong
    // password into a transient CONNECTION.LOST that invites retries.
    FakeServer server({"220 fake", ehlo_offering("PLAIN LOGIN"), "535 5.7.8 no", "<close>"});
    std::string what;
    BOOST_TEST((open_session(cleartext_to(server), &what) == ErrorCode::AuthFailed), what);
    server.join();
    BOOST_TEST((server.received() == Lines{"EHLO client.example.test", kPlain, "AUTH LOGIN"}));
    BOOST_TEST(what.find("535 5.7.8 no") != std::string::npos, what);
}

BOOST_AUTO_TEST_CASE(server_hanging_up_after_the_star_is_still_a_protocol_error) {
    FakeServer server({"220 fake", ehlo_offering("CRAM-MD5"), "334 %%%", "<close>"});
    BOOST_TEST((open_session(cleartext_to(server)) == ErrorCode::ProtocolError));
    server.join();
    BOOST_TEST((server.received() == Lines{"EHLO client.example.test", "AUTH CRAM-MD5", "*"}));
}

BOOST_AUTO_TEST_CASE(temporary_failure_does_not_fall_back) {
    FakeServer server({"220 fake", ehlo_offering("PLAIN LOGIN"), "454 4.7.0 Temporary authentication failure",
                       "221 bye"});
    BOOST_TEST((open_session(cleartext_to(server)) == ErrorCode::AuthDeferred));
    server.join();
    BOOST_TEST((server.received() == Lines{"EHLO client.example.test", kPlain, "QUIT"}));
}

BOOST_AUTO_TEST_CASE(only_the_allowed_mechanisms_are_tried) {
    FakeServer server({"220 fake", ehlo_offering("PLAIN LOGIN CRAM-MD5"), "535 5.7.8 no", "221 bye"});
    SessionSettings s = cleartext_to(server);
    s.mechanisms = {Mechanism::Plain};
    BOOST_TEST((open_session(s) == ErrorCode::AuthFailed));
    server.join();
    BOOST_TEST((server.received() == Lines{"EHLO client.example.test", kPlain, "QUIT"}));
}

BOOST_AUTO_TEST_CASE(malformed_challenge_is_cancelled_with_a_star) {
    // RFC 4954 §4: a client that cannot answer sends "*"; the server ends with 501.
    FakeServer server({"220 fake", ehlo_offering("CRAM-MD5"), "334 %%%not-base64%%%", "501 5.7.0 Authentication aborted",
                       "221 bye"});
    std::string what;
    BOOST_TEST((open_session(cleartext_to(server), &what) == ErrorCode::ProtocolError), what);
    server.join();
    BOOST_TEST((server.received() == Lines{"EHLO client.example.test", "AUTH CRAM-MD5", "*", "QUIT"}));
    BOOST_TEST(what.find("501") != std::string::npos, what);
}

BOOST_AUTO_TEST_CASE(unexpected_round_is_cancelled_with_a_star) {
    FakeServer server({"220 fake", ehlo_offering("LOGIN"), "334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "334 QWdhaW4/",
                       "501 5.7.0 Authentication aborted", "221 bye"});
    BOOST_TEST((open_session(cleartext_to(server)) == ErrorCode::ProtocolError));
    server.join();
    BOOST_TEST((server.received() == Lines{"EHLO client.example.test", "AUTH LOGIN", kUser64, kPass64, "*", "QUIT"}));
}

BOOST_AUTO_TEST_CASE(postfix_over_starttls_gets_plain_first) {
    // 2525 offers PLAIN LOGIN CRAM-MD5 after STARTTLS: the default choice there is PLAIN.
    auto log = std::make_shared<std::vector<std::string>>();
    std::string what;
    BOOST_TEST((open_session(postfix(2525, TlsMode::Required, log), &what) == ErrorCode::Ok), what);
    BOOST_TEST((auth_lines(*log) == Lines{"AUTH PLAIN <redacted>"}));
}

BOOST_AUTO_TEST_CASE(postfix_cleartext_allowed_gets_cram_md5) {
    auto log = std::make_shared<std::vector<std::string>>();
    SessionSettings s = postfix(2526, TlsMode::Off, log);
    s.allow_plaintext_auth = true;
    std::string what;
    BOOST_TEST((open_session(s, &what) == ErrorCode::Ok), what);
    BOOST_TEST((auth_lines(*log) == Lines{"AUTH CRAM-MD5"}));
}

BOOST_AUTO_TEST_CASE(postfix_wrong_password_tries_each_mechanism_once) {
    auto log = std::make_shared<std::vector<std::string>>();
    SessionSettings s = postfix(2525, TlsMode::Required, log);
    s.credentials = Credentials("testuser@example.test", "wrongpass");
    std::string what;
    BOOST_TEST((open_session(s, &what) == ErrorCode::AuthFailed), what);
    BOOST_TEST((auth_lines(*log) == Lines{"AUTH PLAIN <redacted>", "AUTH LOGIN"}));
    BOOST_TEST(what.find("wrongpass") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
