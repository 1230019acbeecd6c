// DATA transparency (RFC 5321 §4.5.2) and line-ending normalisation against smuggling.
#include <boost/test/unit_test.hpp>

#include "mvsmtp/dot_stuffer.hpp"

using namespace mvsmtp;

namespace {
std::string stuff(const std::vector<std::string>& chunks) {
    StringSink out;
    DotStuffer d(out);
    for (const auto& c : chunks) d.write(c);
    d.finish();
    return out.data;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_dot_stuffer)

BOOST_AUTO_TEST_CASE(stuffs_leading_dots_on_every_line) {
    BOOST_TEST(stuff({".start\r\nmid\r\n.\r\n..two\r\n"}) == "..start\r\nmid\r\n..\r\n...two\r\n.\r\n");
}

BOOST_AUTO_TEST_CASE(dot_not_at_line_start_untouched) {
    BOOST_TEST(stuff({"a.b\r\n x.\r\n"}) == "a.b\r\n x.\r\n.\r\n");
}

BOOST_AUTO_TEST_CASE(bare_lf_and_cr_become_crlf_and_are_stuffed) {
    // "\n.\n" is the classic smuggling shape: it must reach the wire as CRLF ".." CRLF.
    BOOST_TEST(stuff({"a\n.\nb\rc\r\n"}) == "a\r\n..\r\nb\r\nc\r\n.\r\n");
}

BOOST_AUTO_TEST_CASE(crlf_split_across_chunks) {
    BOOST_TEST(stuff({"line\r", "\n.next\r", "", "\n"}) == "line\r\n..next\r\n.\r\n");
    BOOST_TEST(stuff({"x\r", ".y"}) == "x\r\n..y\r\n.\r\n");
}

BOOST_AUTO_TEST_CASE(unterminated_last_line_gets_crlf) {
    BOOST_TEST(stuff({"no newline"}) == "no newline\r\n.\r\n");
    BOOST_TEST(stuff({}) == ".\r\n");
    BOOST_TEST(stuff({"ends with cr\r"}) == "ends with cr\r\n.\r\n");
}

BOOST_AUTO_TEST_CASE(counts_input_bytes) {
    StringSink out;
    DotStuffer d(out);
    d.write(std::string("ab\n.c"));
    BOOST_TEST(d.bytes_in() == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
