// The mvsmtp command: machine mode gives the library's RESULT byte for byte (ids and paths
// aside), prints nothing else, and exits with RESULT<R.ERROR>; human mode's flags reach the
// same ABI.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "session_fixture.hpp"
#include "support/silent_dns.hpp"

using namespace sendmail_test;

namespace {

const std::string kCli = MVSMTP_CLI_PATH;

std::string write_args(const std::string& message, const std::string& body, const std::string& options) {
    const std::string path = testbed::dir() + "/args-" + testbed::unique_token("cli");
    std::ofstream(path, std::ios::binary) << message << '\x1F' << body << '\x1F' << options;
    return path;
}

// Message-IDs, queue ids and outbox paths differ per message; everything else must match.
std::string normalised(std::string result) {
    result = std::regex_replace(result, std::regex("<[0-9a-f]{32}@[^>]*>"), "<ID>");
    result = std::regex_replace(result, std::regex("queued as [0-9A-F]+"), "queued as Q");
    return result;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_cli)

BOOST_AUTO_TEST_CASE(machine_mode_equals_library_result) {
    const std::string token = testbed::unique_token("machine");
    const std::string msg = simple_message(token, {"testuser@example.test", "reject@example.test"});
    const std::string opts = options({"smtp://127.0.0.1:2525", "required"});
    const std::string in_process = mvsmtp_library().sendmail(msg, "body", opts);
    const auto out = testbed::run({kCli, "machine", "sendmail", write_args(msg, "body", opts)});
    BOOST_TEST(out.status == 32);  // RECIPIENT.REJECTED, the partial delivery's error
    BOOST_TEST(normalised(out.out) == normalised(in_process));
    BOOST_TEST(field(out.out, R::STATUS) == "1");
}

BOOST_AUTO_TEST_CASE(machine_mode_hex_is_7bit_both_ways_and_equals_library_result) {
    // UniData/jBASE OSWRITE turn byte 0x80 into 0x00; the BASIC wrappers send hex instead.
    const std::string token = testbed::unique_token("hex");
    DynArrayBuilder m;
    m.set(M::FROM, "Zoë Müller <sender@example.test>");  // UTF-8 with bytes >= 0x80
    m.set(M::TO, "testuser@example.test");
    m.set(M::SUBJECT, "Grüße " + token);
    const std::string msg = m.str(), opts = options({"smtp://127.0.0.1:2525", "required"});
    const std::string in_process = mvsmtp_library().sendmail(msg, "€ body", opts);
    std::string hex;
    static const char digits[] = "0123456789abcdef";
    for (unsigned char b : msg + '\x1F' + "€ body" + '\x1F' + opts) { hex += digits[b >> 4]; hex += digits[b & 15]; }
    const std::string path = testbed::dir() + "/args-" + token;
    std::ofstream(path) << hex << "\n";
    const auto out = testbed::run({kCli, "machine", "--hex", "sendmail", path});
    BOOST_TEST(out.status == 0, out.err);
    for (char c : out.out) BOOST_TEST(std::isxdigit(static_cast<unsigned char>(c)) != 0);
    std::string result;
    for (std::size_t i = 0; i + 1 < out.out.size(); i += 2) result += static_cast<char>(std::stoi(out.out.substr(i, 2), nullptr, 16));
    BOOST_TEST(normalised(result) == normalised(in_process));
    BOOST_TEST(field(result, R::STATUS) == "0");
    const std::string delivered = testbed::wait_for_message(kUser, token);
    BOOST_REQUIRE(!delivered.empty());
    BOOST_TEST(testbed::inspect(delivered)->getValue<std::string>("subject") == "Grüße " + token);
}

BOOST_AUTO_TEST_CASE(machine_mode_failure_exit_code_and_clean_stdout) {
    const std::string msg = simple_message("x", {"testuser@example.test"});
    Server s{"smtp://127.0.0.1:2525", "required", kUser, "wrongpass"};
    const auto out = testbed::run({kCli, "machine", "sendmail", write_args(msg, "b", options(s))});
    BOOST_TEST(out.status == 35);
    // stdout holds exactly one RESULT: no newline, no log line, no password.
    BOOST_TEST(out.out.find('\n') == std::string::npos);
    BOOST_TEST(out.err.empty(), "stderr: " << out.err);
    BOOST_TEST(field(out.out, R::ERROR_NAME) == "AUTH.FAILED");
    BOOST_TEST(out.out.find("wrongpass") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(machine_session_runs_a_batch_on_one_connection) {
    const std::string token = testbed::unique_token("msession");
    const std::string opts = options({"smtp://127.0.0.1:2525", "required"});
    std::string script = std::string("OPEN") + '\x1F' + opts;
    for (int i = 1; i <= 3; ++i)
        script += std::string("\x17SEND\x1F") + simple_message(token + "-" + std::to_string(i), {kUser}) + '\x1F' + "body";
    script += std::string("\x17" "CMD\x1F" "NOOP\x17" "CLOSE");
    const std::string path = testbed::dir() + "/args-" + token;
    std::ofstream(path, std::ios::binary) << script;
    const auto out = testbed::run({kCli, "machine", "session", path});
    BOOST_TEST(out.status == 0, out.err);
    const auto results = mvsmtp::gci::split(out.out, '\x17');
    BOOST_REQUIRE(results.size() == 6u);
    BOOST_TEST(std::atoi(field(std::string(results[0]), R::HANDLE).c_str()) > 0);
    for (int i = 1; i <= 3; ++i) BOOST_TEST(field(std::string(results[i]), R::STATUS) == "0", field(std::string(results[i]), R::MESSAGE));
    BOOST_TEST(field(std::string(results[4]), R::REPLY_CODE) == "250");
    BOOST_TEST(field(std::string(results[5]), R::REPLY_CODE) == "221");
    for (int i = 1; i <= 3; ++i) BOOST_TEST(!testbed::wait_for_message(kUser, token + "-" + std::to_string(i)).empty());
}

BOOST_AUTO_TEST_CASE(external_send_equals_in_process_send) {
    // basic/MVSMTP.EXTERNAL runs OPEN, SEND, CLOSE in one hex session for each SMTP.SEND;
    // its SEND RESULT must be the in-process SMTP.SEND RESULT (ids and queue ids aside).
    const std::string token = testbed::unique_token("extsend");
    const std::string opts = options({"smtp://127.0.0.1:2525", "required"});
    const std::string msg = simple_message(token, {kUser, "reject@example.test", "alice@example.test"});
    const int h = std::atoi(field(sendmail_test::sessions().open(opts), R::HANDLE).c_str());
    BOOST_REQUIRE(h > 0);
    const std::string in_process = sendmail_test::sessions().send(h, msg, "same body");
    sendmail_test::sessions().close(h);
    std::string script = std::string("OPEN\x1F") + opts + "\x17SEND\x1F" + msg + "\x1Fsame body\x17" "CLOSE";
    std::string hex;
    static const char digits[] = "0123456789ABCDEF";
    for (unsigned char b : script) { hex += digits[b >> 4]; hex += digits[b & 15]; }
    const std::string path = testbed::dir() + "/args-" + token;
    std::ofstream(path) << hex;
    const auto out = testbed::run({kCli, "machine", "--hex", "--remove", "session", path});
    BOOST_TEST(!std::ifstream(path).good());  // --remove: the request file is gone
    std::string all;
    for (std::size_t i = 0; i + 1 < out.out.size(); i += 2) all += static_cast<char>(std::stoi(out.out.substr(i, 2), nullptr, 16));
    const auto results = mvsmtp::gci::split(all, '\x17');
    BOOST_REQUIRE(results.size() == 3u);
    BOOST_TEST(normalised(std::string(results[1])) == normalised(in_process));
    BOOST_TEST(field(in_process, R::STATUS) == "1");
}

BOOST_AUTO_TEST_CASE(machine_session_refuses_a_malformed_script_before_sending) {
    const std::string path = testbed::dir() + "/args-badsession";
    std::ofstream(path, std::ios::binary) << "OPEN\x1Fx\x17SEND\x1Fonly-one-argument";
    const auto out = testbed::run({kCli, "machine", "session", path});
    BOOST_TEST(out.status == 60);
    BOOST_TEST(out.out.empty());
}

BOOST_AUTO_TEST_CASE(machine_mode_rejects_malformed_input) {
    const std::string path = testbed::dir() + "/args-bad";
    std::ofstream(path) << "only one part";
    const auto out = testbed::run({kCli, "machine", "sendmail", path});
    BOOST_TEST(out.status == 60);
}

BOOST_AUTO_TEST_CASE(human_send_with_flags) {
    const std::string token = testbed::unique_token("human");
    const std::string attachment = testbed::dir() + "/" + token + ".csv";
    std::ofstream(attachment) << "a,b\n1,2\n";
    const auto out = testbed::run({kCli, "send", "--server", "smtp://127.0.0.1:2525", "--tls", "required",
                                   "--ca-file", testbed::ca_file(), "--user", kUser, "--password-file",
                                   password_file(), "--auth", "LOGIN", "--from", "Ops <ops@example.test>", "--to",
                                   "testuser@example.test", "--bcc", "carol@example.test", "--subject",
                                   "CLI " + token, "--body", "hello\n.dot", "--attach", attachment,
                                   "--attach-name", "report.csv", "--header", "X-Job: nightly"});
    BOOST_TEST(out.status == 0, out.out);
    BOOST_TEST(out.out.find("Status:     SENT") != std::string::npos, out.out);
    const std::string path = testbed::wait_for_message(kUser, token);
    BOOST_REQUIRE(!path.empty());
    const auto msg = testbed::inspect(path);
    BOOST_TEST(msg->getValue<std::string>("subject") == "CLI " + token);
    BOOST_TEST(!msg->getValue<bool>("has_bcc_header"));
    BOOST_TEST(!testbed::wait_for_message("carol@example.test", token).empty());
}

BOOST_AUTO_TEST_CASE(unanswered_dns_ends_within_the_connect_timeout) {
    // The CLI resolves through the library's bounded resolver too.
    testsupport::SilentDns dns;
    testsupport::TestDnsServer use(dns.address());
    const auto start = std::chrono::steady_clock::now();
    const auto out = testbed::run({kCli, "send", "--server", "smtp://nowhere.mvsmtp-test.example:25", "--tls", "off",
                                   "--connect-timeout", "2", "--from", "a@example.test", "--to", "b@example.test",
                                   "--subject", "dns", "--body", "x"});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    BOOST_TEST(out.status == 13, out.out);  // DNS.FAILED
    BOOST_TEST(seconds < 3.5);
    BOOST_TEST(dns.queries() >= 1);
}

BOOST_AUTO_TEST_CASE(human_send_refuses_password_on_command_line) {
    const auto out = testbed::run({kCli, "send", "--password", "secret", "--to", "a@example.test"});
    BOOST_TEST(out.status == 60);
}

BOOST_AUTO_TEST_CASE(errors_table_matches_library) {
    const auto out = testbed::run({kCli, "errors"});
    BOOST_TEST(out.status == 0);
    BOOST_TEST(out.out.find("35  AUTH.FAILED") != std::string::npos);
    BOOST_TEST(out.out.find("40  TLS.CERTIFICATE") != std::string::npos);
}

// Regression: `mvsmtp send` copied argv values into MESSAGE without refusing marks, so
// --subject $'Hi\x1e\x1e\x1e/etc/secret' attached a local file, and similar values added a
// hidden Bcc or a Reply-To. Every CLI value holding a byte 28-31 is BAD.ARGUMENT (60), and
// nothing is sent or stored.
BOOST_AUTO_TEST_CASE(human_send_refuses_marks_in_every_value) {
    const std::string secret = testbed::dir() + "/" + testbed::unique_token("secret");
    std::ofstream(secret) << "top secret\n";
    const std::string outbox = testbed::dir() + "/" + testbed::unique_token("marks-outbox");
    const std::string am = "\x1E";
    const std::vector<std::vector<std::string>> cases = {
        {"--subject", "Hi" + am + am + am + secret},                      // → M.ATTACH.PATH
        {"--to", "a@example.test" + am + am + "hidden@example.test"},     // → M.BCC
        {"--from", "f@example.test" + am + am + am + am + am + "r@example.test"},  // → M.REPLY.TO
        {"--header", "X-A: v" + am + "x"},
        {"--attach-name", "n\x1Cm"},
        {"--body", "b\x1D" "c"},
        {"--priority", "high\x1F"},
        {"--helo", "h\x1E" "x"}};
    for (const auto& c : cases) {
        std::vector<std::string> argv = {kCli, "send", "--outbox", outbox, "--from", "f@example.test", "--to",
                                         "t@example.test"};
        if (c[0] == "--attach-name") argv.insert(argv.end(), {"--attach", secret});
        argv.insert(argv.end(), c.begin(), c.end());
        const auto out = testbed::run(argv);
        BOOST_TEST(out.status == 60, c[0] << ": " << out.out << out.err);
        BOOST_TEST(out.err.find("ASCII 28-31") != std::string::npos, out.err);
        BOOST_TEST(out.err.find(secret) == std::string::npos, out.err);
        BOOST_TEST(!std::filesystem::exists(outbox), c[0] << ": something was stored");
    }
}

// Regression: a FIFO as attachment blocked `mvsmtp send` forever in fopen().
BOOST_AUTO_TEST_CASE(human_send_refuses_a_fifo_attachment_promptly) {
    const std::string fifo = testbed::dir() + "/" + testbed::unique_token("fifo");
    BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const std::string outbox = testbed::dir() + "/" + testbed::unique_token("fifo-outbox");
    const auto started = std::chrono::steady_clock::now();
    // timeout(1) ends a blocked run, so a regression fails instead of hanging the suite.
    const auto out = testbed::run({"/usr/bin/timeout", "20", kCli, "send", "--outbox", outbox, "--from",
                                   "f@example.test", "--to", "t@example.test", "--attach", fifo});
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    BOOST_TEST(out.status == 65, out.out << out.err);  // ATTACHMENT.UNREADABLE
    BOOST_TEST(seconds < 10.0);
    BOOST_TEST(out.out.find("FIFO") != std::string::npos, out.out);
    BOOST_TEST((!std::filesystem::exists(outbox) || std::filesystem::is_empty(outbox)));
    std::remove(fifo.c_str());
}

BOOST_AUTO_TEST_SUITE_END()

