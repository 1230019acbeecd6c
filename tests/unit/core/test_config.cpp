// Profiles: file discovery, overrides, server URLs, and refusal of world-readable secrets.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "mvsmtp/config.hpp"
#include "support/error_code_of.hpp"
#include "support/temp_dir.hpp"
#include "mvsmtp/error.hpp"

using namespace mvsmtp;

namespace {

using testsupport::TempDir;

ErrorCode code_of(const ProfileRequest& req) {
    return testsupport::error_code_of([&] { load_profile(req); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_config)

BOOST_AUTO_TEST_CASE(server_urls) {
    auto s = parse_server("smtps://mail.example.com");
    BOOST_TEST(s.host == "mail.example.com");
    BOOST_TEST(s.implicit_tls);
    BOOST_TEST(s.port == 0);
    s = parse_server("smtp://127.0.0.1:2525");
    BOOST_TEST(s.host == "127.0.0.1");
    BOOST_TEST(s.port == 2525);
    BOOST_TEST(!s.implicit_tls);
    s = parse_server("[::1]:25");
    BOOST_TEST(s.host == "::1");
    BOOST_TEST(s.port == 25);
    s = parse_server("relay.local");
    BOOST_TEST(s.host == "relay.local");
    BOOST_CHECK_THROW(parse_server("http://x"), Error);
    BOOST_CHECK_THROW(parse_server("smtp://:25"), Error);
    BOOST_CHECK_THROW(parse_server("host:99999"), Error);
    BOOST_CHECK_THROW(parse_server("bad host:25"), Error);
}

BOOST_AUTO_TEST_CASE(no_file_no_server_means_outbox_default) {
    TempDir d;
    char* here = getcwd(nullptr, 0);   // malloc'ed: freed here (LeakSanitizer, scripts/sanitize.sh)
    const std::string cwd = here ? here : "/";
    std::free(here);
    BOOST_REQUIRE(chdir(d.path.c_str()) == 0);
    setenv("HOME", d.path.c_str(), 1);
    unsetenv("MVSMTP_CONFIG");
    const Profile p = load_profile({});
    BOOST_TEST(!p.has_server());
    BOOST_TEST(p.source.empty());
    BOOST_REQUIRE(chdir(cwd.c_str()) == 0);
}

BOOST_AUTO_TEST_CASE(profile_section_and_overrides) {
    TempDir d;
    const std::string ini = d.write("mvsmtp.ini",
        "[default]\nserver = smtp://relay.example.test:2525\nfrom = Billing <b@example.test>\n"
        "[secure]\nserver = smtps://mail.example.test\nuser = u\ntimeout = 7\nauth = LOGIN, PLAIN\n", 0644);
    ProfileRequest req;
    req.config_path = ini;
    Profile p = load_profile(req);
    BOOST_TEST(p.name == "default");
    BOOST_TEST(p.host == "relay.example.test");
    BOOST_TEST(p.port == 2525);
    BOOST_TEST((p.tls == TlsMode::Required));
    BOOST_TEST(p.from == "Billing <b@example.test>");

    req.profile = "secure";
    p = load_profile(req);
    BOOST_TEST((p.tls == TlsMode::Implicit));
    BOOST_TEST(p.port == 465);
    BOOST_TEST(p.timeouts.io_ms == 7000);
    BOOST_TEST(p.timeouts.final_ms == 600000);  // RFC 5321 §4.5.3.2.6: 10 minutes for the reply to "."
    req.overrides["final_timeout"] = "900";
    BOOST_TEST(load_profile(req).timeouts.final_ms == 900000);
    req.overrides["final_timeout"] = "0";
    BOOST_TEST((code_of(req) == ErrorCode::BadOption));
    req.overrides.erase("final_timeout");
    BOOST_TEST(p.auth.size() == 2u);
    BOOST_TEST((p.auth[0] == Mechanism::Login));

    // smtps:// wins over a STARTTLS mode: implicit TLS is what such a port speaks.
    req.overrides["tls"] = "required";
    BOOST_TEST((load_profile(req).tls == TlsMode::Implicit));
    req.overrides["tls"] = "off";
    BOOST_TEST((code_of(req) == ErrorCode::BadOption));

    req.overrides["server"] = "smtp://127.0.0.1:2526";
    req.overrides["tls"] = "off";
    p = load_profile(req);
    BOOST_TEST(p.host == "127.0.0.1");
    BOOST_TEST(p.port == 2526);
    BOOST_TEST((p.tls == TlsMode::Off));
}

BOOST_AUTO_TEST_CASE(errors_name_the_problem) {
    TempDir d;
    const std::string ini = d.write("a.ini", "[default]\nsever = typo\n", 0600);
    ProfileRequest req;
    req.config_path = ini;
    BOOST_TEST((code_of(req) == ErrorCode::ConfigInvalid));
    req.config_path = d.path + "/missing.ini";
    BOOST_TEST((code_of(req) == ErrorCode::ConfigNotFound));
    req.config_path = d.write("b.ini", "[default]\nserver = x\n", 0600);
    req.profile = "nope";
    BOOST_TEST((code_of(req) == ErrorCode::ProfileNotFound));
    req.profile.clear();
    req.overrides["tls"] = "sometimes";
    BOOST_TEST((code_of(req) == ErrorCode::BadOption));
    req.overrides.clear();
    req.overrides["colour"] = "red";
    BOOST_TEST((code_of(req) == ErrorCode::BadOption));
}

// Found by tests/fuzz/fuzz_ini (its seed tests/fuzz/corpus/ini/known-dotted-key keeps it found):
// a key with a dot ("server.port", a plausible typo) is read by Poco as a sub-key. Alone it made
// Poco::NotFoundException escape load_profile (the C ABI said 99 INTERNAL "internal error");
// beside "server" it was silently ignored. Either way the unknown key must be named.
// Fails until core/src/config.cpp is fixed.
BOOST_AUTO_TEST_CASE(dotted_key_is_an_unknown_key) {
    TempDir d;
    ProfileRequest req;
    for (const char* text : {"[default]\nserver.port = 25\n",
                             "[default]\nserver = smtp://127.0.0.1:2525\nserver.port = 25\n"}) {
        BOOST_TEST_CONTEXT(text) {
            req.config_path = d.write("dot.ini", text, 0600);
            try {
                BOOST_TEST((code_of(req) == ErrorCode::ConfigInvalid));
            } catch (const std::exception& e) {
                BOOST_ERROR("an exception other than mvsmtp::Error escaped load_profile: " << e.what());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(refuses_readable_secrets) {
    TempDir d;
    ProfileRequest req;
    req.config_path = d.write("open.ini", "[default]\nserver = x\nuser = u\npassword = hunter2\n", 0644);
    try {
        load_profile(req);
        BOOST_FAIL("a world-readable password was accepted");
    } catch (const Error& e) {
        BOOST_TEST((e.code() == ErrorCode::ConfigInsecure));
        BOOST_TEST(std::string(e.what()).find("chmod 600") != std::string::npos);
        BOOST_TEST(std::string(e.what()).find("hunter2") == std::string::npos);
    }
    req.config_path = d.write("closed.ini", "[default]\nserver = x\nuser = u\npassword = hunter2\n", 0600);
    BOOST_TEST(load_profile(req).password == "hunter2");

    // Without a password a readable file is fine (nothing secret in it).
    req.config_path = d.write("nosecret.ini", "[default]\nserver = x\n", 0644);
    BOOST_TEST(load_profile(req).host == "x");

    const std::string pw_open = d.write("pw1", "secret\n", 0640);
    req.overrides["password_file"] = pw_open;
    BOOST_TEST((code_of(req) == ErrorCode::ConfigInsecure));
    req.overrides["password_file"] = d.write("pw2", "s3cret\r\n", 0600);
    BOOST_TEST(load_profile(req).password == "s3cret");
    req.overrides["password_file"] = d.path + "/nothing";
    BOOST_TEST((code_of(req) == ErrorCode::PasswordFile));
}

BOOST_AUTO_TEST_CASE(environment_variable_names_the_file) {
    TempDir d;
    const std::string ini = d.write("env.ini", "[default]\nserver = envhost\n", 0600);
    setenv("MVSMTP_CONFIG", ini.c_str(), 1);
    BOOST_TEST(load_profile({}).host == "envhost");
    setenv("MVSMTP_CONFIG", (d.path + "/gone.ini").c_str(), 1);
    BOOST_TEST((code_of({}) == ErrorCode::ConfigNotFound));
    unsetenv("MVSMTP_CONFIG");
}

// Regression: a line "password S3cr3t" (no '=') came back as unknown key "password S3cr3t"
// in RESULT. Only the key's first word and the line number are named.
BOOST_AUTO_TEST_CASE(unknown_key_never_echoes_the_line) {
    TempDir d;
    ProfileRequest req;
    req.config_path = d.write("a.ini", "; note\n[other]\nx = 1\n[Default]\nserver = h\npassword S3cr3t\n", 0600);
    try {
        load_profile(req);
        BOOST_FAIL("accepted");
    } catch (const Error& e) {
        const std::string what = e.what();
        BOOST_TEST((e.code() == ErrorCode::ConfigInvalid));
        BOOST_TEST(what.find("S3cr3t") == std::string::npos, what);
        BOOST_TEST(what.find("\"password\"") != std::string::npos, what);
        BOOST_TEST(what.find("line 6") != std::string::npos, what);
    }
    req.config_path = d.write("b.ini", "[default]\nserver = h\nsever = typo.example\n", 0600);
    try {
        load_profile(req);
        BOOST_FAIL("accepted");
    } catch (const Error& e) {
        const std::string what = e.what();
        BOOST_TEST(what.find("\"sever\"") != std::string::npos, what);
        BOOST_TEST(what.find("typo.example") == std::string::npos, what);
        BOOST_TEST(what.find("line 3") != std::string::npos, what);
    }
}

// Regression: a leading or trailing space of an O.PASSWORD override was stripped. A
// password is taken exactly as given; every other field is trimmed.
BOOST_AUTO_TEST_CASE(password_override_is_taken_exactly) {
    TempDir d;
    ProfileRequest req;
    req.config_path = d.write("a.ini", "[default]\nserver = h\n", 0600);
    req.overrides["password"] = "  pass word \t";
    req.overrides["user"] = "  u  ";
    const Profile p = load_profile(req);
    BOOST_TEST(p.password == "  pass word \t");
    BOOST_TEST(p.user == "u");
}

BOOST_AUTO_TEST_CASE(max_size_key) {
    TempDir d;
    ProfileRequest req;
    req.config_path = d.write("a.ini", "[default]\nmax_size = 25M   ; octets\n", 0600);
    BOOST_TEST(load_profile(req).max_size == 25u * 1024 * 1024);
    req.config_path = d.write("b.ini", "[default]\n", 0600);
    BOOST_TEST(load_profile(req).max_size == Profile::kDefaultMaxSize);
    const std::pair<const char*, std::uint64_t> ok[] = {{"2048", 2048}, {"1k", 1024}, {"3G", 3ull << 30}};
    for (const auto& [text, n] : ok) {
        req.overrides["max_size"] = text;
        BOOST_TEST(load_profile(req).max_size == n, text);
    }
    for (const char* bad : {"0", "100", "-5M", "1.5M", "M", "12T", "99999999999999"}) {
        req.overrides["max_size"] = bad;
        BOOST_TEST((code_of(req) == ErrorCode::BadOption), bad);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(test_config_comments)

// The README's example profiles carry "; comments" after values: they must not become part
// of the value (a server "smtp://x:587   ; smtp:// = STARTTLS" was BAD.OPTION, and
// "password = x ; note" a wrong password).
BOOST_AUTO_TEST_CASE(inline_comments_are_not_values) {
    TempDir d;
    ProfileRequest r;
    r.config_path = d.write("mvsmtp.ini",
                            "[default]\n"
                            "server        = smtp://smtp.office365.com:587   ; smtp:// = STARTTLS\n"
                            "user          = billing@example.com\n"
                            "password      = pa;ss#word ; the note\n"
                            "from          = Billing <billing@example.com>\t# tab then hash\n"
                            "timeout       = 60                              ; seconds\n",
                            0600);
    const Profile p = load_profile(r);
    BOOST_TEST(p.host == "smtp.office365.com");
    BOOST_TEST(p.port == 587);
    BOOST_TEST(p.password == "pa;ss#word");
    BOOST_TEST(p.from == "Billing <billing@example.com>");
    BOOST_TEST(p.timeouts.io_ms == 60000);
}

BOOST_AUTO_TEST_CASE(direct_delivery_keys) {
    TempDir d;
    ProfileRequest req;
    req.config_path = d.write("direct.ini", "[default]\ndelivery = direct\ndns_server = 127.0.0.1:5353, [::1]:53\n"
                                            "dns_timeout = 7\nmx_port = 2525\n", 0600);
    const Profile p = load_profile(req);
    BOOST_TEST((p.delivery == Delivery::Direct));
    BOOST_TEST(p.dns.servers == "127.0.0.1:5353, [::1]:53");
    BOOST_TEST(p.dns.timeout_ms == 7000);
    BOOST_TEST(p.mx_port == 2525);
    // Exchangers are reached with STARTTLS when offered: opportunistic unless tls is given.
    BOOST_TEST((p.tls == TlsMode::Opportunistic));
    req.overrides["tls"] = "required";
    BOOST_TEST((load_profile(req).tls == TlsMode::Required));
    req.overrides["tls"] = "implicit";
    BOOST_TEST((code_of(req) == ErrorCode::BadOption));
    req.overrides.clear();
    for (const char* bad : {"dns.example.com", "smtp://127.0.0.1", "127.0.0.1:99999", "127.0.0.1,,", ""}) {
        req.overrides["dns_server"] = bad;
        BOOST_TEST_CONTEXT(bad) { BOOST_TEST((bad[0] == 0 || code_of(req) == ErrorCode::BadOption)); }
    }
    req.overrides.clear();
    req.overrides["delivery"] = "carrier-pigeon";
    BOOST_TEST((code_of(req) == ErrorCode::BadOption));
    // Relay stays the default, and keeps tls = required.
    ProfileRequest relay;
    relay.overrides["server"] = "smtp://127.0.0.1:2525";
    BOOST_TEST((load_profile(relay).delivery == Delivery::Relay));
    BOOST_TEST((load_profile(relay).tls == TlsMode::Required));
}

BOOST_AUTO_TEST_SUITE_END()
