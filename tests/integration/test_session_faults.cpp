// Session against a scripted peer and against Postfix with a transcript: the failure paths
// a real server will not produce on demand, each ending promptly with the documented code.
#include <boost/test/unit_test.hpp>

#include <Poco/Net/ServerSocket.h>

#include <chrono>

#include "mvsmtp/session.hpp"
#include "support/fake_server.hpp"
#include "support/testbed.hpp"

using namespace mvsmtp;
using testsupport::FakeServer;

namespace {

SessionSettings settings_for(int port, TlsMode mode = TlsMode::Off) {
    SessionSettings s;
    s.host = "127.0.0.1";
    s.port = port;
    s.tls.mode = mode;
    s.tls.ca_file = testbed::ca_file();
    s.client_name = "client.example.test";
    s.timeouts = {2000, 2000};
    return s;
}

ErrorCode open_error(SessionSettings s, double* seconds = nullptr) {
    const auto start = std::chrono::steady_clock::now();
    ErrorCode code = ErrorCode::Ok;
    try {
        Session session(std::move(s));
        session.open();
        session.quit();
    } catch (const Error& e) {
        code = e.code();
    }
    if (seconds) *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return code;
}

Message tiny(const std::vector<std::string>& to) {
    Message m;
    m.from = {"", "sender@example.test"};
    for (const auto& a : to) m.to.push_back({"", a});
    m.subject = "fault test";
    m.text = "x";
    m.message_id = "<fault@example.test>";
    m.date = 1;
    return m;
}


}  // namespace

BOOST_AUTO_TEST_SUITE(test_session_faults)

BOOST_AUTO_TEST_CASE(eof_in_the_middle_of_a_multiline_reply_ends_promptly) {
    // Poco 1.11's DialogSocket loops forever here.
    FakeServer server({"220 fake ESMTP", "250-fake\r\n250-PIPELINING<close>"});
    double seconds = 0;
    BOOST_TEST((open_error(settings_for(server.port()), &seconds) == ErrorCode::ConnectionLost));
    BOOST_TEST(seconds < 1.5);
}

BOOST_AUTO_TEST_CASE(silent_server_times_out) {
    FakeServer server({"<silent>"});
    double seconds = 0;
    BOOST_TEST((open_error(settings_for(server.port()), &seconds) == ErrorCode::Timeout));
    BOOST_TEST(seconds >= 1.9);
    BOOST_TEST(seconds < 5.0);
}

BOOST_AUTO_TEST_CASE(garbage_reply_is_protocol_error) {
    FakeServer server({"HTTP/1.1 400 Bad Request"});
    BOOST_TEST((open_error(settings_for(server.port())) == ErrorCode::ProtocolError));
}

BOOST_AUTO_TEST_CASE(greeting_421_is_transient_554_is_permanent) {
    {
        FakeServer server({"421 4.3.2 busy, try later"});
        const ErrorCode e = open_error(settings_for(server.port()));
        BOOST_TEST((e == ErrorCode::ServerUnavailable));
        BOOST_TEST(is_transient(e));
    }
    {
        FakeServer server({"554 5.7.1 go away"});
        BOOST_TEST((open_error(settings_for(server.port())) == ErrorCode::ServerRejected));
    }
}

BOOST_AUTO_TEST_CASE(helo_fallback_when_ehlo_unknown) {
    FakeServer server({"220 old", "502 5.5.2 EHLO? never heard of it", "250 old.example.test", "221 bye"});
    SessionSettings s = settings_for(server.port());
    Session session(s);
    session.open();
    BOOST_TEST(!session.capabilities().esmtp);
    session.quit();
    server.join();
    const auto got = server.received();
    BOOST_REQUIRE(got.size() >= 2u);
    BOOST_TEST(got[0] == "EHLO client.example.test");
    BOOST_TEST(got[1] == "HELO client.example.test");
}

BOOST_AUTO_TEST_CASE(refused_port_is_connect_failed) {
    int port;
    {
        Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
        port = probe.address().port();
    }  // closed again: nothing listens there now
    BOOST_TEST((open_error(settings_for(port)) == ErrorCode::ConnectFailed));
}

BOOST_AUTO_TEST_CASE(server_closing_during_data_poisons_the_session) {
    FakeServer server({"220 fake", "250 fake", "250 ok", "250 ok", "354 go", "<close>"});
    Session session(settings_for(server.port()));
    session.open();
    bool threw = false;
    try {
        // After 354 the server vanishes: the send must fail, never report success.
        Message m = tiny({"a@example.test"});
        m.text = std::string(4 * 1024 * 1024, 'y');
        session.send(m);
    } catch (const Error& e) {
        threw = e.code() == ErrorCode::ConnectionLost || e.code() == ErrorCode::Timeout;
    }
    BOOST_TEST(threw);
    BOOST_TEST(session.broken());
}

