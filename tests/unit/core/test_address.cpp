// test_address.cpp — mailbox parsing, address validation, header rendering (address.hpp).
#include <boost/test/unit_test.hpp>

#include "support/error_code_of.hpp"

#include <functional>

#include "mvsmtp/address.hpp"
#include "mvsmtp/error.hpp"

using namespace mvsmtp;

namespace {

ErrorCode code_of(const std::function<void()>& f) { return testsupport::error_code_of(f); }

}  // namespace

BOOST_AUTO_TEST_SUITE(test_address)

BOOST_AUTO_TEST_CASE(parse_the_four_forms) {
    Mailbox m = parse_mailbox("a@b.com");
    BOOST_TEST(m.address == "a@b.com");
    BOOST_TEST(m.display_name == "");
    m = parse_mailbox("  <a@b.com> ");
    BOOST_TEST(m.address == "a@b.com");
    BOOST_TEST(m.display_name == "");
    m = parse_mailbox("Anne   Smith <anne@example.com>");
    BOOST_TEST(m.address == "anne@example.com");
    BOOST_TEST(m.display_name == "Anne Smith");
    m = parse_mailbox("\"Smith, Anne\" <anne@example.com>");
    BOOST_TEST(m.display_name == "Smith, Anne");
    m = parse_mailbox("\"Q \\\"quoted\\\" <x> \\\\ y\" <q@example.com>");
    BOOST_TEST(m.display_name == "Q \"quoted\" <x> \\ y");
    BOOST_TEST(m.address == "q@example.com");
    m = parse_mailbox("Zo\xC3\xAB <zoe@example.com>");
    BOOST_TEST(m.display_name == "Zo\xC3\xAB");
}

BOOST_AUTO_TEST_CASE(parse_lists) {
    const auto l =
        parse_mailbox_list("a@x.com; Bob <b@y.org>, \"Smith, Anne; CFO\" <c@z.net>,, ;  ");
    BOOST_REQUIRE_EQUAL(l.size(), 3u);
    BOOST_TEST(l[0].address == "a@x.com");
    BOOST_TEST(l[1].display_name == "Bob");
    BOOST_TEST(l[2].display_name == "Smith, Anne; CFO");
    BOOST_TEST(l[2].address == "c@z.net");
    BOOST_TEST(parse_mailbox_list("").empty());
    // An unquoted comma in a name is refused rather than silently split into two sends.
    BOOST_TEST(
        (code_of([] { parse_mailbox_list("Smith, Anne <a@x.com>"); }) == ErrorCode::BadAddress));
    BOOST_TEST(
        (code_of([] { parse_mailbox_list("\"unterminated <a@x.com>"); }) == ErrorCode::BadAddress));
}

BOOST_AUTO_TEST_CASE(valid_addresses) {
    const char* good[] = {
        "a@b",
        "first.last@example.com",
        "user+tag@sub.example.co.uk",
        "o'brien@example.ie",
        "\"john smith\"@example.com",
        "\"a@b\"@example.com",
        "x@[192.0.2.1]",
        "x@[IPv6:2001:db8::1]",
        "root@localhost",
        "jos\xC3\xA9@example.com",
        "\xE7\x94\xA8\xE6\x88\xB7@\xE4\xBE\x8B\xE5\xAD\x90.\xE5\xB9\xBF\xE5\x91\x8A",
    };
    for (const char* a : good) BOOST_TEST(is_valid_address(a), a);
}

BOOST_AUTO_TEST_CASE(invalid_addresses_are_refused_and_named) {
    const std::string bad[] = {
        "",
        "plain",
        "a@",
        "@b.com",
        "a@@b.com",
        "a..b@c.com",
        ".a@b.com",
        "a.@b.com",
        "a b@c.com",
        "a@b c.com",
        "a@-b.com",
        "a@b-.com",
        "a@b..com",
        "a@b.com.",
        "a\r\n@b.com",
        "a@b.com\r\nRCPT TO:<x@y.com>",
        std::string("a\0@b.com", 8),
        "<a@b.com>",
        "a>b@c.com",
        "a@[300.1.1.1]",
        "a@[1.2.3]",
        "a@[IPv6:zz::1]",
        "a@[x]",
        std::string(65, 'l') + "@b.com",
        "a@" + std::string(64, 'd') + ".com",
        "\xFF@b.com",
        "a@b_c.com",
        "a(b)@c.com",
        "\"unterminated@b.com",
        "a@" + std::string(250, 'd'),
    };
    for (const std::string& a : bad) {
        BOOST_TEST(!is_valid_address(a), a);
        try {
            validate_address(a);
            BOOST_ERROR("accepted bad address " << a);
        } catch (const Error& e) {
            BOOST_TEST((e.code() == ErrorCode::BadAddress));
            const std::string what = e.what();
            BOOST_TEST(what.find('\r') == std::string::npos);  // made visible, not raw
            BOOST_TEST(what.find('\n') == std::string::npos);
            if (a == "a..b@c.com") BOOST_TEST(what.find("a..b@c.com") != std::string::npos);
        }
    }
    BOOST_CHECK_THROW(parse_mailbox("Name a@b.com"), Error);  // no angle brackets
    BOOST_CHECK_THROW(parse_mailbox("Name <a@b.com"), Error);
    BOOST_CHECK_THROW(parse_mailbox("Name a@b.com>"), Error);
}

