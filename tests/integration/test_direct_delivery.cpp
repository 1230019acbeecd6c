// Direct delivery and verification against the test bed's DNS (dnsmasq, 127.0.0.1:5353) and
// exchangers (tests/testbed/rig.sh): the six outcome classes per recipient in one message,
// fallback to the next exchanger (refused connection, 4xx to MAIL, silent greeting), the
// domain's own A record without MX, opportunistic and required TLS, and DNS deadlines.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <set>

#include "mvsmtp/direct.hpp"
#include "mvsmtp/mx_lookup.hpp"
#include "support/test_message.hpp"
#include "support/testbed.hpp"

using namespace mvsmtp;

namespace {

Profile direct_profile() {
    Profile p;
    p.delivery = Delivery::Direct;
    p.dns.servers = "127.0.0.1:5353";
    p.dns.timeout_ms = 5000;
    p.mx_port = 25;
    p.tls = TlsMode::Opportunistic;
    p.ca_file = testbed::ca_file();
    p.helo = "direct.mvsmtp.test";
    p.timeouts.connect_ms = 5000;
    p.timeouts.io_ms = 10000;
    return p;
}

Message message_to(const std::vector<std::string>& to, const std::string& token) {
    return testsupport::message_to(to, token, "direct delivery");
}

const RecipientResult& recipient(const DeliveryReport& r, const std::string& address) {
    for (const auto& x : r.recipients)
        if (x.address == address) return x;
    throw std::runtime_error("no result for " + address);
}

std::string describe(const DeliveryReport& r) {
    std::string s = r.message + "\n";
    for (const auto& x : r.recipients)
        s += "  " + x.address + " class " + std::to_string(x.outcome) + " error " +
             std::to_string(static_cast<int>(x.error)) + " via " + x.exchanger + ": " + x.reply.summary() + "\n";
    return s;
}

int code(ErrorCode e) { return static_cast<int>(e); }

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The Postfix log's lines written after `offset`.
std::vector<std::string> log_lines_after(std::streamoff offset) {
    std::ifstream in(testbed::dir() + "/log/postfix.log");
    in.seekg(offset);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::streamoff log_size() {
    std::ifstream in(testbed::dir() + "/log/postfix.log", std::ios::ate);
    return in ? static_cast<std::streamoff>(in.tellg()) : 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_direct_delivery)

BOOST_AUTO_TEST_CASE(six_classes_per_recipient_in_one_message) {
    const std::string token = testbed::unique_token("six");
    const std::vector<std::string> to = {
        "alice@example.test",          // 6: mx1 accepts
        "reject@example.test",         // 5: mx1 says 550 5.1.1 to this one
        "x@dnsdown.example.test",      // 1: SERVFAIL
        "x@unreachable.example.test",  // 2: one exchanger refuses connections, the other 450 to MAIL
        "x@nullmx.example.test",       // 3: null MX
        "x@nosuch.example.test",       // 3: NXDOMAIN
        "x@nosender.example.test",     // 4: 554 to MAIL FROM
        "nobody@strict.example.test",  // 5: 550 user unknown
        "alice@strict.example.test",   // 6
    };
    const DeliveryReport r = deliver_direct(message_to(to, token), direct_profile());
    BOOST_TEST_INFO(describe(r));
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Partial));
    const std::vector<std::pair<std::string, Outcome>> expected = {
        {"alice@example.test", Outcome::Accepted},          {"reject@example.test", Outcome::RecipientRejected},
        {"x@dnsdown.example.test", Outcome::DnsUnavailable}, {"x@unreachable.example.test", Outcome::Unreachable},
        {"x@nullmx.example.test", Outcome::NoMailServer},    {"x@nosuch.example.test", Outcome::NoMailServer},
        {"x@nosender.example.test", Outcome::SenderRejected}, {"nobody@strict.example.test", Outcome::RecipientRejected},
        {"alice@strict.example.test", Outcome::Accepted}};
    for (const auto& [address, outcome] : expected) {
        BOOST_TEST_CONTEXT(address) {
            BOOST_TEST(recipient(r, address).outcome == static_cast<int>(outcome));
            BOOST_TEST(recipient(r, address).accepted == (outcome == Outcome::Accepted));
        }
    }
    BOOST_TEST(code(recipient(r, "x@dnsdown.example.test").error) == code(ErrorCode::DnsUnavailable));
    BOOST_TEST(code(recipient(r, "x@unreachable.example.test").error) == code(ErrorCode::ExchangersUnreachable));
    BOOST_TEST(recipient(r, "x@unreachable.example.test").reply.code == 450);  // mx-defer's answer to MAIL
    BOOST_TEST(code(recipient(r, "x@nullmx.example.test").error) == code(ErrorCode::NoMailServer));
    BOOST_TEST(recipient(r, "x@nosender.example.test").reply.code == 554);
    BOOST_TEST(recipient(r, "reject@example.test").reply.code == 550);
    BOOST_TEST(recipient(r, "alice@example.test").exchanger == "mx1.example.test [127.0.0.2]");
    BOOST_TEST(recipient(r, "alice@strict.example.test").exchanger == "mx-strict.example.test [127.0.0.7]");
    // The first terminal failure decides the error: not transient, so nobody retries blindly.
    BOOST_TEST(code(r.error) == code(ErrorCode::RecipientRejected));
    BOOST_TEST(!testbed::wait_for_message("alice@example.test", token).empty());
    BOOST_TEST(!testbed::wait_for_message("catchall", token).empty());  // alice@strict.example.test
}

