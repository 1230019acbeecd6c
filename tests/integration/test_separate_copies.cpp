// M.SEPARATE: one copy per To address on one connection, each copy's content travelling
// with the next copy's envelope (one round trip per message), each with its own result.
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "mvsmtp/session.hpp"
#include "session_fixture.hpp"
#include "support/fake_server.hpp"

using namespace sendmail_test;
using testsupport::FakeServer;

namespace {

std::string separate_message(const std::string& token, const std::vector<std::string>& to) {
    DynArrayBuilder m;
    m.set(M::FROM, "Statements <sender@example.test>");
    m.set(M::TO, to);
    m.set(M::SUBJECT, "statement " + token);
    m.set(M::SEPARATE, "1");
    return m.str();
}

mvsmtp::SessionSettings fake_settings(int port) {
    mvsmtp::SessionSettings s;
    s.host = "127.0.0.1";
    s.port = port;
    s.tls.mode = mvsmtp::TlsMode::Off;
    s.client_name = "client.example.test";
    s.timeouts = {2000, 2000};
    return s;
}

std::vector<mvsmtp::Message> copies_to(const std::vector<std::string>& to) {
    std::vector<mvsmtp::Message> out;
    for (const auto& a : to) {
        mvsmtp::Message m;
        m.from = {"", "sender@example.test"};
        m.to = {{"", a}};
        m.subject = "copy";
        m.text = "x";
        m.message_id = "<copy-" + a + ">";
        m.date = 1;
        out.push_back(m);
    }
    return out;
}

// The lines a scripted server received, each message's content folded into "<body>".
std::vector<std::string> commands(FakeServer& server) {
    server.join();
    const auto got = server.received();
    std::vector<std::string> out;
    bool in_body = false;
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (in_body) {
            if (got[i] != ".") continue;
            in_body = false;
            out.push_back(".");
            continue;
        }
        out.push_back(got[i]);
        if (got[i] == "DATA" && i + 1 < got.size() && got[i + 1].rfind("MAIL FROM:", 0) != 0 && got[i + 1] != "RSET") {
            out.push_back("<body>");
            in_body = true;
        }
    }
    return out;
}

const std::string kPipelining = "250-fake\r\n250 PIPELINING";
const std::string kMail = "MAIL FROM:<sender@example.test>";

}  // namespace

BOOST_AUTO_TEST_SUITE(test_separate_copies)

BOOST_AUTO_TEST_CASE(each_recipient_gets_an_own_copy_with_an_own_result) {
    const std::string token = testbed::unique_token("sep");
    const std::vector<std::string> to = {"testuser@example.test", "alice@example.test", "reject@example.test",
                                         "Bob <bob@example.test>"};
    const std::string r = mvsmtp_library().sendmail(separate_message(token, to), "Your statement",
                                                    with_field(options({"smtp://127.0.0.1:2525", "required"}), O::TRANSCRIPT, "RESULT"));
    BOOST_TEST(field(r, R::STATUS) == "1", field(r, R::MESSAGE));  // partial: one copy refused
    BOOST_TEST(field(r, R::ERROR) == "32");
    const char* expected[] = {"0", "0", "32", "0"};
    for (int i = 1; i <= 4; ++i) BOOST_TEST(field(r, R::RCPT_STATUS, i) == expected[i - 1], i);
    BOOST_TEST(field(r, R::RCPT_ADDRESS, 4) == "bob@example.test");
    const auto ids = mvsmtp::gci::values(r, R::MESSAGE_ID);
    BOOST_REQUIRE(ids.size() == 4u);
    BOOST_TEST(ids[0] != ids[1]);
    for (const char* user : {"testuser", "alice", "bob"}) {
        const std::string path = testbed::wait_for_message(std::string(user) + "@example.test", token);
        BOOST_REQUIRE_MESSAGE(!path.empty(), user);
        const auto msg = testbed::inspect(path);
        auto to_list = msg->getArray("to");
        BOOST_TEST(to_list->size() == 1u);  // each copy shows only its own recipient
        BOOST_TEST(to_list->getObject(0)->getValue<std::string>("address") == std::string(user) + "@example.test");
    }
    // One round trip per copy: the next copy's MAIL FROM leaves before this copy's final
    // reply has been read.
    const auto log = mvsmtp::gci::values(r, R::TRANSCRIPT);
    std::size_t first_data = 0;
    while (first_data < log.size() && log[first_data] != "S: 354 End data with <CR><LF>.<CR><LF>") ++first_data;
    BOOST_REQUIRE(first_data + 2 < log.size());
    BOOST_TEST(log[first_data + 1].rfind("C: MAIL FROM:", 0) == 0u, log[first_data + 1]);
}

BOOST_AUTO_TEST_CASE(hundred_copies_on_an_open_session) {
    std::vector<std::string> to;
    for (int i = 0; i < 100; ++i) to.push_back("user" + std::to_string(i) + "@example.test");
    DynArrayBuilder o;
    o.set(O::SERVER, "smtp://127.0.0.1:2500");
    o.set(O::TLS, "off");
    const int h = AbiSessions::handle_of(sessions().open(o.str()));
    BOOST_REQUIRE(h > 0);
    const std::string r = sessions().send(h, separate_message("sink", to), "x");
    BOOST_TEST(field(r, R::STATUS) == "0", field(r, R::MESSAGE));
    BOOST_TEST(mvsmtp::gci::values(r, R::RCPT_STATUS).size() == 100u);
    BOOST_TEST(mvsmtp::gci::values(r, R::MESSAGE_ID).size() == 100u);
    sessions().close(h);
}

