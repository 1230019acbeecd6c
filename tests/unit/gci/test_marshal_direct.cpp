// Direct delivery and SMTP.VERIFY in the layouts: the O.DELIVERY/DNS/MX options become
// profile keys, RESULT carries each recipient's class, exchanger and catch-all, and
// SMTP.VERIFY's ADDRESSES are read as M.TO is.
#include <boost/test/unit_test.hpp>

#include "dynarray.hpp"
#include "layout.hpp"
#include "marshal.hpp"
#include "mvsmtp/config.hpp"
#include "mvsmtp/error.hpp"
#include "support/error_code_of.hpp"

using namespace mvsmtp;
using namespace mvsmtp::gci;
namespace O = field::Options;
namespace R = field::Result;

BOOST_AUTO_TEST_SUITE(test_marshal_direct)

BOOST_AUTO_TEST_CASE(direct_options_become_profile_keys) {
    DynArrayBuilder o;
    o.set(O::DELIVERY, " DIRECT ");
    o.set(O::DNS_SERVER, "127.0.0.1:5353");
    o.set(O::DNS_TIMEOUT, "7");
    o.set(O::MX_PORT, "2526");
    const ProfileRequest req = options_request(o.str());
    BOOST_TEST(req.overrides.at("delivery") == "DIRECT");
    BOOST_TEST(req.overrides.at("dns_server") == "127.0.0.1:5353");
    BOOST_TEST(req.overrides.at("dns_timeout") == "7");
    BOOST_TEST(req.overrides.at("mx_port") == "2526");
    // The loaded profile: delivery=direct, the resolver and port as given.
    const Profile p = load_profile(req);
    BOOST_TEST((p.delivery == Delivery::Direct));
    BOOST_TEST(p.dns.servers == "127.0.0.1:5353");
    BOOST_TEST(p.dns.timeout_ms == 7000);
    BOOST_TEST(p.mx_port == 2526);
}

BOOST_AUTO_TEST_CASE(a_bad_delivery_value_is_bad_option) {
    DynArrayBuilder o;
    o.set(O::DELIVERY, "carrier-pigeon");
    const ErrorCode code = testsupport::error_code_of([&] { load_profile(options_request(o.str())); });
    BOOST_TEST((code == ErrorCode::BadOption));
}

BOOST_AUTO_TEST_CASE(result_carries_class_exchanger_and_catch_all) {
    DeliveryReport r;
    r.status = DeliveryStatus::Partial;
    r.error = ErrorCode::RecipientRejected;
    RecipientResult ok{"alice@strict.example.test", true, ErrorCode::Ok, parse_reply("250 2.1.5 Ok\r\n")};
    ok.outcome = 6;
    ok.exchanger = "mx-strict.example.test [127.0.0.7]";
    ok.catch_all = 0;
    RecipientResult bad{"x@example.test", false, ErrorCode::RecipientRejected, parse_reply("550 5.1.1 no\r\n")};
    bad.outcome = 5;
    bad.exchanger = "mx1.example.test [127.0.0.2]";
    bad.catch_all = 1;
    // No server spoke: reply code 0, the reason in the reply's lines.
    RecipientResult dns{"a@dnsdown.example.test", false, ErrorCode::DnsUnavailable, Reply{}};
    dns.reply.lines = {"SERVFAIL for MX dnsdown.example.test"};
    dns.outcome = 1;
    r.recipients = {ok, bad, dns};
    const std::string s = encode_result(r);
    BOOST_TEST(extract(s, R::RCPT_CLASS, 1) == "6");
    BOOST_TEST(extract(s, R::RCPT_CLASS, 2) == "5");
    BOOST_TEST(extract(s, R::RCPT_CLASS, 3) == "1");
    BOOST_TEST(extract(s, R::RCPT_EXCHANGER, 1) == "mx-strict.example.test [127.0.0.7]");
    BOOST_TEST(extract(s, R::RCPT_EXCHANGER, 3) == "");
    BOOST_TEST(extract(s, R::RCPT_CATCHALL, 1) == "0");
    BOOST_TEST(extract(s, R::RCPT_CATCHALL, 2) == "1");
    BOOST_TEST(extract(s, R::RCPT_CATCHALL, 3) == "");
    BOOST_TEST(values(s, R::RCPT_CLASS).size() == 3u);
    BOOST_TEST(extract(s, R::RCPT_CODE, 3) == "");  // never "0"
    BOOST_TEST(extract(s, R::RCPT_TEXT, 3) == "SERVFAIL for MX dnsdown.example.test");
    BOOST_TEST(extract(s, R::RCPT_STATUS, 3) == "21");
    BOOST_TEST(extract(s, R::TRANSIENT) == "0");  // follows R.ERROR (32)
}

BOOST_AUTO_TEST_CASE(transient_follows_the_error_code) {
    DeliveryReport r;
    r.status = DeliveryStatus::Failed;
    r.error = ErrorCode::ExchangersUnreachable;
    RecipientResult x{"a@unreachable.example.test", false, ErrorCode::ExchangersUnreachable, Reply{}};
    x.outcome = 2;
    r.recipients = {x};
    const std::string s = encode_result(r);
    BOOST_TEST(extract(s, R::ERROR) == "22");
    BOOST_TEST(extract(s, R::TRANSIENT) == "1");
    BOOST_TEST(extract(s, R::RCPT_CLASS) == "2");
    r.error = ErrorCode::NoMailServer;
    BOOST_TEST(extract(encode_result(r), R::TRANSIENT) == "0");
}

BOOST_AUTO_TEST_CASE(relay_results_leave_the_class_fields_empty) {
    DeliveryReport r;
    r.status = DeliveryStatus::Sent;
    r.recipients.push_back({"ok@example.test", true, ErrorCode::Ok, parse_reply("250 2.1.5 Ok\r\n")});
    const std::string s = encode_result(r);
    BOOST_TEST(extract(s, R::RCPT_CLASS).empty());
    BOOST_TEST(extract(s, R::RCPT_EXCHANGER).empty());
    BOOST_TEST(extract(s, R::RCPT_CATCHALL).empty());
    BOOST_TEST(split(s, kAttributeMark).size() <= static_cast<std::size_t>(R::CAPABILITIES));
}

BOOST_AUTO_TEST_CASE(verify_addresses_read_as_m_to) {
    const std::string list = std::string("a@example.test") + kAttributeMark + "b@example.test" + kValueMark +
                             "Carol <c@example.test>; d@example.test, e@example.test" + kAttributeMark + " " +
                             kAttributeMark + "f@example.test";
    const auto a = decode_addresses(list, InputCharset::Utf8);
    BOOST_TEST(a == (std::vector<std::string>{"a@example.test", "b@example.test", "c@example.test",
                                              "d@example.test", "e@example.test", "f@example.test"}),
               boost::test_tools::per_element());
    const ErrorCode bad = testsupport::error_code_of(
        [] { decode_addresses(std::string("ok@example.test") + kAttributeMark + "not an address", InputCharset::Utf8); });
    BOOST_TEST((bad == ErrorCode::BadAddress));
    const ErrorCode sub = testsupport::error_code_of(
        [] { decode_addresses(std::string("a@example.test") + kSubvalueMark + "b@example.test", InputCharset::Utf8); });
    BOOST_TEST((sub == ErrorCode::BadArgument));
}

BOOST_AUTO_TEST_SUITE_END()
