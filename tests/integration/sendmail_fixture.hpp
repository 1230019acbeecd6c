// sendmail_fixture.hpp — shared setup for SENDMAIL integration tests: the dlopen'd C ABI,
// a 0600 password file, and builders for MESSAGE / OPTIONS aimed at the loopback rig.
#pragma once
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "dynarray.hpp"
#include "layout.hpp"
#include "support/abi_library.hpp"
#include "support/testbed.hpp"

namespace sendmail_test {

namespace M = mvsmtp::gci::field::Message;
namespace O = mvsmtp::gci::field::Options;
namespace R = mvsmtp::gci::field::Result;
using mvsmtp::gci::DynArrayBuilder;
using mvsmtp::gci::extract;

constexpr const char* kUser = "testuser@example.test";

inline const testsupport::AbiLibrary& mvsmtp_library() {
    static const testsupport::AbiLibrary lib;
    return lib;
}

// A password file the library will accept (mode 0600). Files are numbered, never named after
// their content: paths appear in error messages, and a password must not.
inline std::string password_file(const std::string& password = "testpass") {
    static std::map<std::string, std::string> made;
    auto it = made.find(password);
    if (it != made.end()) return it->second;
    const std::string path = testbed::dir() + "/pw-" + std::to_string(getpid()) + "-" + std::to_string(made.size());
    std::ofstream(path) << password << "\n";
    chmod(path.c_str(), 0600);
    return made[password] = path;
}

struct Server {
    std::string url = {};       // smtp://127.0.0.1:2525
    std::string tls = {};       // required / implicit / off ...
    std::string user = kUser;
    std::string password = "testpass";
    std::string auth = {};      // "" = strongest offered
    bool trust_test_ca = true;
};

inline std::string options(const Server& s) {
    DynArrayBuilder o;
    o.set(O::SERVER, s.url);
    o.set(O::TLS, s.tls);
    if (!s.user.empty()) {
        o.set(O::USER, s.user);
        o.set(O::PASSWORD_FILE, password_file(s.password));
    }
    o.set(O::AUTH, s.auth);
    if (s.trust_test_ca) o.set(O::CA_FILE, testbed::ca_file());
    o.set(O::HELO, "client.example.test");
    o.set(O::TIMEOUT, "20");
    o.set(O::CONNECT_TIMEOUT, "5");
    return o.str();
}

inline std::string simple_message(const std::string& token, const std::vector<std::string>& to) {
    DynArrayBuilder m;
    m.set(M::FROM, "Test Sender <sender@example.test>");
    m.set(M::TO, to);
    m.set(M::SUBJECT, "mvsmtp " + token);
    return m.str();
}

inline std::string field(const std::string& result, int attr, int value = 0) { return extract(result, attr, value); }

// A copy of a dynamic array with attribute `attr` replaced (BASIC: ARRAY<attr> = value).
inline std::string with_field(const std::string& array, int attr, const std::string& value) {
    const auto parts = mvsmtp::gci::split(array, '\x1E');
    std::vector<std::string> attrs(parts.begin(), parts.end());
    if (attrs.size() < static_cast<std::size_t>(attr)) attrs.resize(attr);
    attrs[attr - 1] = value;
    std::string out;
    for (std::size_t i = 0; i < attrs.size(); ++i) out += (i ? "\x1E" : "") + attrs[i];
    return out;
}

}  // namespace sendmail_test
