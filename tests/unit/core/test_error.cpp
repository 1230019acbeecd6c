// The error table: stable numbers, unique names, the transient range.
#include <boost/test/unit_test.hpp>

#include <set>

#include "mvsmtp/error.hpp"

using namespace mvsmtp;

BOOST_AUTO_TEST_SUITE(test_error)

BOOST_AUTO_TEST_CASE(numbers_and_names_are_unique_and_in_range) {
    std::set<int> numbers;
    std::set<std::string> names;
    for (const auto& e : error_table()) {
        BOOST_TEST(numbers.insert(error_number(e.code)).second);
        BOOST_TEST(names.insert(e.basic_name).second);
        BOOST_TEST(error_number(e.code) <= 99);  // they double as exit statuses
    }
}

BOOST_AUTO_TEST_CASE(transient_range) {
    BOOST_TEST(is_transient(ErrorCode::Timeout));
    BOOST_TEST(is_transient(ErrorCode::RecipientDeferred));
    BOOST_TEST(!is_transient(ErrorCode::AuthFailed));
    BOOST_TEST(!is_transient(ErrorCode::RecipientRejected));
    BOOST_TEST(!is_transient(ErrorCode::Ok));
}

BOOST_AUTO_TEST_CASE(published_numbers_never_change) {
    // These appear in customers' BASIC code and scripts.
    BOOST_TEST(error_number(ErrorCode::AuthFailed) == 35);
    BOOST_TEST(error_number(ErrorCode::TlsCertificate) == 40);
    BOOST_TEST(error_number(ErrorCode::TlsUnavailable) == 39);
    BOOST_TEST(error_number(ErrorCode::RecipientRejected) == 32);
    BOOST_TEST(error_number(ErrorCode::HeaderInjection) == 64);
}

BOOST_AUTO_TEST_SUITE_END()
