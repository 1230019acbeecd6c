// basic/SMTP.H must say exactly what the C side does: every field position, status value
// and error code, with the same numbers (PostgreSQL's "one code table" rule).
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>

#include "layout.hpp"
#include "mvsmtp/error.hpp"

namespace {

std::map<std::string, int> basic_equates() {
    const char* src = std::getenv("MVSMTP_SOURCE_DIR");
    std::ifstream in(std::string(src ? src : ".") + "/basic/SMTP.H");
    BOOST_REQUIRE_MESSAGE(in, "basic/SMTP.H not found (MVSMTP_SOURCE_DIR)");
    std::map<std::string, int> out;
    const std::regex equ(R"(^EQU\s+([A-Z0-9.$]+)\s+TO\s+(\d+)\s*(;.*)?$)");
    std::string line;
    while (std::getline(in, line)) {
        std::smatch m;
        if (std::regex_match(line, m, equ)) {
            BOOST_TEST_MESSAGE(m[1]);
            BOOST_TEST(out.count(m[1]) == 0u, "duplicate EQUATE " << m[1]);
            out[m[1]] = std::stoi(m[2]);
        }
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_basic_include)

BOOST_AUTO_TEST_CASE(every_field_and_status_is_equated_with_its_number) {
    const auto equ = basic_equates();
    for (const auto& f : mvsmtp::gci::field_table()) {
        const auto it = equ.find(f.basic_name);
        BOOST_TEST_REQUIRE((it != equ.end()), "SMTP.H lacks " << f.basic_name);
        BOOST_TEST(it->second == f.number, f.basic_name);
    }
}

BOOST_AUTO_TEST_CASE(every_error_code_is_equated_with_its_number) {
    const auto equ = basic_equates();
    for (const auto& e : mvsmtp::error_table()) {
        const std::string name = std::string("E.") + e.basic_name;
        const auto it = equ.find(name);
        BOOST_TEST_REQUIRE((it != equ.end()), "SMTP.H lacks " << name);
        BOOST_TEST(it->second == mvsmtp::error_number(e.code), name);
    }
}

BOOST_AUTO_TEST_CASE(no_stray_equates) {
    // An EQUATE the C side does not know would be a promise the library does not keep.
    std::size_t known = mvsmtp::gci::field_table().size() + mvsmtp::error_table().size();
    BOOST_TEST(basic_equates().size() == known);
}

BOOST_AUTO_TEST_SUITE_END()
