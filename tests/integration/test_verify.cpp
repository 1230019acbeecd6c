// SMTP.VERIFY against the rig's DNS (dnsmasq 127.0.0.1:5353) and exchangers: mvs_verify,
// the shim's VERIFY, `machine call` VERIFY, `mvsmtp verify` and `mvsmtp mx` agree on the six
// outcome classes, the exchanger that answered and the catch-all finding.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "mvsmtp/error.hpp"
#include "sendmail_fixture.hpp"

using namespace sendmail_test;

namespace {

const std::string kCli = MVSMTP_CLI_PATH;

// mvs_verify with a small buffer and mvs_fetch for the rest, as a BASIC wrapper does.
std::string abi_verify(const std::string& addresses, const std::string& options) {
    return mvsmtp_library().call2("mvs_verify", addresses, options, 512);
}

// The shim as UniVerse/UniData/D3 call it: SPACE(8000), 10 digits, FETCH rounds.
std::string shim_verify(const std::string& addresses, const std::string& options) {
    return mvsmtp_library().shim("VERIFY", 0, addresses, options);
}

std::string verify_options(bool transcript = false) {
    DynArrayBuilder o;
    o.set(O::DNS_SERVER, "127.0.0.1:5353");
    o.set(O::MX_PORT, "25");
    o.set(O::CA_FILE, testbed::ca_file());
    o.set(O::HELO, "client.example.test");
    o.set(O::FROM, kUser);
    o.set(O::DNS_TIMEOUT, "10");
    o.set(O::TIMEOUT, "20");
    o.set(O::CONNECT_TIMEOUT, "5");
    if (transcript) o.set(O::TRANSCRIPT, "RESULT");
    return o.str();
}

// One address per class, and the class each must get.
const std::vector<std::pair<std::string, int>> kCases = {
    {"someone@dnsdown.example.test", 1},     {"someone@unreachable.example.test", 2},
    {"someone@nosuch.example.test", 3},      {"someone@nullmx.example.test", 3},
    {"someone@nosender.example.test", 4},    {"reject@example.test", 5},
    {"nobody@strict.example.test", 5},       {"alice@strict.example.test", 6},
    {"testuser@example.test", 6}};

// ADDRESSES as BASIC builds it: some per attribute, some as values of one attribute.
std::string addresses() {
    std::string out;
    for (std::size_t i = 0; i < kCases.size(); ++i)
        out += (i == 0 ? "" : i % 2 ? "\x1D" : "\x1E") + kCases[i].first;
    return out;
}

// The random local part of the catch-all probe appears nowhere in RESULT; queue ids and
// timings do not either, so two runs give the same RESULT.
void check_classes(const std::string& r) {
    BOOST_TEST(field(r, R::STATUS) == "1", field(r, R::MESSAGE));  // S.PARTIAL
    BOOST_REQUIRE(mvsmtp::gci::values(r, R::RCPT_ADDRESS).size() == kCases.size());
    std::map<std::string, int> at;
    for (std::size_t i = 0; i < kCases.size(); ++i) {
        const int v = static_cast<int>(i) + 1;
        const auto& [address, klass] = kCases[i];
        BOOST_TEST(field(r, R::RCPT_ADDRESS, v) == address);
        BOOST_TEST(field(r, R::RCPT_CLASS, v) == std::to_string(klass),
                   address << ": class " << field(r, R::RCPT_CLASS, v) << " " << field(r, R::RCPT_TEXT, v));
        BOOST_TEST((field(r, R::RCPT_STATUS, v) == "0") == (klass == 6), address);
        at[address] = v;
    }
    // The exchanger that answered, and what a random address says about each domain.
    BOOST_TEST(field(r, R::RCPT_EXCHANGER, at["alice@strict.example.test"]).find("127.0.0.7") != std::string::npos);
    BOOST_TEST(field(r, R::RCPT_CATCHALL, at["alice@strict.example.test"]) == "0");
    BOOST_TEST(field(r, R::RCPT_CATCHALL, at["nobody@strict.example.test"]) == "0");
    BOOST_TEST(field(r, R::RCPT_CATCHALL, at["testuser@example.test"]) == "1");
    BOOST_TEST(field(r, R::RCPT_CODE, at["reject@example.test"]) == "550");
    BOOST_TEST(field(r, R::RCPT_ENHANCED, at["reject@example.test"]) == "5.1.1");
    BOOST_TEST(field(r, R::RCPT_CODE, at["someone@nosender.example.test"]) == "554");
    // No server spoke for the DNS classes: an empty code, never "0", and the reason as text.
    for (const char* a : {"someone@dnsdown.example.test", "someone@nosuch.example.test", "someone@nullmx.example.test"}) {
        BOOST_TEST(field(r, R::RCPT_CODE, at[a]) == "", a);
        BOOST_TEST(!field(r, R::RCPT_TEXT, at[a]).empty(), a);
        BOOST_TEST(field(r, R::RCPT_EXCHANGER, at[a]) == "", a);
        BOOST_TEST(field(r, R::RCPT_CATCHALL, at[a]) == "", a);
    }
    BOOST_TEST(field(r, R::TRANSIENT) == (mvsmtp::is_transient(static_cast<mvsmtp::ErrorCode>(std::stoi(field(r, R::ERROR)))) ? "1" : "0"));
}

std::string write_request(const std::string& content) {
    const std::string path = testbed::dir() + "/verify-" + testbed::unique_token("req");
    std::ofstream(path, std::ios::binary) << content;
    chmod(path.c_str(), 0600);
    return path;
}

std::string hex(const std::string& bytes) {
    static const char digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char b : bytes) out += std::string{digits[b >> 4], digits[b & 15]};
    return out;
}

