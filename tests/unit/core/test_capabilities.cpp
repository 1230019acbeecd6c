// EHLO reply → capabilities.
#include <boost/test/unit_test.hpp>

#include "mvsmtp/capabilities.hpp"

using namespace mvsmtp;

BOOST_AUTO_TEST_SUITE(test_capabilities)

BOOST_AUTO_TEST_CASE(parses_postfix_ehlo) {
    const auto caps = Capabilities::from_ehlo(parse_reply(
        "250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-STARTTLS\r\n"
        "250-AUTH PLAIN login CRAM-MD5\r\n250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n"));
    BOOST_TEST(caps.esmtp);
    BOOST_TEST(caps.server_name == "mail.example.test");
    BOOST_TEST(caps.has("starttls"));
    BOOST_TEST(caps.has("PIPELINING"));
    BOOST_TEST(!caps.has("DSN"));
    BOOST_TEST(caps.size_limit == 52428800u);
    BOOST_TEST(caps.auth_mechanisms.size() == 3u);
    BOOST_TEST(caps.offers_auth("LOGIN"));
    BOOST_TEST(caps.offers_auth("cram-md5"));
    BOOST_TEST(!caps.offers_auth("XOAUTH2"));
}

BOOST_AUTO_TEST_CASE(obsolete_auth_equals_form) {
    const auto caps = Capabilities::from_ehlo(parse_reply("250-x\r\n250-AUTH=LOGIN PLAIN\r\n250 HELP\r\n"));
    BOOST_TEST(caps.has("AUTH"));
    BOOST_TEST(caps.offers_auth("LOGIN"));
    BOOST_TEST(caps.offers_auth("PLAIN"));
}

BOOST_AUTO_TEST_CASE(helo_has_no_extensions) {
    const auto caps = Capabilities::from_helo(parse_reply("250 old.example.test\r\n"));
    BOOST_TEST(!caps.esmtp);
    BOOST_TEST(!caps.has("STARTTLS"));
    BOOST_TEST(caps.server_name == "old.example.test");
}

BOOST_AUTO_TEST_CASE(nonsense_size_means_no_limit) {
    const auto caps = Capabilities::from_ehlo(parse_reply("250-x\r\n250 SIZE lots\r\n"));
    BOOST_TEST(caps.has("SIZE"));
    BOOST_TEST(caps.size_limit == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
