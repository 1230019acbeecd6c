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
double since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool is_command(const std::string& line) {
    for (const char* verb : {"MAIL FROM:", "RCPT TO:", "EHLO ", "HELO "})
        if (line.rfind(verb, 0) == 0) return true;
    return line == "DATA" || line == "RSET" || line == "QUIT" || line == "NOOP";
}

// The lines the client sent, each message's content folded into "<body>" (up to and
// including its final "."), so a test states the exact command sequence.
std::vector<std::string> wire(FakeServer& server) {
    server.join();
    const auto got = server.received();
    std::vector<std::string> out;
    for (std::size_t i = 0; i < got.size(); ++i) {
        out.push_back(got[i]);
        if (got[i] != "DATA" || i + 1 >= got.size() || is_command(got[i + 1])) continue;
        out.push_back("<body>");
        while (i + 1 < got.size() && got[i + 1] != ".") ++i;
        if (i + 1 < got.size()) out.push_back(got[++i]);
    }
    return out;
}

std::string shown(const std::vector<std::string>& lines) {
    std::string all;
    for (const auto& l : lines) all += l + " | ";
    return all;
}

using Lines = std::vector<std::string>;
const std::string kPipelining = "250-fake\r\n250 PIPELINING";


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

BOOST_AUTO_TEST_CASE(server_closing_during_data_is_outcome_unknown) {
    // After 354 the server vanishes while the body is being written: part of the message
    // reached it, so the outcome is unknown (never success, never "try again").
    FakeServer server({"220 fake", "250 fake", "250 ok", "250 ok", "354 go<close>"});
    Session session(settings_for(server.port()));
    session.open();
    Message m = tiny({"a@example.test"});
    m.text = std::string(4 * 1024 * 1024, 'y');
    const auto start = std::chrono::steady_clock::now();
    const SendResult r = session.send(m);
    BOOST_TEST((r.error == ErrorCode::OutcomeUnknown), r.message);
    BOOST_TEST(!is_transient(r.error));
    BOOST_TEST(r.accepted_count() == 0u);
    BOOST_TEST(r.message.find("may or may not") != std::string::npos, r.message);
    BOOST_TEST(since(start) < 2.5);
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

BOOST_AUTO_TEST_CASE(silence_after_the_final_dot_is_outcome_unknown_after_the_final_timeout) {
    // RFC 5321 §4.5.3.2.6: the wait for the reply to "." has its own (long) timeout; when
    // it runs out the message may have been accepted: OUTCOME.UNKNOWN, not TIMEOUT.
    FakeServer server({"220 fake", "250 fake", "250 ok", "250 ok", "354 go", "<silent>"});
    SessionSettings s = settings_for(server.port());
    s.timeouts = {2000, 4000};
    s.timeouts.final_ms = 1000;
    Session session(s);
    session.open();
    const auto start = std::chrono::steady_clock::now();
    const SendResult r = session.send(tiny({"a@example.test"}));
    const double seconds = since(start);
    BOOST_TEST((r.error == ErrorCode::OutcomeUnknown), r.message);
    BOOST_TEST(!is_transient(r.error));
    BOOST_REQUIRE(r.recipients.size() == 1u);
    BOOST_TEST(!r.recipients[0].accepted);
    BOOST_TEST((r.recipients[0].error == ErrorCode::OutcomeUnknown));
    BOOST_TEST(seconds >= 0.9);
    BOOST_TEST(seconds < 2.5);  // the final timeout, not the 4 s I/O timeout
    BOOST_TEST(session.broken());
    session.quit();
    const Lines expected = {"EHLO client.example.test", "MAIL FROM:<sender@example.test>", "RCPT TO:<a@example.test>",
                            "DATA", "<body>", "."};
    BOOST_TEST(wire(server) == expected, shown(wire(server)));
}

BOOST_AUTO_TEST_CASE(the_final_timeout_may_be_longer_than_the_io_timeout) {
    FakeServer server({"220 fake", "250 fake", "250 ok", "250 ok", "354 go", "<silent>"});
    SessionSettings s = settings_for(server.port());
    s.timeouts = {1000, 1000};
    s.timeouts.final_ms = 2500;
    Session session(s);
    session.open();
    const auto start = std::chrono::steady_clock::now();
    const SendResult r = session.send(tiny({"a@example.test"}));
    BOOST_TEST((r.error == ErrorCode::OutcomeUnknown), r.message);
    BOOST_TEST(since(start) >= 2.4);
    BOOST_TEST(since(start) < 4.5);
}

BOOST_AUTO_TEST_CASE(close_after_the_final_dot_is_outcome_unknown) {
    FakeServer server({"220 fake", kPipelining, "250 ok", "250 ok", "354 go", "<close>"});
    Session session(settings_for(server.port()));
    session.open();
    const SendResult r = session.send(tiny({"a@example.test"}));
    BOOST_TEST((r.error == ErrorCode::OutcomeUnknown), r.message);
    BOOST_TEST(session.broken());
    BOOST_TEST(session.failed_before_data() == false);
    session.quit();
    const Lines expected = {"EHLO client.example.test", "MAIL FROM:<sender@example.test>", "RCPT TO:<a@example.test>",
                            "DATA", "<body>", "."};
    BOOST_TEST(wire(server) == expected, shown(wire(server)));
}

BOOST_AUTO_TEST_CASE(a_second_transaction_lost_before_its_data_leaves_the_first_accepted) {
    // The deferred recipient's transaction breaks at MAIL: it was never sent (transient for
    // that recipient), the first transaction's recipient stays accepted: PARTIAL.
    FakeServer server({"220 fake", kPipelining, "250 ok", "250 ok", "452 4.5.3 too many recipients", "354 go",
                       "250 2.0.0 queued", "<close>"});
    Session session(settings_for(server.port()));
    session.open();
    SendResult r;
    try {
        r = session.send(tiny({"a@example.test", "b@example.test"}));
    } catch (const Error& e) {
        BOOST_TEST(false, "threw " << e.what());
    }
    BOOST_REQUIRE(r.recipients.size() == 2u);
    BOOST_TEST(r.recipients[0].accepted);
    BOOST_TEST(!r.recipients[1].accepted);
    BOOST_TEST(is_transient(r.recipients[1].error));
    BOOST_TEST(r.accepted_count() == 1u);
    BOOST_TEST((r.error != ErrorCode::Ok));
    BOOST_TEST(session.broken());
    BOOST_TEST(session.failed_before_data() == false);  // Mailer must not send the message again
}

BOOST_AUTO_TEST_CASE(a_421_after_the_final_dot_is_kept_and_nothing_follows) {
    FakeServer server({"220 fake", "250 fake", "250 ok", "250 ok", "354 go", "421 4.3.0 shutting down now"});
    Session session(settings_for(server.port()));
    session.open();
    const SendResult r = session.send(tiny({"a@example.test"}));
    BOOST_TEST((r.error == ErrorCode::ServerUnavailable), r.message);
    BOOST_TEST(r.message.find("shutting down now") != std::string::npos, r.message);
    BOOST_REQUIRE(r.last_reply.has_value());
    BOOST_TEST(r.last_reply->code == 421);
    BOOST_TEST(session.broken());
    session.quit();  // RFC 5321 §3.8: the server is closing; not even QUIT
    const Lines expected = {"EHLO client.example.test", "MAIL FROM:<sender@example.test>", "RCPT TO:<a@example.test>",
                            "DATA", "<body>", "."};
    BOOST_TEST(wire(server) == expected, shown(wire(server)));
}

BOOST_AUTO_TEST_CASE(a_421_at_any_envelope_stage_ends_the_session_silently) {
    // 421 to MAIL, to a RCPT, to DATA; pipelined and not: no RSET, no QUIT, the 421 kept.
    struct Case { const char* name; Lines script; Lines expected; };
    const std::string mail = "MAIL FROM:<sender@example.test>";
    const Case cases[] = {
        {"mail", {"220 fake", "250 fake", "421 4.4.2 idle too long"}, {"EHLO client.example.test", mail}},
        {"rcpt", {"220 fake", "250 fake", "250 ok", "250 ok", "421 4.4.2 idle too long"},
         {"EHLO client.example.test", mail, "RCPT TO:<a@example.test>", "RCPT TO:<b@example.test>"}},
        {"data", {"220 fake", "250 fake", "250 ok", "250 ok", "250 ok", "421 4.4.2 idle too long"},
         {"EHLO client.example.test", mail, "RCPT TO:<a@example.test>", "RCPT TO:<b@example.test>", "DATA"}},
        {"pipelined rcpt", {"220 fake", kPipelining, "250 ok", "250 ok", "421 4.4.2 idle too long<close>"},
         {"EHLO client.example.test", mail, "RCPT TO:<a@example.test>", "RCPT TO:<b@example.test>"}},
        {"pipelined data", {"220 fake", kPipelining, "250 ok", "250 ok", "250 ok", "421 4.4.2 idle too long"},
         {"EHLO client.example.test", mail, "RCPT TO:<a@example.test>", "RCPT TO:<b@example.test>", "DATA"}},
    };
    for (const auto& c : cases) {
        FakeServer server(c.script);
        Session session(settings_for(server.port()));
        session.open();
        const auto start = std::chrono::steady_clock::now();
        SendResult r;
        try {
            r = session.send(tiny({"a@example.test", "b@example.test"}));
        } catch (const Error& e) {
            BOOST_TEST(false, c.name << ": threw " << e.what());
        }
        BOOST_TEST((r.error == ErrorCode::ServerUnavailable), c.name << ": " << r.message);
        BOOST_TEST(r.message.find("idle too long") != std::string::npos, c.name << ": " << r.message);
        BOOST_TEST((r.last_reply && r.last_reply->code == 421), c.name);
        BOOST_TEST(r.recipients.size() == 2u, c.name);
        BOOST_TEST(r.accepted_count() == 0u, c.name);
        BOOST_TEST(session.broken(), c.name);
        BOOST_TEST(session.failed_before_data(), c.name);
        session.quit();
        BOOST_TEST(since(start) < 1.5, c.name);
        BOOST_TEST(wire(server) == c.expected, c.name << ": " << shown(wire(server)));
    }
}

BOOST_AUTO_TEST_CASE(a_refusal_survives_a_failing_rset) {
    // MAIL 550, or RCPT 550 + DATA 554; then the server closes or stalls at RSET. The
    // refusal (permanent) and the per-recipient results stay; the session is unusable.
    struct Case { const char* name; Lines script; ErrorCode error; int rcpt_code; Lines expected; };
    const std::string mail = "MAIL FROM:<sender@example.test>";
    const Case cases[] = {
        {"mail 550, close", {"220 fake", "250 fake", "550 5.7.1 sender refused", "<close>"}, ErrorCode::SenderRejected,
         550, {"EHLO client.example.test", mail, "RSET"}},
        {"mail 550, stall", {"220 fake", "250 fake", "550 5.7.1 sender refused", "<silent>"}, ErrorCode::SenderRejected,
         550, {"EHLO client.example.test", mail, "RSET"}},
        {"rcpt 550 data 554, close",
         {"220 fake", kPipelining, "250 ok", "550 5.1.1 no such user", "554 5.5.1 no valid recipients", "<close>"},
         ErrorCode::RecipientRejected, 550, {"EHLO client.example.test", mail, "RCPT TO:<a@example.test>", "DATA", "RSET"}},
        {"rcpt 550 data 554, stall",
         {"220 fake", kPipelining, "250 ok", "550 5.1.1 no such user", "554 5.5.1 no valid recipients", "<silent>"},
         ErrorCode::RecipientRejected, 550, {"EHLO client.example.test", mail, "RCPT TO:<a@example.test>", "DATA", "RSET"}},
        {"rcpt 550 data 554, rset 421",
         {"220 fake", kPipelining, "250 ok", "550 5.1.1 no such user", "554 5.5.1 no valid recipients", "421 4.3.2 bye"},
         ErrorCode::RecipientRejected, 550, {"EHLO client.example.test", mail, "RCPT TO:<a@example.test>", "DATA", "RSET"}},
    };
    for (const auto& c : cases) {
        FakeServer server(c.script);
        SessionSettings s = settings_for(server.port());
        s.timeouts = {1000, 1000};
        Session session(s);
        session.open();
        const auto start = std::chrono::steady_clock::now();
        SendResult r;
        try {
            r = session.send(tiny({"a@example.test"}));
        } catch (const Error& e) {
            BOOST_TEST(false, c.name << ": threw " << e.what());
        }
        BOOST_TEST((r.error == c.error), c.name << ": " << r.message);
        BOOST_TEST(!is_transient(r.error), c.name);
        BOOST_REQUIRE(r.recipients.size() == 1u);
        BOOST_TEST(r.recipients[0].reply.code == c.rcpt_code, c.name);
        BOOST_TEST(session.broken(), c.name);
        session.quit();
        BOOST_TEST(since(start) < 2.0, c.name);
        BOOST_TEST(wire(server) == c.expected, c.name << ": " << shown(wire(server)));
    }
}

BOOST_AUTO_TEST_CASE(rcpt_552_is_452_and_deferred_recipients_go_in_a_second_transaction) {
    // RFC 5321 §4.5.3.1.10: 552 to RCPT means "too many recipients", like 452. The deferred
    // recipients are sent in a following transaction once the first one is over.
    FakeServer server({"220 fake", kPipelining, "250 ok", "250 ok", "452 4.5.3 too many recipients",
                       "552 5.5.3 too many recipients", "354 go", "250 2.0.0 queued as ONE", "250 ok", "250 ok", "250 ok",
                       "354 go", "250 2.0.0 queued as TWO", "221 bye"});
    Session session(settings_for(server.port()));
    session.open();
    const SendResult r = session.send(tiny({"a@example.test", "b@example.test", "c@example.test"}));
    BOOST_TEST((r.error == ErrorCode::Ok), r.message);
    BOOST_REQUIRE(r.recipients.size() == 3u);
    for (const auto& rr : r.recipients) BOOST_TEST(rr.accepted, rr.address);
    BOOST_TEST(r.recipients[0].transaction == 1);
    BOOST_TEST(r.recipients[1].transaction == 2);
    BOOST_TEST(r.recipients[2].transaction == 2);
    BOOST_TEST((r.last_reply && r.last_reply->text().find("TWO") != std::string::npos));
    session.quit();
    const std::string mail = "MAIL FROM:<sender@example.test>";
    const Lines expected = {"EHLO client.example.test", mail, "RCPT TO:<a@example.test>", "RCPT TO:<b@example.test>",
                            "RCPT TO:<c@example.test>", "DATA", "<body>", ".", mail, "RCPT TO:<b@example.test>",
                            "RCPT TO:<c@example.test>", "DATA", "<body>", ".", "QUIT"};
    BOOST_TEST(wire(server) == expected, shown(wire(server)));
}

BOOST_AUTO_TEST_CASE(deferred_recipients_stop_when_no_progress_and_earlier_ones_stay_accepted) {
    // Second transaction: b is deferred again (no progress): stop, RSET; a keeps its result.
    FakeServer server({"220 fake", kPipelining, "250 ok", "250 ok", "452 4.5.3 too many recipients", "354 go",
                       "250 2.0.0 queued", "250 ok", "452 4.5.3 too many recipients", "554 5.5.1 no valid recipients",
                       "250 reset", "221 bye"});
    Session session(settings_for(server.port()));
    session.open();
    const SendResult r = session.send(tiny({"a@example.test", "b@example.test"}));
    BOOST_TEST((r.error == ErrorCode::RecipientDeferred), r.message);
    BOOST_REQUIRE(r.recipients.size() == 2u);
    BOOST_TEST(r.recipients[0].accepted);
    BOOST_TEST(r.recipients[0].transaction == 1);
    BOOST_TEST(!r.recipients[1].accepted);
    BOOST_TEST((r.recipients[1].error == ErrorCode::RecipientDeferred));
    BOOST_TEST(r.recipients[1].reply.code == 452);
    BOOST_TEST(!session.broken());
    session.quit();
    const std::string mail = "MAIL FROM:<sender@example.test>";
    const Lines expected = {"EHLO client.example.test", mail, "RCPT TO:<a@example.test>", "RCPT TO:<b@example.test>",
                            "DATA", "<body>", ".", mail, "RCPT TO:<b@example.test>", "DATA", "RSET", "QUIT"};
    BOOST_TEST(wire(server) == expected, shown(wire(server)));
}

BOOST_AUTO_TEST_CASE(a_second_transaction_lost_after_its_final_dot_leaves_the_first_accepted) {
    FakeServer server({"220 fake", kPipelining, "250 ok", "250 ok", "452 4.5.3 too many recipients", "354 go",
                       "250 2.0.0 queued", "250 ok", "250 ok", "354 go", "<close>"});
    Session session(settings_for(server.port()));
    session.open();
    SendResult r;
    try {
        r = session.send(tiny({"a@example.test", "b@example.test"}));
    } catch (const Error& e) {
        BOOST_TEST(false, "threw " << e.what());
    }
    BOOST_REQUIRE(r.recipients.size() == 2u);
    BOOST_TEST(r.recipients[0].accepted);
    BOOST_TEST((r.recipients[1].error == ErrorCode::OutcomeUnknown));
    BOOST_TEST((r.error == ErrorCode::OutcomeUnknown), r.message);
    BOOST_TEST(session.broken());
}

BOOST_AUTO_TEST_CASE(quit_after_a_send_is_bounded) {
    FakeServer server({"220 fake", kPipelining, "250 ok", "250 ok", "354 go", "250 queued", "<silent>"});
    SessionSettings s = settings_for(server.port());
    s.timeouts = {2000, 10000};
    Session session(s);
    session.open();
    BOOST_TEST((session.send(tiny({"a@example.test"})).error == ErrorCode::Ok));
    const auto start = std::chrono::steady_clock::now();
    session.quit();
    BOOST_TEST(since(start) < 5.5);  // not the 10 s I/O timeout
}

BOOST_AUTO_TEST_CASE(pipelined_recipients_travel_in_bounded_groups) {
    // RFC 2920 §3.1: a group must not outgrow what the peers buffer. 250 recipients: MAIL +
    // 100 RCPT, then 100 RCPT, then 50 RCPT + DATA, each group's replies read before the next.
    Lines script = {"220 fake", kPipelining};
    std::vector<std::string> to;
    for (int i = 0; i < 250; ++i) to.push_back("u" + std::to_string(i) + "@example.test");
    for (int i = 0; i < 251; ++i) script.push_back("250 ok");
    script.push_back("354 go");
    script.push_back("250 queued");
    script.push_back("221 bye");
    FakeServer server(script);
    SessionSettings s = settings_for(server.port());
    auto log = std::make_shared<std::vector<char>>();  // 'C' sent, 'S' received, in order
    s.transcript = [log](Direction d, std::string_view) {
        if (d != Direction::Info) log->push_back(d == Direction::Sent ? 'C' : 'S');
    };
    Session session(s);
    session.open();
    log->clear();
    const SendResult r = session.send(tiny(to));
    BOOST_TEST((r.error == ErrorCode::Ok), r.message);
    BOOST_TEST(r.accepted_count() == 250u);
    // Runs of sent and received lines up to the 354.
    std::vector<std::pair<char, int>> runs;
    for (char c : *log) {
        if (!runs.empty() && runs.back().first == c) ++runs.back().second;
        else runs.push_back({c, 1});
    }
    BOOST_REQUIRE(runs.size() >= 6u);
    BOOST_TEST((runs[0] == std::make_pair('C', 101)));  // MAIL + 100 RCPT
    BOOST_TEST((runs[1] == std::make_pair('S', 101)));
    BOOST_TEST((runs[2] == std::make_pair('C', 100)));
    BOOST_TEST((runs[3] == std::make_pair('S', 100)));
    BOOST_TEST((runs[4] == std::make_pair('C', 51)));  // 50 RCPT + DATA
    session.quit();
    const auto got = wire(server);
    BOOST_REQUIRE(got.size() == 1u + 1 + 250 + 1 + 2 + 1);
    BOOST_TEST(got[252] == "DATA");
    BOOST_TEST(got[253] == "<body>");
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
