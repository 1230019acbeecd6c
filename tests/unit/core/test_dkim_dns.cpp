// mvsmtp/dkim_dns.hpp without DNS: the key record's tag list (RFC 6376 §3.2, §3.6.1), the
// name it lives at, its zone-file form, and the verdict on records against generated keys.
// The lookup itself is tested against the rig's DNS (tests/dkim/test_dkim_cli.py).
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

#include "mvsmtp/dkim.hpp"
#include "mvsmtp/dkim_dns.hpp"
#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"
#include "support/error_code_of.hpp"

using namespace mvsmtp;
using testsupport::error_code_of;

namespace {

// The reason parse_dkim_key_record gives, or "" when it parses.
std::string refusal(const std::string& text) {
    try {
        parse_dkim_key_record(text);
    } catch (const Error& e) {
        BOOST_TEST((e.code() == ErrorCode::BadArgument), text);
        return e.what();
    }
    return "";
}

// Keys are slow to make: one of each for the whole suite.
const DkimKey& rsa_key() {
    static const DkimKey key = DkimKey::generate(DkimKeyType::Rsa);
    return key;
}
const DkimKey& other_rsa_key() {
    static const DkimKey key = DkimKey::generate(DkimKeyType::Rsa);
    return key;
}
const DkimKey& ed_key() {
    static const DkimKey key = DkimKey::generate(DkimKeyType::Ed25519);
    return key;
}

std::string joined(const std::vector<std::string>& notes) {
    std::string out;
    for (const auto& n : notes) out += n + "\n";
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_dkim_dns)

// ---- the tag list -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_record_as_signers_publish_it) {
    const auto r = parse_dkim_key_record("v=DKIM1; k=rsa; p=MIIBIjAN");
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->version == "DKIM1");
    BOOST_TEST(r->key_type == "rsa");
    BOOST_TEST(r->public_key == "MIIBIjAN");
    BOOST_TEST(r->hashes.empty());
    BOOST_TEST(r->services == std::vector<std::string>{"*"});
    BOOST_TEST(r->flags.empty());
}

BOOST_AUTO_TEST_CASE(defaults_when_only_p_is_given) {
    const auto r = parse_dkim_key_record("p=AAAA");
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->version == "");          // v= is recommended, not required
    BOOST_TEST(r->key_type == "rsa");      // k= defaults to rsa
    BOOST_TEST(r->services == std::vector<std::string>{"*"});
}

BOOST_AUTO_TEST_CASE(whitespace_around_tags_and_inside_p_is_ignored) {
    // The record as a zone file with folded strings may arrive: blanks and tabs anywhere
    // around names and values, and inside the base64 (RFC 6376 §3.6.1 p= allows FWS).
    const auto r = parse_dkim_key_record(" v = DKIM1 ;\tk=ed25519 ; p = AAAA BBBB\tCCCC ; ");
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->version == "DKIM1");
    BOOST_TEST(r->key_type == "ed25519");
    BOOST_TEST(r->public_key == "AAAABBBBCCCC");
}

BOOST_AUTO_TEST_CASE(colon_lists_are_split_trimmed_and_lowered) {
    const auto r = parse_dkim_key_record("v=DKIM1; h=sha1 : SHA256; s=Email:*; t=y:s; n=a note; k=RSA; p=");
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->hashes == (std::vector<std::string>{"sha1", "sha256"}));
    BOOST_TEST(r->services == (std::vector<std::string>{"email", "*"}));
    BOOST_TEST(r->flags == (std::vector<std::string>{"y", "s"}));
    BOOST_TEST(r->key_type == "rsa");
    BOOST_TEST(r->public_key == "");  // revoked
}

BOOST_AUTO_TEST_CASE(unknown_tags_are_ignored_and_tag_names_are_case_sensitive) {
    const auto r = parse_dkim_key_record("v=DKIM1; x_future=1; K=ed25519; p=AAAA");
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->key_type == "rsa");  // "K" is not "k" (RFC 6376 §3.2: names are case-sensitive)
}

BOOST_AUTO_TEST_CASE(a_record_starting_with_another_version_is_no_dkim_record) {
    // RFC 6376 §3.6.1: discarded, not judged; whatever follows does not matter.
    for (const char* text : {"v=spf1 -all", "v=DKIM2; p=AAAA", "v=spf1 a; b", "v=dkim1; p=AAAA"})
        BOOST_TEST(!parse_dkim_key_record(text).has_value(), text);
}

