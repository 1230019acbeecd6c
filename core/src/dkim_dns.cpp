// dkim_dns.cpp — a DKIM key record looked up and judged against a key; see mvsmtp/dkim_dns.hpp.
#include "mvsmtp/dkim_dns.hpp"

#include <chrono>

#include "mvsmtp/address.hpp"
#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/text.hpp"
#include "openssl_handles.hpp"
#include "resolver.hpp"

namespace mvsmtp {
namespace {

struct Verdict {
    DkimRecordStatus status;
    std::string explanation;
    std::vector<std::string> notes;
};

// A DER structure that fills all of `der`, or null.
openssl::Key read_der(const std::string& der, bool bare_rsa) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    const auto* end = p + der.size();
    EVP_PKEY* key = bare_rsa ? d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size()))
                             : d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
    openssl::Key owned(key);
    return p == end ? std::move(owned) : nullptr;
}

std::string spki_of(EVP_PKEY* key) {
    const int size = i2d_PUBKEY(key, nullptr);
    if (size <= 0) return {};
    std::string der(static_cast<std::size_t>(size), '\0');
    auto* out = reinterpret_cast<unsigned char*>(der.data());
    i2d_PUBKEY(key, &out);
    return der;
}

std::string raw_ed25519(EVP_PKEY* key) {
    std::size_t size = 32;
    std::string raw(size, '\0');
    if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &size) != 1) return {};
    raw.resize(size);
    return raw;
}

// RSA: p= is a SubjectPublicKeyInfo, as every signer publishes it (RFC 6376 errata 3017); a bare
// PKCS#1 RSAPublicKey, which the RFC's own words describe, is accepted as most verifiers do.
Verdict judge_rsa(const std::string& der, const DkimKey& key) {
    openssl::Key theirs = read_der(der, false);
    bool bare = false;
    if (!theirs) {
        theirs = read_der(der, true);
        bare = theirs != nullptr;
    }
    if (!theirs) return {DkimRecordStatus::Invalid, "p= is not an RSA public key (a DER SubjectPublicKeyInfo in base64)", {}};
    if (EVP_PKEY_base_id(theirs.get()) != EVP_PKEY_RSA)
        return {DkimRecordStatus::Mismatch, "the record says k=rsa but p= holds a key of another type", {}};
    const std::string ours = base64_decode(key.public_key_base64());
    if (spki_of(theirs.get()) != ours) {
        const int bits = EVP_PKEY_bits(theirs.get());
        Verdict v{DkimRecordStatus::Mismatch,
                  "the record publishes another RSA key (" + std::to_string(bits) + " bits), not this one", {}};
        if (bits < 1024) v.notes.push_back("verifiers refuse RSA keys under 1024 bits (RFC 8301 §3.2)");
        return v;
    }
    Verdict v{DkimRecordStatus::Match, "the record publishes this key (RSA, " + std::to_string(key.bits()) + " bits)", {}};
    if (bare)
        v.notes.push_back("p= holds a bare RSAPublicKey; most verifiers take it, but the usual form is the "
                          "SubjectPublicKeyInfo: p=" + key.public_key_base64());
    return v;
}

// Ed25519: p= is the bare 32-octet key (RFC 8463 §4.2).
Verdict judge_ed25519(const std::string& bytes, const DkimKey& key) {
    const std::string ours = base64_decode(key.public_key_base64());
    if (bytes.size() == 32)
        return bytes == ours ? Verdict{DkimRecordStatus::Match, "the record publishes this key (Ed25519)", {}}
                             : Verdict{DkimRecordStatus::Mismatch, "the record publishes another Ed25519 key, not this one", {}};
    // The usual slip: the SubjectPublicKeyInfo that `openssl pkey -pubout` prints.
    openssl::Key spki = read_der(bytes, false);
    if (spki && EVP_PKEY_base_id(spki.get()) == EVP_PKEY_ED25519)
        return {DkimRecordStatus::Invalid,
                std::string("p= holds an Ed25519 key as a SubjectPublicKeyInfo (") + std::to_string(bytes.size()) +
                    " octets) and verifiers want the bare 32-octet key (RFC 8463 §4.2)" +
                    (raw_ed25519(spki.get()) == ours ? ": publish p=" + key.public_key_base64()
                                                     : "; it is not this key either"),
                {}};
    return {DkimRecordStatus::Invalid,
            "p= is " + std::to_string(bytes.size()) + " octets; an Ed25519 key is 32 (RFC 8463 §4.2)", {}};
}

const char* type_name(DkimKeyType t) { return t == DkimKeyType::Rsa ? "rsa" : "ed25519"; }

Verdict judge_one(const DkimKeyRecord& r, const DkimKey& key) {
    Verdict v{DkimRecordStatus::Match, "", {}};
    if (r.public_key.empty())
        return {DkimRecordStatus::Revoked,
                "the key is revoked (empty p=): verifiers fail every signature under this selector", {}};
    if (r.key_type != "rsa" && r.key_type != "ed25519")
        return {DkimRecordStatus::Mismatch, "k=" + r.key_type + " is no key type verifiers know (rsa, ed25519): they ignore the record", {}};
    if (r.key_type != type_name(key.type()))
        return {DkimRecordStatus::Mismatch,
                "the record is for a k=" + r.key_type + " key but this key is " + (key.type() == DkimKeyType::Rsa ? "RSA" : "Ed25519"), {}};
    const std::string bytes = base64_decode(r.public_key);  // parse_dkim_key_record checked it
    v = key.type() == DkimKeyType::Rsa ? judge_rsa(bytes, key) : judge_ed25519(bytes, key);
    if (v.status != DkimRecordStatus::Match) return v;
    // A record of our key that verifiers still may not use for our signatures (RFC 6376 §3.6.1).
    bool sha256 = r.hashes.empty();
    for (const auto& h : r.hashes) sha256 = sha256 || h == "sha256";
    if (!sha256)
        return {DkimRecordStatus::Mismatch, std::string("the record publishes this key, but its h= leaves out sha256: verifiers refuse it for ") +
                                                key.algorithm() + " signatures", {}};
    bool email = false;
    for (const auto& s : r.services) email = email || s == "*" || s == "email";
    if (!email)
        return {DkimRecordStatus::Mismatch, "the record publishes this key, but its s= leaves out email (and *): verifiers refuse it for mail", {}};
    for (const auto& f : r.flags) {
        if (f == "y") v.notes.push_back("t=y: the domain says it is testing DKIM; verifiers may treat a failed signature as none");
        if (f == "s") v.notes.push_back("t=s: signatures with an i= in a subdomain of d= are refused");
    }
    return v;
}

