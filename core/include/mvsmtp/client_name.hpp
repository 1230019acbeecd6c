// mvsmtp/client_name.hpp — the name a client gives in EHLO when the profile sets none.
//
//   std::string n = default_client_name("192.0.2.1", 2000);  // "host.example.com" or "[192.0.2.1]"
//   address_literal("2001:db8::1")                            // "[IPv6:2001:db8::1]"
//
// RFC 5321 §4.1.4: the EHLO argument is the client's fully-qualified domain name, or, when it
// has none, an address literal of the connection's local address. Relays with Postfix's
// reject_non_fqdn_helo_hostname refuse anything else ("localhost", a bare host name).
#pragma once
#include <string>

namespace mvsmtp {

// "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3); an IPv4-mapped IPv6 address is
// given as IPv4.
std::string address_literal(const std::string& ip);

// True for a name usable as an FQDN in EHLO: contains a dot, is not an IP address, and is
// made of letters, digits, hyphens and dots only.
bool looks_like_fqdn(const std::string& name);

// This host's FQDN: gethostname(), else its canonical name (hosts file, then DNS, at most
// timeout_ms); "" when neither has a dot. Remembered for ten minutes per process.
std::string host_fqdn(int timeout_ms);

// host_fqdn(), else address_literal(local_ip).
std::string default_client_name(const std::string& local_ip, int timeout_ms);

}  // namespace mvsmtp
