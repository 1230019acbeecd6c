// The operator tools: `mvsmtp test` (one PASS/FAIL/SKIP line per step, the server's words
// where it refused, the first failure's code as exit status) and `mvsmtp shell` (typed SMTP
// in a real terminal: prompts, echo off for the password, DATA with dot-stuffing) against
// the loopback Postfix of tests/testbed/rig.sh.
#include <boost/test/unit_test.hpp>

#include <Poco/Net/ServerSocket.h>

#include <regex>

#include "sendmail_fixture.hpp"
#include "support/tmux_session.hpp"

using namespace sendmail_test;

namespace {

const std::string kCli = MVSMTP_CLI_PATH;

// `mvsmtp test` aimed at the rig, with the test CA trusted.
testbed::CommandResult run_test(std::vector<std::string> args) {
    std::vector<std::string> argv = {kCli, "test", "--ca-file", testbed::ca_file(), "--helo", "client.example.test",
                                     "--timeout", "20", "--connect-timeout", "5"};
    argv.insert(argv.end(), args.begin(), args.end());
    return testbed::run(argv);
}

bool has_line(const std::string& out, const std::string& pattern) {
    return std::regex_search(out, std::regex("(^|\n)" + pattern));
}

// A loopback port nothing listens on: bound by us a moment ago, then released.
int closed_port() {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    const int port = s.address().port();
    s.close();
    return port;
}

// base64 of what AUTH PLAIN and AUTH LOGIN would carry for the rig's test user.
const char* kPlainToken = "AHRlc3R1c2VyQGV4YW1wbGUudGVzdAB0ZXN0cGFzcw==";
const char* kLoginPassword = "dGVzdHBhc3M=";

}  // namespace

BOOST_AUTO_TEST_SUITE(test_operator_tools)