BOOST_AUTO_TEST_CASE(only_inconclusive_failures_give_a_transient_error) {
    const DeliveryReport r = deliver_direct(message_to({"x@dnsdown.example.test", "x@unreachable.example.test"},
                                                       testbed::unique_token("tr")),
                                            direct_profile());
    BOOST_TEST_INFO(describe(r));
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Failed));
    BOOST_TEST(code(r.error) == code(ErrorCode::DnsUnavailable));
    BOOST_TEST(is_transient(r.error));
}

BOOST_AUTO_TEST_CASE(next_exchanger_after_a_refused_connection) {
    const std::string token = testbed::unique_token("refused");
    const DeliveryReport r = deliver_direct(message_to({"bob@refused.example.test"}, token), direct_profile());
    BOOST_TEST_INFO(describe(r));
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Sent));
    BOOST_TEST(recipient(r, "bob@refused.example.test").exchanger == "mx1.example.test [127.0.0.2]");
    BOOST_TEST(!testbed::wait_for_message("catchall", token).empty());
}

BOOST_AUTO_TEST_CASE(next_exchanger_after_a_4xx_to_mail) {
    const std::string token = testbed::unique_token("deferred");
    std::string transcript;
    const DeliveryReport r = deliver_direct(message_to({"bob@deferred.example.test"}, token), direct_profile(),
                                            [&](Direction d, std::string_view line) {
                                                transcript += (d == Direction::Sent ? "C: " : d == Direction::Received ? "S: " : "-- ");
                                                transcript += std::string(line) + "\n";
                                            });
    BOOST_TEST_INFO(describe(r) + transcript);
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Sent));
    BOOST_TEST(recipient(r, "bob@deferred.example.test").exchanger == "mx1.example.test [127.0.0.2]");
    BOOST_TEST(transcript.find("S: 450 4.3.2") != std::string::npos);  // mx-defer said 4xx to MAIL first
    BOOST_TEST(transcript.find("AUTH") == std::string::npos);          // never AUTH to an exchanger
    BOOST_TEST(!testbed::wait_for_message("catchall", token).empty());
}

BOOST_AUTO_TEST_CASE(next_exchanger_after_a_silent_greeting_within_the_timeout) {
    Profile p = direct_profile();
    p.timeouts.io_ms = 1500;
    const std::string token = testbed::unique_token("silent");
    const auto start = std::chrono::steady_clock::now();
    const DeliveryReport r = deliver_direct(message_to({"bob@silent.example.test"}, token), p);
    const double took = seconds_since(start);
    BOOST_TEST_INFO(describe(r));
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Sent));
    BOOST_TEST(recipient(r, "bob@silent.example.test").exchanger == "mx1.example.test [127.0.0.2]");
    BOOST_TEST(took >= 1.4);
    BOOST_TEST(took < 8.0);
}