BOOST_AUTO_TEST_CASE(display_name_with_line_break_is_injection) {
    BOOST_TEST((code_of([] { parse_mailbox("Evil\r\nBcc: x@y.com <a@b.com>"); }) ==
                ErrorCode::HeaderInjection));
    BOOST_TEST((code_of([] { parse_mailbox(std::string("Evil\0 <a@b.com>", 15)); }) ==
                ErrorCode::HeaderInjection));
}

BOOST_AUTO_TEST_CASE(smtputf8_and_domain) {
    BOOST_TEST(!needs_smtputf8("a@b.com"));
    BOOST_TEST(needs_smtputf8("jos\xC3\xA9@example.com"));
    // An internationalised domain alone needs no SMTPUTF8: it is sent in A-labels (item 18).
    BOOST_TEST(!needs_smtputf8("a@b\xC3\xBC.de"));
    BOOST_TEST(needs_smtputf8("\xE7\x94\xA8\xE6\x88\xB7@\xE4\xBE\x8B\xE5\xAD\x90.\xE6\xB5\x8B\xE8\xAF\x95"));
    BOOST_TEST(address_domain("a@b.com") == "b.com");
    BOOST_TEST(address_domain("nodomain") == "");
}

BOOST_AUTO_TEST_CASE(idn_domains_become_a_labels) {
    // Regression (item 18): IDN domains went out as UTF-8 and demanded SMTPUTF8.
    BOOST_TEST(address_to_ascii_domain("user@b\xC3\xBC" "cher.example") == "user@xn--bcher-kva.example");
    BOOST_TEST(domain_to_ascii("B\xC3\x9C" "CHER.example") == "xn--bcher-kva.example");  // UTS #46 folds case
    BOOST_TEST(domain_to_ascii("stra\xC3\x9F" "e.de") == "xn--strae-oqa.de");         // non-transitional: ß stays
    BOOST_TEST(domain_to_ascii("b\x75\xCC\x88" "cher.example") == "xn--bcher-kva.example");  // NFC first
    // 用户@例子.测试: the domain converts, the local part still needs SMTPUTF8
    const std::string cn = "\xE7\x94\xA8\xE6\x88\xB7@\xE4\xBE\x8B\xE5\xAD\x90.\xE6\xB5\x8B\xE8\xAF\x95";
    BOOST_TEST(address_to_ascii_domain(cn) == "\xE7\x94\xA8\xE6\x88\xB7@xn--fsqu00a.xn--0zwm56d");
    BOOST_TEST(needs_smtputf8(cn));
    // ASCII and address literals are left alone
    BOOST_TEST(address_to_ascii_domain("a@Example.COM") == "a@Example.COM");
    BOOST_TEST(address_to_ascii_domain("x@[192.0.2.1]") == "x@[192.0.2.1]");
    BOOST_TEST(address_to_ascii_domain("\"a b\"@b\xC3\xBC" "cher.example") == "\"a b\"@xn--bcher-kva.example");
    BOOST_TEST((code_of([&] { address_to_ascii_domain("user@\xE2\x98\x83.example"); }) == ErrorCode::BadAddress));
    BOOST_TEST((code_of([&] { domain_to_ascii("\xE2\x98\x83.example"); }) == ErrorCode::BadAddress));
}

