// RFC 7523 client assertions: an RS256 JWT whose signature verifies with the certificate's
// public key, with the certificate's SHA-1 thumbprint as x5t and the claims a token endpoint
// checks; shared or non-RSA keys refused.
#include <boost/test/unit_test.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "client_assertion.hpp"
#include "mvsmtp/error.hpp"
#include "support/error_code_of.hpp"

using namespace mvsmtp;

namespace {

struct KeyPair {
    std::string dir, key, cert;
    explicit KeyPair(const char* algorithm = "rsa:2048") {
        char tmpl[] = "/tmp/mvsmtp-assertion-XXXXXX";
        dir = mkdtemp(tmpl);
        key = dir + "/client.key";
        cert = dir + "/client.crt";
        const std::string cmd = std::string("openssl req -x509 -newkey ") + algorithm +
                                " -nodes -days 2 -subj /CN=mvsmtp-test-client -keyout " + key + " -out " + cert +
                                " >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
        chmod(key.c_str(), 0600);
    }
    ~KeyPair() { std::system(("rm -rf '" + dir + "'").c_str()); }
    OAuthSettings settings() const {
        OAuthSettings s;
        s.grant = OAuthGrant::ClientCredentials;
        s.client_id = "client-123";
        s.client_certificate = cert;
        s.client_key = key;
        return s;
    }
};

Poco::JSON::Object::Ptr json(const std::string& part) {
    Poco::JSON::Parser p;
    return p.parse(base64url_decode(part)).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_client_assertion)

BOOST_AUTO_TEST_CASE(rs256_verifies_with_the_certificate) {
    KeyPair k;
    const std::string aud = "https://login.example/tenant/oauth2/v2.0/token";
    const std::string jwt = client_assertion(k.settings(), aud);
    const auto dot1 = jwt.find('.'), dot2 = jwt.rfind('.');
    BOOST_REQUIRE(dot1 != std::string::npos && dot2 != dot1);
    const auto header = json(jwt.substr(0, dot1));
    const auto claims = json(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
    BOOST_TEST(header->getValue<std::string>("alg") == "RS256");
    BOOST_TEST(claims->getValue<std::string>("aud") == aud);
    BOOST_TEST(claims->getValue<std::string>("iss") == "client-123");
    BOOST_TEST(claims->getValue<std::string>("sub") == "client-123");
    const auto now = static_cast<long long>(std::time(nullptr));
    BOOST_TEST(claims->getValue<long long>("exp") > now);
    BOOST_TEST(claims->getValue<long long>("exp") <= now + 600);
    BOOST_TEST(claims->getValue<std::string>("jti").size() == 32u);

    FILE* f = fopen(k.cert.c_str(), "r");
    X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    fclose(f);
    BOOST_REQUIRE(cert);
    unsigned char sha1[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(cert, EVP_sha1(), sha1, &n);
    BOOST_TEST(header->getValue<std::string>("x5t") == base64url(std::string(reinterpret_cast<char*>(sha1), n)));
    EVP_PKEY* pub = X509_get_pubkey(cert);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const std::string input = jwt.substr(0, dot2);
    const std::string sig = base64url_decode(jwt.substr(dot2 + 1));
    BOOST_TEST(EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub) == 1);
    BOOST_TEST(EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pub);
    X509_free(cert);
    // two assertions never share a jti
    BOOST_TEST(client_assertion(k.settings(), aud) != jwt);
}

BOOST_AUTO_TEST_CASE(shared_or_wrong_keys_are_refused) {
    KeyPair k;
    chmod(k.key.c_str(), 0644);
    BOOST_TEST((testsupport::error_code_of([&] { client_assertion(k.settings(), "https://x/t"); }) == ErrorCode::ConfigInsecure));
    KeyPair ec("ec -pkeyopt ec_paramgen_curve:P-256");
    BOOST_TEST((testsupport::error_code_of([&] { client_assertion(ec.settings(), "https://x/t"); }) == ErrorCode::BadOption));
    OAuthSettings missing = k.settings();
    missing.client_certificate = k.dir + "/none.crt";
    BOOST_TEST((testsupport::error_code_of([&] { client_assertion(missing, "https://x/t"); }) == ErrorCode::BadOption));
}

BOOST_AUTO_TEST_SUITE_END()
