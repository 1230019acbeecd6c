// ESMTP extensions against real Postfix and scripted peers: SIZE refused locally,
// SMTPUTF8 addresses delivered (or refused before anything is sent), DSN notifications
// that really come back.
#include <boost/test/unit_test.hpp>

#include "session_fixture.hpp"
#include "support/fake_server.hpp"

using namespace sendmail_test;
using testsupport::FakeServer;

namespace {

std::string message_with(const std::string& token, const std::string& from, const std::vector<std::string>& to,
                         int attr = 0, const std::string& value = "") {
    DynArrayBuilder m;
    m.set(M::FROM, from);
    m.set(M::TO, to);
    m.set(M::SUBJECT, "ext " + token);
    std::string s = m.str();
    return attr ? with_field(s, attr, value) : s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_extensions)

BOOST_AUTO_TEST_CASE(size_limit_refused_before_mail_from) {
    FakeServer server({"220 tiny", "250-tiny\r\n250 SIZE 1000", "221 bye"});
    std::string opts = options({"smtp://127.0.0.1:" + std::to_string(server.port()), "off", ""});
    const std::string r = mvsmtp_library().sendmail(message_with("big", "a@example.test", {"b@example.test"}),
                                                    std::string(5000, 'x'), opts);
    BOOST_TEST(field(r, R::ERROR) == "34", field(r, R::MESSAGE));  // MESSAGE.TOO.LARGE
    server.join();
    for (const auto& line : server.received()) BOOST_TEST(line.rfind("MAIL", 0) != 0u, line);
}

BOOST_AUTO_TEST_CASE(utf8_address_needs_smtputf8) {
    FakeServer server({"220 old", "250-old\r\n250 8BITMIME", "221 bye"});
    const std::string r = mvsmtp_library().sendmail(
        message_with("utf8", "a@example.test", {"δοκιμή@example.test"}), "x",
        options({"smtp://127.0.0.1:" + std::to_string(server.port()), "off", ""}));
    BOOST_TEST(field(r, R::ERROR) == "43", field(r, R::MESSAGE));  // SMTPUTF8.UNSUPPORTED
}

BOOST_AUTO_TEST_CASE(utf8_address_delivered_by_postfix) {
    const std::string token = testbed::unique_token("eai");
    std::string opts = with_field(options({"smtp://127.0.0.1:2525", "required"}), O::TRANSCRIPT, "RESULT");
    const std::string r = mvsmtp_library().sendmail(
        message_with(token, "Zoë <testuser@example.test>", {"δοκιμή@example.test"}), "Γειά σου", opts);
    BOOST_TEST_REQUIRE(field(r, R::STATUS) == "0", field(r, R::MESSAGE));
    std::string log;
    for (const auto& l : mvsmtp::gci::values(r, R::TRANSCRIPT)) log += l + "\n";
    BOOST_TEST(log.find("SMTPUTF8") != std::string::npos, log);
    BOOST_TEST(!testbed::wait_for_message("catchall", token).empty());
}

BOOST_AUTO_TEST_CASE(dsn_success_notification_comes_back) {
    // NOTIFY=SUCCESS: Postfix reports the delivery to the envelope sender, testuser, with
    // our ENVID in the report (RFC 3464 Original-Envelope-Id).
    const std::string token = testbed::unique_token("dsn");
    const std::string envid = "ENV-" + token;
    std::string msg = message_with(token, "testuser@example.test", {"alice@example.test"}, M::DSN_NOTIFY, "SUCCESS");
    msg = with_field(msg, M::DSN_RET, "HDRS");
    msg = with_field(msg, M::DSN_ENVID, envid);
    const std::string r = mvsmtp_library().sendmail(msg, "with DSN", with_field(options({"smtp://127.0.0.1:2525", "required"}), O::TRANSCRIPT, "RESULT"));
    BOOST_TEST_REQUIRE(field(r, R::STATUS) == "0", field(r, R::MESSAGE));
    std::string log;
    for (const auto& l : mvsmtp::gci::values(r, R::TRANSCRIPT)) log += l + "\n";
    BOOST_TEST(log.find("RET=HDRS ENVID=" + envid) != std::string::npos, log);
    BOOST_TEST(log.find("NOTIFY=SUCCESS ORCPT=rfc822;alice@example.test") != std::string::npos, log);
    BOOST_TEST(!testbed::wait_for_message("alice@example.test", token).empty());
    const std::string report = testbed::wait_for_message(kUser, envid, 20000);
    BOOST_REQUIRE_MESSAGE(!report.empty(), "no delivery status notification reached the sender");
    BOOST_TEST(testbed::read_file(report).find("Action: delivered") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(eightbitmime_used_when_offered_never_in_the_outbox) {
    const std::string token = testbed::unique_token("8bit");
    const std::string body = "Grüße aus Köln — 日本語のテキスト";
    Server capture{"smtp://127.0.0.1:8025", "required", kUser, "testpass", "LOGIN"};
    const std::string r = mvsmtp_library().sendmail(message_with(token, "a@example.test", {"capture@example.test"}), body,
                                                    with_field(options(capture), O::TRANSCRIPT, "RESULT"));
    BOOST_TEST_REQUIRE(field(r, R::STATUS) == "0", field(r, R::MESSAGE));
    std::string log;
    for (const auto& l : mvsmtp::gci::values(r, R::TRANSCRIPT)) log += l + "\n";
    BOOST_TEST(log.find("BODY=8BITMIME") != std::string::npos, log);
    const std::string path = testbed::wait_for_message("aiosmtpd", token);
    BOOST_REQUIRE(!path.empty());
    auto part = testbed::inspect(path)->getArray("parts")->getObject(0);
    BOOST_TEST(part->getValue<std::string>("transfer_encoding") == "8bit");
    BOOST_TEST(part->getValue<std::string>("text").find(body) == 0u);

    // The same message stored in the outbox stays 7-bit clean (no server promised 8BITMIME).
    const std::string outbox = testbed::dir() + "/outbox-" + token;
    DynArrayBuilder o;
    o.set(O::OUTBOX, outbox);
    const std::string stored = mvsmtp_library().sendmail(message_with(token, "a@example.test", {"b@example.test"}), body, o.str());
    BOOST_TEST_REQUIRE(field(stored, R::STATUS) == "2", field(stored, R::MESSAGE));
    auto stored_part = testbed::inspect(field(stored, R::OUTBOX_FILE))->getArray("parts")->getObject(0);
    BOOST_TEST(stored_part->getValue<std::string>("transfer_encoding") != "8bit");
}

BOOST_AUTO_TEST_SUITE_END()
