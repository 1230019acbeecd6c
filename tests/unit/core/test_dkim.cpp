// test_dkim.cpp — DKIM signing (mvsmtp/dkim.hpp, dkim_canon.hpp): RFC 6376 §3.4
// canonicalisation, streaming body hashes, keys (what is refused), the field's shape, the
// key chosen for a From domain, and write_message's two passes agreeing.
// Independent verification (python3-dkim, Mail::DKIM against keys in loopback DNS) is in
// tests/integration/test_dkim_wire.cpp.
#include <boost/test/unit_test.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "dkim_canon.hpp"
#include "openssl_handles.hpp"
#include "mvsmtp/config.hpp"
#include "mvsmtp/dkim.hpp"
#include "mvsmtp/encoding.hpp"
#include "mvsmtp/mime.hpp"
#include "support/error_code_of.hpp"
#include "support/temp_dir.hpp"

using namespace mvsmtp;
using testsupport::error_code_of;
using testsupport::TempDir;

namespace {

std::string sha256_base64(const std::string& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
    return base64_encode(std::string(reinterpret_cast<const char*>(digest), size));
}

std::string body_hash(DkimCanon canon, const std::string& body, std::size_t chunk = 0) {
    DkimBodyHash h(canon);
    if (chunk == 0) h.write(body);
    for (std::size_t i = 0; chunk && i < body.size(); i += chunk) h.write(body.data() + i, std::min(chunk, body.size() - i));
    return h.finish();
}

// The value of tag `name` in a DKIM-Signature field, whitespace removed.
std::string tag(const std::string& field, const std::string& name) {
    std::string flat;
    for (char c : field.substr(field.find(':') + 1))
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') flat += c;
    const std::size_t at = (";" + flat).find(";" + name + "=");
    if (at == std::string::npos) return "<none>";
    const std::size_t start = at + name.size() + 1;
    return flat.substr(start, flat.find(';', start) - start);
}

// PKCS#8 PEM of key, encrypted with passphrase when one is given.
std::string pem_of(const openssl::Key& key, const char* passphrase = nullptr) {
    openssl::Bio bio(BIO_new(BIO_s_mem()));
    std::string pass = passphrase ? passphrase : "";
    PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), passphrase ? EVP_aes_256_cbc() : nullptr, nullptr, 0, nullptr,
                                  passphrase ? pass.data() : nullptr);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string pem_of_rsa(int bits) { return pem_of(openssl::Key(EVP_RSA_gen(static_cast<unsigned>(bits)))); }

std::string encrypted_pem(const DkimKey& key) { return pem_of(openssl::read_private_key(key.private_pem()), "secret"); }

Message sample() {
    Message m;
    m.from = {"Billing", "billing@example.test"};
    m.to = {{"", "bob@example.test"}};
    m.subject = "Invoice 1042";
    m.text = "Dear Bob,\n.a line starting with a dot\ntrailing  \n\n\n";
    m.attachments.push_back(Attachment::from_data(std::string(200000, 'x'), "big.bin"));
    prepare(m, "example.test");
    return m;
}

std::shared_ptr<DkimSigner> signer(DkimKeyType type, const std::string& canon = "relaxed/relaxed") {
    DkimSettings s;
    s.domain = "example.test";
    s.selector = "sel";
    parse_canonicalization(canon, s);
    return std::make_shared<DkimSigner>(s, DkimKey::generate(type));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_dkim)

// RFC 6376 §3.4.5's example, header part.
BOOST_AUTO_TEST_CASE(relaxed_header_canonicalisation_follows_the_rfc_example) {
    BOOST_TEST(canonical_header(DkimCanon::Relaxed, "A: X") == "a:X");
    BOOST_TEST(canonical_header(DkimCanon::Relaxed, "B : Y\t\r\n\tZ  ") == "b:Y Z");
    BOOST_TEST(canonical_header(DkimCanon::Simple, "B : Y\t\r\n\tZ  ") == "B : Y\t\r\n\tZ  ");
    BOOST_TEST(canonical_header(DkimCanon::Relaxed, "Subject:") == "subject:");
}

