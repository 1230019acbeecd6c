// resolver.hpp (private) — host names to addresses with a deadline (c-ares), the system's
// resolver configuration kept: /etc/hosts first, then the DNS servers of /etc/resolv.conf
// (lookups "fb", as getaddrinfo does with the usual nsswitch "files dns").
//
//   std::vector<Poco::Net::IPAddress> a = resolve_host("smtp.example.com", 30000, "mail server");
//   std::string canonical;  canonical_name("vm", 2000, canonical);
//
// IP literals are returned as they are, without a lookup. A name that has no address, or
// that the resolver cannot answer before the deadline, is Error(DnsFailed).
// MVSMTP_TEST_DNS_SERVER=host:port (tests only) replaces the DNS servers of resolv.conf.
#pragma once
#include <Poco/Net/IPAddress.h>

#include <string>
#include <vector>

namespace mvsmtp {

// A and AAAA addresses of `host`, in the resolver's preferred order (RFC 6724).
std::vector<Poco::Net::IPAddress> resolve_host(const std::string& host, int timeout_ms, const std::string& what);

// The canonical name of `host` (hosts file or CNAME chain); false when it cannot be found
// before the deadline. Never throws.
bool canonical_name(const std::string& host, int timeout_ms, std::string& canonical) noexcept;

}  // namespace mvsmtp
