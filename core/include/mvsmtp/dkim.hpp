// mvsmtp/dkim.hpp — DKIM signatures (RFC 6376): rsa-sha256 and ed25519-sha256 (RFC 8463).
//
//   DkimSettings s;  s.domain = "example.com";  s.selector = "mail2026";
//   s.key_file = "/etc/mvsmtp/dkim/example.com.key";        // owner-only PEM private key
//   message.dkim = std::make_shared<DkimSigner>(s);          // loads and checks the key
//   write_message(message, sink, options);                   // now starts with DKIM-Signature
//
// A profile lists its keys with dkim_domain / dkim_selector / dkim_key_file (config.hpp);
// ready_for_sending picks the one whose domain is the From domain or a parent of it.
//
// The signature covers exactly what write_message writes with the same WriteOptions (the
// 8BITMIME choice included): the signer renders the message once into the hash, streaming,
// then write_message renders it again after the field. Rendering a prepared message is
// deterministic (Message-ID-derived boundaries), so both passes agree byte for byte and no
// attachment is ever held in memory. The SMTP session computes the field once per
// transaction, so the SIZE it declares and the DATA it sends carry the same signature.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace mvsmtp {

struct Message;
struct WriteOptions;

enum class DkimCanon { Simple, Relaxed };
enum class DkimKeyType { Rsa, Ed25519 };

// RFC 6376 §5.4.1's recommendation, From oversigned (listed once more than it occurs, so a
// second From cannot be added without breaking the signature).
const std::vector<std::string>& default_signed_headers();

struct DkimSettings {
    std::string domain;    // d=, in A-labels
    std::string selector;  // s=
    std::string key_file;  // PEM private key (PKCS#8 or traditional RSA), owner-only
    DkimCanon header_canon = DkimCanon::Relaxed;
    DkimCanon body_canon = DkimCanon::Relaxed;
    std::vector<std::string> headers;  // h= candidates; empty = default_signed_headers()
};

// "relaxed/relaxed" (default), "simple/simple", "relaxed/simple", ...; one word means
// that for the header and simple for the body (RFC 6376 §3.5 c=). Error(BadOption) otherwise.
void parse_canonicalization(const std::string& text, DkimSettings& settings);
std::string canonicalization_text(const DkimSettings& settings);

// The settings whose domain is `domain` or its closest parent; nullptr when none covers it.
const DkimSettings* dkim_settings_for(const std::vector<DkimSettings>& all, const std::string& domain);

// A DKIM private key. RSA keys under 2048 bits are refused (RFC 8301 makes 1024 the floor
// for verifiers; the large receivers ask for 2048).
class DkimKey {
public:
    // An owner-only PEM file; Error(DkimKey) when it is missing, unreadable, encrypted, not
    // RSA/Ed25519 or too short, Error(ConfigInsecure) when other users can read it.
    static DkimKey load(const std::string& path);
    static DkimKey from_pem(const std::string& pem, const std::string& what);
    static DkimKey generate(DkimKeyType type, int rsa_bits = 2048);

    DkimKeyType type() const { return type_; }
    int bits() const { return bits_; }
    const char* algorithm() const;       // "rsa-sha256" or "ed25519-sha256"
    std::string private_pem() const;     // PKCS#8
    // Writes private_pem() to `path`, which must not exist: mode 0600, complete or not at all
    // (a temporary published without replacing anything). Error(BadArgument) when the name is
    // taken (a key in use is never overwritten) or the file cannot be written.
    void save_new(const std::string& path) const;
    std::string public_key_base64() const;  // p=: SubjectPublicKeyInfo (RSA), raw 32 bytes (Ed25519)
    std::string dns_record() const;      // "v=DKIM1; k=rsa; p=..."
    // The signature (raw bytes) of SHA-256(data): PKCS#1 v1.5 for RSA, Ed25519 over the hash.
    std::string sign(std::string_view data) const;

private:
    std::shared_ptr<evp_pkey_st> key_;
    DkimKeyType type_ = DkimKeyType::Rsa;
    int bits_ = 0;
};

class DkimSigner {
public:
    explicit DkimSigner(DkimSettings settings);  // loads settings.key_file
    DkimSigner(DkimSettings settings, DkimKey key);

    const DkimSettings& settings() const { return settings_; }
    const DkimKey& key() const { return key_; }
    // "d=example.com s=mail2026 a=rsa-sha256 c=relaxed/relaxed": what RESULT reports.
    std::string description() const;

    // The DKIM-Signature field, CRLF-terminated, for message as write_message(message, ...,
    // options) writes it (one streaming pass over the message).
    std::string signature_field(const Message& message, const WriteOptions& options) const;
    // The same for a header block (fields up to, not including, the empty line) and the
    // base64 body hash; signed_at is t= (seconds since the epoch).
    std::string sign_header_block(std::string_view header_block, const std::string& body_hash,
                                  std::int64_t signed_at) const;

private:
    DkimSettings settings_;
    DkimKey key_;
};

}  // namespace mvsmtp
