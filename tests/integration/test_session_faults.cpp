// Session against a scripted peer and against Postfix with a transcript: the failure paths
// a real server will not produce on demand, each ending promptly with the documented code.
#include <boost/test/unit_test.hpp>

#include <Poco/Net/ServerSocket.h>
#include <netdb.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "mvsmtp/delivery.hpp"
#include "mvsmtp/session.hpp"
#include "support/fake_server.hpp"
#include "support/open_fds.hpp"
#include "support/silent_dns.hpp"
#include "support/testbed.hpp"

using namespace mvsmtp;
using testsupport::FakeServer;
using testsupport::open_fds;
using testsupport::SilentDns;
using testsupport::TestDnsServer;

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

// A peer that accepts one connection and then sends `bytes` one at a time, one every
// `gap_ms`, never finishing: each read succeeds, the reply never completes.
class DripServer {
public:
    DripServer(std::string bytes, int gap_ms) : bytes_(std::move(bytes)), gap_ms_(gap_ms) {
        server_.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true);
        server_.listen(4);
        thread_ = std::thread([this] { run(); });
    }
    ~DripServer() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    int port() const { return server_.address().port(); }

private:
    void run() {
        try {
            if (!server_.poll(Poco::Timespan(15, 0), Poco::Net::Socket::SELECT_READ)) return;
            Poco::Net::StreamSocket s = server_.acceptConnection();
            for (std::size_t i = 0; !stop_; i = (i + 1) % bytes_.size()) {
                if (s.sendBytes(&bytes_[i], 1) != 1) return;
                for (int waited = 0; waited < gap_ms_ && !stop_; waited += 10)
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        } catch (...) {
        }
    }
    Poco::Net::ServerSocket server_;
    std::string bytes_;
    int gap_ms_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// What the library should give as EHLO name on this host when the profile has none: the
// FQDN when the host has one (a name with a dot), else the connection's address literal.
std::string expected_default_ehlo(const std::string& local_literal) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) return local_literal;
    std::string name = host;
    if (name.find('.') == std::string::npos) {
        addrinfo hints{};
        hints.ai_flags = AI_CANONNAME;
        addrinfo* res = nullptr;
        if (getaddrinfo(host, nullptr, &hints, &res) == 0 && res) {
            if (res->ai_canonname) name = res->ai_canonname;
            freeaddrinfo(res);
        }
    }
    if (name.find('.') == std::string::npos || name.back() == '.') return local_literal;
    return name;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_session_faults)

BOOST_AUTO_TEST_CASE(dripping_greeting_times_out_at_the_reply_deadline) {
    // One byte every 0.5 s: each read succeeds, so a per-read timeout never fires (measured
    // before: 21 s for a 2 s timeout). The whole reply has one deadline.
    const int fds = open_fds();
    {
        DripServer server("220 slowly, very slowly, one byte at a time, forever and ever ", 500);
        double seconds = 0;
        BOOST_TEST((open_error(settings_for(server.port()), &seconds) == ErrorCode::Timeout));
        BOOST_TEST(seconds >= 1.9);
        BOOST_TEST(seconds < 2.8);
    }
    BOOST_TEST(open_fds() == fds);
}

BOOST_AUTO_TEST_CASE(endless_multiline_greeting_times_out_at_the_reply_deadline) {
    // Whole continuation lines, quickly: every line is complete, the reply never is.
    const int fds = open_fds();
    {
        DripServer server("220-still greeting\r\n", 20);
        double seconds = 0;
        BOOST_TEST((open_error(settings_for(server.port()), &seconds) == ErrorCode::Timeout));
        BOOST_TEST(seconds < 2.8);
    }
    BOOST_TEST(open_fds() == fds);
}