// RFC 6376 §3.4.5's example, body part; the empty bodies of §3.4.3/§3.4.4 (erratum 3133).
BOOST_AUTO_TEST_CASE(body_canonicalisation_follows_the_rfc_example) {
    const std::string body = " C \r\nD \t E\r\n\r\n\r\n";
    BOOST_TEST(body_hash(DkimCanon::Relaxed, body) == sha256_base64(" C\r\nD E\r\n"));
    BOOST_TEST(body_hash(DkimCanon::Simple, body) == sha256_base64(" C \r\nD \t E\r\n"));
    BOOST_TEST(body_hash(DkimCanon::Simple, "") == "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
    BOOST_TEST(body_hash(DkimCanon::Relaxed, "") == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    BOOST_TEST(body_hash(DkimCanon::Simple, "\r\n\r\n") == sha256_base64("\r\n"));
    BOOST_TEST(body_hash(DkimCanon::Relaxed, "  \r\n\t\r\n") == sha256_base64(""));
    // A last line without CRLF gets one; empty lines inside the body stay.
    BOOST_TEST(body_hash(DkimCanon::Simple, "a\r\n\r\nb") == sha256_base64("a\r\n\r\nb\r\n"));
    BOOST_TEST(body_hash(DkimCanon::Relaxed, "a \r\n\r\n  b  ") == sha256_base64("a\r\n\r\n b\r\n"));
}

BOOST_AUTO_TEST_CASE(body_hash_does_not_depend_on_how_the_stream_is_cut) {
    std::string body;
    for (int i = 0; i < 300; ++i)
        body += std::string(static_cast<std::size_t>(i % 7), ' ') + "line " + std::to_string(i) + (i % 5 ? "\t \r\n" : "\r\n\r\n");
    body += "\r\n \r\n\r\n";
    for (DkimCanon c : {DkimCanon::Simple, DkimCanon::Relaxed}) {
        const std::string whole = body_hash(c, body);
        for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 20000u}) BOOST_TEST(body_hash(c, body, chunk) == whole);
    }
}

BOOST_AUTO_TEST_CASE(message_hash_splits_at_the_first_empty_line_across_chunks) {
    const std::string msg = "From: a@example.test\r\nSubject: x\r\n\r\nbody\r\n\r\nmore\r\n";
    for (std::size_t chunk : {1u, 2u, 3u, 100u}) {
        DkimMessageHash h(DkimCanon::Simple);
        for (std::size_t i = 0; i < msg.size(); i += chunk) h.write(msg.data() + i, std::min(chunk, msg.size() - i));
        BOOST_TEST(h.header_block() == "From: a@example.test\r\nSubject: x\r\n");
        BOOST_TEST(h.body_hash() == sha256_base64("body\r\n\r\nmore\r\n"));
    }
}

BOOST_AUTO_TEST_CASE(header_block_fields_keep_their_folds) {
    const auto fields = split_header_block("From: a@x.test\r\nSubject: one\r\n two\r\nX-A: 1\r\n");
    BOOST_TEST_REQUIRE(fields.size() == 3u);
    BOOST_TEST(fields[1].name == "Subject");
    BOOST_TEST(fields[1].raw == "Subject: one\r\n two");
}

BOOST_AUTO_TEST_CASE(keys_publish_what_rfc_6376_and_8463_ask_for) {
    const DkimKey rsa = DkimKey::generate(DkimKeyType::Rsa);
    BOOST_TEST(rsa.bits() == 2048);
    BOOST_TEST(std::string(rsa.algorithm()) == "rsa-sha256");
    BOOST_TEST(rsa.dns_record().rfind("v=DKIM1; k=rsa; p=MII", 0) == 0u);  // SubjectPublicKeyInfo DER
    const DkimKey ed = DkimKey::generate(DkimKeyType::Ed25519);
    BOOST_TEST(std::string(ed.algorithm()) == "ed25519-sha256");
    BOOST_TEST(base64_decode(ed.public_key_base64()).size() == 32u);  // the bare key
    // A key survives its PEM.
    BOOST_TEST(DkimKey::from_pem(ed.private_pem(), "k").public_key_base64() == ed.public_key_base64());
}

BOOST_AUTO_TEST_CASE(unusable_keys_are_refused_with_dkim_key) {
    TempDir dir;
    BOOST_TEST((error_code_of([&] { DkimKey::from_pem(pem_of_rsa(1024), "k"); }) == ErrorCode::DkimKey));
    BOOST_TEST((error_code_of([&] { DkimKey::from_pem("not a key", "k"); }) == ErrorCode::DkimKey));
    BOOST_TEST((error_code_of([&] { DkimKey::load(dir.path + "/absent.key"); }) == ErrorCode::DkimKey));
    BOOST_TEST((error_code_of([&] { DkimKey::generate(DkimKeyType::Rsa, 1024); }) == ErrorCode::BadArgument));
    // Encrypted: refused at once (OpenSSL's default would ask for a passphrase on the terminal).
    const std::string enc = dir.write("enc.key", encrypted_pem(DkimKey::generate(DkimKeyType::Ed25519)));
    try {
        DkimKey::load(enc);
        BOOST_FAIL("an encrypted key was accepted");
    } catch (const Error& e) {
        BOOST_TEST((e.code() == ErrorCode::DkimKey));
        BOOST_TEST(std::string(e.what()).find("encrypted") != std::string::npos);
    }
    // Other users can read it: refused, with the chmod that fixes it.
    const std::string shared = dir.write("shared.key", DkimKey::generate(DkimKeyType::Ed25519).private_pem(), 0644);
    BOOST_TEST((error_code_of([&] { DkimKey::load(shared); }) == ErrorCode::ConfigInsecure));
    const std::string ok = dir.write("ok.key", DkimKey::generate(DkimKeyType::Ed25519).private_pem(), 0600);
    BOOST_TEST((error_code_of([&] { DkimKey::load(ok); }) == ErrorCode::Ok));
}