BOOST_AUTO_TEST_CASE(records_a_verifier_refuses_say_why) {
    struct Case {
        const char* text;
        const char* why;
    };
    const Case cases[] = {
        {"", "empty"},                                                     // 1
        {"   ", "empty"},                                                  // 2
        {"v=DKIM1;; p=AAAA", "empty tag"},                                 // 3
        {"; p=AAAA", "empty tag"},                                         // 4
        {"k=rsa; v=DKIM1; p=AAAA", "v= must be the first tag"},            // 5
        {"v=DKIM1; k=rsa", "no p= tag"},                                   // 6
        {"v=DKIM1; p=AAAA; p=BBBB", "appears twice"},                      // 7
        {"v=DKIM1; p AAAA", "no '='"},                                     // 8
        {"v=DKIM1; 1p=AAAA", "not a tag name"},                            // 9
        {"google-site-verification=abc", "not a tag name"},                // 10
        {"v=DKIM1; p=AA!A", "p= is not base64"},                           // 11
        {"v=DKIM1; p=A", "p= is not base64"},                              // 12 a lone sextet
        {"v=DKIM1; n=caf\xC3\xA9; p=AAAA", "byte 0xC3"},                   // 13 8-bit
        {"v=DKIM1; n=a\x01; p=AAAA", "byte 0x01"},                         // 14 control
    };
    for (std::size_t i = 0; i < std::size(cases); ++i) {
        const std::string why = refusal(cases[i].text);
        BOOST_TEST(why.find(cases[i].why) != std::string::npos, "case " << i + 1 << ": \"" << why << "\"");
    }
}

BOOST_AUTO_TEST_CASE(one_final_semicolon_is_allowed) {
    BOOST_TEST(refusal("v=DKIM1; p=AAAA;") == "");
    BOOST_TEST(refusal("v=DKIM1; p=AAAA; ") == "");
    BOOST_TEST(refusal("v=DKIM1; p=AAAA;;") != "");
}

// ---- names ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(selectors_are_dns_labels) {
    for (const char* s : {"rsa", "mail2026", "a.b", "s-1", "sel_2"}) BOOST_TEST(is_dkim_selector(s), s);
    for (const char* s : {"", ".a", "a.", "a..b", "a b", "a;b", "sel@x", "ä"}) BOOST_TEST(!is_dkim_selector(s), s);
}

BOOST_AUTO_TEST_CASE(the_key_name_is_selector_domainkey_domain_in_a_labels) {
    BOOST_TEST(dkim_key_name("rsa", "example.test") == "rsa._domainkey.example.test");
    BOOST_TEST(dkim_key_name("s1", "Example.COM.") == "s1._domainkey.example.com");
    BOOST_TEST(dkim_key_name("s1", "bücher.example") == "s1._domainkey.xn--bcher-kva.example");
    BOOST_TEST((error_code_of([] { dkim_key_name("s1", "bad domain!"); }) == ErrorCode::BadAddress));
    BOOST_TEST((error_code_of([] { dkim_key_name("s1", "[192.0.2.1]"); }) == ErrorCode::BadAddress));
    BOOST_TEST((error_code_of([] { dkim_key_name("s 1", "example.com"); }) == ErrorCode::BadArgument));
}

// ---- zone-file form ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(txt_strings_keep_each_string_within_255_octets) {
    const std::string p = "p=" + std::string(700, 'A');
    const std::string value = "v=DKIM1; k=rsa; " + p;  // an RSA 4096 record is about this long
    const std::vector<std::string> strings = txt_strings(value);
    std::string concatenated;
    for (const auto& s : strings) {
        BOOST_TEST(s.size() <= 255u);
        concatenated += s;
    }
    BOOST_TEST(concatenated == value);
    BOOST_TEST(strings.front() == "v=DKIM1; k=rsa; ");  // the tags on their own, as people read them
    BOOST_TEST(strings[1].substr(0, 2) == "p=");
    BOOST_TEST(strings.size() == 4u);  // 702 octets of p= make 3 strings

    BOOST_TEST(txt_strings("") == std::vector<std::string>{""});
    BOOST_TEST(txt_strings("p=AAAA") == std::vector<std::string>{"p=AAAA"});
    // "p=" inside another tag's value is not where p= starts.
    BOOST_TEST(txt_strings("n=ap=b; p=AAAA") == (std::vector<std::string>{"n=ap=b; ", "p=AAAA"}));
}

