// mvsmtp/tls.hpp — TLS policy. The safe choice is the default; each weaker mode says its risk.
//
//   TlsSettings tls;                       // Required STARTTLS, verify against system CAs
//   tls.mode = TlsMode::Implicit;          // smtps:// (RFC 8314), port 465
//   tls.ca_file = "/etc/ssl/private-ca.pem";
//
// Verification is always on: the chain must lead to a trusted CA (system store, or
// ca_file when set) and the certificate must name the host we connected to (checked with
// OpenSSL's X509_check_host / X509_check_ip_asc, never skipped for loopback). TLS 1.2 is
// the minimum; SNI is sent.
#pragma once
#include <optional>
#include <string>

namespace mvsmtp {

enum class TlsMode {
    Required,       // STARTTLS must succeed before anything else is sent (default).
    Opportunistic,  // STARTTLS when offered, else plaintext: a network attacker can strip it.
                    // Credentials are still refused in plaintext unless allowed explicitly.
    Off,            // never encrypt: only for debugging on a trusted network.
    Implicit,       // TLS from the first byte (smtps, RFC 8314).
};

const char* tls_mode_name(TlsMode mode);
// "required", "opportunistic"/"may", "off"/"none", "implicit"/"smtps"; nullopt otherwise.
std::optional<TlsMode> parse_tls_mode(const std::string& name);

struct TlsSettings {
    TlsMode mode = TlsMode::Required;
    std::string ca_file;      // PEM bundle or directory; empty → the system's CA store
    std::string verify_name;  // name the certificate must carry; empty → the host connected to
    // Direct delivery with Opportunistic only (RFC 7435): a certificate that does not verify
    // still gets an encrypted session, never a plaintext one; why it failed is kept in
    // TlsInfo::unverified and reported. Never set for a relay or when TLS is Required.
    bool accept_unverified = false;
};

}  // namespace mvsmtp
