// mvsmtp/mx_lookup.hpp — a domain's mail exchangers, as direct delivery needs them
// (RFC 5321 §5.1, RFC 7505), with every query under one deadline (c-ares).
//
//   DnsSettings dns;  dns.servers = "127.0.0.1:5353";  dns.timeout_ms = 10000;
//   MxLookup mx = lookup_mx("example.com", dns);
//   switch (mx.outcome) {
//       case MxOutcome::Found:        for (const Exchanger& x : mx.exchangers) ...  // try in order
//       case MxOutcome::NoMailServer: ...  // class 3: NXDOMAIN, null MX, no MX and no address
//       case MxOutcome::Unavailable:  ...  // class 1: SERVFAIL, refused, no answer in time
//   }
//
// MX records in preference order, equal preferences shuffled (RFC 5321 §5.1); then the A and
// AAAA addresses of each exchanger. No MX record → the domain itself as the one exchanger
// (its A/AAAA). A null MX ("MX 0 .") → NoMailServer. An exchanger whose name has no address
// is skipped (noted in steps); when none has one, the domain has no usable mail server unless
// a lookup was inconclusive (then Unavailable). The domain is converted to A-labels first.
// Never throws for a DNS answer; Error(BadAddress) for a domain that cannot be a host name.
#pragma once
#include <string>
#include <vector>

namespace mvsmtp {

struct DnsSettings {
    // "host[:port],..." (IPv6 as [addr]:port); empty → /etc/resolv.conf's servers
    // (MVSMTP_TEST_DNS_SERVER replaces them in tests).
    std::string servers;
    int timeout_ms = 30000;  // the whole lookup of one domain: MX, then every exchanger's address
};

enum class MxOutcome { Found, NoMailServer, Unavailable };

struct Exchanger {
    std::string name;                    // A-label host name, no trailing dot
    int preference = 0;
    bool implicit = false;               // no MX record: the domain itself (RFC 5321 §5.1)
    std::vector<std::string> addresses;  // IP literals, in the resolver's order
};

struct DnsStep {
    std::string query;   // "MX example.com", "A/AAAA mx1.example.com"
    std::string answer;  // "10 mx1.example.com, 20 mx2.example.com", "NXDOMAIN", "SERVFAIL", ...
    int milliseconds = 0;
};

struct MxLookup {
    MxOutcome outcome = MxOutcome::Unavailable;
    std::string domain;                  // as looked up (A-labels)
    std::vector<Exchanger> exchangers;   // Found: in the order to try, each with an address
    std::string reason;                  // NoMailServer / Unavailable: why, in words
    std::string resolver;                // the servers asked ("127.0.0.1:5353", or "/etc/resolv.conf")
    std::vector<DnsStep> steps;
};

MxLookup lookup_mx(const std::string& domain, const DnsSettings& dns);

}  // namespace mvsmtp
