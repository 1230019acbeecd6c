// test_replay.cpp — real servers' dialogues replayed through SENDMAIL (mvs_sendmail, the C ABI)
// without root or the rig: every tests/fixtures/replay/*.txt is played by the scripted server
// (support/fake_server.hpp); the test asserts each line the client sent and the RESULT.
//
//   ./build/tests/mvsmtp_unit --run_test=test_replay        (ctest: unit.test_replay)
//
// Fixture format (one directive per line; '#' lines are comments and must cite the source):
//   option KEY=VALUE     an OPTIONS field by its layout.def name (TLS, USER, PASSWORD, AUTH, HELO,
//                        ALLOW_PLAINTEXT_AUTH, TIMEOUT, PIPELINING ...); SERVER is the fake's port
//   message KEY=VALUE    a MESSAGE field (FROM, SUBJECT; TO and CC may repeat: one value each)
//   body TEXT            the BODY argument
//   S: LINE              what the server sends next ("S: <close>" closes the connection)
//   C: LINE              the line the client must send next ('*' matches any run of characters);
//                        "C: <message>" stands for the message content and its final "."
//   expect FIELD=VALUE   a RESULT field by its layout.def name (STATUS, ERROR, ERROR_NAME,
//                        REPLY_CODE, REPLY_ENHANCED, TRANSIENT, RCPT_STATUS ...), '|' between
//                        values of a multivalued field; FIELD~=TEXT: the field contains TEXT
// Real servers speak TLS before AUTH; the fake cannot, so a fixture replays what the server says
// inside the TLS session (the EHLO answer after STARTTLS) with OPTIONS TLS=off and
// ALLOW_PLAINTEXT_AUTH=1. The dialogue itself is the server's, as its documentation shows it.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include "dynarray.hpp"
#include "layout.hpp"
#include "mvsmtp.h"
#include "support/fake_server.hpp"

using namespace mvsmtp::gci;
namespace fs = std::filesystem;

namespace {

struct Fixture {
    std::string name;
    std::vector<std::string> comments;
    std::map<int, std::vector<std::string>> options, message;   // field → values
    std::string body;
    std::vector<std::pair<char, std::string>> dialogue;          // 'S' or 'C', line
    std::vector<std::pair<std::string, std::string>> expects;    // "FIELD" or "FIELD~", value
};

int field_number(const std::string& group, const std::string& name) {
    std::string basic = name;
    std::replace(basic.begin(), basic.end(), '_', '.');
    const std::string prefix = group == "Options" ? "O." : group == "Message" ? "M." : "R.";
    for (const auto& f : field_table())
        if (f.group == group && f.basic_name == prefix + basic) return f.number;
    throw std::runtime_error("no " + group + " field " + name);
}

Fixture load(const fs::path& path) {
    Fixture f;
    f.name = path.filename().string();
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (line[0] == '#') { f.comments.push_back(line); continue; }
        if (line.rfind("S: ", 0) == 0 || line.rfind("C: ", 0) == 0) {
            f.dialogue.emplace_back(line[0], line.substr(3));
            continue;
        }
        const std::size_t sp = line.find(' ');
        const std::string word = line.substr(0, sp), rest = sp == std::string::npos ? "" : line.substr(sp + 1);
        if (word == "body") { f.body = rest; continue; }
        const std::size_t eq = rest.find('=');
        if (eq == std::string::npos) throw std::runtime_error(f.name + ": cannot read: " + line);
        std::string key = rest.substr(0, eq);
        const std::string value = rest.substr(eq + 1);
        if (word == "option") f.options[field_number("Options", key)].push_back(value);
        else if (word == "message") f.message[field_number("Message", key)].push_back(value);
        else if (word == "expect") {
            const bool contains = !key.empty() && key.back() == '~';
            if (contains) key.pop_back();
            field_number("Result", key);   // must exist
            f.expects.emplace_back(key + (contains ? "~" : ""), value);
        } else throw std::runtime_error(f.name + ": unknown directive: " + line);
    }
    return f;
}

// The FakeServer script: entry 0 on accept, entry i after the i-th client line.
testsupport::FakeServer::Script script_of(const Fixture& f) {
    testsupport::FakeServer::Script script(1);
    bool after_data = false;
    for (const auto& [who, line] : f.dialogue) {
        if (who == 'C') {
            after_data = line == "DATA";
            script.emplace_back();
            continue;
        }
        std::string& entry = script.back();
        if (line == "<close>") { entry += "<close>"; continue; }
        if (after_data && entry.empty() && line.rfind("354", 0) == 0) entry = "<data>";
        entry += line + "\r\n";
    }
    for (auto& entry : script)
        if (entry.empty()) entry = "<silent>";
    return script;
}

