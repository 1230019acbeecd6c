// ESMTP parameters for MAIL/RCPT (RFC 1870, 3461, 6152, 6531), chosen from capabilities.
#include <boost/test/unit_test.hpp>

#include "mvsmtp/command.hpp"
#include "mvsmtp/envelope.hpp"
#include "mvsmtp/error.hpp"
#include "support/error_code_of.hpp"

using namespace mvsmtp;

namespace {

Capabilities caps(const std::string& keywords) {
    std::string reply = "250-server\r\n";
    std::size_t start = 0;
    std::vector<std::string> words;
    while (start < keywords.size()) {
        const auto end = std::min(keywords.find(',', start), keywords.size());
        words.push_back(keywords.substr(start, end - start));
        start = end + 1;
    }
    for (std::size_t i = 0; i < words.size(); ++i) reply += (i + 1 < words.size() ? "250-" : "250 ") + words[i] + "\r\n";
    return Capabilities::from_ehlo(parse_reply(reply));
}

Message message(const std::string& from = "a@example.test") {
    Message m;
    m.from = {"", from};
    return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_envelope)

BOOST_AUTO_TEST_CASE(size_declared_and_enforced) {
    const auto plan = plan_envelope(message(), {"b@example.test"}, caps("SIZE 1000,PIPELINING"), 999);
    BOOST_REQUIRE(plan.mail_parameters.size() == 1u);
    BOOST_TEST(plan.mail_parameters[0].text() == "SIZE=999");
    BOOST_TEST((testsupport::error_code_of([] {
                    plan_envelope(message(), {"b@example.test"}, caps("SIZE 1000"), 1001);
                }) == ErrorCode::MessageTooLarge));
    // SIZE without a number: declare, never refuse.
    BOOST_TEST(plan_envelope(message(), {"b@example.test"}, caps("SIZE"), 1u << 30).mail_parameters[0].text() == "SIZE=1073741824");
    BOOST_TEST(plan_envelope(message(), {"b@example.test"}, caps("PIPELINING"), 5).mail_parameters.empty());
}

BOOST_AUTO_TEST_CASE(smtputf8_only_when_needed_and_offered) {
    BOOST_TEST(plan_envelope(message(), {"b@example.test"}, caps("SMTPUTF8"), 1).mail_parameters.empty());
    const auto plan = plan_envelope(message(), {"δοκιμή@example.test"}, caps("SMTPUTF8,8BITMIME"), 1);
    BOOST_REQUIRE(plan.mail_parameters.size() == 2u);
    BOOST_TEST(plan.mail_parameters[0].text() == "SMTPUTF8");
    BOOST_TEST(plan.mail_parameters[1].text() == "BODY=8BITMIME");
    // 8BITMIME alone: declared, because text parts may then travel as 8bit.
    const auto eight = plan_envelope(message(), {"b@example.test"}, caps("8BITMIME"), 1);
    BOOST_REQUIRE(eight.mail_parameters.size() == 1u);
    BOOST_TEST(eight.mail_parameters[0].text() == "BODY=8BITMIME");
    BOOST_TEST((testsupport::error_code_of([] {
                    plan_envelope(message("zoë@example.test"), {"b@example.test"}, caps("8BITMIME"), 1);
                }) == ErrorCode::Smtputf8Unsupported));
}

BOOST_AUTO_TEST_CASE(dsn_parameters) {
    Message m = message();
    m.dsn.notify = "failure, delay";
    m.dsn.ret = "hdrs";
    m.dsn.envid = "INV 1042+x";
    const auto plan = plan_envelope(m, {"b@example.test", "c+tag@example.test"}, caps("DSN"), 1);
    BOOST_REQUIRE(plan.mail_parameters.size() == 2u);
    BOOST_TEST(plan.mail_parameters[0].text() == "RET=HDRS");
    BOOST_TEST(plan.mail_parameters[1].text() == "ENVID=INV+201042+2Bx");
    BOOST_REQUIRE(plan.rcpt_parameters.size() == 2u);
    BOOST_TEST(plan.rcpt_parameters[0][0].text() == "NOTIFY=FAILURE,DELAY");
    BOOST_TEST(plan.rcpt_parameters[0][1].text() == "ORCPT=rfc822;b@example.test");
    BOOST_TEST(plan.rcpt_parameters[1][1].text() == "ORCPT=rfc822;c+2Btag@example.test");
    // No DSN at the server: sent without, and the caller is told.
    const auto without = plan_envelope(m, {"b@example.test"}, caps("PIPELINING"), 1);
    BOOST_TEST(without.mail_parameters.empty());
    BOOST_TEST(without.rcpt_parameters[0].empty());
    BOOST_TEST(without.notes.size() == 1u);
}

BOOST_AUTO_TEST_CASE(idn_domain_needs_no_smtputf8) {
    // Regression (item 18): an ASCII local part at an IDN domain goes out in A-labels, so a
    // server without SMTPUTF8 takes it.
    const auto plan = plan_envelope(message("a@b\xC3\xBC" "cher.example"), {"user@b\xC3\xBC" "cher.example"},
                                    caps("8BITMIME"), 1);
    BOOST_REQUIRE(plan.mail_parameters.size() == 1u);
    BOOST_TEST(plan.mail_parameters[0].text() == "BODY=8BITMIME");
    // a non-ASCII local part still needs it
    const std::string cn = "\xE7\x94\xA8\xE6\x88\xB7@\xE4\xBE\x8B\xE5\xAD\x90.\xE6\xB5\x8B\xE8\xAF\x95";
    BOOST_TEST((testsupport::error_code_of([&] { plan_envelope(message(), {cn}, caps("8BITMIME"), 1); }) ==
                ErrorCode::Smtputf8Unsupported));
    BOOST_TEST(plan_envelope(message(), {cn}, caps("SMTPUTF8"), 1).mail_parameters[0].text() == "SMTPUTF8");
    // ORCPT names the address as sent: A-labels
    Message m = message();
    m.dsn.notify = "FAILURE";
    const auto dsn = plan_envelope(m, {"user@b\xC3\xBC" "cher.example"}, caps("DSN"), 1);
    BOOST_TEST(dsn.rcpt_parameters[0][1].text() == "ORCPT=rfc822;user@xn--bcher-kva.example");
}

BOOST_AUTO_TEST_CASE(every_envelope_command_renders_before_anything_is_sent) {
    // Regression (item 17): a recipient the renderer refused surfaced after MAIL and the
    // earlier RCPTs were queued. Whatever the plan says, each command must render.
    Message m = message();
    m.dsn.notify = "SUCCESS,FAILURE,DELAY";
    // 64 '+' (valid atext, three octets each in xtext) at a 187-octet domain: with ORCPT the
    // RCPT line is ~690 octets, inside the 512 + 500 that DSN allows (RFC 3461 §4)
    const std::string domain = std::string(63, 'd') + "." + std::string(63, 'e') + "." + std::string(59, 'f');
    const std::string heavy = std::string(64, '+') + "@" + domain;
    const std::vector<std::string> rcpts = {"b@example.test", "\"john smith\"@example.test", heavy};
    const auto plan = plan_envelope(m, rcpts, caps("DSN,PIPELINING"), 1);
    BOOST_TEST((testsupport::error_code_of([&] { command::mail_from(m.envelope_sender(), plan.mail_parameters); }) ==
                ErrorCode::Ok));
    for (std::size_t i = 0; i < rcpts.size(); ++i)
        BOOST_TEST((testsupport::error_code_of([&] { command::rcpt_to(rcpts[i], plan.rcpt_parameters[i]); }) ==
                    ErrorCode::Ok), rcpts[i]);
    BOOST_TEST(plan.rcpt_parameters[2].size() == 2u);  // NOTIFY and ORCPT both kept
    BOOST_TEST(plan.notes.empty());
    // what cannot be rendered at all is refused by the plan, before any command is sent
    m.dsn.envid = std::string(100, '+');
    BOOST_TEST((testsupport::error_code_of([&] { plan_envelope(m, {heavy}, caps("DSN,SIZE,8BITMIME"), 1); }) ==
                ErrorCode::Ok));
    // the longest MAIL line a valid message can make (a 252-octet sender, a 100-character
    // ENVID of '+', SIZE, BODY) fits the 512 + DSN 100 + SIZE 26 + BODY 16 allowance
    Message long_sender = message(std::string(64, 'a') + "@" + domain);
    long_sender.dsn.envid = std::string(100, '+');
    BOOST_TEST((testsupport::error_code_of([&] { plan_envelope(long_sender, {"b@example.test"}, caps("DSN,SIZE,8BITMIME"), 1); }) ==
                ErrorCode::Ok));
}

BOOST_AUTO_TEST_CASE(dsn_values_validated) {
    for (const char* bad : {"SOMETIMES", "NEVER,SUCCESS"}) {
        DsnRequest d;
        d.notify = bad;
        BOOST_TEST((testsupport::error_code_of([&] { validate_dsn(d); }) == ErrorCode::BadArgument), bad);
    }
    DsnRequest ret;
    ret.ret = "BODY";
    BOOST_TEST((testsupport::error_code_of([&] { validate_dsn(ret); }) == ErrorCode::BadArgument));
    DsnRequest envid;
    envid.envid = "tab\there";
    BOOST_TEST((testsupport::error_code_of([&] { validate_dsn(envid); }) == ErrorCode::BadArgument));
    DsnRequest ok;
    ok.notify = "never";
    BOOST_TEST((testsupport::error_code_of([&] { validate_dsn(ok); }) == ErrorCode::Ok));
}

BOOST_AUTO_TEST_CASE(long_paths_with_dsn_fit_the_extension_allowances) {
    // RFC 5321 allows a 256-octet path; with NOTIFY and ORCPT (which repeats the address)
    // a RCPT line passes 512 octets, which RFC 3461 §4 allows (+500 for RCPT, +100 for
    // RET/ENVID on MAIL; SIZE +26 RFC 1870, BODY +16 RFC 6152, SMTPUTF8 +10 RFC 6531).
    const std::string domain = std::string(63, 'd') + "." + std::string(63, 'e') + "." + std::string(53, 'f') + ".example";
    const std::string rcpt = std::string(64, 'r') + "@" + domain;
    const std::string sender = std::string(64, 's') + "@" + domain;
    BOOST_TEST_REQUIRE(rcpt.size() <= 254u);
    Message m = message(sender);
    m.dsn.notify = "success,failure,delay";
    m.dsn.ret = "full";
    m.dsn.envid = std::string(100, 'E');
    const auto plan = plan_envelope(m, {rcpt}, caps("DSN,SIZE,8BITMIME"), 123456789);
    std::string mail_line, rcpt_line;
    BOOST_TEST((testsupport::error_code_of([&] { mail_line = command::mail_from(sender, plan.mail_parameters); }) ==
                ErrorCode::Ok));
    BOOST_TEST((testsupport::error_code_of([&] { rcpt_line = command::rcpt_to(rcpt, plan.rcpt_parameters[0]); }) ==
                ErrorCode::Ok));
    BOOST_TEST(mail_line.find(" RET=FULL ENVID=") != std::string::npos);
    BOOST_TEST(rcpt_line.size() > 512u);
    BOOST_TEST(rcpt_line.find(" NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;" + rcpt + "\r\n") != std::string::npos);
    // Without the extensions the plain limit holds: a path this long alone is refused.
    BOOST_TEST((testsupport::error_code_of([&] { command::rcpt_to(std::string(520, 'x') + "@example.test"); }) ==
                ErrorCode::BadArgument));
}

BOOST_AUTO_TEST_CASE(xtext_encoding) {
    BOOST_TEST(xtext("plain@example.test") == "plain@example.test");
    BOOST_TEST(xtext("a+b=c d") == "a+2Bb+3Dc+20d");
}

BOOST_AUTO_TEST_SUITE_END()