std::string unhex(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i + 1 < text.size(); i += 2) out += static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16));
    return out;
}

// Only the fields a verification fills: the probes' transcripts and timings aside.
std::string comparable(const std::string& r) {
    std::string out;
    for (int f : {R::STATUS, R::ERROR, R::ERROR_NAME, R::RCPT_ADDRESS, R::RCPT_STATUS, R::RCPT_CODE,
                  R::RCPT_ENHANCED, R::RCPT_CLASS, R::RCPT_CATCHALL, R::TRANSIENT})
        out += field(r, f) + "\n";
    // Exchanger names without the shuffled order of equal preferences: example.test's
    // mx1/mx2 both answer alike.
    return std::regex_replace(out, std::regex("queued as [0-9A-F]+"), "queued as Q");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_verify)

BOOST_AUTO_TEST_CASE(mvs_verify_gives_each_address_its_class) {
    check_classes(abi_verify(addresses(), verify_options()));
}

BOOST_AUTO_TEST_CASE(verify_transcript_has_rcpt_and_never_data) {
    const std::string r = abi_verify("alice@strict.example.test", verify_options(true));
    BOOST_TEST(field(r, R::STATUS) == "0", field(r, R::MESSAGE));
    BOOST_TEST(field(r, R::RCPT_CLASS) == "6");
    const std::string t = mvsmtp::gci::marks_to(field(r, R::TRANSCRIPT), "\n");
    BOOST_TEST(t.find("RCPT TO:<alice@strict.example.test>") != std::string::npos, t);
    BOOST_TEST(t.find("C: DATA") == std::string::npos, t);
}

BOOST_AUTO_TEST_CASE(a_bad_address_fails_the_call_with_bad_address) {
    const std::string r = abi_verify("not an address", verify_options());
    BOOST_TEST(field(r, R::STATUS) == "3");
    BOOST_TEST(field(r, R::ERROR_NAME) == "BAD.ADDRESS");
}

BOOST_AUTO_TEST_CASE(shim_verify_equals_mvs_verify) {
    const std::string shim = shim_verify(addresses(), verify_options());
    check_classes(shim);
    BOOST_TEST(comparable(shim) == comparable(abi_verify(addresses(), verify_options())));
}

BOOST_AUTO_TEST_CASE(machine_call_verify_equals_mvs_verify) {
    const std::string root = testbed::dir() + "/sp-" + testbed::unique_token("verify");
    BOOST_REQUIRE(::mkdir(root.c_str(), 0700) == 0);
    const std::string request = "VERIFY\x1F" + addresses() + "\x1F" + verify_options();
    // What basic/MVSMTP.EXTERNAL runs: the request file (hex, 0600) in the private spool folder.
    const auto prepared = testbed::run({kCli, "machine", "--hex", "--spool", root, "--next", "prepare"});
    const auto nl = prepared.out.find("NEXT ");
    BOOST_REQUIRE(nl != std::string::npos);
    std::string file = prepared.out.substr(nl + 5);
    file = file.substr(0, file.find('\n'));
    std::ofstream(file, std::ios::binary | std::ios::trunc) << hex(request);
    const auto out = testbed::run({kCli, "machine", "--hex", "--remove", "--spool", root, "--next", "call", file});
    const std::string result = unhex(out.out.substr(0, out.out.find('\n')));
    check_classes(result);
    BOOST_TEST(out.status == std::stoi(field(result, R::ERROR)));
    BOOST_TEST(comparable(result) == comparable(abi_verify(addresses(), verify_options())));
    // A VERIFY with the wrong number of arguments is refused before anything is asked.
    const std::string bad = write_request(hex("VERIFY\x1F" "a@example.test"));
    const auto refused = testbed::run({kCli, "machine", "--hex", "--remove", "--spool", root, "call", bad});
    BOOST_TEST(field(unhex(refused.out.substr(0, refused.out.find('\n'))), R::ERROR_NAME) == "BAD.ARGUMENT");
    std::filesystem::remove_all(root);
}

