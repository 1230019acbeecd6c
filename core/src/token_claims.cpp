// token_claims.cpp — reading (not verifying) a JWT's payload; see mvsmtp/token_claims.hpp.
#include "mvsmtp/token_claims.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "client_assertion.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

using Object = Poco::JSON::Object::Ptr;

std::string claim(const Object& o, const char* key) {
    if (!o->has(key)) return {};
    const Poco::Dynamic::Var v = o->get(key);
    if (v.isString()) return printable_ascii(v.extract<std::string>(), 200);
    if (const auto a = o->getArray(key)) {
        std::string out;
        for (std::size_t i = 0; i < a->size(); ++i) {
            const Poco::Dynamic::Var item = a->get(static_cast<unsigned int>(i));
            if (item.isString()) out += (out.empty() ? "" : " ") + printable_ascii(item.extract<std::string>(), 200);
        }
        return out;
    }
    return {};
}

std::string first_of(const Object& o, std::initializer_list<const char*> keys) {
    for (const char* k : keys)
        if (std::string v = claim(o, k); !v.empty()) return v;
    return {};
}

}  // namespace

TokenClaims token_claims(const std::string& token) noexcept {
    TokenClaims c;
    try {
        const auto first = token.find('.');
        const auto second = first == std::string::npos ? first : token.find('.', first + 1);
        if (second == std::string::npos) return c;
        Poco::JSON::Parser parser;
        const Object o = parser.parse(base64url_decode(token.substr(first + 1, second - first - 1))).extract<Object>();
        c.subject = first_of(o, {"upn", "unique_name", "preferred_username", "email", "sub"});
        c.application = first_of(o, {"appid", "azp", "client_id"});
        if (const std::string name = claim(o, "app_displayname"); !name.empty()) c.application += " (" + name + ")";
        c.audience = claim(o, "aud");
        c.scopes = first_of(o, {"scp", "roles", "scope"});
    } catch (...) {
        return TokenClaims{};
    }
    return c;
}

}  // namespace mvsmtp
