// mvsmtp/dkim_dns.hpp — is a DKIM key published, and is it ours? The key record at
// <selector>._domainkey.<domain> (RFC 6376 §3.6) read from DNS and judged against a key.
//
//   DkimKey key = DkimKey::load("/etc/mvsmtp/dkim/example.com.key");
//   DnsSettings dns;  dns.servers = "127.0.0.1:5353";  dns.timeout_ms = 10000;
//   DkimRecordCheck c = check_dkim_record("example.com", "mail2026", key, dns);
//   if (c.status != DkimRecordStatus::Match) std::cerr << c.name << ": " << c.explanation;
//
//   std::cout << zone_file_record(dkim_key_name("mail2026", "example.com"), key.dns_record());
//
// A signer cannot see the record verifiers will use; this is how an operator finds a key that
// was never published, published under another selector, revoked or replaced, before the
// receivers find it. check_dkim_record never throws for a DNS outcome: NXDOMAIN, SERVFAIL and
// silence are statuses. It throws Error(BadAddress) for a domain that is no host name and
// Error(BadArgument) for a selector that is no DNS label, before asking anything.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mvsmtp/dkim.hpp"
#include "mvsmtp/mx_lookup.hpp"  // DnsSettings

namespace mvsmtp {

// A DKIM key record's tags (RFC 6376 §3.6.1); unknown tags are ignored, as verifiers do.
struct DkimKeyRecord {
    std::string version;                        // v=, "" when absent (then DKIM1 is implied)
    std::string key_type = "rsa";               // k=
    std::string public_key;                     // p=, whitespace removed; "" = revoked
    std::vector<std::string> hashes;            // h=; empty = any hash
    std::vector<std::string> services{"*"};     // s=
    std::vector<std::string> flags;             // t= ("y" testing, "s" strict)
};

// The tag list of `text` (RFC 6376 §3.2): tags separated by ';', whitespace around names and
// values, a final ';' allowed. nullopt when the record is no DKIM key record (v= other than
// DKIM1: RFC 6376 §3.6.1 says to discard it). Error(BadArgument), saying why, for anything
// else a verifier would refuse: a tag without '=', an empty tag, a repeated tag, a character
// outside the grammar, v= not first, no p=, a p= that is not base64.
std::optional<DkimKeyRecord> parse_dkim_key_record(std::string_view text);

// A selector is one or more DNS labels separated by dots (RFC 6376 §3.1).
bool is_dkim_selector(const std::string& selector);

// "<selector>._domainkey.<domain>" with the domain in A-labels, no final dot. Error(BadAddress)
// for a domain that is no host name, Error(BadArgument) for a selector that is no label.
std::string dkim_key_name(const std::string& selector, const std::string& domain);

// A TXT value cut into character-strings of at most 255 octets (RFC 1035 §3.3), the tags
// before p= in a string of their own so the zone file reads like the record.
std::vector<std::string> txt_strings(const std::string& value);

// The record in zone-file form, one string a line:
//   name. IN TXT ( "v=DKIM1; k=rsa; "
//           "p=MIIBIjANBg..." )
std::string zone_file_record(const std::string& name, const std::string& value);

enum class DkimRecordStatus {
    Match,        // a key record publishes this key, usable for its signatures
    Mismatch,     // a key record is there but publishes another key, another key type, or
                  // h=/s= tags that keep verifiers from using it for these signatures
    Revoked,      // the record's p= is empty (RFC 6376 §3.6.1)
    NotFound,     // NXDOMAIN, no TXT record, or none of them a DKIM key record
    Unavailable,  // the DNS did not answer: SERVFAIL, refused, no answer in time
    Invalid,      // a key record verifiers cannot use: broken tag list, p= not a key of its k=
};

const char* dkim_record_status_name(DkimRecordStatus status);  // "match", "mismatch", ...

struct DkimRecordCheck {
    DkimRecordStatus status = DkimRecordStatus::Unavailable;
    std::string name;                  // the name asked, "sel._domainkey.example.com"
    std::string resolver;              // the servers asked, or "/etc/resolv.conf"
    std::string answer;                // the DNS's word: "1 TXT record", "NXDOMAIN", "SERVFAIL", ...
    std::vector<std::string> records;  // every TXT record at the name, strings concatenated
    std::string record;                // the one the verdict is about; "" when none
    std::string explanation;           // the verdict in a sentence
    std::vector<std::string> notes;    // what else a verifier would notice (t=y, several records, ...)
    int milliseconds = 0;
};

// Looks up the key record and judges it against `key`. Never throws for a DNS outcome.
DkimRecordCheck check_dkim_record(const std::string& domain, const std::string& selector, const DkimKey& key,
                                  const DnsSettings& dns);

// The verdict on the TXT records found at a name (no DNS): status, record, explanation and
// notes of a DkimRecordCheck. An empty list is NotFound.
DkimRecordCheck judge_dkim_records(const std::vector<std::string>& records, const DkimKey& key);

}  // namespace mvsmtp