BOOST_AUTO_TEST_CASE(cli_verify_prints_one_line_per_address) {
    const auto r = testbed::run({kCli, "verify", "--dns-server", "127.0.0.1:5353", "--mx-port", "25", "--ca-file",
                                 testbed::ca_file(), "--helo", "client.example.test", "--from", kUser,
                                 "alice@strict.example.test", "nobody@strict.example.test", "testuser@example.test",
                                 "someone@nullmx.example.test", "someone@dnsdown.example.test"});
    BOOST_TEST_MESSAGE(r.out);
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    BOOST_REQUIRE(lines.size() == 5u);
    BOOST_TEST(std::regex_search(lines[0], std::regex("^6 ACCEPTED +alice@strict\\.example\\.test +accepted +.*127\\.0\\.0\\.7.* 250 .*catch-all: no$")), lines[0]);
    BOOST_TEST(std::regex_search(lines[1], std::regex("^5 RECIPIENT\\.REJECTED +nobody@strict\\.example\\.test +rejected .* 550 5\\.1\\.1 .*catch-all: no$")), lines[1]);
    BOOST_TEST(std::regex_search(lines[2], std::regex("^6 ACCEPTED +testuser@example\\.test +accepted .*catch-all: yes$")), lines[2]);
    BOOST_TEST(std::regex_search(lines[3], std::regex("^3 NO\\.MAIL\\.SERVER +someone@nullmx\\.example\\.test +rejected +- .*catch-all: unknown$")), lines[3]);
    BOOST_TEST(std::regex_search(lines[4], std::regex("^1 DNS\\.UNAVAILABLE +someone@dnsdown\\.example\\.test +inconclusive +- .*catch-all: unknown$")), lines[4]);
    BOOST_TEST(r.status != 0);  // not all accepted: the RESULT's error code
    const auto ok = testbed::run({kCli, "verify", "--dns-server", "127.0.0.1:5353", "--helo", "client.example.test",
                                  "--from", kUser, "bob@strict.example.test"});
    BOOST_TEST(ok.status == 0, ok.out << ok.err);
    const auto none = testbed::run({kCli, "verify", "--dns-server", "127.0.0.1:5353", "someone@nosuch.example.test"});
    BOOST_TEST(none.status == 49, none.out);
}

BOOST_AUTO_TEST_CASE(cli_mx_lists_the_exchangers_in_order) {
    const auto r = testbed::run({kCli, "mx", "example.test", "--dns-server", "127.0.0.1:5353"});
    BOOST_TEST_MESSAGE(r.out);
    BOOST_TEST(r.status == 0, r.out << r.err);
    BOOST_TEST(r.out.find("Resolver: 127.0.0.1:5353") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("MX example.test -> ") != std::string::npos, r.out);
    BOOST_TEST(std::regex_search(r.out, std::regex("ms\\)\n")), r.out);
    const auto one = r.out.find("1. mx1.example.test"), two = r.out.find("2. mx2.example.test");
    BOOST_TEST((one != std::string::npos && two != std::string::npos && one < two), r.out);
    BOOST_TEST(r.out.find("127.0.0.2", one) < two, r.out);
    BOOST_TEST(r.out.find("127.0.0.3", two) != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(cli_mx_exit_status_says_why_there_is_none) {
    const auto null = testbed::run({kCli, "mx", "nullmx.example.test", "--dns-server", "127.0.0.1:5353"});
    BOOST_TEST(null.status == 49, null.out << null.err);
    BOOST_TEST(null.out.find("No mail server for nullmx.example.test") != std::string::npos, null.out);
    const auto nx = testbed::run({kCli, "mx", "nosuch.example.test", "--dns-server", "127.0.0.1:5353"});
    BOOST_TEST(nx.status == 49, nx.out);
    const auto down = testbed::run({kCli, "mx", "dnsdown.example.test", "--dns-server", "127.0.0.1:5353",
                                    "--dns-timeout", "10"});
    BOOST_TEST(down.status == 21, down.out << down.err);
    BOOST_TEST(down.out.find("DNS unavailable for dnsdown.example.test") != std::string::npos, down.out);
}

BOOST_AUTO_TEST_SUITE_END()
