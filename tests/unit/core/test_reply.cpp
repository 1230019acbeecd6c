// Reply parser: strict grammar (RFC 5321 §4.2), enhanced codes (RFC 3463), no looping.
#include <boost/test/unit_test.hpp>

#include "mvsmtp/error.hpp"
#include "mvsmtp/reply.hpp"

using namespace mvsmtp;

namespace {
bool is_protocol_error(const Error& e) { return e.code() == ErrorCode::ProtocolError; }
}

BOOST_AUTO_TEST_SUITE(test_reply)

BOOST_AUTO_TEST_CASE(single_line_with_enhanced_code) {
    const Reply r = parse_reply("550 5.1.1 <x@y>: Recipient address rejected\r\n");
    BOOST_TEST(r.code == 550);
    BOOST_TEST(r.enhanced == "5.1.1");
    BOOST_TEST(r.lines.size() == 1u);
    BOOST_TEST(r.lines[0] == "<x@y>: Recipient address rejected");
    BOOST_TEST(r.is_permanent());
    BOOST_TEST(r.summary() == "550 5.1.1 <x@y>: Recipient address rejected");
}

BOOST_AUTO_TEST_CASE(multi_line_ehlo) {
    const Reply r = parse_reply("250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n");
    BOOST_TEST(r.code == 250);
    BOOST_TEST(r.enhanced.empty());
    BOOST_TEST(r.lines.size() == 4u);
    BOOST_TEST(r.lines[3] == "8BITMIME");
}

BOOST_AUTO_TEST_CASE(enhanced_code_stripped_from_every_line) {
    const Reply r = parse_reply("451-4.3.0 first\r\n451 4.3.0 second\r\n");
    BOOST_TEST(r.enhanced == "4.3.0");
    BOOST_TEST(r.lines[0] == "first");
    BOOST_TEST(r.lines[1] == "second");
}

BOOST_AUTO_TEST_CASE(enhanced_code_class_must_match_reply) {
    // "2.0.0" on a 550 is not an enhanced code for this reply: kept as text.
    const Reply r = parse_reply("550 2.0.0 odd\r\n");
    BOOST_TEST(r.enhanced.empty());
    BOOST_TEST(r.lines[0] == "2.0.0 odd");
}

BOOST_AUTO_TEST_CASE(version_like_text_is_not_an_enhanced_code) {
    const Reply r = parse_reply("220 5.0.12345 not a code\r\n");
    BOOST_TEST(r.enhanced.empty());
    const Reply v = parse_reply("250 2.1.0x\r\n");
    BOOST_TEST(v.enhanced.empty());
}

BOOST_AUTO_TEST_CASE(bare_code_line_is_final) {
    const Reply r = parse_reply("250\r\n");
    BOOST_TEST(r.code == 250);
    BOOST_TEST(r.lines.size() == 1u);
    BOOST_TEST(r.lines[0].empty());
}

BOOST_AUTO_TEST_CASE(rejects_mismatched_continuation) {
    BOOST_CHECK_EXCEPTION(parse_reply("250-a\r\n251 b\r\n"), Error, is_protocol_error);
}

BOOST_AUTO_TEST_CASE(rejects_garbage) {
    for (const char* bad : {"hello\r\n", "25\r\n", "2x0 ok\r\n", "250_ok\r\n", "650 six\r\n", "150 one\r\n", "\r\n"})
        BOOST_CHECK_EXCEPTION(parse_reply(bad), Error, is_protocol_error);
}

BOOST_AUTO_TEST_CASE(rejects_incomplete_reply_at_eof) {
    // Poco 1.11 loops forever here; we must end with an error.
    BOOST_CHECK_EXCEPTION(parse_reply("250-a\r\n250-b\r\n"), Error, is_protocol_error);
}

BOOST_AUTO_TEST_CASE(rejects_data_after_final_line) {
    BOOST_CHECK_EXCEPTION(parse_reply("250 ok\r\n250 again\r\n"), Error, is_protocol_error);
}

BOOST_AUTO_TEST_CASE(rejects_overlong_line_and_endless_reply) {
    BOOST_CHECK_EXCEPTION(parse_reply("250 " + std::string(5000, 'x') + "\r\n"), Error, is_protocol_error);
    ReplyParser p;
    bool threw = false;
    try {
        for (int i = 0; i < 2000; ++i) p.feed("250-more");
    } catch (const Error& e) {
        threw = e.code() == ErrorCode::ProtocolError;
    }
    BOOST_TEST(threw);
}

BOOST_AUTO_TEST_CASE(parser_is_reusable_after_take) {
    ReplyParser p;
    BOOST_TEST(!p.feed("220-hello"));
    BOOST_TEST(p.feed("220 ready"));
    BOOST_TEST(p.take().lines.size() == 2u);
    BOOST_TEST(p.feed("221 2.0.0 bye"));
    const Reply r = p.take();
    BOOST_TEST(r.code == 221);
    BOOST_TEST(r.lines.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
