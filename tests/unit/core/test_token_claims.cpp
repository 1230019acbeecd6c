// Token claims for `mvsmtp oauth status`: read from a JWT's payload, nothing from opaque or
// malformed tokens, never an exception.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "client_assertion.hpp"
#include "mvsmtp/token_claims.hpp"

using namespace mvsmtp;

BOOST_AUTO_TEST_SUITE(test_token_claims)

BOOST_AUTO_TEST_CASE(microsoft_shaped_token) {
    const std::string payload = R"({"aud":"https://outlook.office365.com","upn":"billing@contoso.example",)"
                                R"("appid":"11-22","app_displayname":"Invoices","roles":["SMTP.SendAsApp"]})";
    const TokenClaims c = token_claims(base64url("{\"alg\":\"RS256\"}") + "." + base64url(payload) + ".sig");
    BOOST_TEST(c.subject == "billing@contoso.example");
    BOOST_TEST(c.application == "11-22 (Invoices)");
    BOOST_TEST(c.audience == "https://outlook.office365.com");
    BOOST_TEST(c.scopes == "SMTP.SendAsApp");
}

BOOST_AUTO_TEST_CASE(opaque_and_broken_tokens_say_nothing) {
    for (const std::string& t : std::vector<std::string>{"ya29.a0AfH6SMB-opaque-google-token", "a.b.c", "..", "", "x.!!!.y",
                                "e30." + base64url("[1,2]") + ".s"}) {
        const TokenClaims c = token_claims(t);
        BOOST_TEST(c.subject.empty());
        BOOST_TEST(c.scopes.empty());
    }
}

BOOST_AUTO_TEST_CASE(base64url_round_trip) {
    for (const std::string s : {std::string(""), std::string("f"), std::string("fo"), std::string("foo"),
                                std::string("\xfb\xff\xfe", 3)})
        BOOST_TEST(base64url_decode(base64url(s)) == s);
    BOOST_TEST(base64url(std::string("\xfb\xff\xfe", 3)) == "-__-");
}

BOOST_AUTO_TEST_SUITE_END()