BOOST_AUTO_TEST_CASE(zone_file_record_is_exact) {
    BOOST_TEST(zone_file_record("s._domainkey.example.com", "v=DKIM1; k=ed25519; p=AAAA") ==
               "s._domainkey.example.com. IN TXT ( \"v=DKIM1; k=ed25519; \"\n"
               "                                   \"p=AAAA\" )\n");
    // RFC 1035 §5.1: a quote or backslash inside a string is escaped.
    BOOST_TEST(zone_file_record("x.example", "n=\"a\\b\"") == "x.example. IN TXT ( \"n=\\\"a\\\\b\\\"\" )\n");
}

// ---- verdicts ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_keys_own_record_matches) {
    for (const DkimKey* key : {&rsa_key(), &ed_key()}) {
        const DkimRecordCheck c = judge_dkim_records({key->dns_record()}, *key);
        BOOST_TEST((c.status == DkimRecordStatus::Match), c.explanation);
        BOOST_TEST(c.record == key->dns_record());
        BOOST_TEST(c.notes.empty(), joined(c.notes));
    }
}

BOOST_AUTO_TEST_CASE(another_key_is_a_mismatch) {
    const DkimRecordCheck c = judge_dkim_records({other_rsa_key().dns_record()}, rsa_key());
    BOOST_TEST((c.status == DkimRecordStatus::Mismatch));
    BOOST_TEST(c.explanation.find("another RSA key (2048 bits)") != std::string::npos, c.explanation);
    const DkimRecordCheck e =
        judge_dkim_records({"v=DKIM1; k=ed25519; p=" + base64_encode(std::string(32, 'x'))}, ed_key());
    BOOST_TEST((e.status == DkimRecordStatus::Mismatch), e.explanation);
}

BOOST_AUTO_TEST_CASE(a_record_for_the_other_key_type_is_a_mismatch) {
    const DkimRecordCheck c = judge_dkim_records({rsa_key().dns_record()}, ed_key());
    BOOST_TEST((c.status == DkimRecordStatus::Mismatch));
    BOOST_TEST(c.explanation.find("k=rsa key but this key is Ed25519") != std::string::npos, c.explanation);
    // k= left out means rsa.
    const std::string ed_p = "p=" + ed_key().public_key_base64();
    BOOST_TEST((judge_dkim_records({ed_p}, ed_key()).status == DkimRecordStatus::Mismatch));
    BOOST_TEST((judge_dkim_records({"v=DKIM1; k=dsa; " + ed_p}, ed_key()).status == DkimRecordStatus::Mismatch));
}

