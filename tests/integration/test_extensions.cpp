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

BOOST_AUTO_TEST_CASE(idn_domain_goes_out_in_a_labels_without_smtputf8) {
    // Regression (item 18): user@bücher.example needed SMTPUTF8 (refused here with 43). Now
    // MAIL, RCPT and the To header carry the A-label, and no SMTPUTF8 parameter is sent.
    FakeServer server({"220 old", "250-old\r\n250 8BITMIME", "250 ok", "250 ok", "354 go",
                       "250 2.0.0 queued", "221 bye"});
    const std::string r = mvsmtp_library().sendmail(
        message_with("idn", "Zoë <a@b\xC3\xBC" "cher.example>", {"user@b\xC3\xBC" "cher.example"}), "x",
        options({"smtp://127.0.0.1:" + std::to_string(server.port()), "off", ""}));
    BOOST_TEST(field(r, R::STATUS) == "0", field(r, R::MESSAGE));
    server.join();
    const auto lines = server.received();
    BOOST_REQUIRE(lines.size() > 5u);
    BOOST_TEST(lines[1] == "MAIL FROM:<a@xn--bcher-kva.example> BODY=8BITMIME");
    BOOST_TEST(lines[2] == "RCPT TO:<user@xn--bcher-kva.example>");
    bool to = false, from = false;
    for (const auto& l : lines) {
        BOOST_TEST(l.find("SMTPUTF8") == std::string::npos, l);
        BOOST_TEST(l.find("b\xC3\xBC" "cher") == std::string::npos, l);  // no U-label anywhere
        to = to || l == "To: user@xn--bcher-kva.example";
        from = from || (l.rfind("From: ", 0) == 0 && l.find(" <a@xn--bcher-kva.example>") != std::string::npos);
    }
    BOOST_TEST(to);
    BOOST_TEST(from);
}

BOOST_AUTO_TEST_CASE(invalid_idn_is_refused_before_connecting) {
    // Port 9 has no listener: had the library connected, the error would be CONNECT.FAILED.
    const std::string r = mvsmtp_library().sendmail(
        message_with("badidn", "a@example.test", {"user@\xE2\x98\x83.example"}), "x",
        options({"smtp://127.0.0.1:9", "off", ""}));
    BOOST_TEST(field(r, R::ERROR_NAME) == "BAD.ADDRESS", field(r, R::MESSAGE));
    BOOST_TEST(field(r, R::MESSAGE).find("user@\xE2\x98\x83.example") != std::string::npos, field(r, R::MESSAGE));
}

BOOST_AUTO_TEST_CASE(idn_domain_delivered_by_postfix) {
    const std::string token = testbed::unique_token("idn");
    std::string opts = with_field(options({"smtp://127.0.0.1:2525", "required"}), O::TRANSCRIPT, "RESULT");
    const std::string r = mvsmtp_library().sendmail(
        message_with(token, "testuser@example.test", {"user@b\xC3\xBC" "cher.example"}), "IDN", opts);
    BOOST_TEST_REQUIRE(field(r, R::STATUS) == "0", field(r, R::MESSAGE));
    std::string log;
    for (const auto& l : mvsmtp::gci::values(r, R::TRANSCRIPT)) {
        log += l + "\n";
        if (l.rfind("C: ", 0) == 0) BOOST_TEST(l.find("SMTPUTF8") == std::string::npos, l);  // Postfix offers it; unused
    }
    BOOST_TEST(log.find("C: RCPT TO:<user@xn--bcher-kva.example>") != std::string::npos, log);
    const std::string path = testbed::wait_for_message("catchall", token);
    BOOST_REQUIRE_MESSAGE(!path.empty(), "not delivered to the catchall Maildir");
    const std::string raw = testbed::read_file(path);
    BOOST_TEST(raw.find("X-Original-To: user@xn--bcher-kva.example") != std::string::npos, raw);
    BOOST_TEST(raw.find("\nTo: user@xn--bcher-kva.example") != std::string::npos, raw);
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