int rank(DkimRecordStatus s) {
    switch (s) {
        case DkimRecordStatus::Match: return 0;
        case DkimRecordStatus::Mismatch: return 1;
        case DkimRecordStatus::Revoked: return 2;
        default: return 3;
    }
}

int elapsed_ms(DnsClock::time_point since) {
    return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(DnsClock::now() - since).count());
}

}  // namespace

const char* dkim_record_status_name(DkimRecordStatus status) {
    switch (status) {
        case DkimRecordStatus::Match: return "match";
        case DkimRecordStatus::Mismatch: return "mismatch";
        case DkimRecordStatus::Revoked: return "revoked";
        case DkimRecordStatus::NotFound: return "not found";
        case DkimRecordStatus::Unavailable: return "DNS unavailable";
        case DkimRecordStatus::Invalid: return "invalid record";
    }
    return "?";
}

std::string dkim_key_name(const std::string& selector, const std::string& domain) {
    std::string ascii = domain_to_ascii(domain);
    if (!ascii.empty() && ascii.back() == '.') ascii.pop_back();
    // A host name only, as lookup_mx takes it: nothing is asked about verbatim.
    if (ascii.empty() || ascii.front() == '[' || !is_valid_address("postmaster@" + ascii))
        throw Error(ErrorCode::BadAddress, "\"" + domain + "\" is not a domain name");
    if (!is_dkim_selector(selector))
        throw Error(ErrorCode::BadArgument, "\"" + selector + "\" is not a DKIM selector (DNS labels: letters, digits, '-', '.')");
    return selector + "._domainkey." + ascii_lower(ascii);
}

DkimRecordCheck judge_dkim_records(const std::vector<std::string>& records, const DkimKey& key) {
    DkimRecordCheck c;
    c.records = records;
    c.status = DkimRecordStatus::NotFound;
    if (records.empty()) {
        c.explanation = "no DKIM key record is published at this name";
        return c;
    }
    std::vector<std::pair<std::string, Verdict>> candidates;
    for (const std::string& text : records) {
        try {
            if (std::optional<DkimKeyRecord> r = parse_dkim_key_record(text)) candidates.emplace_back(text, judge_one(*r, key));
        } catch (const Error& e) {
            candidates.emplace_back(text, Verdict{DkimRecordStatus::Invalid, std::string("the record cannot be used: ") + e.what(), {}});
        }
    }
    if (candidates.empty()) {
        c.explanation = std::to_string(records.size()) + (records.size() == 1 ? " TXT record is" : " TXT records are") +
                        " published at this name, but no DKIM key record (v= is not DKIM1)";
        return c;
    }
    std::size_t best = 0;
    for (std::size_t i = 1; i < candidates.size(); ++i)
        if (rank(candidates[i].second.status) < rank(candidates[best].second.status)) best = i;
    c.status = candidates[best].second.status;
    c.record = candidates[best].first;
    c.explanation = candidates[best].second.explanation;
    c.notes = candidates[best].second.notes;
    if (candidates.size() > 1)
        c.notes.push_back(std::to_string(candidates.size()) +
                          " DKIM key records at one name: a verifier may use any of them (RFC 6376 §3.6.2.2); publish one");
    return c;
}

DkimRecordCheck check_dkim_record(const std::string& domain, const std::string& selector, const DkimKey& key,
                                  const DnsSettings& dns) {
    const std::string name = dkim_key_name(selector, domain);
    const auto start = DnsClock::now();
    const auto deadline = start + std::chrono::milliseconds(dns.timeout_ms > 0 ? dns.timeout_ms : 1);
    const DnsAnswer<std::string> answer = query_txt(name, dns.servers, deadline);
    const int ms = elapsed_ms(start);

    DkimRecordCheck c;
    if (answer.status == DnsStatus::Ok) {
        c = judge_dkim_records(answer.records, key);
        c.answer = std::to_string(answer.records.size()) + (answer.records.size() == 1 ? " TXT record" : " TXT records");
    } else {
        c.answer = answer.text;
        c.status = answer.status == DnsStatus::Unavailable ? DkimRecordStatus::Unavailable : DkimRecordStatus::NotFound;
        c.explanation = answer.status == DnsStatus::Unavailable ? "the DNS gave no answer (" + answer.text + "): try again later"
                        : answer.status == DnsStatus::NoDomain  ? "the name does not exist (NXDOMAIN): no key is published under this selector"
                                                                : "the name has no TXT record: no key is published under this selector";
    }
    c.name = name;
    c.resolver = resolver_in_use(dns.servers);
    c.milliseconds = ms;
    return c;
}

}  // namespace mvsmtp
