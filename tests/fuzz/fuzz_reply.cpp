// fuzz_reply.cpp — libFuzzer target for the SMTP reply parser (core/include/mvsmtp/reply.hpp)
// and the EHLO reader built on it (capabilities.hpp).
//
//   scripts/fuzz.sh reply   (or: build-fuzz/tests/fuzz/fuzz_reply NEW_DIR tests/fuzz/corpus/reply — new inputs go to the first folder)
//
// The input is what a server sent. It is read twice: line by line through ReplyParser, the
// way Connection::read_reply feeds it (CRLF or LF stripped, replies one after another), and
// whole through parse_reply. Refusals are mvsmtp::Error(ProtocolError); anything else that
// escapes, a sanitizer report, or a parsed reply that breaks the header's promises (code
// 200-599, same code on every line, enhanced code of the reply's class, at most kMaxLines
// lines) is a finding. Completed replies also go through Capabilities::from_ehlo/from_helo.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "mvsmtp/capabilities.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/reply.hpp"

namespace {

void check_reply(const mvsmtp::Reply& r, std::size_t input_size) {
    FUZZ_REQUIRE(r.code >= 200 && r.code <= 599, "reply code out of range");
    FUZZ_REQUIRE(!r.lines.empty(), "a complete reply has at least one line");
    FUZZ_REQUIRE(r.lines.size() <= mvsmtp::ReplyParser::kMaxLines, "too many lines kept");
    if (!r.enhanced.empty())
        FUZZ_REQUIRE(r.enhanced[0] == static_cast<char>('0' + r.code / 100) && r.enhanced[1] == '.',
                     "enhanced code of another class than the reply");
    std::size_t kept = 0;
    for (const auto& l : r.lines) kept += l.size();
    FUZZ_REQUIRE(kept <= input_size, "reply text longer than the input");
    const std::string summary = r.summary();
    FUZZ_REQUIRE(summary.compare(0, 3, std::to_string(r.code)) == 0, "summary does not start with the code");
    try {
        const auto caps = mvsmtp::Capabilities::from_ehlo(r);
        for (const auto& k : caps.keywords)
            for (char c : k) FUZZ_REQUIRE(!(c >= 'a' && c <= 'z'), "keyword not upper-case");
        (void)mvsmtp::Capabilities::from_helo(r);
    } catch (const mvsmtp::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    // 1. incremental, as the connection reads it
    mvsmtp::ReplyParser parser;
    std::string_view rest = input;
    while (!rest.empty()) {
        const std::size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
        try {
            if (parser.feed(line)) {
                FUZZ_REQUIRE(parser.in_progress(), "a completed reply must be there to take");
                check_reply(parser.take(), size);
                FUZZ_REQUIRE(!parser.in_progress(), "take() must reset the parser");
            }
        } catch (const mvsmtp::Error& e) {
            FUZZ_REQUIRE(e.code() == mvsmtp::ErrorCode::ProtocolError, "parser refused with another code");
            parser = mvsmtp::ReplyParser{};   // the connection is dropped; a new one starts fresh
        }
    }

    // 2. whole
    try {
        check_reply(mvsmtp::parse_reply(input), size);
    } catch (const mvsmtp::Error& e) {
        FUZZ_REQUIRE(e.code() == mvsmtp::ErrorCode::ProtocolError, "parse_reply refused with another code");
        FUZZ_REQUIRE(std::string(e.what()).find('\n') == std::string::npos, "error message carries a line break");
    }
    return 0;
}