BOOST_AUTO_TEST_CASE(quoted_local_part_with_a_space_completes_the_pipelined_envelope) {
    // Regression (item 17): "john smith"@x passed validation, then its RCPT could not be
    // rendered after MAIL and the first RCPT were queued; the session broke half-way through
    // the envelope. RFC 5321 §4.1.2 allows it, so it is sent, quoted, in the same group.
    FakeServer server({"220 fake", "250-fake\r\n250 PIPELINING", "250 ok", "250 ok", "250 ok", "354 go",
                       "250 2.0.0 queued", "221 bye"});
    Session session(settings_for(server.port()));
    session.open();
    const SendResult r = session.send(tiny({"ok@example.test", "\"john smith\"@example.test"}));
    BOOST_TEST((r.error == ErrorCode::Ok), r.message);
    BOOST_TEST(!session.broken());
    session.quit();
    server.join();
    const auto lines = server.received();
    BOOST_REQUIRE(lines.size() > 6u);
    BOOST_TEST((std::vector<std::string>(lines.begin() + 1, lines.begin() + 5) ==
                std::vector<std::string>{"MAIL FROM:<sender@example.test>", "RCPT TO:<ok@example.test>",
                                         "RCPT TO:<\"john smith\"@example.test>", "DATA"}));
    BOOST_TEST(lines.back() == "QUIT");
}

BOOST_AUTO_TEST_CASE(tls_required_sends_nothing_before_refusing) {
    // Against Postfix's plaintext port: after EHLO shows no STARTTLS, the client must stop
    // without AUTH, MAIL or any credential.
    SessionSettings s = settings_for(2526, TlsMode::Required);
    s.credentials = Credentials("testuser@example.test", "testpass");
    auto lines = std::make_shared<std::vector<std::string>>();
    s.transcript = [lines](Direction d, std::string_view t) {
        if (d == Direction::Sent) lines->emplace_back(t);
    };
    BOOST_TEST((open_error(s) == ErrorCode::TlsUnavailable));
    BOOST_REQUIRE(!lines->empty());
    BOOST_TEST(lines->front() == "EHLO client.example.test");
    for (const auto& l : *lines) {
        BOOST_TEST(l.rfind("AUTH", 0) != 0u, "sent: " << l);
        BOOST_TEST(l.rfind("MAIL", 0) != 0u, "sent: " << l);
        BOOST_TEST(l.find("testpass") == std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(certificate_for_another_name_is_refused) {
    SessionSettings s = settings_for(2525, TlsMode::Required);
    s.tls.verify_name = "evil.example.org";  // the rig's certificate does not carry it
    BOOST_TEST((open_error(s) == ErrorCode::TlsCertificate));
    s.tls.verify_name = "mail.example.test";  // it does carry this one
    BOOST_TEST((open_error(s) == ErrorCode::Ok));
}

BOOST_AUTO_TEST_CASE(implicit_tls_against_starttls_port_fails_fast_with_a_hint) {
    SessionSettings s = settings_for(2525, TlsMode::Implicit);
    double seconds = 0;
    const ErrorCode e = open_error(s, &seconds);
    BOOST_TEST((e == ErrorCode::TlsFailed || e == ErrorCode::Timeout));
    BOOST_TEST(seconds < 5.0);
}

BOOST_AUTO_TEST_CASE(transcript_redacts_auth_and_shows_tls) {
    SessionSettings s = settings_for(2525, TlsMode::Required);
    s.credentials = Credentials("testuser@example.test", "testpass");
    s.mechanisms = {Mechanism::Login};
    auto lines = std::make_shared<std::vector<std::string>>();
    s.transcript = [lines](Direction d, std::string_view t) {
        lines->push_back(std::string(d == Direction::Sent ? "C: " : d == Direction::Received ? "S: " : "-- ") +
                         std::string(t));
    };
    Session session(s);
    session.open();
    session.quit();
    std::string all;
    for (const auto& l : *lines) all += l + "\n";
    BOOST_TEST(all.find("C: AUTH LOGIN") != std::string::npos, all);
    BOOST_TEST(all.find("C: <redacted>") != std::string::npos, all);
    BOOST_TEST(all.find("dGVzdHBhc3M=") == std::string::npos);  // base64("testpass")
    BOOST_TEST(all.find("testpass") == std::string::npos);
    BOOST_TEST(all.find("-- TLS TLSv1.") != std::string::npos, all);
}

BOOST_AUTO_TEST_SUITE_END()
