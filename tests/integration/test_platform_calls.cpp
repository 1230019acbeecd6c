// libmvsmtp.so called exactly as each engine calls it (dlopen, no C++ on the caller's side),
// against real Postfix: UniVerse/UniData/D3 through mvs_shim_call with a pre-sized 8,000-byte
// buffer and FETCH rounds (D3 overwrites a SPACE(8000) string in place and keeps the padding
// after the NUL), arguments as large as D3 allows in one call (32 KB in all), and marks as the
// BASIC wrappers pass them (ASCII 30/29/28).
#include <boost/test/unit_test.hpp>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include "sendmail_fixture.hpp"

using namespace sendmail_test;

namespace {

using ShimFn = int (*)(const char*, int, const char*, const char*, const char*, char*);
constexpr int kShimCapacity = 8000;

ShimFn shim() {
    static void* h = dlopen(MVSMTP_LIBRARY_PATH, RTLD_NOW | RTLD_LOCAL);
    BOOST_REQUIRE(h);
    auto f = reinterpret_cast<ShimFn>(dlsym(h, "mvs_shim_call"));
    BOOST_REQUIRE(f);
    return f;
}

// What basic/MVSMTP.CHUNKED does: a SPACE(8000) buffer, 10 digits, text up to the NUL.
std::string chunked(const std::string& op, int handle, const std::string& a1, const std::string& a2,
                    const std::string& a3, int* rounds = nullptr) {
    std::string raw;
    int total = 0, n = 0;
    std::string buf(kShimCapacity, ' ');
    shim()(op.c_str(), handle, a1.c_str(), a2.c_str(), a3.c_str(), &buf[0]);
    for (;;) {
        ++n;
        total = std::stoi(buf.substr(0, 10));
        const std::string part = buf.substr(10, buf.find('\0', 10) - 10);
        raw += part;
        if (static_cast<int>(raw.size()) >= total || part.empty()) break;
        buf.assign(kShimCapacity, ' ');
        shim()("FETCH", static_cast<int>(raw.size()), "", "", "", &buf[0]);
    }
    if (rounds) *rounds = n;
    BOOST_TEST(static_cast<int>(raw.size()) == total);
    return raw;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_platform_calls)

BOOST_AUTO_TEST_CASE(sendmail_through_the_shim_with_d3_sized_arguments) {
    const std::string token = testbed::unique_token("shim");
    // D3: all arguments of one % call together at most 32 KB (docs/platforms.md).
    std::string body;
    while (body.size() < 20000) body += "line of a report captured from EXECUTE" + std::string(1, '\x1E');
    const std::string msg = simple_message(token, {kUser});
    const std::string opts = options({"smtp://127.0.0.1:2525", "required"});
    BOOST_REQUIRE(msg.size() + body.size() + opts.size() + kShimCapacity < 32 * 1024);
    const std::string r = chunked("SENDMAIL", 0, msg, body, opts);
    BOOST_TEST(field(r, R::STATUS) == "0", field(r, R::MESSAGE));
    BOOST_TEST(!testbed::wait_for_message(kUser, token).empty());
}

BOOST_AUTO_TEST_CASE(session_through_the_shim_with_a_long_result) {
    const std::string opened = chunked("OPEN", 0, with_field(options({"smtp://127.0.0.1:2525", "required"}),
                                                             O::TRANSCRIPT, "RESULT"), "", "");
    BOOST_TEST_REQUIRE(field(opened, R::STATUS) == "0", field(opened, R::MESSAGE));
    const int h = std::stoi(field(opened, R::HANDLE));
    // 150 recipients make a RESULT (with its transcript) several buffers long.
    std::vector<std::string> to;
    for (int i = 0; i < 150; ++i) to.push_back("user" + std::to_string(i) + "@example.test");
    int rounds = 0;
    const std::string sent = chunked("SEND", h, simple_message(testbed::unique_token("shimsend"), to), "x", "", &rounds);
    BOOST_TEST(field(sent, R::STATUS) == "0", field(sent, R::MESSAGE));
    BOOST_TEST(rounds > 1);
    BOOST_TEST(mvsmtp::gci::values(sent, R::RCPT_STATUS).size() == 150u);
    const std::string reply = chunked("CMD", h, "NOOP", "", "");
    BOOST_TEST(field(reply, R::REPLY_CODE) == "250");
    BOOST_TEST(field(chunked("CLOSE", h, "", "", ""), R::REPLY_CODE) == "221");
    BOOST_TEST(field(chunked("CLOSE", h, "", "", ""), R::ERROR) == "67");
}

BOOST_AUTO_TEST_CASE(version_and_error_text_with_small_buffers) {
    void* h = dlopen(MVSMTP_LIBRARY_PATH, RTLD_NOW | RTLD_LOCAL);
    BOOST_REQUIRE(h);
    auto version = reinterpret_cast<int (*)(char*, int)>(dlsym(h, "mvs_version"));
    auto error_text = reinterpret_cast<int (*)(int, char*, int)>(dlsym(h, "mvs_error_text"));
    auto fetch = reinterpret_cast<int (*)(int, char*, int)>(dlsym(h, "mvs_fetch"));
    BOOST_REQUIRE(version && error_text && fetch);
    char small[4];
    const int n = version(small, sizeof small);  // "0.1.0" does not fit: truncated, full length
    BOOST_TEST(n > 3);
    BOOST_TEST(std::string(small).size() == 3u);
    char rest[64];
    BOOST_TEST(fetch(3, rest, sizeof rest) == n - 3);
    std::string expected = testbed::read_file(testbed::source_dir() + "/install/VERSION");
    while (!expected.empty() && (expected.back() == '\n' || expected.back() == '\r')) expected.pop_back();
    BOOST_TEST(std::string(small) + rest == expected);
    char text[16];
    const int t = error_text(35, text, sizeof text);
    BOOST_TEST(t > 15);
    std::string whole(text);
    while (static_cast<int>(whole.size()) < t) {
        fetch(static_cast<int>(whole.size()), text, sizeof text);
        whole += text;
    }
    BOOST_TEST(whole.rfind("AUTH.FAILED\x1E", 0) == 0u);
    BOOST_TEST(error_text(35, nullptr, -1) == -86);
}

BOOST_AUTO_TEST_CASE(unbounded_engines_pass_megabytes) {
    // jBASE VARs and the external mode have no per-call size limit: a 2 MB report as BODY,
    // with every line break an attribute mark as captured output has it, read back through a
    // 4 KB buffer plus mvs_fetch.
    const std::string token = testbed::unique_token("big");
    std::string body;
    for (int i = 0; body.size() < 2u * 1024 * 1024; ++i) body += "report line " + std::to_string(i) + '\x1E';
    const std::string r = mvsmtp_library().sendmail(simple_message(token, {kUser}), body,
                                                    options({"smtp://127.0.0.1:2525", "required"}), 4096);
    BOOST_TEST_REQUIRE(field(r, R::STATUS) == "0", field(r, R::MESSAGE));
    const std::string path = testbed::wait_for_message(kUser, token, 30000);
    BOOST_REQUIRE(!path.empty());
    // Postfix stores LF line endings, so the decoded text is the body with marks as LF.
    std::string expected = body;
    for (char& c : expected) if (c == '\x1E') c = '\n';
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(expected);
    const auto part = testbed::inspect(path)->getArray("parts")->getObject(0);
    BOOST_TEST(part->getValue<std::string>("sha256") == Poco::DigestEngine::digestToHex(sha.digest()));
}

BOOST_AUTO_TEST_SUITE_END()