BOOST_AUTO_TEST_CASE(an_empty_p_is_revoked) {
    const DkimRecordCheck c = judge_dkim_records({"v=DKIM1; k=rsa; p="}, rsa_key());
    BOOST_TEST((c.status == DkimRecordStatus::Revoked));
    BOOST_TEST(c.explanation.find("revoked") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(no_record_or_none_that_is_dkim_is_not_found) {
    BOOST_TEST((judge_dkim_records({}, rsa_key()).status == DkimRecordStatus::NotFound));
    const DkimRecordCheck c = judge_dkim_records({"v=spf1 -all"}, rsa_key());
    BOOST_TEST((c.status == DkimRecordStatus::NotFound));
    BOOST_TEST(c.explanation.find("no DKIM key record") != std::string::npos, c.explanation);
    BOOST_TEST(c.records == std::vector<std::string>{"v=spf1 -all"});
}

BOOST_AUTO_TEST_CASE(a_broken_record_is_invalid_with_the_reason) {
    const DkimRecordCheck c = judge_dkim_records({"v=DKIM1; k=rsa"}, rsa_key());
    BOOST_TEST((c.status == DkimRecordStatus::Invalid));
    BOOST_TEST(c.explanation.find("no p= tag") != std::string::npos, c.explanation);
    // Base64 that is not a DER key.
    const DkimRecordCheck d = judge_dkim_records({"v=DKIM1; k=rsa; p=" + base64_encode("not a key")}, rsa_key());
    BOOST_TEST((d.status == DkimRecordStatus::Invalid), d.explanation);
}

BOOST_AUTO_TEST_CASE(an_ed25519_key_published_as_spki_is_invalid_and_says_what_to_publish) {
    // `openssl pkey -pubout` gives a 44-octet SubjectPublicKeyInfo; RFC 8463 wants the bare 32.
    const std::string spki = std::string("\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12) +
                             base64_decode(ed_key().public_key_base64());
    const DkimRecordCheck c = judge_dkim_records({"v=DKIM1; k=ed25519; p=" + base64_encode(spki)}, ed_key());
    BOOST_TEST((c.status == DkimRecordStatus::Invalid));
    BOOST_TEST(c.explanation.find("publish p=" + ed_key().public_key_base64()) != std::string::npos, c.explanation);
}

BOOST_AUTO_TEST_CASE(a_bare_rsa_public_key_matches_with_a_note) {
    // RFC 6376's own words say RSAPublicKey; the SubjectPublicKeyInfo of a 2048-bit key holds
    // it after a 24-octet header (SEQUENCE, AlgorithmIdentifier, BIT STRING and its 0 octet).
    const std::string spki = base64_decode(rsa_key().public_key_base64());
    const std::string bare = spki.substr(24);
    BOOST_REQUIRE(bare.substr(0, 4) == std::string("\x30\x82\x01\x0a", 4));
    const DkimRecordCheck c = judge_dkim_records({"v=DKIM1; k=rsa; p=" + base64_encode(bare)}, rsa_key());
    BOOST_TEST((c.status == DkimRecordStatus::Match), c.explanation);
    BOOST_TEST(joined(c.notes).find("bare RSAPublicKey") != std::string::npos, joined(c.notes));
}

BOOST_AUTO_TEST_CASE(h_and_s_that_exclude_our_signatures_are_a_mismatch) {
    const std::string p = "p=" + rsa_key().public_key_base64();
    const DkimRecordCheck h = judge_dkim_records({"v=DKIM1; h=sha1; " + p}, rsa_key());
    BOOST_TEST((h.status == DkimRecordStatus::Mismatch));
    BOOST_TEST(h.explanation.find("h= leaves out sha256") != std::string::npos, h.explanation);
    BOOST_TEST((judge_dkim_records({"v=DKIM1; h=sha1:sha256; " + p}, rsa_key()).status == DkimRecordStatus::Match));
    const DkimRecordCheck s = judge_dkim_records({"v=DKIM1; s=xmpp; " + p}, rsa_key());
    BOOST_TEST((s.status == DkimRecordStatus::Mismatch));
    BOOST_TEST(s.explanation.find("s= leaves out email") != std::string::npos, s.explanation);
    BOOST_TEST((judge_dkim_records({"v=DKIM1; s=email; " + p}, rsa_key()).status == DkimRecordStatus::Match));
}

BOOST_AUTO_TEST_CASE(testing_flag_is_noted) {
    const DkimRecordCheck c = judge_dkim_records({"v=DKIM1; t=y; p=" + rsa_key().public_key_base64()}, rsa_key());
    BOOST_TEST((c.status == DkimRecordStatus::Match));
    BOOST_TEST(joined(c.notes).find("t=y") != std::string::npos, joined(c.notes));
}

BOOST_AUTO_TEST_CASE(among_several_records_a_match_wins_and_the_crowd_is_noted) {
    const DkimRecordCheck c =
        judge_dkim_records({other_rsa_key().dns_record(), "v=DKIM1; p=", rsa_key().dns_record()}, rsa_key());
    BOOST_TEST((c.status == DkimRecordStatus::Match));
    BOOST_TEST(c.record == rsa_key().dns_record());
    BOOST_TEST(joined(c.notes).find("3 DKIM key records") != std::string::npos, joined(c.notes));
    // A record that is not DKIM's is no crowd.
    const DkimRecordCheck d = judge_dkim_records({"v=spf1 -all", rsa_key().dns_record()}, rsa_key());
    BOOST_TEST((d.status == DkimRecordStatus::Match));
    BOOST_TEST(d.notes.empty(), joined(d.notes));
    // Without a match: a mismatch says more than a revoked or broken record.
    const DkimRecordCheck e = judge_dkim_records({"v=DKIM1; p=", "v=DKIM1", other_rsa_key().dns_record()}, rsa_key());
    BOOST_TEST((e.status == DkimRecordStatus::Mismatch));
}

BOOST_AUTO_TEST_CASE(status_names) {
    BOOST_TEST(std::string(dkim_record_status_name(DkimRecordStatus::Match)) == "match");
    BOOST_TEST(std::string(dkim_record_status_name(DkimRecordStatus::NotFound)) == "not found");
    BOOST_TEST(std::string(dkim_record_status_name(DkimRecordStatus::Unavailable)) == "DNS unavailable");
}

BOOST_AUTO_TEST_SUITE_END()
