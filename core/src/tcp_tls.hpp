// tcp_tls.hpp (private) — a TCP connection with a deadline, and a verified TLS handshake on
// it: the part shared by the SMTP connection and the HTTPS token client.
//
//   std::string peer;
//   Poco::Net::StreamSocket s = tcp_connect("smtp.example.com", 587, timeouts, "mail server", peer);
//   auto tls = tls_handshake(s, "smtp.example.com", ca_file, timeouts, peer);
//
// Every failure is an mvsmtp::Error: DnsFailed, ConnectFailed, Timeout, TlsCertificate,
// TlsFailed. The host name is checked against the certificate (RFC 6125), loopback too.
// Deadlines: resolving the name (c-ares, resolver.hpp) and each address's connect get
// timeouts.connect_ms; the whole handshake gets timeouts.io_ms.
#pragma once
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <memory>
#include <string>

#include "mvsmtp/connection.hpp"

namespace mvsmtp {

Poco::Timespan millis(int ms);

// Resolves `host` (an IP literal is used as it is) and tries each address in turn; `what`
// names the peer in messages ("mail server", "OAuth token endpoint"). Returns a blocking
// socket with receive/send timeouts of timeouts.io_ms.
Poco::Net::StreamSocket tcp_connect(const std::string& host, int port, const Timeouts& timeouts,
                                    const std::string& what, std::string& peer);

// TLS client handshake on `plain`, verified against `name`, under one deadline; `plain` is
// left in the blocking mode it had. On failure the caller closes.
// With `unverified` set (opportunistic direct delivery only), a certificate that does not
// verify or does not match `name` is accepted and the reason written there instead.
std::unique_ptr<Poco::Net::SecureStreamSocket> tls_handshake(Poco::Net::StreamSocket& plain, const std::string& name,
                                                             const std::string& ca_file, const Timeouts& timeouts,
                                                             const std::string& peer, std::string* unverified = nullptr);

}  // namespace mvsmtp