BOOST_AUTO_TEST_CASE(test_passes_every_step_with_credentials) {
    const auto r = run_test({"--server", "smtp://127.0.0.1:2525", "--user", kUser, "--password-file",
                             password_file(), "--rcpt", kUser, "--verbose"});
    BOOST_TEST(r.status == 0, r.out << r.err);
    for (const char* step : {"connect", "greeting", "ehlo", "tls", "auth", "relay"})
        BOOST_TEST(has_line(r.out, std::string("PASS ") + step + " "), step << ":\n" << r.out);
    BOOST_TEST(!has_line(r.out, "FAIL "), r.out);
    BOOST_TEST(!has_line(r.out, "SKIP (connect|greeting|ehlo|tls|auth|relay) "), r.out);
    BOOST_TEST(has_line(r.out, "SKIP token +no OAuth in this profile"), r.out);  // a password profile
    BOOST_TEST(has_line(r.out, " +AUTH PLAIN"), r.out);              // a capability, listed
    BOOST_TEST(has_line(r.out, " +subject: .*"), r.out);             // the certificate, shown
    BOOST_TEST(has_line(r.out, "C: RSET"), r.out);                   // the relay check sent nothing
    BOOST_TEST(r.out.find("C: DATA") == std::string::npos, r.out);
    BOOST_TEST(r.out.find("testpass") == std::string::npos);        // transcript redacted
    BOOST_TEST(r.out.find(kPlainToken) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(test_shows_the_relay_refusal_in_the_servers_words) {
    const auto r = run_test({"--server", "smtp://127.0.0.1:2525", "--rcpt", "someone@example.org"});
    BOOST_TEST(has_line(r.out, "PASS tls "), r.out);
    BOOST_TEST(has_line(r.out, "SKIP auth +no user"), r.out);
    // Postfix's own words (this rig's restriction says "Access denied"; others say "Relay
    // access denied"), exactly as the server sent them.
    BOOST_TEST(has_line(r.out, "FAIL relay +554 5\\.7\\.1 <someone@example\\.org>: "
                               "Recipient address rejected: Access denied"),
               r.out);
    BOOST_TEST(r.status == 32, r.out << r.err);  // RECIPIENT.REJECTED
}

BOOST_AUTO_TEST_CASE(test_stops_at_tls_when_the_server_offers_none) {
    const auto r = run_test({"127.0.0.1:2526", "--tls", "required", "--user", kUser, "--password-file",
                             password_file(), "--rcpt", kUser, "--verbose"});
    BOOST_TEST(r.status == 39, r.out << r.err);  // TLS.UNAVAILABLE
    BOOST_TEST(has_line(r.out, "PASS ehlo "), r.out);
    BOOST_TEST(has_line(r.out, "FAIL tls .*TLS.UNAVAILABLE"), r.out);
    BOOST_TEST(has_line(r.out, "SKIP auth "), r.out);
    BOOST_TEST(has_line(r.out, "SKIP relay "), r.out);
    BOOST_TEST(r.out.find("C: AUTH") == std::string::npos, r.out);  // no credentials in clear
}

BOOST_AUTO_TEST_CASE(test_reports_a_closed_port_at_connect) {
    const auto r = run_test({"127.0.0.1:" + std::to_string(closed_port())});
    BOOST_TEST(r.status == 10, r.out << r.err);  // CONNECT.FAILED
    BOOST_TEST(has_line(r.out, "FAIL connect "), r.out);
    BOOST_TEST(has_line(r.out, "SKIP greeting "), r.out);
}

BOOST_AUTO_TEST_CASE(test_refuses_a_password_on_the_command_line) {
    const auto r = run_test({"127.0.0.1:2525", "--password", "secret"});
    BOOST_TEST(r.status == 60);
    BOOST_TEST(r.out.find("secret") == std::string::npos);
}

// The whole session typed into a real terminal: the password must never reach the screen
// (echo off), and a body line starting with "." must arrive intact (dot-stuffing).
BOOST_AUTO_TEST_CASE(shell_in_a_real_terminal) {
    const std::string token = testbed::unique_token("shell");
    tmux_test::TmuxSession t(tmux_test::shell_quote(kCli) + " shell --server smtp://127.0.0.1:2525 --ca-file " +
                             tmux_test::shell_quote(testbed::ca_file()));
    t.expect("220 .*ESMTP");
    t.type("EHLO client.example.test");
    t.expect("\n250 ");
    t.type("STARTTLS");
    t.expect("\n220 ");
    t.type("EHLO client.example.test");
    t.expect("\n250-AUTH ");
    t.expect("\n250 ");
    t.type(".auth PLAIN");
    t.expect("Username: ");
    t.type(kUser);
    t.expect("Password: ");
    t.type("testpass");
    t.expect("\n235 ");
    t.type("MAIL FROM:<" + std::string(kUser) + ">");
    t.expect("\n250 ");
    t.type("RCPT TO:<" + std::string(kUser) + ">");
    t.expect("\n250 ");
    t.type("DATA");
    t.expect("\n354 ");
    t.expect("data> ");
    t.type("Subject: " + token);
    t.type("");
    t.type(".hello");
    t.type(".");
    t.expect("\n250 .*queued");
    t.type("QUIT");
    t.expect("\n221 ");
    BOOST_TEST(t.wait_exit() == 0);
    const std::string screen = t.screen();
    BOOST_TEST(screen.find("testpass") == std::string::npos, screen);
    BOOST_TEST(screen.find(kPlainToken) == std::string::npos, screen);

    const std::string path = testbed::wait_for_message(kUser, token);
    BOOST_REQUIRE_MESSAGE(!path.empty(), "no message with " << token << " in " << kUser << "'s Maildir");
    const std::string raw = testbed::read_file(path);
    BOOST_TEST(raw.find("\n.hello\n") != std::string::npos, raw);  // un-stuffed by the server
    BOOST_TEST(raw.find("..hello") == std::string::npos, raw);
}

// Piped stdin: no prompts, just the replies; AUTH LOGIN reads user and password as lines.
BOOST_AUTO_TEST_CASE(shell_with_piped_input) {
    const std::string script =
        std::string("printf '%s\\n' 'EHLO client.example.test' STARTTLS 'EHLO client.example.test' ") +
        "'.auth LOGIN' " + kUser + " testpass RSET | " + tmux_test::shell_quote(kCli) +
        " shell 127.0.0.1:2525 --ca-file " + tmux_test::shell_quote(testbed::ca_file());
    const auto r = testbed::run({"/bin/sh", "-c", script});
    BOOST_TEST(r.status == 0, r.out << r.err);
    BOOST_TEST(has_line(r.out, "220 .*ESMTP"), r.out);
    BOOST_TEST(has_line(r.out, "334 "), r.out);
    BOOST_TEST(has_line(r.out, "235 "), r.out);
    BOOST_TEST(has_line(r.out, "221 "), r.out);  // end of input: QUIT
    BOOST_TEST(r.out.find("smtp>") == std::string::npos, r.out);
    BOOST_TEST(r.out.find("testpass") == std::string::npos);
    BOOST_TEST(r.out.find(kLoginPassword) == std::string::npos);
}

// Like SMTP.OPEN, .auth keeps a password off an unencrypted connection unless told otherwise.
BOOST_AUTO_TEST_CASE(shell_auth_needs_tls) {
    const std::string script = "printf '%s\\n' 'EHLO client.example.test' '.auth PLAIN' | " +
                               tmux_test::shell_quote(kCli) + " shell 127.0.0.1:2526 --tls off";
    const auto r = testbed::run({"/bin/sh", "-c", script});
    BOOST_TEST(r.status == 0, r.out << r.err);
    BOOST_TEST(r.err.find("not encrypted") != std::string::npos, r.err);
    BOOST_TEST(!has_line(r.out, "(334|235|535) "), r.out);  // no AUTH was sent
    BOOST_TEST(has_line(r.out, "221 "), r.out);
}

BOOST_AUTO_TEST_SUITE_END()