BOOST_AUTO_TEST_CASE(silent_tls_peer_times_out_at_the_handshake_deadline) {
    // Accepts TCP, never answers the ClientHello. Poco retries a timed-out TLS read, so a
    // socket timeout alone held this for 2-3x the timeout.
    const int fds = open_fds();
    {
        FakeServer server({"<silent>"});
        double seconds = 0;
        BOOST_TEST((open_error(settings_for(server.port(), TlsMode::Implicit), &seconds) == ErrorCode::Timeout));
        BOOST_TEST(seconds >= 1.9);
        BOOST_TEST(seconds < 2.8);
    }
    BOOST_TEST(open_fds() == fds);
}

BOOST_AUTO_TEST_CASE(dripping_tls_handshake_times_out_at_the_handshake_deadline) {
    // A TLS record header announcing 16 KiB, then its body one byte every 0.3 s.
    const int fds = open_fds();
    {
        DripServer server(std::string("\x16\x03\x03\x40\x00", 5) + std::string(64, '\x02'), 300);
        double seconds = 0;
        const ErrorCode e = open_error(settings_for(server.port(), TlsMode::Implicit), &seconds);
        BOOST_TEST((e == ErrorCode::Timeout || e == ErrorCode::TlsFailed), static_cast<int>(e));
        BOOST_TEST(seconds < 2.8);
    }
    BOOST_TEST(open_fds() == fds);
}

BOOST_AUTO_TEST_CASE(unanswered_dns_is_dns_failed_within_the_connect_timeout) {
    const int fds = open_fds();
    {
        SilentDns dns;
        TestDnsServer use(dns.address());
        SessionSettings s = settings_for(25);
        s.host = "nowhere.mvsmtp-test.example";
        double seconds = 0;
        BOOST_TEST((open_error(s, &seconds) == ErrorCode::DnsFailed));
        BOOST_TEST(seconds >= 1.8);  // it waited for the (silent) server it was pointed at
        BOOST_TEST(seconds < 2.8);
        BOOST_TEST(dns.queries() >= 1);
    }
    BOOST_TEST(open_fds() == fds);
}

BOOST_AUTO_TEST_CASE(hosts_file_names_resolve_without_dns) {
    // /etc/hosts is consulted first, as getaddrinfo does: "localhost" needs no DNS server.
    SilentDns dns;
    TestDnsServer use(dns.address());
    FakeServer server({"220 fake", "250 fake", "221 bye"});
    SessionSettings s = settings_for(server.port());
    s.host = "localhost";
    double seconds = 0;
    BOOST_TEST((open_error(s, &seconds) == ErrorCode::Ok));
    BOOST_TEST(seconds < 1.5);
    BOOST_TEST(dns.queries() == 0);
}

BOOST_AUTO_TEST_CASE(default_ehlo_name_is_the_fqdn_or_an_address_literal) {
    // Relays with reject_non_fqdn_helo_hostname refuse "localhost".
    FakeServer server({"220 fake", "250 fake", "221 bye"});
    Profile p;
    p.host = "127.0.0.1";
    p.port = server.port();
    p.tls = TlsMode::Off;
    p.timeouts = {2000, 2000};
    BOOST_TEST((open_error(session_settings(p)) == ErrorCode::Ok));
    server.join();
    const auto got = server.received();
    BOOST_REQUIRE(!got.empty());
    BOOST_TEST(got[0] == "EHLO " + expected_default_ehlo("[127.0.0.1]"));
    BOOST_TEST(got[0] != "EHLO localhost");
}

BOOST_AUTO_TEST_CASE(profile_helo_overrides_the_default_name) {
    FakeServer server({"220 fake", "250 fake", "221 bye"});
    Profile p;
    p.host = "127.0.0.1";
    p.port = server.port();
    p.tls = TlsMode::Off;
    p.helo = "relay-client.example.test";
    p.timeouts = {2000, 2000};
    BOOST_TEST((open_error(session_settings(p)) == ErrorCode::Ok));
    server.join();
    const auto got = server.received();
    BOOST_REQUIRE(!got.empty());
    BOOST_TEST(got[0] == "EHLO relay-client.example.test");
}

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
