// openssl_handles.hpp (private) — OpenSSL objects owned by unique_ptr, and private keys read
// from PEM without ever asking for a passphrase.
//
//   openssl::Bio bio(BIO_new(BIO_s_mem()));
//   openssl::Key key = openssl::read_private_key(pem);   // null when not an unencrypted key
//
// OpenSSL's default passphrase callback reads the terminal: inside a database process that
// would hang the caller, so an encrypted key is simply not a key here.
#pragma once
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace mvsmtp::openssl {

template <typename T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;

inline int refuse_passphrase(char*, int, int, void*) { return -1; }

inline Key read_private_key(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return Key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr) : nullptr);
}

}  // namespace mvsmtp::openssl