BOOST_AUTO_TEST_CASE(a_saved_key_is_owner_only_and_never_replaces_a_file) {
    TempDir dir;
    const DkimKey key = DkimKey::generate(DkimKeyType::Ed25519);
    const std::string path = dir.path + "/new.key";
    key.save_new(path);
    struct stat st {};
    BOOST_TEST_REQUIRE(::stat(path.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    BOOST_TEST(DkimKey::load(path).public_key_base64() == key.public_key_base64());
    const DkimKey other = DkimKey::generate(DkimKeyType::Ed25519);
    BOOST_TEST((error_code_of([&] { other.save_new(path); }) == ErrorCode::BadArgument));
    BOOST_TEST(DkimKey::load(path).public_key_base64() == key.public_key_base64());  // untouched
    BOOST_TEST((error_code_of([&] { key.save_new(dir.path + "/no/such/folder.key"); }) == ErrorCode::BadArgument));
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path)) files += e.is_regular_file() ? 1 : 0;
    BOOST_TEST(files == 1u);  // no temporary left behind
}

BOOST_AUTO_TEST_CASE(the_field_signs_the_default_headers_with_from_oversigned) {
    const auto s = signer(DkimKeyType::Rsa);
    const std::string block = "Date: Mon, 30 Nov 2026 00:00:00 +0000\r\nFrom: a@example.test\r\nTo: b@example.test\r\n"
                              "Subject: hi\r\nX-Other: not signed\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n";
    const std::string field = s->sign_header_block(block, "bh", 1796000000);
    BOOST_TEST(field.rfind("DKIM-Signature: v=1; a=rsa-sha256;", 0) == 0u);
    BOOST_TEST(tag(field, "h") == "from:from:to:subject:date:mime-version:content-type");
    BOOST_TEST(tag(field, "d") == "example.test");
    BOOST_TEST(tag(field, "s") == "sel");
    BOOST_TEST(tag(field, "c") == "relaxed/relaxed");
    BOOST_TEST(tag(field, "t") == "1796000000");
    BOOST_TEST(tag(field, "bh") == "bh");
    BOOST_TEST(base64_decode(tag(field, "b")).size() == 256u);  // RSA 2048
    BOOST_TEST(field.substr(field.size() - 2) == "\r\n");
    std::istringstream lines(field);
    for (std::string line; std::getline(lines, line);) BOOST_TEST(line.size() <= 78u, line);
}

BOOST_AUTO_TEST_CASE(the_field_is_what_the_message_hashes_to_on_every_pass) {
    for (DkimKeyType type : {DkimKeyType::Rsa, DkimKeyType::Ed25519}) {
        for (const char* canon : {"relaxed/relaxed", "simple/simple"}) {
            Message m = sample();
            m.dkim = signer(type, canon);
            for (bool eight : {false, true}) {
                WriteOptions o;
                o.allow_8bit = eight;
                StringSink out;
                write_message(m, out, o);
                BOOST_TEST_REQUIRE(out.data.rfind("DKIM-Signature: ", 0) == 0u);
                // bh= is the hash of the body write_message wrote after the field.
                const std::size_t blank = out.data.find("\r\n\r\n");
                const std::string field = split_header_block(out.data.substr(0, blank + 2)).front().raw + "\r\n";
                BOOST_TEST(tag(field, "bh") == body_hash(m.dkim->settings().body_canon, out.data.substr(blank + 4)));
                // A given signature is written as it is; sign = false writes none.
                o.signature = "DKIM-Signature: given\r\n";
                StringSink again;
                write_message(m, again, o);
                BOOST_TEST(again.data == "DKIM-Signature: given\r\n" + out.data.substr(field.size()));
                o.sign = false;
                StringSink plain;
                write_message(m, plain, o);
                BOOST_TEST(plain.data == out.data.substr(field.size()));
            }
        }
    }
}

