// dkim_key.cpp — DKIM private keys with OpenSSL: load, generate, publish, sign; see mvsmtp/dkim.hpp.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>

#include "mvsmtp/dkim.hpp"
#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"
#include "openssl_handles.hpp"
#include "platform.hpp"
#include "secret_file.hpp"

namespace mvsmtp {
namespace {

using openssl::Bio;
using openssl::MdCtx;
using openssl::PkeyCtx;

constexpr int kMinRsaBits = 2048;

std::shared_ptr<evp_pkey_st> own(EVP_PKEY* key) { return std::shared_ptr<evp_pkey_st>(key, EVP_PKEY_free); }

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::string sha256(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1)
        throw Error(ErrorCode::Internal, "DKIM: SHA-256 failed");
    return std::string(reinterpret_cast<const char*>(digest), size);
}

}  // namespace

DkimKey DkimKey::from_pem(const std::string& pem, const std::string& what) {
    EVP_PKEY* raw = openssl::read_private_key(pem).release();
    if (!raw) {
        const bool encrypted = pem.find("ENCRYPTED") != std::string::npos;
        throw Error(ErrorCode::DkimKey,
                    what + (encrypted ? " is encrypted: give an unencrypted key (openssl pkey -in KEY -out KEY.plain), kept owner-only"
                                      : " is not a PEM private key"));
    }
    DkimKey key;
    key.key_ = own(raw);
    switch (EVP_PKEY_base_id(raw)) {
        case EVP_PKEY_RSA:
            key.type_ = DkimKeyType::Rsa;
            key.bits_ = EVP_PKEY_bits(raw);
            if (key.bits_ < kMinRsaBits)
                throw Error(ErrorCode::DkimKey, what + " is an RSA key of " + std::to_string(key.bits_) +
                                                    " bits: DKIM keys must have 2048 bits or more (mvsmtp dkim keygen makes one)");
            break;
        case EVP_PKEY_ED25519:
            key.type_ = DkimKeyType::Ed25519;
            key.bits_ = 256;
            break;
        default:
            throw Error(ErrorCode::DkimKey, what + " is neither an RSA nor an Ed25519 key");
    }
    return key;
}

DkimKey DkimKey::load(const std::string& path) {
    std::string pem = read_secret_file(path, ErrorCode::DkimKey, "DKIM key file");
    try {
        DkimKey key = from_pem(pem, "DKIM key file " + path);
        std::fill(pem.begin(), pem.end(), '\0');
        return key;
    } catch (...) {
        std::fill(pem.begin(), pem.end(), '\0');
        throw;
    }
}

DkimKey DkimKey::generate(DkimKeyType type, int rsa_bits) {
    if (type == DkimKeyType::Rsa && (rsa_bits < kMinRsaBits || rsa_bits > 8192))
        throw Error(ErrorCode::BadArgument, "RSA DKIM keys have 2048 to 8192 bits (got " + std::to_string(rsa_bits) + ")");
    PkeyCtx ctx(EVP_PKEY_CTX_new_id(type == DkimKeyType::Rsa ? EVP_PKEY_RSA : EVP_PKEY_ED25519, nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        (type == DkimKeyType::Rsa && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), rsa_bits) != 1) ||
        EVP_PKEY_keygen(ctx.get(), &raw) != 1)
        throw Error(ErrorCode::Internal, "DKIM: key generation failed");
    DkimKey key;
    key.key_ = own(raw);
    key.type_ = type;
    key.bits_ = type == DkimKeyType::Rsa ? rsa_bits : 256;
    return key;
}

const char* DkimKey::algorithm() const { return type_ == DkimKeyType::Rsa ? "rsa-sha256" : "ed25519-sha256"; }

std::string DkimKey::private_pem() const {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw Error(ErrorCode::Internal, "DKIM: cannot write the private key");
    return bio_text(bio.get());
}

void DkimKey::save_new(const std::string& path) const {
    std::string pem = private_pem();
    bool written = false;
    std::string why;
    try {
        written = platform::write_new_file(path, pem);
    } catch (const std::exception& e) {
        why = e.what();
    }
    std::fill(pem.begin(), pem.end(), '\0');
    if (!why.empty()) throw Error(ErrorCode::BadArgument, "cannot write " + path + ": " + why);
    if (!written)
        throw Error(ErrorCode::BadArgument, path + " already exists: not overwritten (a key in use would be lost); "
                                                   "give another --out, or move the old key away first");
}

std::string DkimKey::public_key_base64() const {
    std::string bytes;
    if (type_ == DkimKeyType::Ed25519) {
        // RFC 8463 §4.2: p= is the bare 32-byte key, not a SubjectPublicKeyInfo.
        std::size_t size = 0;
        if (EVP_PKEY_get_raw_public_key(key_.get(), nullptr, &size) != 1) throw Error(ErrorCode::Internal, "DKIM: no public key");
        bytes.resize(size);
        if (EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(bytes.data()), &size) != 1)
            throw Error(ErrorCode::Internal, "DKIM: no public key");
    } else {
        const int size = i2d_PUBKEY(key_.get(), nullptr);
        if (size <= 0) throw Error(ErrorCode::Internal, "DKIM: no public key");
        bytes.resize(static_cast<std::size_t>(size));
        unsigned char* out = reinterpret_cast<unsigned char*>(bytes.data());
        i2d_PUBKEY(key_.get(), &out);
    }
    return base64_encode(bytes);
}

std::string DkimKey::dns_record() const {
    return std::string("v=DKIM1; k=") + (type_ == DkimKeyType::Rsa ? "rsa" : "ed25519") + "; p=" + public_key_base64();
}

std::string DkimKey::sign(std::string_view data) const {
    MdCtx ctx(EVP_MD_CTX_new());
    std::string input(data);
    const EVP_MD* md = EVP_sha256();
    if (type_ == DkimKeyType::Ed25519) {
        input = sha256(data);  // RFC 8463 §3: Ed25519 signs the SHA-256 hash (PureEdDSA over it)
        md = nullptr;
    }
    std::size_t size = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(input.data());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &size, in, input.size()) != 1)
        throw Error(ErrorCode::Internal, "DKIM: signing failed");
    std::string signature(size, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, in, input.size()) != 1)
        throw Error(ErrorCode::Internal, "DKIM: signing failed");
    signature.resize(size);
    return signature;
}

}  // namespace mvsmtp
