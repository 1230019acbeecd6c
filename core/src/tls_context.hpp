// tls_context.hpp (private) — OpenSSL contexts, certificate name checks, TLS descriptions.
#pragma once
#include <Poco/Net/Context.h>
#include <Poco/Net/SecureStreamSocket.h>

#include <string>

#include "mvsmtp/connection.hpp"

namespace mvsmtp::tls {

// A client context per CA location, built once per process (loading the system CA store
// costs milliseconds; one-shot sends should not pay it every time). TLS 1.2 minimum,
// peer verification on. Throws Error(BadOption) for an unreadable CA file.
Poco::Net::Context::Ptr client_context(const std::string& ca_file);

// RFC 6125 name check of the peer certificate against `name` (DNS name or IP literal).
bool certificate_matches(Poco::Net::SecureStreamSocket& socket, const std::string& name,
                         std::string& why_not);

TlsInfo describe(Poco::Net::SecureStreamSocket& socket);

// While one exists, a certificate chain that does not verify in a handshake on this thread is
// accepted and the first reason is written to `why` (opportunistic TLS for direct delivery);
// handshakes on other threads, or outside its lifetime, are verified as always.
class TolerateUnverified {
public:
    explicit TolerateUnverified(std::string& why);
    ~TolerateUnverified();
    TolerateUnverified(const TolerateUnverified&) = delete;
    TolerateUnverified& operator=(const TolerateUnverified&) = delete;

private:
    std::string* previous_;
};

}  // namespace mvsmtp::tls