BOOST_AUTO_TEST_CASE(without_mx_the_domains_own_address_is_used_and_its_certificate_is_reported) {
    const std::string token = testbed::unique_token("nomx");
    const DeliveryReport r = deliver_direct(message_to({"bob@nomx.example.test"}, token), direct_profile());
    BOOST_TEST_INFO(describe(r));
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Sent));
    BOOST_TEST(recipient(r, "bob@nomx.example.test").exchanger == "nomx.example.test [127.0.0.2]");
    // The rig's certificate does not name nomx.example.test: opportunistic TLS still
    // encrypts (RFC 7435), and RESULT says the certificate was not verified.
    BOOST_TEST(r.tls.active);
    BOOST_TEST(r.message.find("TLS certificate not verified") != std::string::npos);
    BOOST_TEST(!testbed::wait_for_message("catchall", token).empty());
}

BOOST_AUTO_TEST_CASE(tls_required_never_falls_back_to_an_unverified_or_clear_session) {
    Profile p = direct_profile();
    p.tls = TlsMode::Required;
    const DeliveryReport r = deliver_direct(message_to({"bob@nomx.example.test"}, testbed::unique_token("req")), p);
    BOOST_TEST_INFO(describe(r));
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Failed));
    BOOST_TEST(recipient(r, "bob@nomx.example.test").outcome == static_cast<int>(Outcome::Unreachable));
    BOOST_TEST(r.message.find("not valid for the name nomx.example.test") != std::string::npos);
    // A verified certificate passes: mx1's names it.
    const DeliveryReport ok = deliver_direct(message_to({"bob@example.test"}, testbed::unique_token("req")), p);
    BOOST_TEST(static_cast<int>(ok.status) == static_cast<int>(DeliveryStatus::Sent), describe(ok));
    BOOST_TEST(ok.tls.unverified.empty());
}

BOOST_AUTO_TEST_CASE(a_silent_resolver_gives_class_1_within_the_dns_deadline) {
    Profile p = direct_profile();
    p.dns.servers = "127.0.0.1:5356";  // fault_servers.py: reads queries, never answers
    p.dns.timeout_ms = 2000;
    const auto start = std::chrono::steady_clock::now();
    const DeliveryReport r = deliver_direct(message_to({"bob@example.test"}, testbed::unique_token("sil")), p);
    const double took = seconds_since(start);
    BOOST_TEST_INFO(describe(r));
    BOOST_TEST(recipient(r, "bob@example.test").outcome == static_cast<int>(Outcome::DnsUnavailable));
    BOOST_TEST(code(r.error) == code(ErrorCode::DnsUnavailable));
    BOOST_TEST(took >= 1.9);
    BOOST_TEST(took < 3.0);
}

BOOST_AUTO_TEST_CASE(a_servfail_resolver_gives_class_1_at_once) {
    Profile p = direct_profile();
    p.dns.servers = "127.0.0.1:5355";  // fault_servers.py: SERVFAIL to everything
    const auto start = std::chrono::steady_clock::now();
    const DeliveryReport r = deliver_direct(message_to({"bob@example.test"}, testbed::unique_token("sf")), p);
    BOOST_TEST_INFO(describe(r));
    BOOST_TEST(recipient(r, "bob@example.test").outcome == static_cast<int>(Outcome::DnsUnavailable));
    BOOST_TEST(r.message.find("SERVFAIL") != std::string::npos);
    BOOST_TEST(seconds_since(start) < 2.0);
}

