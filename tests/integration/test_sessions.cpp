// SMTP.OPEN / SEND / CMD / CLOSE through the C ABI against Postfix, smtp-sink's fault
// options and scripted peers: many messages per connection, the telnet-style CMD flow,
// transcripts without secrets, handle errors, and the reconnect path.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "mvsmtp/encoding.hpp"
#include "session_fixture.hpp"
#include "support/fake_server.hpp"
#include "support/open_fds.hpp"
#include "support/sink_server.hpp"
#include "support/temp_dir.hpp"

using namespace sendmail_test;
using testsupport::FakeServer;
using testsupport::SinkServer;

namespace {

std::string plain_options(const std::string& url) { return with_field(with_field(options({url, "off", ""}), O::HELO, "client.example.test"), O::TIMEOUT, "5"); }

std::vector<std::string> transcript(const std::string& result) {
    std::vector<std::string> out;
    for (const auto& v : mvsmtp::gci::values(result, R::TRANSCRIPT)) out.push_back(v);
    return out;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    return all;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_sessions)

BOOST_AUTO_TEST_CASE(many_messages_on_one_handle) {
    const std::string token = testbed::unique_token("batch");
    const std::string opened = sessions().open(with_field(options({"smtp://127.0.0.1:2525", "required"}), O::TRANSCRIPT, "RESULT"));
    BOOST_TEST_REQUIRE(field(opened, R::STATUS) == "0", field(opened, R::MESSAGE));
    const int h = AbiSessions::handle_of(opened);
    BOOST_TEST(h > 0);
    BOOST_TEST(mvsmtp::gci::extract(opened, R::TLS, 1).rfind("TLSv1.", 0) == 0u);
    BOOST_TEST(joined(mvsmtp::gci::values(opened, R::CAPABILITIES)).find("PIPELINING") != std::string::npos);
    const std::string open_log = joined(transcript(opened));
    BOOST_TEST(open_log.find("C: AUTH ") != std::string::npos);
    BOOST_TEST(open_log.find("testpass") == std::string::npos);
    BOOST_TEST(open_log.find("dGVzdHBhc3M") == std::string::npos);
    for (int i = 1; i <= 5; ++i) {
        const std::string r = sessions().send(h, simple_message(token + "-" + std::to_string(i), {kUser}), "n");
        BOOST_TEST(field(r, R::STATUS) == "0", i << ": " << field(r, R::MESSAGE));
        // Pipelined: MAIL, RCPT and DATA leave before any reply is read.
        const auto log = transcript(r);
        BOOST_REQUIRE(log.size() >= 4u);
        BOOST_TEST(log[0].rfind("C: MAIL FROM:<sender@example.test> SIZE=", 0) == 0u, log[0]);
        BOOST_TEST(log[1].rfind("C: RCPT TO:", 0) == 0u, log[1]);
        BOOST_TEST(log[2] == "C: DATA");
        BOOST_TEST(log[3].rfind("S: 250", 0) == 0u, log[3]);
    }
    for (int i = 1; i <= 5; ++i)
        BOOST_TEST(!testbed::wait_for_message(kUser, token + "-" + std::to_string(i)).empty());
    const std::string closed = sessions().close(h);
    BOOST_TEST(field(closed, R::STATUS) == "0");
    BOOST_TEST(field(closed, R::REPLY_CODE) == "221");
    const std::string again = sessions().send(h, simple_message("x", {kUser}), "x");
    BOOST_TEST(field(again, R::ERROR) == "67");  // BAD.HANDLE: closed handles stay closed
}

BOOST_AUTO_TEST_CASE(pipelined_replies_are_attributed_to_the_right_recipient) {
    const std::vector<std::string> rcpts = {"alice@example.test", "reject@example.test", "tempfail@example.test",
                                            "bob@example.test"};
    for (const char* pipelining : {"1", "0"}) {
        const std::string opened = sessions().open(with_field(options({"smtp://127.0.0.1:2525", "required"}), O::PIPELINING, pipelining));
        const int h = AbiSessions::handle_of(opened);
        BOOST_REQUIRE(h > 0);
        const std::string r = sessions().send(h, simple_message(testbed::unique_token("attr"), rcpts), "x");
        BOOST_TEST(field(r, R::STATUS) == "1", pipelining);
        BOOST_TEST(field(r, R::RCPT_STATUS, 1) == "0");
        BOOST_TEST(field(r, R::RCPT_STATUS, 2) == "32");
        BOOST_TEST(field(r, R::RCPT_STATUS, 3) == "16");
        BOOST_TEST(field(r, R::RCPT_STATUS, 4) == "0");
        BOOST_TEST(field(r, R::RCPT_CODE, 3) == "450");
        sessions().close(h);
    }
}

BOOST_AUTO_TEST_CASE(unknown_handles_are_refused) {
    for (int h : {0, -1, 999999}) {
        BOOST_TEST(field(sessions().send(h, simple_message("x", {kUser}), "x"), R::ERROR) == "67");
        BOOST_TEST(field(sessions().cmd(h, "NOOP"), R::ERROR) == "67");
        BOOST_TEST(field(sessions().close(h), R::ERROR) == "67");
    }
}

BOOST_AUTO_TEST_CASE(operator_command_flow_with_data) {
    const std::string token = testbed::unique_token("cmd");
    const std::string log_file = testbed::dir() + "/transcript-" + token + ".log";
    std::string opts = with_field(options({"smtp://127.0.0.1:2525", "required", "", ""}), O::MANUAL, "1");
    opts = with_field(opts, O::TRANSCRIPT, log_file);
    const std::string opened = sessions().open(opts);
    BOOST_TEST_REQUIRE(field(opened, R::STATUS) == "0", field(opened, R::MESSAGE));
    BOOST_TEST(field(opened, R::REPLY_CODE) == "220");
    const int h = AbiSessions::handle_of(opened);
    auto code = [&](const std::string& line) { return field(sessions().cmd(h, line), R::REPLY_CODE); };
    const std::string ehlo = sessions().cmd(h, "EHLO client.example.test");
    BOOST_TEST(field(ehlo, R::REPLY_CODE) == "250");
    BOOST_TEST(mvsmtp::gci::values(ehlo, R::REPLY_TEXT).size() > 3u);  // every line as a value
    const std::string tls = sessions().cmd(h, "STARTTLS");
    BOOST_TEST(field(tls, R::REPLY_CODE) == "220");
    BOOST_TEST(mvsmtp::gci::extract(tls, R::TLS, 1).rfind("TLSv1.", 0) == 0u);
    BOOST_TEST(code("EHLO client.example.test") == "250");
    BOOST_TEST(code("AUTH PLAIN " + mvsmtp::base64_encode(std::string("\0testuser@example.test\0testpass", 31))) == "235");
    BOOST_TEST(code("MAIL FROM:<testuser@example.test>") == "250");
    BOOST_TEST(code("RCPT TO:<testuser@example.test>") == "250");
    BOOST_TEST(code("DATA") == "354");
    for (const std::string& line : std::vector<std::string>{"Subject: typed " + token, "", "first line", ".starts with a dot", "."}) {
        const std::string r = sessions().cmd(h, line);
        BOOST_TEST(field(r, R::STATUS) == "0", line);
        if (line == ".") BOOST_TEST(field(r, R::REPLY_CODE) == "250");
        else BOOST_TEST(field(r, R::REPLY_CODE).empty());
    }
    BOOST_TEST(code("QUIT") == "221");
    sessions().close(h);
    const std::string path = testbed::wait_for_message(kUser, token);
    BOOST_REQUIRE(!path.empty());
    BOOST_TEST(testbed::read_file(path).find("\n.starts with a dot\n") != std::string::npos);
    const std::string log = testbed::read_file(log_file);
    BOOST_TEST(log.find("C: AUTH PLAIN <redacted>") != std::string::npos, log);
    BOOST_TEST(log.find("dGVzdHVzZXJAZXhhbXBsZS50ZXN0AHRlc3RwYXNz") == std::string::npos);
    BOOST_TEST(log.find("-- TLS TLSv1.") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(smtp_sink_faults_give_documented_codes) {
    struct Case { std::vector<std::string> fault; const char* error; const char* status; };
    const Case cases[] = {
        {{"-f", "mail"}, "31", "3"},   // SENDER.REJECTED
        {{"-r", "mail"}, "15", "3"},   // SENDER.DEFERRED
        {{"-f", "rcpt"}, "32", "3"},   // RECIPIENT.REJECTED
        {{"-r", "rcpt"}, "16", "3"},   // RECIPIENT.DEFERRED
        {{"-f", "data"}, "33", "3"},   // MESSAGE.REJECTED at DATA
        {{"-f", "."}, "33", "3"},      // MESSAGE.REJECTED after the body
        {{"-r", "."}, "17", "3"},      // MESSAGE.DEFERRED after the body
    };
    for (const auto& c : cases) {
        SinkServer sink(c.fault);
        const std::string opened = sessions().open(plain_options(sink.url()));
        const int h = AbiSessions::handle_of(opened);
        BOOST_REQUIRE_MESSAGE(h > 0, field(opened, R::MESSAGE));
        const std::string r = sessions().send(h, simple_message("fault", {"a@example.test"}), "x");
        BOOST_TEST(field(r, R::ERROR) == c.error, c.fault[0] << " " << c.fault[1] << ": " << field(r, R::MESSAGE));
        BOOST_TEST(field(r, R::STATUS) == c.status);
        // The session survives a refusal: the next message goes through the same handle.
        sessions().close(h);
    }
}

BOOST_AUTO_TEST_CASE(smtp_sink_disconnects_are_reported_not_hidden) {
    {
        SinkServer sink({"-q", "rcpt"});  // drops the connection at RCPT, every time
        const int h = AbiSessions::handle_of(sessions().open(plain_options(sink.url())));
        BOOST_REQUIRE(h > 0);
        const std::string r = sessions().send(h, simple_message("drop", {"a@example.test"}), "x");
        BOOST_TEST(field(r, R::ERROR) == "12", field(r, R::MESSAGE));  // CONNECTION.LOST after one retry
        BOOST_TEST(field(r, R::TRANSIENT) == "1");
        sessions().close(h);
    }
    {
        SinkServer sink({"-Q", "mail"});  // 421 and disconnect at MAIL
        const int h = AbiSessions::handle_of(sessions().open(plain_options(sink.url())));
        BOOST_REQUIRE(h > 0);
        const std::string r = sessions().send(h, simple_message("421", {"a@example.test"}), "x");
        const std::string e = field(r, R::ERROR);
        BOOST_TEST((e == "14" || e == "12"), field(r, R::MESSAGE));
        sessions().close(h);
    }
}

BOOST_AUTO_TEST_CASE(idle_connection_closed_by_server_reconnects_transparently) {
    // Connection 1 goes away at MAIL (as a server does after its idle timeout); the send is
    // retried on connection 2, where it succeeds. Nothing had been delivered on 1.
    const FakeServer::Script first = {"220 one", "250 one", "<close>"};
    const FakeServer::Script second = {"220 two", "250 two", "250 ok", "250 ok", "354 go", "250 2.0.0 queued", "221 bye"};
    FakeServer server(FakeServer::Connections{{first, second}});
    std::string opts = plain_options("smtp://127.0.0.1:" + std::to_string(server.port()));
    opts = with_field(opts, O::PIPELINING, "0");
    const int h = AbiSessions::handle_of(sessions().open(with_field(opts, O::KEEPALIVE, "0")));
    BOOST_REQUIRE(h > 0);
    const std::string r = sessions().send(h, simple_message("reconnect", {"a@example.test"}), "x");
    BOOST_TEST(field(r, R::STATUS) == "0", field(r, R::MESSAGE));
    BOOST_TEST(field(r, R::REPLY_TEXT).find("queued") != std::string::npos);
    sessions().close(h);
}

BOOST_AUTO_TEST_CASE(keepalive_noop_detects_a_dead_connection) {
    const FakeServer::Script first = {"220 one", "250 one", "<close>"};  // dies at the NOOP
    const FakeServer::Script second = {"220 two", "250 two", "250 ok", "250 ok", "354 go", "250 queued", "221 bye"};
    FakeServer server(FakeServer::Connections{{first, second}});
    std::string opts = with_field(plain_options("smtp://127.0.0.1:" + std::to_string(server.port())), O::KEEPALIVE, "1");
    opts = with_field(opts, O::TRANSCRIPT, "RESULT");
    const int h = AbiSessions::handle_of(sessions().open(with_field(opts, O::PIPELINING, "0")));
    BOOST_REQUIRE(h > 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    const std::string r = sessions().send(h, simple_message("keepalive", {"a@example.test"}), "x");
    BOOST_TEST(field(r, R::STATUS) == "0", field(r, R::MESSAGE));
    BOOST_TEST(joined(transcript(r)).find("C: NOOP") != std::string::npos, joined(transcript(r)));
    sessions().close(h);
}

BOOST_AUTO_TEST_CASE(broken_mid_data_is_not_retried) {
    // The server goes silent after the body was sent: the message may have been accepted, so
    // it must not be sent again on a new connection (a duplicate invoice), and RESULT must
    // not say "try again": OUTCOME.UNKNOWN, not transient, after O.FINAL.TIMEOUT.
    const FakeServer::Script first = {"220 one", "250 one", "250 ok", "250 ok", "354 go", "<silent>"};
    const FakeServer::Script second = {"220 two", "250 two", "250 ok", "250 ok", "354 go", "250 queued", "221 bye"};
    FakeServer server(FakeServer::Connections{{first, second}});
    std::string opts = with_field(plain_options("smtp://127.0.0.1:" + std::to_string(server.port())), O::PIPELINING, "0");
    opts = with_field(opts, O::FINAL_TIMEOUT, "1");  // O.TIMEOUT stays 5
    const int h = AbiSessions::handle_of(sessions().open(with_field(opts, O::KEEPALIVE, "0")));
    BOOST_REQUIRE(h > 0);
    const auto start = std::chrono::steady_clock::now();
    const std::string r = sessions().send(h, simple_message("nodup", {"a@example.test"}), "x");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    BOOST_TEST(field(r, R::STATUS) == "3");
    BOOST_TEST(field(r, R::ERROR) == "44", field(r, R::MESSAGE));  // OUTCOME.UNKNOWN
    BOOST_TEST(field(r, R::ERROR_NAME) == "OUTCOME.UNKNOWN");
    BOOST_TEST(field(r, R::TRANSIENT) == "0");
    BOOST_TEST(field(r, R::MESSAGE).find("may or may not") != std::string::npos, field(r, R::MESSAGE));
    BOOST_TEST(seconds < 3.0);  // the final timeout (1 s), not the 5 s reply timeout
    // The poisoned connection is replaced for the next message, which succeeds.
    const std::string next = sessions().send(h, simple_message("after", {"a@example.test"}), "x");
    BOOST_TEST(field(next, R::STATUS) == "0", field(next, R::MESSAGE));
    sessions().close(h);
}

BOOST_AUTO_TEST_CASE(cmd_auth_lines_are_redacted_in_any_spelling) {
    // SMTP.CMD lines that are AUTH whatever the case, tabs or leading blanks, and every line
    // answering a 334 prompt, reach neither R.TRANSCRIPT nor a transcript file.
    const std::vector<std::string> secrets = {"dG9rZW5PTkU=", "dG9rZW5UV08=", "c2VjcmV0dXNlcg==", "c2VjcmV0cGFzcw==",
                                              "dG9rZW5USFJFRQ==", "dG9rZW5GT1VS"};
    const int fds = testsupport::open_fds();
    std::string all;
    {
        FakeServer server({"220 fake ESMTP", "250-fake\r\n250 AUTH PLAIN LOGIN", "535 5.7.8 no", "535 5.7.8 no",
                           "334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "235 2.7.0 ok", "334 ", "535 5.7.8 no",
                           "535 5.7.8 no", "250 ok", "221 bye"});
        std::string opts = with_field(plain_options("smtp://127.0.0.1:" + std::to_string(server.port())), O::MANUAL, "1");
        const int h = AbiSessions::handle_of(sessions().open(with_field(opts, O::TRANSCRIPT, "RESULT")));
        BOOST_REQUIRE(h > 0);
        for (const std::string& line : {std::string("EHLO client.example.test"),
                                        "AUTH\tPLAIN " + secrets[0],             // tab after the verb
                                        " AUTH PLAIN " + secrets[1],             // leading blank
                                        std::string("auth login"),               // lower case, prompts follow
                                        secrets[2], secrets[3],                  // answers to 334
                                        std::string("\t Auth  PLAIN"),           // mixed blanks, then a 334
                                        secrets[4],                              // the response to it
                                        "AUTH PLAIN " + secrets[5],              // the ordinary spelling
                                        std::string("NOOP"), std::string("QUIT")}) {
            const std::string r = sessions().cmd(h, line);
            BOOST_TEST(field(r, R::STATUS) == "0", line << ": " << field(r, R::MESSAGE));
            all += joined(transcript(r));
        }
        sessions().close(h);
        server.join();
        BOOST_TEST(server.received().size() == 11u);  // every line did reach the server
    }
    BOOST_TEST(testsupport::open_fds() == fds);
    for (const auto& secret : secrets) BOOST_TEST(all.find(secret) == std::string::npos, secret << " in\n" << all);
    BOOST_TEST(all.find("C: NOOP") != std::string::npos, all);  // the rest is still shown
    BOOST_TEST(all.find("C: EHLO client.example.test") != std::string::npos, all);
}

BOOST_AUTO_TEST_CASE(transcript_files_are_owner_only) {
    testsupport::TempDir dir;
    const mode_t old_umask = umask(022);
    const int fds = testsupport::open_fds();
    const std::string log = dir.path + "/session.log";
    {
        FakeServer server({"220 fake ESMTP", "250 fake", "221 bye"});
        std::string opts = with_field(plain_options("smtp://127.0.0.1:" + std::to_string(server.port())), O::MANUAL, "1");
        const int h = AbiSessions::handle_of(sessions().open(with_field(opts, O::TRANSCRIPT, log)));
        BOOST_REQUIRE(h > 0);
        sessions().cmd(h, "EHLO client.example.test");
        sessions().close(h);
    }
    struct stat st {};
    BOOST_REQUIRE(stat(log.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    BOOST_TEST(testbed::read_file(log).find("C: EHLO client.example.test") != std::string::npos);

    // A file others can already read is not written to; RESULT says why.
    const std::string open_log = dir.write("open.log", "", 0644);
    {
        FakeServer server({"220 fake ESMTP", "250 fake", "221 bye"});
        std::string opts = with_field(plain_options("smtp://127.0.0.1:" + std::to_string(server.port())), O::MANUAL, "1");
        const std::string opened = sessions().open(with_field(opts, O::TRANSCRIPT, open_log));
        const int h = AbiSessions::handle_of(opened);
        BOOST_REQUIRE(h > 0);
        const std::string r = sessions().cmd(h, "EHLO client.example.test");
        const std::string notes = joined(transcript(opened)) + joined(transcript(r));
        BOOST_TEST(notes.find("readable by others") != std::string::npos, notes);
        sessions().close(h);
    }
    BOOST_TEST(testbed::read_file(open_log).empty());
    BOOST_TEST(testsupport::open_fds() == fds);
    umask(old_umask);
}

BOOST_AUTO_TEST_CASE(a_stall_at_mail_costs_one_timeout) {
    // A server that stops answering is not retried on a new connection: that doubled the wait.
    FakeServer server({"220 one", "250 one", "<silent>"});
    std::string opts = with_field(plain_options("smtp://127.0.0.1:" + std::to_string(server.port())), O::PIPELINING, "0");
    opts = with_field(with_field(opts, O::TIMEOUT, "1"), O::KEEPALIVE, "0");
    const int h = AbiSessions::handle_of(sessions().open(opts));
    BOOST_REQUIRE(h > 0);
    const auto start = std::chrono::steady_clock::now();
    const std::string r = sessions().send(h, simple_message("stall", {"a@example.test"}), "x");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    BOOST_TEST(field(r, R::ERROR) == "11", field(r, R::MESSAGE));  // TIMEOUT, before DATA: transient
    BOOST_TEST(field(r, R::TRANSIENT) == "1");
    BOOST_TEST(seconds < 1.8);
    sessions().close(h);
}

BOOST_AUTO_TEST_CASE(a_421_reply_reaches_result_and_nothing_follows_it) {
    FakeServer server({"220 one", "250 one", "550 5.1.1 unknown user", "421 4.3.2 shutting down, bye"});
    std::string opts = with_field(plain_options("smtp://127.0.0.1:" + std::to_string(server.port())), O::PIPELINING, "0");
    const int h = AbiSessions::handle_of(sessions().open(with_field(opts, O::KEEPALIVE, "0")));
    BOOST_REQUIRE(h > 0);
    // MAIL 550 is the outcome (permanent); the 421 to the RSET only ends the session.
    const std::string r = sessions().send(h, simple_message("421", {"a@example.test"}), "x");
    BOOST_TEST(field(r, R::ERROR) == "31", field(r, R::MESSAGE));
    BOOST_TEST(field(r, R::TRANSIENT) == "0");
    BOOST_TEST(field(r, R::REPLY_CODE) == "550");
    BOOST_TEST(field(r, R::RCPT_CODE, 1) == "550");
    sessions().close(h);
    server.join();
    const auto got = server.received();
    BOOST_REQUIRE(got.size() == 3u);
    BOOST_TEST(got[2] == "RSET");  // and no QUIT after the 421
}

BOOST_AUTO_TEST_CASE(a_421_after_the_body_is_reported_with_its_text_and_not_retried) {
    FakeServer server({"220 one", "250 one", "250 ok", "250 ok", "354 go", "421 4.3.0 shutting down, try later"});
    std::string opts = with_field(plain_options("smtp://127.0.0.1:" + std::to_string(server.port())), O::PIPELINING, "0");
    const int h = AbiSessions::handle_of(sessions().open(with_field(opts, O::KEEPALIVE, "0")));
    BOOST_REQUIRE(h > 0);
    const std::string r = sessions().send(h, simple_message("421", {"a@example.test"}), "x");
    BOOST_TEST(field(r, R::ERROR) == "14", field(r, R::MESSAGE));  // SERVER.UNAVAILABLE: refused, so transient
    BOOST_TEST(field(r, R::MESSAGE).find("shutting down") != std::string::npos, field(r, R::MESSAGE));
    BOOST_TEST(field(r, R::REPLY_CODE) == "421");
    BOOST_TEST(field(r, R::REPLY_ENHANCED) == "4.3.0");
    BOOST_TEST(field(r, R::REPLY_TEXT).find("shutting down") != std::string::npos);
    sessions().close(h);
    server.join();
    const auto got = server.received();
    BOOST_REQUIRE(!got.empty());
    BOOST_TEST(got.back() == ".");  // no QUIT after the 421
}

BOOST_AUTO_TEST_CASE(operator_final_dot_without_an_answer_is_outcome_unknown) {
    // SMTP.CMD "." waits O.FINAL.TIMEOUT like SMTP.SEND, and a silence there is 44.
    FakeServer server({"220 one", "250 ok", "250 ok", "354 go", "<silent>"});
    std::string opts = with_field(plain_options("smtp://127.0.0.1:" + std::to_string(server.port())), O::MANUAL, "1");
    opts = with_field(with_field(opts, O::FINAL_TIMEOUT, "1"), O::TIMEOUT, "5");
    const int h = AbiSessions::handle_of(sessions().open(opts));
    BOOST_REQUIRE(h > 0);
    BOOST_TEST(field(sessions().cmd(h, "MAIL FROM:<a@example.test>"), R::REPLY_CODE) == "250");
    BOOST_TEST(field(sessions().cmd(h, "RCPT TO:<b@example.test>"), R::REPLY_CODE) == "250");
    BOOST_TEST(field(sessions().cmd(h, "DATA"), R::REPLY_CODE) == "354");
    BOOST_TEST(field(sessions().cmd(h, "Subject: x"), R::STATUS) == "0");
    const auto start = std::chrono::steady_clock::now();
    const std::string r = sessions().cmd(h, ".");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    BOOST_TEST(field(r, R::ERROR) == "44", field(r, R::MESSAGE));
    BOOST_TEST(field(r, R::TRANSIENT) == "0");
    BOOST_TEST(seconds < 3.0);
    sessions().close(h);
}

BOOST_AUTO_TEST_CASE(recipients_deferred_with_452_are_sent_in_a_second_transaction) {
    // One SMTP.SEND; the server takes one recipient per transaction ("452 too many
    // recipients" for the rest), and RESULT says which transaction delivered each.
    FakeServer server({"220 one", "250-one\r\n250 PIPELINING", "250 ok", "250 ok", "452 4.5.3 too many recipients",
                       "354 go", "250 2.0.0 queued as ONE", "250 ok", "250 ok", "354 go", "250 2.0.0 queued as TWO",
                       "221 bye"});
    const std::string opts = plain_options("smtp://127.0.0.1:" + std::to_string(server.port()));
    const int h = AbiSessions::handle_of(sessions().open(with_field(opts, O::KEEPALIVE, "0")));
    BOOST_REQUIRE(h > 0);
    const std::string r = sessions().send(h, simple_message("452", {"a@example.test", "b@example.test"}), "x");
    BOOST_TEST(field(r, R::STATUS) == "0", field(r, R::MESSAGE));
    BOOST_TEST(field(r, R::RCPT_STATUS, 1) == "0");
    BOOST_TEST(field(r, R::RCPT_STATUS, 2) == "0");
    BOOST_TEST(field(r, R::RCPT_TRANSACTION, 1) == "1");
    BOOST_TEST(field(r, R::RCPT_TRANSACTION, 2) == "2");
    BOOST_TEST(field(r, R::REPLY_TEXT).find("TWO") != std::string::npos);
    sessions().close(h);
}

BOOST_AUTO_TEST_SUITE_END()
