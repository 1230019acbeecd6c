// The default EHLO name: address literals (RFC 5321 §4.1.3) and what counts as an FQDN.
#include <boost/test/unit_test.hpp>

#include "mvsmtp/client_name.hpp"
#include "mvsmtp/connection.hpp"

using namespace mvsmtp;

BOOST_AUTO_TEST_SUITE(test_client_name)

BOOST_AUTO_TEST_CASE(address_literals) {
    BOOST_TEST(address_literal("192.0.2.1") == "[192.0.2.1]");
    BOOST_TEST(address_literal("2001:db8::1") == "[IPv6:2001:db8::1]");
    BOOST_TEST(address_literal("::1") == "[IPv6:::1]");
    BOOST_TEST(address_literal("::ffff:192.0.2.7") == "[192.0.2.7]");  // IPv4-mapped: the IPv4 form
}

BOOST_AUTO_TEST_CASE(only_dotted_host_names_count_as_fqdn) {
    BOOST_TEST(looks_like_fqdn("mail.example.com"));
    BOOST_TEST(looks_like_fqdn("a-b.example"));
    BOOST_TEST(!looks_like_fqdn("localhost"));
    BOOST_TEST(!looks_like_fqdn("vm"));
    BOOST_TEST(!looks_like_fqdn("host."));
    BOOST_TEST(!looks_like_fqdn(".example.com"));
    BOOST_TEST(!looks_like_fqdn("192.0.2.1"));
    BOOST_TEST(!looks_like_fqdn("bad name.example"));
    BOOST_TEST(!looks_like_fqdn(""));
}

BOOST_AUTO_TEST_CASE(default_name_is_never_a_bare_host_name) {
    const std::string name = default_client_name("192.0.2.1", 2000);
    BOOST_TEST((name == "[192.0.2.1]" || looks_like_fqdn(name)), name);
}

BOOST_AUTO_TEST_CASE(auth_commands_in_any_spelling) {
    for (const char* line : {"AUTH PLAIN x", "auth login", "AUTH\tPLAIN x", " AUTH PLAIN x", "\t Auth  PLAIN", "AUTH"})
        BOOST_TEST(is_auth_command(line), line);
    for (const char* line : {"AUTHX PLAIN", "MAIL FROM:<auth@example.test>", "", "  ", "NOOP AUTH"})
        BOOST_TEST(!is_auth_command(line), line);
}

BOOST_AUTO_TEST_SUITE_END()
