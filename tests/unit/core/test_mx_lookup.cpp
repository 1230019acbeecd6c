// lookup_mx's argument check: a domain that cannot be a host name is refused with BadAddress
// before any DNS query (the answers themselves are tested against the rig's DNS).
#include <boost/test/unit_test.hpp>

#include "mvsmtp/error.hpp"
#include "mvsmtp/mx_lookup.hpp"
#include "support/error_code_of.hpp"

using namespace mvsmtp;

BOOST_AUTO_TEST_SUITE(test_mx_lookup)

BOOST_AUTO_TEST_CASE(a_name_that_is_no_host_name_is_bad_address) {
    DnsSettings dns;
    dns.servers = "127.0.0.1:9";  // never asked: nothing listens there
    dns.timeout_ms = 1000;
    for (const char* domain : {"bad domain!", "", "[192.0.2.1]", "a..b", "-x.example"})
        BOOST_TEST((testsupport::error_code_of([&] { lookup_mx(domain, dns); }) == ErrorCode::BadAddress), domain);
}

BOOST_AUTO_TEST_SUITE_END()
