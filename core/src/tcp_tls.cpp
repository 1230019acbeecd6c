// tcp_tls.cpp — connect with a deadline, verified TLS handshake; see tcp_tls.hpp.
#include "tcp_tls.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SocketAddress.h>

#include <chrono>
#include <optional>
#include <vector>

#include "mvsmtp/error.hpp"
#include "platform.hpp"
#include "resolver.hpp"
#include "tls_context.hpp"

namespace mvsmtp {

Poco::Timespan millis(int ms) { return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms) * 1000); }

Poco::Net::StreamSocket tcp_connect(const std::string& host, int port, const Timeouts& timeouts,
                                    const std::string& what, std::string& peer) {
    if (port <= 0 || port > 65535) throw Error(ErrorCode::BadOption, "port out of range");
    // c-ares with a deadline: getaddrinfo cannot be bounded, and a resolver that never
    // answers would hold the call for resolv.conf's timeout × attempts × servers.
    const std::vector<Poco::Net::IPAddress> addresses = resolve_host(host, timeouts.connect_ms, what);
    std::string last_error;
    ErrorCode last_code = ErrorCode::ConnectFailed;
    for (const auto& address : addresses) {
        const Poco::Net::SocketAddress target(address, static_cast<Poco::UInt16>(port));
        try {
            Poco::Net::StreamSocket s(target.family());
            s.connect(target, millis(timeouts.connect_ms));
            // Nagle stays on: with TCP_NODELAY the EHLO after a TLS handshake races the
            // server's session ticket, and Postfix's reply then waits out a 40 ms delayed
            // ACK (measured: one-shot sends 37 ms → 4 ms). Pipelined groups are single
            // writes anyway.
            s.setReceiveTimeout(millis(timeouts.io_ms));
            s.setSendTimeout(millis(timeouts.io_ms));
            peer = target.toString();
            return s;
        } catch (const Poco::TimeoutException&) {
            last_code = ErrorCode::Timeout;
            last_error = "connection to " + target.toString() + " timed out";
        } catch (const Poco::Exception& e) {
            last_code = ErrorCode::ConnectFailed;
            last_error = "cannot connect to " + target.toString() + ": " + e.displayText();
        }
    }
    throw Error(last_code, last_error);
}

namespace {

// The handshake, non-blocking, every wait a poll against one deadline. A blocking handshake
// is bounded only per read, and Poco retries a timed-out read (measured: up to 3× the timeout).
void handshake_until(Poco::Net::SecureStreamSocket& secure, int fd, std::chrono::steady_clock::time_point deadline,
                     const std::string& peer) {
    for (;;) {
        const int rc = secure.completeHandshake();
        if (rc == 1) return;
        if (rc == 0) throw Error(ErrorCode::TlsFailed, "TLS handshake with " + peer + " failed: connection closed");
        const bool want_write = rc == Poco::Net::SecureStreamSocket::ERR_SSL_WANT_WRITE;
        if (!platform::wait_socket(fd, want_write, deadline))
            throw Error(ErrorCode::Timeout, "TLS handshake with " + peer + " timed out");
    }
}

}  // namespace

std::unique_ptr<Poco::Net::SecureStreamSocket> tls_handshake(Poco::Net::StreamSocket& plain, const std::string& name,
                                                             const std::string& ca_file, const Timeouts& timeouts,
                                                             const std::string& peer, std::string* unverified) {
    auto context = tls::client_context(ca_file);
    std::string tolerated;
    std::optional<tls::TolerateUnverified> tolerate;
    if (unverified) tolerate.emplace(tolerated);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeouts.io_ms);
    std::unique_ptr<Poco::Net::SecureStreamSocket> secure;
    bool was_blocking = true;
    try {
        // Non-blocking before attach: attach() then only prepares, and the handshake runs
        // below under our deadline. The caller gets the socket back in the mode it gave.
        was_blocking = plain.getBlocking();
        plain.setBlocking(false);
        secure = std::make_unique<Poco::Net::SecureStreamSocket>(
            Poco::Net::SecureStreamSocket::attach(plain, name, context));
        secure->setReceiveTimeout(millis(timeouts.io_ms));
        secure->setSendTimeout(millis(timeouts.io_ms));
        handshake_until(*secure, static_cast<int>(plain.impl()->sockfd()), deadline, peer);
        if (was_blocking) plain.setBlocking(true);
    } catch (const Error&) {
        throw;
    } catch (const Poco::TimeoutException&) {
        throw Error(ErrorCode::Timeout, "TLS handshake with " + peer + " timed out");
    } catch (const Poco::Net::CertificateValidationException& e) {
        throw Error(ErrorCode::TlsCertificate, "certificate of " + name + " rejected: " + e.message());
    } catch (const Poco::Exception& e) {
        const std::string text = e.displayText();
        if (text.find("certificate verify failed") != std::string::npos)
            throw Error(ErrorCode::TlsCertificate,
                        "certificate of " + name + " is not trusted (unknown CA, expired or "
                        "self-signed): " + e.message());
        std::string hint;
        if (text.find("wrong version number") != std::string::npos || text.find("packet length too long") != std::string::npos)
            hint = " (the server did not answer in TLS: for a STARTTLS port such as 587 or 25 use smtp:// "
                   "and tls=required instead of implicit TLS)";
        throw Error(ErrorCode::TlsFailed, "TLS handshake with " + peer + " failed: " + text + hint);
    }
    std::string why;
    if (!tls::certificate_matches(*secure, name, why)) {
        if (!unverified) throw Error(ErrorCode::TlsCertificate, why);
        tolerated += (tolerated.empty() ? "" : "; ") + why;
    }
    if (unverified) *unverified = tolerated;
    return secure;
}

}  // namespace mvsmtp