// Found by the fuzzing stage: a caller's own DKIM-Signature header made a signed message carry
// two, one of them bogus. Only the signer writes that field.
BOOST_AUTO_TEST_CASE(a_caller_header_named_dkim_signature_is_refused) {
    for (const char* name : {"DKIM-Signature", "dkim-signature"}) {
        Message m = sample();
        m.headers.push_back({name, "v=1; a=rsa-sha256; d=evil.test"});
        BOOST_TEST((error_code_of([&] { validate(m); }) == ErrorCode::BadArgument), name);
        m.dkim = signer(DkimKeyType::Ed25519);
        StringSink out;
        BOOST_TEST((error_code_of([&] { write_message(m, out); }) == ErrorCode::BadArgument), name);
    }
}

BOOST_AUTO_TEST_CASE(ed25519_and_rsa_signatures_are_deterministic_for_one_message) {
    Message m = sample();
    m.dkim = signer(DkimKeyType::Ed25519);
    const std::time_t before = std::time(nullptr);
    const std::string a = dkim_field(m, {});
    const std::string b = dkim_field(m, {});
    if (std::time(nullptr) == before) BOOST_TEST(a == b);  // t= is the only thing that may move
    BOOST_TEST(tag(a, "bh") == tag(b, "bh"));
}

BOOST_AUTO_TEST_CASE(the_key_of_the_from_domain_or_its_closest_parent_is_chosen) {
    std::vector<DkimSettings> all(3);
    all[0].domain = "example.test";
    all[1].domain = "mail.example.test";
    all[2].domain = "other.test";
    BOOST_TEST(dkim_settings_for(all, "example.test") == &all[0]);
    BOOST_TEST(dkim_settings_for(all, "EXAMPLE.Test") == &all[0]);
    BOOST_TEST(dkim_settings_for(all, "eu.mail.example.test") == &all[1]);
    BOOST_TEST(dkim_settings_for(all, "shop.example.test") == &all[0]);
    BOOST_TEST(dkim_settings_for(all, "badexample.test") == nullptr);
    BOOST_TEST(dkim_settings_for(all, "elsewhere.test") == nullptr);
}

BOOST_AUTO_TEST_CASE(profiles_list_several_domains) {
    ProfileRequest r;
    r.overrides = {{"dkim_domain", "example.test, Other.Test"}, {"dkim_selector", "s1"},
                   {"dkim_key_file", "/keys/%d.key"}, {"dkim_canonicalization", "simple/simple"}};
    const Profile p = load_profile(r);
    BOOST_TEST_REQUIRE(p.dkim.size() == 2u);
    BOOST_TEST(p.dkim[1].domain == "other.test");
    BOOST_TEST(p.dkim[1].selector == "s1");
    BOOST_TEST(p.dkim[1].key_file == "/keys/other.test.key");
    BOOST_TEST((p.dkim[0].header_canon == DkimCanon::Simple && p.dkim[0].body_canon == DkimCanon::Simple));
    r.overrides["dkim_selector"] = "s1, s2";
    BOOST_TEST(load_profile(r).dkim[1].selector == "s2");
    r.overrides["dkim_canonicalization"] = "";
    BOOST_TEST((load_profile(r).dkim[0].header_canon == DkimCanon::Relaxed));
}

BOOST_AUTO_TEST_CASE(profile_mistakes_are_bad_options) {
    const std::map<std::string, std::string> good = {
        {"dkim_domain", "example.test"}, {"dkim_selector", "s1"}, {"dkim_key_file", "/k"}};
    auto code = [&](const std::string& key, const std::string& value) {
        ProfileRequest r;
        r.overrides = good;
        r.overrides[key] = value;
        return error_code_of([&] { load_profile(r); });
    };
    BOOST_TEST((code("dkim_selector", "a, b") == ErrorCode::BadOption));  // 2 selectors, 1 domain
    BOOST_TEST((code("dkim_selector", "bad selector") == ErrorCode::BadOption));
    BOOST_TEST((code("dkim_selector", "") == ErrorCode::BadOption));
    BOOST_TEST((code("dkim_key_file", "") == ErrorCode::BadOption));
    BOOST_TEST((code("dkim_domain", "localhost") == ErrorCode::BadOption));
    BOOST_TEST((code("dkim_canonicalization", "loose") == ErrorCode::BadOption));
    BOOST_TEST((code("dkim_headers", "To:Subject") == ErrorCode::BadOption));  // no From
    BOOST_TEST((code("dkim_headers", "From:To:Subject") == ErrorCode::Ok));
    ProfileRequest none;
    none.overrides = {{"dkim_selector", "s1"}};
    BOOST_TEST((error_code_of([&] { load_profile(none); }) == ErrorCode::BadOption));
}

BOOST_AUTO_TEST_SUITE_END()
