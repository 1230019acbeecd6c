// tls_context.cpp — OpenSSL client contexts and certificate checks for connection.cpp.
#include "tls_context.hpp"

#include <Poco/DateTimeFormatter.h>
#include <Poco/File.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Delegate.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/Session.h>
#include <Poco/Net/VerificationErrorArgs.h>
#include <Poco/Net/X509Certificate.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <map>
#include <mutex>

#include "mvsmtp/error.hpp"

namespace mvsmtp::tls {
namespace {

thread_local std::string* tolerated_reason = nullptr;

// Poco's verify callback asks this (through SSLManager's ClientVerificationError event) what
// to do with a chain OpenSSL could not verify: refuse, unless TolerateUnverified is active on
// this thread.
void on_verification_error(const void*, Poco::Net::VerificationErrorArgs& args) {
    if (!tolerated_reason) return;
    if (tolerated_reason->empty())
        *tolerated_reason = args.errorMessage() + " (certificate " + args.certificate().subjectName() + ")";
    args.setIgnoreError(true);
}

}  // namespace

TolerateUnverified::TolerateUnverified(std::string& why) : previous_(tolerated_reason) {
    static std::once_flag once;
    std::call_once(once, [] {
        Poco::Net::SSLManager::instance().ClientVerificationError += Poco::delegate(&on_verification_error);
    });
    tolerated_reason = &why;
}

TolerateUnverified::~TolerateUnverified() { tolerated_reason = previous_; }

Poco::Net::Context::Ptr client_context(const std::string& ca_file) {
    static std::mutex mutex;
    static std::map<std::string, Poco::Net::Context::Ptr> cache;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(ca_file);
    if (it != cache.end()) return it->second;

    if (!ca_file.empty()) {
        Poco::File f(ca_file);
        if (!f.exists() || !f.canRead())
            throw Error(ErrorCode::BadOption, "CA file " + ca_file + " does not exist or cannot be read");
    }
    Poco::Net::Context::Params params;
    params.caLocation = ca_file;
    // A site CA file replaces the system store: trust exactly what the profile names.
    params.loadDefaultCAs = ca_file.empty();
    params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;  // peer chain verified
    params.verificationDepth = 9;
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:@STRENGTH";
    Poco::Net::Context::Ptr ctx;
    try {
        ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
        ctx->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        // We check the host name ourselves (certificate_matches): Poco's check is skipped
        // for loopback peers and resolves names through the system resolver.
        ctx->enableExtendedCertificateVerification(false);
    } catch (const Poco::Exception& e) {
        throw Error(ErrorCode::BadOption, "cannot load CA certificates " +
                                              (ca_file.empty() ? std::string("(system store)") : ca_file) +
                                              ": " + e.displayText());
    }
    cache.emplace(ca_file, ctx);
    return ctx;
}

bool certificate_matches(Poco::Net::SecureStreamSocket& socket, const std::string& name,
                         std::string& why_not) {
    if (!socket.havePeerCertificate()) {
        why_not = "server sent no certificate";
        return false;
    }
    const Poco::Net::X509Certificate cert = socket.peerCertificate();
    X509* x509 = const_cast<X509*>(cert.certificate());
    Poco::Net::IPAddress ip;
    int ok;
    if (Poco::Net::IPAddress::tryParse(name, ip))
        ok = X509_check_ip_asc(x509, name.c_str(), 0);
    else
        ok = X509_check_host(x509, name.data(), name.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr);
    if (ok == 1) return true;
    why_not = "certificate of the server (" + cert.subjectName() + ") is not valid for the name " + name;
    return false;
}

TlsInfo describe(Poco::Net::SecureStreamSocket& socket) {
    TlsInfo info;
    info.active = true;
    try {
        Poco::Net::Session::Ptr session = socket.currentSession();
        if (session && session->sslSession()) {
            SSL_SESSION* s = session->sslSession();
            switch (SSL_SESSION_get_protocol_version(s)) {
                case TLS1_3_VERSION: info.protocol = "TLSv1.3"; break;
                case TLS1_2_VERSION: info.protocol = "TLSv1.2"; break;
                default: info.protocol = "TLS (old)"; break;
            }
            if (const SSL_CIPHER* c = SSL_SESSION_get0_cipher(s)) info.cipher = SSL_CIPHER_get_name(c);
        }
        if (socket.havePeerCertificate()) {
            const Poco::Net::X509Certificate cert = socket.peerCertificate();
            info.peer_subject = cert.subjectName();
            info.peer_issuer = cert.issuerName();
            info.peer_expires = Poco::DateTimeFormatter::format(cert.expiresOn(), "%Y-%m-%d");
        }
    } catch (...) {
        // Description only; never fail a send over it.
    }
    return info;
}

}  // namespace mvsmtp::tls
