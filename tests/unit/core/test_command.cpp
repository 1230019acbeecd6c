// Command rendering: exact wire lines, and no way to inject a second command.
#include <boost/test/unit_test.hpp>

#include "mvsmtp/command.hpp"
#include "mvsmtp/error.hpp"

using namespace mvsmtp;

BOOST_AUTO_TEST_SUITE(test_command)

BOOST_AUTO_TEST_CASE(exact_wire_lines) {
    BOOST_TEST(command::ehlo("client.example") == "EHLO client.example\r\n");
    BOOST_TEST(command::helo("[127.0.0.1]") == "HELO [127.0.0.1]\r\n");
    BOOST_TEST(command::mail_from("a@b.example") == "MAIL FROM:<a@b.example>\r\n");
    BOOST_TEST(command::mail_from("") == "MAIL FROM:<>\r\n");  // null reverse-path (bounces)
    BOOST_TEST(command::mail_from("a@b.example", {MailParameter::size(42), MailParameter::body_8bitmime()}) ==
               "MAIL FROM:<a@b.example> SIZE=42 BODY=8BITMIME\r\n");
    BOOST_TEST(command::rcpt_to("c@d.example", {RcptParameter::notify("NEVER"), RcptParameter::orcpt("c+x@d.example")}) ==
               "RCPT TO:<c@d.example> NOTIFY=NEVER ORCPT=rfc822;c+2Bx@d.example\r\n");
    BOOST_TEST(command::rcpt_to("c@d.example") == "RCPT TO:<c@d.example>\r\n");
    BOOST_TEST(command::data() == "DATA\r\n");
    BOOST_TEST(command::rset() == "RSET\r\n");
    BOOST_TEST(command::quit() == "QUIT\r\n");
    BOOST_TEST(command::starttls() == "STARTTLS\r\n");
    BOOST_TEST(command::auth("PLAIN", "AHUAcA==") == "AUTH PLAIN AHUAcA==\r\n");
    BOOST_TEST(command::auth("LOGIN") == "AUTH LOGIN\r\n");
    BOOST_TEST(command::auth_response("") == "\r\n");
}

BOOST_AUTO_TEST_CASE(refuses_injection_in_addresses) {
    for (const char* bad : {"a@b\r\nRCPT TO:<evil@x>", "a@b\n", "a>@b", "<a@b", "a b@c"})
        BOOST_CHECK_THROW(command::mail_from(bad), Error);
    BOOST_CHECK_THROW(command::rcpt_to(std::string("a@b\0x", 5)), Error);
    BOOST_CHECK_THROW(command::rcpt_to(""), Error);
}

BOOST_AUTO_TEST_CASE(quoted_local_part_with_a_space_is_rendered) {
    // Regression (item 17): RFC 5321 §4.1.2 allows it; the renderer refused it after the
    // validator had accepted it, in the middle of a pipelined envelope.
    BOOST_TEST(command::rcpt_to("\"john smith\"@example.test") == "RCPT TO:<\"john smith\"@example.test>\r\n");
    BOOST_TEST(command::mail_from("\"john smith\"@example.test", {MailParameter::size(1)}) ==
               "MAIL FROM:<\"john smith\"@example.test> SIZE=1\r\n");
    for (const char* bad : {"\"john\" smith@example.test", "\"john smith\"@exam ple.test", "john smith@example.test"})
        BOOST_CHECK_THROW(command::rcpt_to(bad), Error);
}

BOOST_AUTO_TEST_CASE(idn_domains_go_out_as_a_labels) {
    // Regression (item 18): user@bücher.example went out in UTF-8 and needed SMTPUTF8.
    BOOST_TEST(command::rcpt_to("user@b\xC3\xBC" "cher.example") == "RCPT TO:<user@xn--bcher-kva.example>\r\n");
    BOOST_TEST(command::mail_from("\xE7\x94\xA8\xE6\x88\xB7@\xE4\xBE\x8B\xE5\xAD\x90.\xE6\xB5\x8B\xE8\xAF\x95", {MailParameter::smtputf8()}) ==
               "MAIL FROM:<\xE7\x94\xA8\xE6\x88\xB7@xn--fsqu00a.xn--0zwm56d> SMTPUTF8\r\n");
    BOOST_CHECK_THROW(command::rcpt_to("user@\xE2\x98\x83.example"), Error);  // not a valid IDN
}

BOOST_AUTO_TEST_CASE(refuses_bad_helo_names_and_parameters) {
    BOOST_CHECK_THROW(command::ehlo("two words"), Error);
    BOOST_CHECK_THROW(command::ehlo(""), Error);
    BOOST_CHECK_THROW(command::ehlo("x\r\nMAIL"), Error);
    BOOST_CHECK_THROW(command::mail_from("a@b", {MailParameter{Extension::Size, "SIZE", "1 EVIL"}}), Error);
    BOOST_CHECK_THROW(command::rcpt_to("a@b", {RcptParameter{Extension::Dsn, "NOTIFY", "X\r\nRSET"}}), Error);
}

BOOST_AUTO_TEST_CASE(respects_512_octet_limit) {
    const std::string local(500, 'a');
    BOOST_CHECK_THROW(command::mail_from(local + "@example.com"), Error);
}

BOOST_AUTO_TEST_CASE(extensions_extend_the_limit_by_their_allowance) {
    // RCPT: 512 + 500 with DSN parameters (RFC 3461 §4), counted once however many.
    const std::string addr = std::string(240, 'a') + "@example.com";  // 252 octets
    const std::string with_dsn = command::rcpt_to(addr, {RcptParameter::notify("SUCCESS,FAILURE,DELAY"), RcptParameter::orcpt(addr)});
    BOOST_TEST(with_dsn.size() > 512u);
    BOOST_TEST(with_dsn.size() <= 1012u);
    // An ORCPT that needs more than the allowance is still refused.
    BOOST_CHECK_THROW(command::rcpt_to(addr, {RcptParameter::orcpt(std::string(700, '+'))}), Error);
    // MAIL: SIZE gives 26 octets beyond 512, no more.
    const std::string sender = std::string(480, 's') + "@example.com";  // MAIL FROM:<..> CRLF = 506
    BOOST_CHECK_NO_THROW(command::mail_from(sender, {MailParameter::size(123456)}));
    BOOST_CHECK_THROW(command::mail_from(sender, {MailParameter::size(123456), MailParameter::size(12345678901234567890ULL)}), Error);
    BOOST_CHECK_THROW(command::mail_from(sender + "xxxxxxx"), Error);
}

BOOST_AUTO_TEST_SUITE_END()