BOOST_AUTO_TEST_CASE(invalid_idn_is_a_bad_address) {
    // Regression (item 18): any UTF-8 label passed; now the domain must convert (IDNA 2008).
    // an invalid IDN is a bad address, named in the message
    for (const std::string bad : {"user@\xE2\x98\x83.example",      // ☃ is DISALLOWED in IDNA 2008
                                  "user@a\xE2\x80\x8D" "b.example",  // ZWJ outside its context
                                  "user@\xD9\xA3.example"}) {          // bidi rule
        BOOST_TEST(!is_valid_address(bad), bad);
        try {
            validate_address(bad);
            BOOST_ERROR("accepted " << bad);
        } catch (const Error& e) {
            BOOST_TEST((e.code() == ErrorCode::BadAddress));
            BOOST_TEST(std::string(e.what()).find(bad) != std::string::npos, e.what());
            BOOST_TEST(std::string(e.what()).find("IDNA 2008") != std::string::npos, e.what());
        }
    }
    // the size limit counts the A-label form: 30 labels "ü" are 89 octets, as A-labels 239
    std::string many;
    for (int i = 0; i < 30; ++i) many += std::string(i ? "." : "") + "\xC3\xBC";
    BOOST_TEST(is_valid_address("l@" + many));
    BOOST_TEST(!is_valid_address(std::string(20, 'l') + "@" + many));
}

BOOST_AUTO_TEST_CASE(smtp_path_keeps_quoted_local_parts) {
    // Regression (item 17): validation accepted "john smith"@x, rendering refused it.
    BOOST_TEST(is_valid_address("\"john smith\"@example.com"));
    BOOST_TEST(smtp_path("\"john smith\"@example.com") == "\"john smith\"@example.com");
    BOOST_TEST(smtp_path("\"a\\\" b\"@example.com") == "\"a\\\" b\"@example.com");
    BOOST_TEST(smtp_path("") == "");
    for (const std::string& bad : std::vector<std::string>{"a b@c", "\"a\" b@c", "\"a b\"@c d", "a@b\tc", "\"a\tb\"@c", "a>@b", "<a@b",
                                  std::string("a@b\0c", 5), "a@b\r\nRSET"})
        BOOST_TEST((code_of([&] { smtp_path(bad); }) == ErrorCode::BadAddress), bad);
}

BOOST_AUTO_TEST_CASE(header_rendering) {
    BOOST_TEST(format_mailbox_header({"", "a@b.com"}) == "a@b.com");
    BOOST_TEST(format_mailbox_header({"Anne Smith", "a@b.com"}) == "Anne Smith <a@b.com>");
    BOOST_TEST(format_mailbox_header({"Smith, Anne", "a@b.com"}) == "\"Smith, Anne\" <a@b.com>");
    BOOST_TEST(format_mailbox_header({"John Q. Public", "a@b.com"}) ==
               "\"John Q. Public\" <a@b.com>");
    BOOST_TEST(format_mailbox_header({"A \"B\" \\C", "a@b.com"}) ==
               "\"A \\\"B\\\" \\\\C\" <a@b.com>");
    BOOST_TEST(format_mailbox_header({"Two  spaces", "a@b.com"}) == "\"Two  spaces\" <a@b.com>");
    // Non-ASCII: encoded words, never inside quotes (RFC 2047 §5(3)); the quote characters
    // of the name are encoded, not escaped.
    const std::string zoe = format_mailbox_header({"Zo\xC3\xAB \"Q\" Smith", "zoe@example.com"});
    BOOST_TEST((zoe.compare(0, 10, "=?UTF-8?B?") == 0 || zoe.compare(0, 10, "=?UTF-8?Q?") == 0));
    BOOST_TEST(zoe.find('"') == std::string::npos);
    BOOST_TEST(zoe.size() > 18u);
    BOOST_TEST(zoe.substr(zoe.size() - 18) == " <zoe@example.com>");
    BOOST_TEST(format_mailbox_header({"Caf\xC3\xA9 Bar Inc", "a@b.com"}) ==
               "=?UTF-8?Q?Caf=C3=A9_Bar_Inc?= <a@b.com>");
    // A name that looks like an encoded word is encoded, so no reader decodes it.
    BOOST_TEST(format_mailbox_header({"=?x?q?y?=", "a@b.com"}).compare(0, 8, "=?UTF-8?") == 0);
    BOOST_TEST(format_mailbox_list_header({{"", "a@b.com"}, {"Bob", "b@c.org"}}) ==
               "a@b.com, Bob <b@c.org>");
}

BOOST_AUTO_TEST_SUITE_END()
