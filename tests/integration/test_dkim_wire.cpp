// test_dkim_wire.cpp — DKIM signatures checked by independent verifiers on what real servers
// delivered: python3-dkim (tests/testbed/dkim_verify.py) and Perl Mail::DKIM
// (tests/testbed/dkim_verify.pl), both fetching the public keys from the rig's loopback DNS
// (dnsmasq 127.0.0.1:5353; selectors rsa and ed under example.test, sel2 under
// other.example.test). Messages go through the C ABI as BASIC sends them, with an
// attachment, long folded non-ASCII headers, an 8-bit body (Postfix offers 8BITMIME) and
// lines starting with '.'; a tampered body or signed header must fail both verifiers.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "session_fixture.hpp"
#include "support/fake_server.hpp"
#include "support/temp_dir.hpp"

using namespace sendmail_test;
using testsupport::FakeServer;
namespace fs = std::filesystem;

namespace {

std::string key(const std::string& name) { return testbed::dir() + "/dkim/" + name + ".key"; }

struct Verdict {
    int status = -1;
    std::string out;
};

Verdict verify(const std::string& tool, const std::vector<std::string>& paths, bool expect_fail = false) {
    std::vector<std::string> argv;
    if (tool == "python") argv = {testbed::python(), testbed::script("dkim_verify.py")};
    else argv = {"/usr/bin/perl", testbed::script("dkim_verify.pl")};
    if (expect_fail) argv.push_back("--expect-fail");
    argv.insert(argv.end(), paths.begin(), paths.end());
    const auto r = testbed::run(argv);
    return {r.status, r.out + r.err};
}

// Both verifiers pass every file, naming the domain, selector and algorithm.
void check_passes(const std::vector<std::string>& paths, const std::string& expected) {
    for (const char* tool : {"python", "perl"}) {
        const Verdict v = verify(tool, paths);
        BOOST_TEST(v.status == 0, tool << ": " << v.out);
        for (const auto& p : paths)
            BOOST_TEST(v.out.find(p + ": pass " + expected) != std::string::npos, tool << ": " << v.out);
    }
}
void check_passes(const std::string& path, const std::string& expected) { check_passes(std::vector<std::string>{path}, expected); }

// Both verifiers fail every signature of every file.
void check_fails(const std::vector<std::string>& paths) {
    for (const char* tool : {"python", "perl"}) {
        const Verdict v = verify(tool, paths, true);
        BOOST_TEST(v.status == 0, tool << " did not fail every signature: " << v.out);
        for (const auto& p : paths) BOOST_TEST(v.out.find(p + ": fail") != std::string::npos, tool << ": " << v.out);
    }
}

// A profile file (0600) with the DKIM keys; OPTIONS then name it with O.CONFIG.
std::string profile(const testsupport::TempDir& dir, const std::string& body) {
    return dir.write("mvsmtp.ini", "[default]\n" + body, 0600);
}

// OPTIONS signing for example.test with one of the rig's keys (O.DKIM.*, as BASIC sets them).
DynArrayBuilder dkim_options(const std::string& selector, const std::string& key_file) {
    DynArrayBuilder o;
    o.set(O::DKIM_DOMAIN, "example.test");
    o.set(O::DKIM_SELECTOR, selector);
    o.set(O::DKIM_KEY_FILE, key_file);
    return o;
}

std::string dkim_keys(const std::string& selector, const std::string& key_name, const std::string& canon) {
    return "dkim_domain = example.test\ndkim_selector = " + selector + "\ndkim_key_file = " + key(key_name) +
           "\ndkim_canonicalization = " + canon + "\n";
}

// A message with what breaks careless signers: folded encoded-word headers, 8-bit text,
// lines starting with '.', trailing spaces, blank lines at the end, an attachment.
std::string rich_message(const std::string& token, const std::string& from = "Zoë Smith <billing@example.test>") {
    DynArrayBuilder m;
    m.set(M::FROM, from);
    m.set(M::TO, "Alice Ärger <alice@example.test>");
    m.set(M::SUBJECT, "Rechnung für Zoë — 請求書 with a subject long enough to need several folded encoded words " + token);
    m.set(M::DATA_NAME, std::vector<std::string>{"report.csv"});
    m.set(M::DATA_CONTENT, std::string("id,name") + '\x1C' + "1,Zoë" + '\x1C' + ".2,dot");
    m.set(M::HEADER_NAME, "X-Invoice");
    m.set(M::HEADER_VALUE, "INV-1042 " + std::string(120, 'n') + " end");
    return m.str();
}

std::string rich_body() {
    return std::string("Grüße aus der Buchhaltung  ") + '\x1E' + ".a line starting with a dot" + '\x1E' + "." + '\x1E' +
           "..two dots" + '\x1E' + '\x1E' + '\x1E';
}

std::string send_options(const std::string& config, const std::string& server = "smtp://127.0.0.1:2525") {
    std::string o = options({server, "required"});
    return with_field(o, O::CONFIG, config);
}

std::string tampered(const std::string& path, const std::string& from, const std::string& to, const std::string& name) {
    std::string text = testbed::read_file(path);
    const std::size_t at = text.find(from);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not in " << path);
    text.replace(at, from.size(), to);
    const std::string copy = testbed::dir() + "/" + name + "-" + std::to_string(getpid()) + ".eml";
    std::ofstream(copy, std::ios::binary) << text;
    return copy;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_dkim_wire)

// Both algorithms, both canonicalisations, through Postfix to a Maildir; then tampered.
BOOST_AUTO_TEST_CASE(signatures_on_mail_delivered_by_postfix_verify) {
    const std::pair<const char*, const char*> keys[] = {{"rsa", "rsa"}, {"ed", "ed25519"}};
    for (const auto& [selector, key_name] : keys) {
        for (const char* canon : {"relaxed/relaxed", "simple/simple"}) {
            BOOST_TEST_CONTEXT(selector << " " << canon) {
                testsupport::TempDir dir;
                const std::string token = testbed::unique_token("dkim");
                const std::string result = mvsmtp_library().sendmail(
                    rich_message(token), rich_body(), send_options(profile(dir, dkim_keys(selector, key_name, canon))));
                BOOST_TEST_REQUIRE(field(result, R::STATUS) == "0", field(result, R::MESSAGE));
                const std::string algorithm = std::string(key_name) == "rsa" ? "rsa-sha256" : "ed25519-sha256";
                BOOST_TEST(field(result, R::DKIM) ==
                           "d=example.test s=" + std::string(selector) + " a=" + algorithm + " c=" + canon);
                const std::string path = testbed::wait_for_message("alice@example.test", token, 30000);
                BOOST_TEST_REQUIRE(!path.empty());
                const std::string delivered = testbed::read_file(path);
                // The 8BITMIME path really was taken: the text went as 8bit.
                BOOST_TEST(delivered.find("Content-Transfer-Encoding: 8bit") != std::string::npos);
                // Only signed headers matter: X-Invoice is not in h=, and a relay may add fields.
                check_passes({path, tampered(path, "INV-1042", "INV-1043", "unsigned"),
                              tampered(path, "\nX-Invoice:", "\nX-Added: by a relay\nX-Invoice:", "added")},
                             "d=example.test s=" + std::string(selector) + " a=" + algorithm);
                check_fails({tampered(path, "a line starting with a dot", "a line starting with a dog", "body"),
                             tampered(path, "\nMessage-ID: <", "\nMessage-ID: <x", "header"),
                             tampered(path, "\nTo: ", "\nTo: bob@example.test, ", "to")});
            }
        }
    }
}

// What goes on the wire, asserted line by line by a scripted server: the DATA starts with the
// signature, SIZE= is exactly the signed message's size, and the signed bytes (dot-stuffing
// undone) verify — with 8BITMIME (the text goes as 8bit) and without (7-bit encodings).
BOOST_AUTO_TEST_CASE(the_wire_carries_the_signed_bytes_and_their_size) {
    for (const bool eight_bit : {true, false}) {
        BOOST_TEST_CONTEXT("8BITMIME offered: " << eight_bit) {
            FakeServer server({"220 scripted", std::string("250-scripted\r\n250-SIZE 100000000") + (eight_bit ? "\r\n250 8BITMIME" : "\r\n250 HELP"),
                               "250 sender ok", "250 recipient ok", "354 go", "250 queued", "221 bye"});
            DynArrayBuilder o = dkim_options("ed", key("ed25519"));
            o.set(O::SERVER, "smtp://127.0.0.1:" + std::to_string(server.port()));
            o.set(O::TLS, "off");
            const std::string result = mvsmtp_library().sendmail(rich_message("wire"), rich_body(), o.str());
            BOOST_TEST_REQUIRE(field(result, R::STATUS) == "0", field(result, R::MESSAGE));
            server.join();
            const auto lines = server.received();
            BOOST_TEST_REQUIRE(lines.size() > 6u);
            BOOST_TEST_REQUIRE(lines[3] == "DATA");
            const std::smatch size = [&] {
                std::smatch m;
                std::regex_search(lines[1], m, std::regex(" SIZE=([0-9]+)"));
                return m;
            }();
            BOOST_TEST_REQUIRE(!size.empty(), lines[1]);
            BOOST_TEST((lines[1].find("BODY=8BITMIME") != std::string::npos) == eight_bit, lines[1]);
            std::string data;
            std::size_t i = 4;
            for (; i < lines.size() && lines[i] != "."; ++i)
                data += (lines[i].rfind("..", 0) == 0 ? lines[i].substr(1) : lines[i]) + "\r\n";
            BOOST_TEST_REQUIRE(i < lines.size());
            BOOST_TEST(lines[4].rfind("DKIM-Signature: v=1; a=ed25519-sha256;", 0) == 0u, lines[4]);
            BOOST_TEST(std::stoul(size[1].str()) == data.size());
            BOOST_TEST((data.find("Content-Transfer-Encoding: 8bit") != std::string::npos) == eight_bit);
            const std::string copy = testbed::dir() + "/wire-" + std::to_string(getpid()) + ".eml";
            std::ofstream(copy, std::ios::binary) << data;
            check_passes(copy, "d=example.test s=ed a=ed25519-sha256");
        }
    }
}

// The outbox copy (no server) and a queued copy are signed too, so they can be relayed later
// unchanged; O.DKIM.* options work like the profile keys.
BOOST_AUTO_TEST_CASE(stored_and_queued_copies_are_signed) {
    testsupport::TempDir dir;
    DynArrayBuilder o = dkim_options("ed", key("ed25519"));
    o.set(O::OUTBOX, dir.path + "/outbox");
    const std::string token = testbed::unique_token("dkim-outbox");
    const std::string stored = mvsmtp_library().sendmail(rich_message(token), rich_body(), o.str());
    BOOST_TEST_REQUIRE(field(stored, R::STATUS) == "2", field(stored, R::MESSAGE));
    BOOST_TEST(field(stored, R::DKIM).rfind("d=example.test s=ed a=ed25519-sha256", 0) == 0u);
    check_passes(field(stored, R::OUTBOX_FILE), "d=example.test s=ed a=ed25519-sha256");

    // A relay that refuses the connection: the message is queued, and the queued file verifies.
    o.set(O::SERVER, "smtp://127.0.0.1:1");
    o.set(O::TLS, "off");
    o.set(O::QUEUE, dir.path + "/queue");
    o.set(O::CONNECT_TIMEOUT, "2");
    const std::string queued = mvsmtp_library().sendmail(rich_message(token), rich_body(), o.str());
    BOOST_TEST_REQUIRE(field(queued, R::STATUS) == "4", field(queued, R::MESSAGE));
    const std::string eml = dir.path + "/queue/" + field(queued, R::QUEUE_ID) + ".eml";
    BOOST_TEST_REQUIRE(fs::exists(eml), eml);
    check_passes(eml, "d=example.test s=ed a=ed25519-sha256");
}

// Direct delivery: the exchanger (mx1.example.test, Postfix) gets the same valid signature.
BOOST_AUTO_TEST_CASE(direct_delivery_is_signed) {
    DynArrayBuilder o = dkim_options("rsa", key("rsa"));
    o.set(O::DELIVERY, "DIRECT");
    o.set(O::DNS_SERVER, "127.0.0.1:5353");
    o.set(O::CA_FILE, testbed::ca_file());
    o.set(O::HELO, "client.example.test");
    const std::string token = testbed::unique_token("dkim-direct");
    const std::string result = mvsmtp_library().sendmail(rich_message(token), rich_body(), o.str());
    BOOST_TEST_REQUIRE(field(result, R::STATUS) == "0", field(result, R::MESSAGE));
    BOOST_TEST(field(result, R::RCPT_EXCHANGER).find("mx1.example.test") != std::string::npos);
    const std::string path = testbed::wait_for_message("alice@example.test", token, 30000);
    BOOST_TEST_REQUIRE(!path.empty());
    check_passes(path, "d=example.test s=rsa a=rsa-sha256");
}

// SMTP.OPEN / SMTP.SEND: every message on a kept connection is signed on its own.
BOOST_AUTO_TEST_CASE(messages_sent_on_a_session_are_signed) {
    testsupport::TempDir dir;
    const std::string opened = sessions().open(send_options(profile(dir, dkim_keys("ed", "ed25519", "relaxed/relaxed"))));
    const int h = AbiSessions::handle_of(opened);
    BOOST_TEST_REQUIRE(h > 0, field(opened, R::MESSAGE));
    std::vector<std::string> paths;
    for (int i = 0; i < 2; ++i) {
        const std::string token = testbed::unique_token("dkim-session");
        const std::string sent = sessions().send(h, rich_message(token), rich_body());
        BOOST_TEST(field(sent, R::STATUS) == "0", field(sent, R::MESSAGE));
        BOOST_TEST(field(sent, R::DKIM).rfind("d=example.test s=ed a=ed25519-sha256", 0) == 0u);
        paths.push_back(testbed::wait_for_message("alice@example.test", token, 30000));
        BOOST_TEST_REQUIRE(!paths.back().empty());
    }
    sessions().close(h);
    check_passes(paths, "d=example.test s=ed a=ed25519-sha256");
}

// One profile, two domains: each From domain gets its own key; a domain no key covers goes
// unsigned with a note; a subdomain is signed by its parent's key.
BOOST_AUTO_TEST_CASE(several_domains_in_one_profile) {
    testsupport::TempDir dir;
    const std::string config = profile(dir, "dkim_domain = example.test, other.example.test\n"
                                            "dkim_selector = rsa, sel2\n"
                                            "dkim_key_file = " + key("rsa") + ", " + key("other") + "\n");
    const struct {
        const char* from;
        const char* signer;  // "" = unsigned
    } cases[] = {{"billing@other.example.test", "d=other.example.test s=sel2"},
                 {"billing@example.test", "d=example.test s=rsa"},
                 {"billing@eu.example.test", "d=example.test s=rsa"},
                 {"billing@elsewhere.test", ""}};
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.from) {
            const std::string token = testbed::unique_token("dkim-multi");
            const std::string result =
                mvsmtp_library().sendmail(rich_message(token, c.from), rich_body(), send_options(config));
            BOOST_TEST_REQUIRE(field(result, R::STATUS) == "0", field(result, R::MESSAGE));
            BOOST_TEST(field(result, R::DKIM).rfind(c.signer, 0) == 0u, field(result, R::DKIM));
            const std::string path = testbed::wait_for_message("alice@example.test", token, 30000);
            BOOST_TEST_REQUIRE(!path.empty());
            if (*c.signer) {
                check_passes(path, std::string(c.signer) + " a=rsa-sha256");
            } else {
                BOOST_TEST(field(result, R::DKIM).empty());
                BOOST_TEST(field(result, R::MESSAGE).find("not DKIM-signed") != std::string::npos, field(result, R::MESSAGE));
                BOOST_TEST(testbed::read_file(path).find("DKIM-Signature") == std::string::npos);
            }
        }
    }
}

// A key that cannot be used stops the message before any connection: nothing goes unsigned
// by surprise, nothing is stored.
BOOST_AUTO_TEST_CASE(unusable_keys_stop_the_message) {
    testsupport::TempDir dir;
    const std::string shared = dir.path + "/shared.key";
    fs::copy_file(key("ed25519"), shared);
    chmod(shared.c_str(), 0644);
    const struct {
        std::string key_file;
        const char* error;
    } cases[] = {{key("rsa1024"), "89"}, {shared, "82"}, {dir.path + "/absent.key", "89"}};
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.key_file) {
            DynArrayBuilder o = dkim_options("short", c.key_file);
            o.set(O::OUTBOX, dir.path + "/outbox");
            const std::string result = mvsmtp_library().sendmail(rich_message("x"), rich_body(), o.str());
            BOOST_TEST(field(result, R::STATUS) == "3");
            BOOST_TEST(field(result, R::ERROR) == c.error, field(result, R::MESSAGE));
            BOOST_TEST((!fs::exists(dir.path + "/outbox") || fs::is_empty(dir.path + "/outbox")));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