BOOST_AUTO_TEST_CASE(separate_copies_refuse_cc_and_bcc) {
    DynArrayBuilder m;
    m.set(M::FROM, "a@example.test");
    m.set(M::TO, "b@example.test");
    m.set(M::CC, "c@example.test");
    m.set(M::SEPARATE, "1");
    const std::string r = mvsmtp_library().sendmail(m.str(), "x", options({"smtp://127.0.0.1:2525", "required"}));
    BOOST_TEST(field(r, R::ERROR) == "60");
}

BOOST_AUTO_TEST_CASE(a_copy_whose_mail_failed_is_not_labelled_maybe_accepted) {
    // Copy 1 is accepted; the server drops the connection at copy 2's MAIL: copy 2 was
    // certainly not sent (safe to send again), not "may or may not have been accepted".
    FakeServer server({"220 fake", kPipelining, "250 ok", "250 ok", "354 go", "250 queued", "<close>"});
    mvsmtp::Session session(fake_settings(server.port()));
    session.open();
    const auto r = session.send_each(copies_to({"a@example.test", "b@example.test"}));
    BOOST_REQUIRE(r.size() == 2u);
    BOOST_TEST((r[0].error == mvsmtp::ErrorCode::Ok), r[0].message);
    BOOST_TEST((r[1].error == mvsmtp::ErrorCode::ConnectionLost), r[1].message);
    BOOST_TEST(r[1].message.find("may or may not") == std::string::npos, r[1].message);
    BOOST_TEST(r[1].message.find("not sent") != std::string::npos, r[1].message);
}

BOOST_AUTO_TEST_CASE(a_copy_lost_after_its_final_dot_is_outcome_unknown_within_the_final_timeout) {
    FakeServer server({"220 fake", kPipelining, "250 ok", "250 ok", "354 go", "<silent>"});
    mvsmtp::SessionSettings s = fake_settings(server.port());
    s.timeouts = {2000, 4000};
    s.timeouts.final_ms = 1000;
    mvsmtp::Session session(s);
    session.open();
    const auto start = std::chrono::steady_clock::now();
    const auto r = session.send_each(copies_to({"a@example.test", "b@example.test"}));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    BOOST_REQUIRE(r.size() == 2u);
    BOOST_TEST((r[0].error == mvsmtp::ErrorCode::OutcomeUnknown), r[0].message);
    BOOST_TEST(!mvsmtp::is_transient(r[0].error));
    BOOST_TEST(r[0].message.find("may or may not") != std::string::npos, r[0].message);
    BOOST_TEST(mvsmtp::is_transient(r[1].error), r[1].message);  // never sent: safe to retry
    BOOST_TEST(r[1].message.find("not sent") != std::string::npos, r[1].message);
    BOOST_TEST(seconds < 2.5);
    // Copy 2's envelope left with copy 1's content (one round trip per copy).
    const std::vector<std::string> expected = {"EHLO client.example.test", kMail, "RCPT TO:<a@example.test>", "DATA",
                                               "<body>", ".", kMail, "RCPT TO:<b@example.test>", "DATA"};
    BOOST_TEST(commands(server) == expected);
}

BOOST_AUTO_TEST_CASE(a_refused_copy_keeps_its_refusal_when_rset_fails) {
    FakeServer server({"220 fake", kPipelining, "550 5.7.1 sender not allowed", "503 5.5.1 need MAIL",
                       "503 5.5.1 need MAIL", "<close>"});
    mvsmtp::Session session(fake_settings(server.port()));
    session.open();
    const auto r = session.send_each(copies_to({"a@example.test", "b@example.test"}));
    BOOST_REQUIRE(r.size() == 2u);
    BOOST_TEST((r[0].error == mvsmtp::ErrorCode::SenderRejected), r[0].message);
    BOOST_TEST((r[0].last_reply && r[0].last_reply->code == 550));
    BOOST_TEST(r[1].message.find("not sent") != std::string::npos, r[1].message);
    const std::vector<std::string> expected = {"EHLO client.example.test", kMail, "RCPT TO:<a@example.test>", "DATA",
                                               "RSET"};
    BOOST_TEST(commands(server) == expected);
}

BOOST_AUTO_TEST_CASE(without_pipelining_a_lost_copy_keeps_the_earlier_results) {
    FakeServer server({"220 fake", "250 fake", "250 ok", "250 ok", "354 go", "250 queued", "<close>"});
    mvsmtp::Session session(fake_settings(server.port()));
    session.open();
    std::vector<mvsmtp::SendResult> r;
    try {
        r = session.send_each(copies_to({"a@example.test", "b@example.test", "c@example.test"}));
    } catch (const mvsmtp::Error& e) {
        BOOST_TEST(false, "threw " << e.what());
    }
    BOOST_REQUIRE(r.size() == 3u);
    BOOST_TEST((r[0].error == mvsmtp::ErrorCode::Ok), r[0].message);
    BOOST_TEST((r[1].error == mvsmtp::ErrorCode::ConnectionLost), r[1].message);
    BOOST_TEST(r[2].message.find("not sent") != std::string::npos, r[2].message);
}

BOOST_AUTO_TEST_SUITE_END()