BOOST_AUTO_TEST_CASE(mx_lookup_orders_by_preference_and_shuffles_equal_ones) {
    DnsSettings dns{"127.0.0.1:5353", 5000};
    const MxLookup mx = lookup_mx("example.test", dns);
    BOOST_TEST_REQUIRE(mx.exchangers.size() == 2u);
    BOOST_TEST(mx.exchangers[0].name == "mx1.example.test");
    BOOST_TEST(mx.exchangers[0].addresses == std::vector<std::string>{"127.0.0.2"});
    BOOST_TEST(mx.exchangers[1].name == "mx2.example.test");
    BOOST_TEST(mx.resolver == "127.0.0.1:5353");
    BOOST_TEST(mx.steps.size() == 3u);  // MX, then each exchanger's addresses
    std::set<std::string> firsts;
    for (int i = 0; i < 40 && firsts.size() < 2; ++i) firsts.insert(lookup_mx("equal.example.test", dns).exchangers.at(0).name);
    BOOST_TEST(firsts.size() == 2u);  // 40 lookups: both orders appear (chance of failing 2^-39)
}

BOOST_AUTO_TEST_CASE(mx_lookup_of_an_internationalised_domain_asks_for_its_a_labels) {
    const MxLookup mx = lookup_mx("bücher.example.test", {"127.0.0.1:5353", 5000});
    BOOST_TEST(mx.domain == "xn--bcher-kva.example.test");
    BOOST_TEST_REQUIRE(mx.exchangers.size() == 1u);
    BOOST_TEST(mx.exchangers[0].name == "mx1.example.test");
}

BOOST_AUTO_TEST_CASE(mx_lookup_outcomes_for_domains_without_mail) {
    DnsSettings dns{"127.0.0.1:5353", 5000};
    BOOST_TEST(static_cast<int>(lookup_mx("nullmx.example.test", dns).outcome) == static_cast<int>(MxOutcome::NoMailServer));
    BOOST_TEST(static_cast<int>(lookup_mx("nosuch.example.test", dns).outcome) == static_cast<int>(MxOutcome::NoMailServer));
    BOOST_TEST(static_cast<int>(lookup_mx("noaddress.example.test", dns).outcome) == static_cast<int>(MxOutcome::NoMailServer));
    BOOST_TEST(static_cast<int>(lookup_mx("dnsdown.example.test", dns).outcome) == static_cast<int>(MxOutcome::Unavailable));
    const MxLookup nomx = lookup_mx("nomx.example.test", dns);
    BOOST_TEST_REQUIRE(nomx.exchangers.size() == 1u);
    BOOST_TEST(nomx.exchangers[0].implicit);
}

BOOST_AUTO_TEST_CASE(verify_classifies_detects_catch_all_and_never_sends_data) {
    const std::streamoff before = log_size();
    const DeliveryReport r = verify_addresses(
        {"alice@example.test", "nobody@strict.example.test", "alice@strict.example.test", "x@nullmx.example.test"},
        direct_profile());
    BOOST_TEST_INFO(describe(r));
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Partial));
    BOOST_TEST(recipient(r, "alice@example.test").outcome == static_cast<int>(Outcome::Accepted));
    BOOST_TEST(recipient(r, "alice@example.test").catch_all == 1);  // mx1 takes any address
    BOOST_TEST(recipient(r, "nobody@strict.example.test").outcome == static_cast<int>(Outcome::RecipientRejected));
    BOOST_TEST(recipient(r, "nobody@strict.example.test").catch_all == 0);
    BOOST_TEST(recipient(r, "alice@strict.example.test").outcome == static_cast<int>(Outcome::Accepted));
    BOOST_TEST(recipient(r, "x@nullmx.example.test").outcome == static_cast<int>(Outcome::NoMailServer));
    // Postfix logs each session's commands when it ends: MAIL and RCPT, never DATA.
    int sessions = 0;
    for (int wait = 0; wait < 50 && sessions < 2; ++wait) {
        sessions = 0;
        for (const auto& line : log_lines_after(before)) {
            if (line.find("disconnect from") == std::string::npos) continue;
            if (line.find("postfix/mx1/") == std::string::npos && line.find("postfix/mx-strict/") == std::string::npos) continue;
            if (line.find("rcpt=") == std::string::npos) continue;
            ++sessions;
            BOOST_TEST(line.find("data=") == std::string::npos, line);
            BOOST_TEST(line.find("rset=1") != std::string::npos, line);
        }
        if (sessions < 2) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    BOOST_TEST(sessions >= 2);
}

BOOST_AUTO_TEST_SUITE_END()
