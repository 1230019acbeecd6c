// resolver.hpp (private) — DNS with a deadline (c-ares): host addresses for connections, MX
// records for direct delivery, TXT records for DKIM key checks, canonical names for EHLO.
// The system's configuration is kept (/etc/hosts first, then the DNS servers of
// /etc/resolv.conf: lookups "fb", as getaddrinfo does with the usual nsswitch "files dns")
// unless servers are given.
//
//   std::vector<Poco::Net::IPAddress> a = resolve_host("smtp.example.com", 30000, "mail server");
//   std::string canonical;  canonical_name("vm", 2000, canonical);
//   DnsAnswer<MxRecord> mx = query_mx("example.com", "127.0.0.1:5353", deadline);
//   DnsAnswer<std::string> txt = query_txt("sel._domainkey.example.com", "", deadline);
//
// resolve_host: IP literals are returned as they are; a name that has no address, or that the
// resolver cannot answer before the deadline, is Error(DnsFailed).
// `servers` ("host[:port],...") replaces resolv.conf's servers; when empty,
// MVSMTP_TEST_DNS_SERVER=host:port (tests only) does.
#pragma once
#include <Poco/Net/IPAddress.h>

#include <chrono>
#include <string>
#include <vector>

namespace mvsmtp {

using DnsClock = std::chrono::steady_clock;

// What a DNS question came back with. NoData: the name exists without records of the type;
// NoDomain: NXDOMAIN; Unavailable: SERVFAIL, REFUSED, unreachable or no answer in time.
enum class DnsStatus { Ok, NoData, NoDomain, Unavailable };

template <typename T>
struct DnsAnswer {
    DnsStatus status = DnsStatus::Unavailable;
    std::string text;  // the resolver's word for a failure ("SERVFAIL", "timeout", ...)
    std::vector<T> records;
};

struct MxRecord {
    int preference = 0;
    std::string host;  // "" for the root (a null MX)
};

// A and AAAA addresses of `host`, in the resolver's preferred order (RFC 6724).
std::vector<Poco::Net::IPAddress> resolve_host(const std::string& host, int timeout_ms, const std::string& what);

DnsAnswer<Poco::Net::IPAddress> query_addresses(const std::string& host, const std::string& servers,
                                                DnsClock::time_point deadline);
DnsAnswer<MxRecord> query_mx(const std::string& domain, const std::string& servers, DnsClock::time_point deadline);
// The TXT records at `name`, each one string: its character-strings concatenated with nothing
// between them (RFC 6376 §3.6.2.2; an RSA key's record is longer than one string's 255 octets).
DnsAnswer<std::string> query_txt(const std::string& name, const std::string& servers, DnsClock::time_point deadline);

// The servers a lookup with `servers` asks, for messages ("/etc/resolv.conf" when the system's).
std::string resolver_in_use(const std::string& servers);

// The canonical name of `host` (hosts file or CNAME chain); false when it cannot be found
// before the deadline. Never throws.
bool canonical_name(const std::string& host, int timeout_ms, std::string& canonical) noexcept;

}  // namespace mvsmtp
