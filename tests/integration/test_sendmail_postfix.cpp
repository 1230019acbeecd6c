// SENDMAIL through the C ABI (dlopen) to real Postfix on loopback: STARTTLS and implicit
// TLS with AUTH PLAIN / LOGIN / CRAM-MD5, and the refusals a shop will meet in practice.
#include <boost/test/unit_test.hpp>

#include "sendmail_fixture.hpp"

using namespace sendmail_test;

BOOST_AUTO_TEST_SUITE(test_sendmail_postfix)

BOOST_AUTO_TEST_CASE(starttls_auth_plain_delivers) {
    const std::string token = testbed::unique_token("plain");
    const std::string result = mvsmtp_library().sendmail(simple_message(token, {kUser}), "Hello over STARTTLS",
                                              options({"smtp://127.0.0.1:2525", "required", kUser, "testpass", "PLAIN"}));
    BOOST_TEST(field(result, R::STATUS) == "0", field(result, R::MESSAGE));
    BOOST_TEST(field(result, R::ERROR) == "0");
    BOOST_TEST(field(result, R::REPLY_CODE) == "250");
    BOOST_TEST(field(result, R::RCPT_STATUS, 1) == "0");
    const std::string path = testbed::wait_for_message(kUser, token);
    BOOST_REQUIRE_MESSAGE(!path.empty(), "message not delivered to testuser's Maildir");
    const auto msg = testbed::inspect(path);
    BOOST_TEST(msg->getValue<std::string>("subject") == "mvsmtp " + token);
    BOOST_TEST(msg->getValue<std::string>("message_id") == field(result, R::MESSAGE_ID));
    // Postfix records how the message arrived: TLS and an authenticated sender.
    const std::string raw = testbed::read_file(path);
    BOOST_TEST(raw.find("(using TLS") != std::string::npos);
    BOOST_TEST(raw.find("ESMTPSA") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(starttls_auth_login_delivers) {
    const std::string token = testbed::unique_token("login");
    const std::string result = mvsmtp_library().sendmail(simple_message(token, {kUser}), "LOGIN",
                                              options({"smtp://127.0.0.1:2525", "required", kUser, "testpass", "LOGIN"}));
    BOOST_TEST(field(result, R::STATUS) == "0", field(result, R::MESSAGE));
    BOOST_TEST(!testbed::wait_for_message(kUser, token).empty());
}

BOOST_AUTO_TEST_CASE(starttls_default_choice_is_plain_and_cram_md5_when_named) {
    // Regression (item 15): the default used to be CRAM-MD5 even over TLS. Over TLS PLAIN
    // comes first; CRAM-MD5 is still used when the profile names it.
    for (const char* mech : {"", "CRAM-MD5"}) {
        const std::string token = testbed::unique_token("defaultauth");
        const std::string result = mvsmtp_library().sendmail(
            simple_message(token, {kUser}), "default AUTH",
            with_field(options({"smtp://127.0.0.1:2525", "", kUser, "testpass", mech}), O::TRANSCRIPT, "RESULT"));
        BOOST_TEST(field(result, R::STATUS) == "0", field(result, R::MESSAGE));
        std::string auth;
        for (const auto& l : mvsmtp::gci::values(result, R::TRANSCRIPT))
            if (l.find("C: AUTH") != std::string::npos) auth += l + "\n";
        BOOST_TEST(auth == std::string("C: AUTH ") + (*mech ? "CRAM-MD5\n" : "PLAIN <redacted>\n"), auth);
        BOOST_TEST(!testbed::wait_for_message(kUser, token).empty());
    }
}

BOOST_AUTO_TEST_CASE(quoted_local_part_with_a_space_is_delivered) {
    // Regression (item 17): "john smith"@example.test passed validation and was then refused
    // while the envelope was being sent, which broke the session. RFC 5321 §4.1.2 allows it.
    const std::string token = testbed::unique_token("quoted");
    const std::string result = mvsmtp_library().sendmail(
        simple_message(token, {"\"john smith\"@example.test", "alice@example.test"}), "quoted local part",
        with_field(options({"smtp://127.0.0.1:2525", "required"}), O::TRANSCRIPT, "RESULT"));
    BOOST_TEST_REQUIRE(field(result, R::STATUS) == "0", field(result, R::MESSAGE));
    std::string log;
    for (const auto& l : mvsmtp::gci::values(result, R::TRANSCRIPT)) log += l + "\n";
    BOOST_TEST(log.find("C: RCPT TO:<\"john smith\"@example.test>") != std::string::npos, log);
    const std::string path = testbed::wait_for_message("catchall", token);
    BOOST_REQUIRE_MESSAGE(!path.empty(), "not delivered to the catchall Maildir");
    const std::string raw = testbed::read_file(path);
    BOOST_TEST(raw.find("To: \"john smith\"@example.test, alice@example.test") != std::string::npos, raw);
    BOOST_TEST(raw.find("X-Original-To: \"john smith\"@example.test") != std::string::npos, raw);
    BOOST_TEST(!testbed::wait_for_message("alice@example.test", token).empty());
}

BOOST_AUTO_TEST_CASE(implicit_tls_auth_plain_and_login) {
    for (const char* mech : {"PLAIN", "LOGIN"}) {
        const std::string token = testbed::unique_token(std::string("smtps-") + mech);
        const std::string result = mvsmtp_library().sendmail(simple_message(token, {kUser}), "implicit TLS",
                                                  options({"smtps://127.0.0.1:2465", "", kUser, "testpass", mech}));
        BOOST_TEST(field(result, R::STATUS) == "0", mech << ": " << field(result, R::MESSAGE));
        const std::string path = testbed::wait_for_message(kUser, token);
        BOOST_REQUIRE(!path.empty());
        BOOST_TEST(testbed::read_file(path).find("(using TLS") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(wrong_password_is_auth_failed) {
    for (const char* mech : {"PLAIN", "LOGIN", "CRAM-MD5"}) {
        const std::string result = mvsmtp_library().sendmail(simple_message("badpw", {kUser}), "x",
                                                  options({"smtp://127.0.0.1:2525", "required", kUser, "wrongpass", mech}));
        BOOST_TEST(field(result, R::STATUS) == "3");
        BOOST_TEST(field(result, R::ERROR) == "35", mech << ": " << field(result, R::MESSAGE));
        BOOST_TEST(field(result, R::ERROR_NAME) == "AUTH.FAILED");
        BOOST_TEST(field(result, R::REPLY_CODE) == "535");
        BOOST_TEST(field(result, R::TRANSIENT) == "0");
        BOOST_TEST(result.find("wrongpass") == std::string::npos);  // no secret in RESULT
    }
}

BOOST_AUTO_TEST_CASE(untrusted_certificate_is_tls_certificate_error) {
    Server s{"smtp://127.0.0.1:2525", "required"};
    s.trust_test_ca = false;  // system CAs do not know the rig's test CA
    const std::string result = mvsmtp_library().sendmail(simple_message("untrusted", {kUser}), "x", options(s));
    BOOST_TEST(field(result, R::STATUS) == "3");
    BOOST_TEST(field(result, R::ERROR) == "40", field(result, R::MESSAGE));
    BOOST_TEST(field(result, R::ERROR_NAME) == "TLS.CERTIFICATE");
    s.url = "smtps://127.0.0.1:2465";
    const std::string implicit = mvsmtp_library().sendmail(simple_message("untrusted", {kUser}), "x", options(s));
    BOOST_TEST(field(implicit, R::ERROR) == "40", field(implicit, R::MESSAGE));
}

BOOST_AUTO_TEST_CASE(tls_required_without_starttls_is_refused) {
    const std::string result = mvsmtp_library().sendmail(simple_message("nostarttls", {kUser}), "x",
                                              options({"smtp://127.0.0.1:2526", "required"}));
    BOOST_TEST(field(result, R::STATUS) == "3");
    BOOST_TEST(field(result, R::ERROR) == "39", field(result, R::MESSAGE));
    BOOST_TEST(field(result, R::ERROR_NAME) == "TLS.UNAVAILABLE");
}

BOOST_AUTO_TEST_CASE(credentials_never_sent_in_plaintext_by_default) {
    const std::string result = mvsmtp_library().sendmail(simple_message("plainauth", {kUser}), "x",
                                              options({"smtp://127.0.0.1:2526", "off"}));
    BOOST_TEST(field(result, R::ERROR) == "37", field(result, R::MESSAGE));
    BOOST_TEST(field(result, R::ERROR_NAME) == "AUTH.NEEDS.TLS");
}

BOOST_AUTO_TEST_CASE(one_rejected_recipient_of_three) {
    const std::string token = testbed::unique_token("partial");
    const std::string result = mvsmtp_library().sendmail(
        simple_message(token, {"testuser@example.test", "reject@example.test", "alice@example.test"}), "partial",
        options({"smtp://127.0.0.1:2525", "required"}));
    BOOST_TEST(field(result, R::STATUS) == "1", field(result, R::MESSAGE));
    BOOST_TEST(field(result, R::ERROR) == "32");
    BOOST_TEST(field(result, R::RCPT_ADDRESS, 2) == "reject@example.test");
    BOOST_TEST(field(result, R::RCPT_STATUS, 1) == "0");
    BOOST_TEST(field(result, R::RCPT_STATUS, 2) == "32");
    BOOST_TEST(field(result, R::RCPT_STATUS, 3) == "0");
    BOOST_TEST(field(result, R::RCPT_CODE, 2) == "550");
    BOOST_TEST(field(result, R::RCPT_ENHANCED, 2) == "5.1.1");
    BOOST_TEST(field(result, R::RCPT_CODE, 1) == "250");
    BOOST_TEST(!testbed::wait_for_message("testuser@example.test", token).empty());
    BOOST_TEST(!testbed::wait_for_message("alice@example.test", token).empty());
}

BOOST_AUTO_TEST_CASE(every_recipient_rejected_sends_no_data) {
    const std::string token = testbed::unique_token("allrejected");
    const std::string result = mvsmtp_library().sendmail(simple_message(token, {"reject@example.test"}), "x",
                                              options({"smtp://127.0.0.1:2525", "required"}));
    BOOST_TEST(field(result, R::STATUS) == "3");
    BOOST_TEST(field(result, R::ERROR) == "32");
    BOOST_TEST(field(result, R::REPLY_CODE) == "550");
    BOOST_TEST(testbed::wait_for_message("catchall", token, 1500).empty());
}

BOOST_AUTO_TEST_CASE(temporary_refusal_is_transient) {
    const std::string result = mvsmtp_library().sendmail(simple_message("tempfail", {"tempfail@example.test"}), "x",
                                              options({"smtp://127.0.0.1:2525", "required"}));
    BOOST_TEST(field(result, R::STATUS) == "3");
    BOOST_TEST(field(result, R::ERROR) == "16", field(result, R::MESSAGE));
    BOOST_TEST(field(result, R::TRANSIENT) == "1");
    BOOST_TEST(field(result, R::RCPT_CODE, 1) == "450");
}

BOOST_AUTO_TEST_CASE(relay_without_auth_is_refused) {
    Server s{"smtp://127.0.0.1:2525", "required"};
    s.user.clear();
    const std::string result = mvsmtp_library().sendmail(simple_message("noauth", {kUser}), "x", options(s));
    BOOST_TEST(field(result, R::STATUS) == "3");
    BOOST_TEST(field(result, R::ERROR).size() == 2u);
    BOOST_TEST(field(result, R::REPLY_CODE).substr(0, 1) == "5", field(result, R::MESSAGE));
}

BOOST_AUTO_TEST_SUITE_END()
