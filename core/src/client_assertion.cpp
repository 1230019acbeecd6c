// client_assertion.cpp — RS256 client assertions with OpenSSL; see client_assertion.hpp.
#include "client_assertion.hpp"

#include <Poco/JSON/Object.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <sstream>

#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"
#include "openssl_handles.hpp"
#include "secret_file.hpp"

namespace mvsmtp {
namespace {

using openssl::Bio;
using openssl::Cert;
using openssl::Key;
using openssl::MdCtx;

Cert load_certificate(const std::string& path) {
    Bio bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) throw Error(ErrorCode::BadOption, "OAuth client certificate " + path + " cannot be read");
    Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) throw Error(ErrorCode::BadOption, "OAuth client certificate " + path + " is not a PEM certificate");
    return cert;
}

Key load_key(const std::string& path) {
    std::string pem = read_secret_file(path, ErrorCode::BadOption, "OAuth client key");
    Key key = openssl::read_private_key(pem);
    std::fill(pem.begin(), pem.end(), '\0');
    if (!key) throw Error(ErrorCode::BadOption, "OAuth client key " + path + " is not an unencrypted PEM private key");
    if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA)
        throw Error(ErrorCode::BadOption, "OAuth client key " + path + " is not an RSA key (RS256 needs one)");
    return key;
}

std::string json(const Poco::JSON::Object& o) {
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

std::string random_hex(std::size_t bytes) {
    std::string raw(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
        throw Error(ErrorCode::Internal, "no random bytes for the client assertion");
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

}  // namespace

std::string base64url(const std::string& data) {
    std::string b = base64_encode(data);
    for (char& c : b) {
        if (c == '+') c = '-';
        else if (c == '/') c = '_';
    }
    while (!b.empty() && b.back() == '=') b.pop_back();
    return b;
}

std::string base64url_decode(const std::string& text) {
    std::string b = text;
    for (char& c : b) {
        if (c == '-') c = '+';
        else if (c == '_') c = '/';
    }
    while (b.size() % 4) b += '=';
    return base64_decode(b);
}

std::string client_assertion(const OAuthSettings& s, const std::string& audience) {
    const Cert cert = load_certificate(s.client_certificate);
    const Key key = load_key(s.client_key);
    unsigned char sha1[EVP_MAX_MD_SIZE];
    unsigned int sha1_size = 0;
    if (X509_digest(cert.get(), EVP_sha1(), sha1, &sha1_size) != 1)
        throw Error(ErrorCode::BadOption, "cannot take the thumbprint of " + s.client_certificate);

    Poco::JSON::Object header;
    header.set("alg", "RS256");
    header.set("typ", "JWT");
    header.set("x5t", base64url(std::string(reinterpret_cast<const char*>(sha1), sha1_size)));
    const auto now = static_cast<Poco::Int64>(std::time(nullptr));
    Poco::JSON::Object claims;
    claims.set("aud", audience);
    claims.set("iss", s.client_id);
    claims.set("sub", s.client_id);
    claims.set("jti", random_hex(16));
    claims.set("nbf", now);
    claims.set("iat", now);
    claims.set("exp", now + 600);
    const std::string signing_input = base64url(json(header)) + "." + base64url(json(claims));

    MdCtx ctx(EVP_MD_CTX_new());
    std::size_t size = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSignUpdate(ctx.get(), signing_input.data(), signing_input.size()) != 1 ||
        EVP_DigestSignFinal(ctx.get(), nullptr, &size) != 1)
        throw Error(ErrorCode::Internal, "cannot sign the OAuth client assertion");
    std::string signature(size, '\0');
    if (EVP_DigestSignFinal(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size) != 1)
        throw Error(ErrorCode::Internal, "cannot sign the OAuth client assertion");
    signature.resize(size);
    return signing_input + "." + base64url(signature);
}

}  // namespace mvsmtp
