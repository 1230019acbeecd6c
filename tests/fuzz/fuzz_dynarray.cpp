// fuzz_dynarray.cpp — libFuzzer target for the dynamic-array codec (gci/abi/dynarray.hpp) and
// the MESSAGE/OPTIONS decoders built on it (gci/abi/marshal.hpp).
//
//   scripts/fuzz.sh dynarray   (or: build-fuzz/tests/fuzz/fuzz_dynarray NEW_DIR tests/fuzz/corpus/dynarray — new inputs go to the first folder)
//
// Input: 3 bytes choose a position <a,v,s> (0-7 each), the rest is a dynamic array with marks
// 30/29/28. extract() is compared with a naive reference that walks the marks one byte at a
// time; marks_to() (which skips eight bytes at a time) with a byte-by-byte replacement;
// clean_value() must leave no control byte; values()/DynArrayBuilder must round-trip. Then the
// same bytes go through decode_message (as MESSAGE, and BODY = the array's 2nd attribute) and
// options_request (as OPTIONS): refusals are mvsmtp::Error; anything else escaping is a finding.
// Attachment paths in a fuzzed MESSAGE are only recorded by decode_message, never opened.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dynarray.hpp"
#include "fuzz_check.hpp"
#include "marshal.hpp"
#include "mvsmtp/error.hpp"

using namespace mvsmtp::gci;

namespace {

bool is_mark(char c) { return c == kAttributeMark || c == kValueMark || c == kSubvalueMark; }

// text<a,v,s> by walking the bytes: count the marks of each level, never split.
std::string reference_extract(std::string_view t, int a, int v, int s) {
    if (a < 1) return {};
    int ca = 1, cv = 1, cs = 1;
    std::string out;
    for (char c : t) {
        if (c == kAttributeMark) { ++ca; cv = 1; cs = 1; if (ca > a) break; continue; }
        if (ca != a) continue;
        if (v < 1) { out += c; continue; }
        if (c == kValueMark) { ++cv; cs = 1; if (cv > v) break; continue; }
        if (cv != v) continue;
        if (s < 1) { out += c; continue; }
        if (c == kSubvalueMark) { ++cs; if (cs > s) break; continue; }
        if (cs == s) out += c;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const int a = data[0] % 8, v = data[1] % 8, s = data[2] % 8;
    const std::string_view text(reinterpret_cast<const char*>(data + 3), size - 3);

    FUZZ_REQUIRE(extract(text, a, v, s) == reference_extract(text, a, v, s), "extract differs from the reference");

    std::string naive(text);
    for (char& c : naive)
        if (is_mark(c)) c = '\n';
    FUZZ_REQUIRE(marks_to(text, "\n") == naive, "marks_to(single byte) differs from a byte-by-byte replacement");
    std::string wide;
    for (char c : text) wide += is_mark(c) ? std::string("\r\n") : std::string(1, c);
    FUZZ_REQUIRE(marks_to(text, "\r\n") == wide, "marks_to(two bytes) differs");

    for (char c : clean_value(text)) {
        const auto u = static_cast<unsigned char>(c);
        FUZZ_REQUIRE(u >= 0x20 && u != 0x7f, "clean_value left a control byte or a mark");
    }

    // values() of every attribute, rebuilt with DynArrayBuilder, extracts the same values.
    DynArrayBuilder b;
    const auto attrs = split(text, kAttributeMark);
    for (std::size_t i = 0; i < attrs.size() && i < 64; ++i) {
        const auto vals = values(text, static_cast<int>(i + 1));
        b.set(static_cast<int>(i + 1), vals);
    }
    const std::string rebuilt = b.str();
    for (std::size_t i = 0; i < attrs.size() && i < 64; ++i)
        FUZZ_REQUIRE(values(rebuilt, static_cast<int>(i + 1)) == values(text, static_cast<int>(i + 1)),
                     "values() do not survive DynArrayBuilder");

    // The decoders the C ABI runs on BASIC's arrays.
    const mvsmtp::InputCharset cs = static_cast<mvsmtp::InputCharset>(data[0] % 3);
    try {
        const mvsmtp::Message m = decode_message(text, extract(text, 2), cs);
        (void)separate_copies_wanted(text);
        (void)m.envelope_recipients();
    } catch (const mvsmtp::Error&) {
    }
    try {
        (void)options_request(text);
        (void)manual_mode(text);
    } catch (const mvsmtp::Error&) {
    }
    return 0;
}