// '*' matches any run of characters (including none); everything else literally.
bool matches(const std::string& pattern, const std::string& text) {
    std::size_t p = 0, t = 0, star = std::string::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') { star = p++; mark = t; }
        else if (p < pattern.size() && pattern[p] == text[t]) { ++p; ++t; }
        else if (star != std::string::npos) { p = star + 1; t = ++mark; }
        else return false;
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

std::string build(const std::map<int, std::vector<std::string>>& fields) {
    DynArrayBuilder b;
    for (const auto& [n, values] : fields) b.set(n, values);
    return b.str();
}

std::string sendmail(const std::string& message, const std::string& body, const std::string& options) {
    std::vector<char> buf(1 << 16);
    const int n = mvs_sendmail(message.c_str(), body.c_str(), options.c_str(), buf.data(), static_cast<int>(buf.size()));
    BOOST_REQUIRE(n >= 0 && n < static_cast<int>(buf.size()));
    return std::string(buf.data(), static_cast<std::size_t>(n));
}

std::vector<fs::path> fixtures() {
    const char* src = std::getenv("MVSMTP_SOURCE_DIR");
    const fs::path dir = fs::path(src ? src : ".") / "tests" / "fixtures" / "replay";
    std::vector<fs::path> out;
    if (fs::is_directory(dir))
        for (const auto& e : fs::directory_iterator(dir))
            if (e.path().extension() == ".txt") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

// An empty INI file (created once, removed at exit): O.CONFIG must name an existing file.
// (A char array, not a std::string: the atexit handler runs after static objects are destroyed.)
std::string empty_config() {
    static char name[] = "/tmp/mvsmtp-replay-XXXXXX";
    static const bool made = [] {
        const int fd = mkstemp(name);
        if (fd >= 0) close(fd);
        std::atexit([] { std::remove(name); });
        return true;
    }();
    (void)made;
    return name;
}

void replay(const Fixture& f) {
    testsupport::FakeServer server(script_of(f));
    auto options = f.options;
    options[field::Options::SERVER] = {"smtp://127.0.0.1:" + std::to_string(server.port())};
    if (!options.count(field::Options::TIMEOUT)) options[field::Options::TIMEOUT] = {"5"};
    options[field::Options::CONFIG] = {empty_config()};   // no developer's profile leaks in
    const std::string result = sendmail(build(f.message), f.body, build(options));
    server.join();

    // What the client sent, line by line; "<message>" consumes the content through the final ".".
    const auto sent = server.received();
    BOOST_TEST_CONTEXT("RESULT: " << marks_to(result, " | ")) {
    std::size_t i = 0;
    for (const auto& [who, want] : f.dialogue) {
        if (who != 'C') continue;
        if (want == "<message>") {
            bool subject = false, dot = false;
            for (; i < sent.size() && !dot; ++i) {
                dot = sent[i] == ".";
                subject = subject || sent[i].rfind("Subject: ", 0) == 0;
            }
            BOOST_TEST(dot, "the message ends with a lone \".\"");
            BOOST_TEST(subject, "the message content has a Subject header");
            continue;
        }
        BOOST_TEST_CONTEXT("client line " << i + 1) {
            BOOST_TEST_REQUIRE(i < sent.size(), "the client stopped before sending: " << want);
            BOOST_TEST(matches(want, sent[i]), "sent \"" << sent[i] << "\", expected \"" << want << "\"");
        }
        ++i;
    }
    BOOST_TEST(i == sent.size(), "the client sent " << sent.size() - std::min(i, sent.size())
                                                    << " line(s) more than the fixture, first: "
                                                    << (i < sent.size() ? sent[i] : std::string()));

    for (const auto& [key, want] : f.expects) {
        const bool contains = key.back() == '~';
        const std::string name = contains ? key.substr(0, key.size() - 1) : key;
        std::string got = extract(result, field_number("Result", name));
        std::replace(got.begin(), got.end(), kValueMark, '|');
        if (contains) BOOST_TEST(got.find(want) != std::string::npos, name << " = \"" << got << "\" lacks \"" << want << "\"");
        else BOOST_TEST(got == want, name << " = \"" << got << "\", expected \"" << want << "\"");
    }
    }  // BOOST_TEST_CONTEXT
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_replay)

BOOST_AUTO_TEST_CASE(every_fixture_cites_its_source_and_expects_a_result) {
    const auto all = fixtures();
    BOOST_TEST(all.size() >= 10u, "fixtures found: " << all.size());
    for (const auto& p : all) {
        const Fixture f = load(p);
        BOOST_TEST_CONTEXT(f.name) {
            BOOST_TEST(std::any_of(f.comments.begin(), f.comments.end(), [](const std::string& c) {
                return c.find("Source") != std::string::npos && c.find("https://") != std::string::npos;
            }), "a '# Source: https://...' line");
            BOOST_TEST(!f.expects.empty());
            BOOST_TEST(std::any_of(f.dialogue.begin(), f.dialogue.end(), [](auto& d) { return d.first == 'S'; }));
        }
    }
}

BOOST_AUTO_TEST_CASE(every_fixture_replays) {
    for (const auto& p : fixtures()) {
        const Fixture f = load(p);
        BOOST_TEST_MESSAGE("replay " << f.name);
        BOOST_TEST_CONTEXT(f.name) { replay(f); }
    }
}

BOOST_AUTO_TEST_SUITE_END()
