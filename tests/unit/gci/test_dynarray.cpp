// The dynamic-array codec: BASIC's <a,v,s> semantics with ASCII 30/29/28 marks.
#include <boost/test/unit_test.hpp>

#include <stdexcept>

#include "dynarray.hpp"

using namespace mvsmtp::gci;

namespace {
const std::string AM(1, kAttributeMark), VM(1, kValueMark), SM(1, kSubvalueMark);
}

BOOST_AUTO_TEST_SUITE(test_dynarray)

BOOST_AUTO_TEST_CASE(marks_are_ascii_30_29_28) {
    BOOST_TEST(static_cast<int>(kAttributeMark) == 30);
    BOOST_TEST(static_cast<int>(kValueMark) == 29);
    BOOST_TEST(static_cast<int>(kSubvalueMark) == 28);
}

BOOST_AUTO_TEST_CASE(extract_like_basic) {
    const std::string a = "one" + AM + "v1" + VM + "v2" + SM + "s2" + AM + AM + "four";
    BOOST_TEST(extract(a, 1) == "one");
    BOOST_TEST(extract(a, 2) == "v1" + VM + "v2" + SM + "s2");
    BOOST_TEST(extract(a, 2, 1) == "v1");
    BOOST_TEST(extract(a, 2, 2) == "v2" + SM + "s2");
    BOOST_TEST(extract(a, 2, 2, 2) == "s2");
    BOOST_TEST(extract(a, 2, 2, 3) == "");
    BOOST_TEST(extract(a, 3) == "");
    BOOST_TEST(extract(a, 4) == "four");
    BOOST_TEST(extract(a, 5) == "");
    BOOST_TEST(extract(a, 0) == "");
    BOOST_TEST(extract(a, -1) == "");
    BOOST_TEST(extract("", 1) == "");
}

BOOST_AUTO_TEST_CASE(values_drop_trailing_empties) {
    const std::string a = "x" + AM + "a" + VM + VM + "c" + VM + VM;
    const auto v = values(a, 2);
    BOOST_REQUIRE(v.size() == 3u);
    BOOST_TEST(v[1] == "");
    BOOST_TEST(v[2] == "c");
    BOOST_TEST(values(a, 9).empty());
}

BOOST_AUTO_TEST_CASE(builder_pads_like_basic_assignment) {
    DynArrayBuilder b;
    b.set(3, "c");
    b.set(1, 2, "b2");
    b.set(5, std::vector<std::string>{"x", "y"});
    BOOST_TEST(b.str() == VM + "b2" + AM + AM + "c" + AM + AM + "x" + VM + "y");
}

BOOST_AUTO_TEST_CASE(clean_value_removes_marks_and_controls) {
    // A server reply with a control character must not break the RESULT structure.
    BOOST_TEST(clean_value("bad" + AM + "x\ty\r\n" + VM + SM) == "bad?x y????");
}

BOOST_AUTO_TEST_CASE(round_trip) {
    DynArrayBuilder b;
    b.set(2, std::vector<std::string>{"p", "q", "r"});
    b.set(4, "z");
    const std::string s = b.str();
    BOOST_TEST(extract(s, 2, 3) == "r");
    BOOST_TEST(extract(s, 4) == "z");
    BOOST_TEST(marks_to(s, "|") == "|p|q|r||z");
}

// A value can never add fields through the builder (the CLI builds MESSAGE with it).
BOOST_AUTO_TEST_CASE(builder_refuses_marks_that_would_add_fields) {
    DynArrayBuilder b;
    BOOST_CHECK_THROW(b.set(5, std::string("Hi\x1E\x1E\x1E/etc/secret")), std::invalid_argument);
    BOOST_CHECK_THROW(b.set(2, 1, std::string("a\x1D" "b")), std::invalid_argument);
    BOOST_CHECK_THROW(b.set(2, std::vector<std::string>{"a", "b\x1E" "c"}), std::invalid_argument);
    BOOST_CHECK_THROW(b.set(2, std::vector<std::string>{"a\x1D" "b"}), std::invalid_argument);
    b.set(7, std::string("line1\x1Dline2"));  // value marks inside a whole attribute: values
    b.set(12, 1, std::string("one\x1Ctwo"));   // subvalue marks are data at both levels
    BOOST_TEST(extract(b.str(), 7, 2) == "line2");
    BOOST_TEST(extract(b.str(), 12, 1, 2) == "two");
    BOOST_TEST(extract(b.str(), 8).empty());
}

BOOST_AUTO_TEST_SUITE_END()

