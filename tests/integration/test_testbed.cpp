// Guards the loopback test rig itself (tests/testbed/rig.sh), independently of mvsmtp:
// the peer here is Python's smtplib, so a failure points at the rig, not at the product.
#include <boost/test/unit_test.hpp>

#include "support/testbed.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace {

// One smtplib session per mode; prints a JSON object. local_hostname is always given:
// smtplib's default HELO name comes from socket.getfqdn(), i.e. a DNS lookup.
const char* const kSmtpProbe = R"PY(
import json, smtplib, ssl, sys
from email.message import EmailMessage

mode, ca = sys.argv[1], sys.argv[2]
token = sys.argv[3] if len(sys.argv) > 3 else ""
tls = ssl.create_default_context(cafile=ca)
out = {}

def message(to):
    m = EmailMessage()
    m["From"] = "Test User <testuser@example.test>"
    m["To"] = to
    m["Subject"] = "rig self-test " + token
    m["Message-ID"] = "<%s@example.test>" % token
    m.set_content("marker %s\nsecond line\n" % token)
    return m

if mode == "ehlo-2525":
    s = smtplib.SMTP("127.0.0.1", 2525, local_hostname="client.example.test", timeout=10)
    s.ehlo()
    out["starttls_before_tls"] = s.has_extn("starttls")
    out["auth_before_tls"] = s.has_extn("auth")
    s.starttls(context=tls)
    s.ehlo()
    out["auth_after_tls"] = s.esmtp_features.get("auth", "").split()
    s.quit()
elif mode == "ehlo-2526":
    s = smtplib.SMTP("127.0.0.1", 2526, local_hostname="client.example.test", timeout=10)
    s.ehlo()
    out["starttls"] = s.has_extn("starttls")
    out["auth"] = s.esmtp_features.get("auth", "").split()
    s.quit()
elif mode == "send-2525":
    s = smtplib.SMTP("127.0.0.1", 2525, local_hostname="client.example.test", timeout=30)
    s.starttls(context=tls)
    s.login("testuser@example.test", "testpass")
    out["refused"] = s.send_message(message("testuser@example.test"))
    s.quit()
elif mode == "rcpt-2525":
    s = smtplib.SMTP("127.0.0.1", 2525, local_hostname="client.example.test", timeout=10)
    s.starttls(context=tls)
    s.login("testuser@example.test", "testpass")
    s.mail("testuser@example.test")
    for rcpt in ("reject@example.test", "tempfail@example.test", "bob@example.test"):
        code, text = s.rcpt(rcpt)
        out[rcpt] = {"code": code, "text": text.decode("utf-8", "replace")}
    s.rset()
    s.quit()
elif mode == "send-8465":
    s = smtplib.SMTP_SSL("127.0.0.1", 8465, local_hostname="client.example.test",
                         context=tls, timeout=30)
    s.login("testuser@example.test", "testpass")
    out["refused"] = s.send_message(message("alice@example.test"))
    s.quit()
else:
    sys.exit("unknown mode " + mode)
print(json.dumps(out))
)PY";

// One cleartext session with a rig mail exchanger (HOST:25): EHLO, MAIL FROM, and when MAIL
// is accepted an RCPT TO per further argument, then RSET and QUIT. Prints
// {"mail": {"code", "text"}, "rcpt": {address: {"code", "text"}}}.
const char* const kMxProbe = R"PY(
import json, smtplib, sys

host, rcpts = sys.argv[1], sys.argv[2:]
reply = lambda r: {"code": r[0], "text": r[1].decode("utf-8", "replace")}
s = smtplib.SMTP(host, 25, local_hostname="client.example.test", timeout=10)
s.ehlo()
out = {"mail": reply(s.mail("testuser@example.test")), "rcpt": {}}
if out["mail"]["code"] == 250:
    for rcpt in rcpts:
        out["rcpt"][rcpt] = reply(s.rcpt(rcpt))
    s.rset()
s.quit()
print(json.dumps(out))
)PY";

Poco::JSON::Object::Ptr mx_probe(const std::string& host, const std::vector<std::string>& rcpts = {}) {
    std::vector<std::string> argv = {testbed::python(), "-c", kMxProbe, host};
    argv.insert(argv.end(), rcpts.begin(), rcpts.end());
    const auto r = testbed::run(argv);
    BOOST_TEST_INFO("mx probe " << host << " stderr: " << r.err);
    BOOST_REQUIRE_EQUAL(r.status, 0);
    return testbed::parse_json_object(r.out);
}

Poco::JSON::Object::Ptr smtp_probe(const std::string& mode, const std::string& token = "") {
    const auto r = testbed::run({testbed::python(), "-c", kSmtpProbe, mode, testbed::ca_file(), token});
    BOOST_TEST_INFO("smtp probe " << mode << " stderr: " << r.err);
    BOOST_REQUIRE_EQUAL(r.status, 0);
    return testbed::parse_json_object(r.out);
}

bool array_contains(const Poco::JSON::Array::Ptr& a, const std::string& value) {
    for (std::size_t i = 0; a && i < a->size(); ++i)
        if (a->getElement<std::string>(static_cast<unsigned>(i)) == value) return true;
    return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_testbed)

BOOST_AUTO_TEST_CASE(every_listener_is_up) {
    const std::vector<std::pair<std::string, int>> listeners = {
        {"127.0.0.1", 2525}, {"127.0.0.1", 2465}, {"127.0.0.1", 2526}, {"127.0.0.2", 25},
        {"127.0.0.3", 25},   {"127.0.0.1", 2500}, {"127.0.0.1", 8025}, {"127.0.0.1", 8465},
        {"127.0.0.1", 5353}, {"127.0.0.5", 25},   {"127.0.0.6", 25},   {"127.0.0.7", 25},
        {"127.0.0.9", 25},   {"127.0.0.1", 5355}, {"127.0.0.1", 5356}};
    for (const auto& [host, port] : listeners)
        BOOST_CHECK_MESSAGE(testbed::port_open(host, port),
                            host << ":" << port << " is not listening -- run tests/testbed/rig.sh start");
    BOOST_CHECK_MESSAGE(std::filesystem::exists(testbed::ca_file()), "missing " << testbed::ca_file());
    BOOST_CHECK_MESSAGE(std::filesystem::exists(testbed::script("inspect_message.py")),
                        "MVSMTP_SOURCE_DIR wrong? " << testbed::source_dir());
}

BOOST_AUTO_TEST_CASE(auth_only_after_starttls_on_2525) {
    const auto r = smtp_probe("ehlo-2525");
    BOOST_CHECK(r->getValue<bool>("starttls_before_tls"));
    BOOST_CHECK(!r->getValue<bool>("auth_before_tls"));
    const auto mechs = r->getArray("auth_after_tls");
    for (const char* m : {"PLAIN", "LOGIN", "CRAM-MD5"})
        BOOST_CHECK_MESSAGE(array_contains(mechs, m), m << " not offered after STARTTLS");
}

BOOST_AUTO_TEST_CASE(cleartext_2526_offers_auth_without_starttls) {
    const auto r = smtp_probe("ehlo-2526");
    BOOST_CHECK(!r->getValue<bool>("starttls"));
    BOOST_CHECK(array_contains(r->getArray("auth"), "PLAIN"));
}

BOOST_AUTO_TEST_CASE(starttls_auth_send_lands_in_maildir) {
    const std::string token = testbed::unique_token("rig-2525");
    const auto r = smtp_probe("send-2525", token);
    BOOST_CHECK_EQUAL(r->getObject("refused")->size(), 0u);

    const std::string path = testbed::wait_for_message("testuser@example.test", token);
    BOOST_REQUIRE_MESSAGE(!path.empty(), "no message with " << token << " in "
                                                            << testbed::maildir_new("testuser@example.test"));
    const auto msg = testbed::inspect(path);
    BOOST_CHECK_EQUAL(msg->getValue<std::string>("subject"), "rig self-test " + token);
    BOOST_CHECK_EQUAL(msg->getObject("from")->getValue<std::string>("address"), "testuser@example.test");
    BOOST_CHECK_EQUAL(msg->getObject("from")->getValue<std::string>("display_name"), "Test User");
    BOOST_CHECK_EQUAL(msg->getArray("to")->getObject(0)->getValue<std::string>("address"),
                      "testuser@example.test");
    BOOST_CHECK_EQUAL(msg->getValue<std::string>("message_id"), "<" + token + "@example.test>");
    BOOST_CHECK(!msg->getValue<bool>("has_bcc_header"));
    BOOST_CHECK_EQUAL(msg->getArray("defects")->size(), 0u);
    const auto parts = msg->getArray("parts");
    BOOST_REQUIRE_EQUAL(parts->size(), 1u);
    BOOST_CHECK_EQUAL(parts->getObject(0)->getValue<std::string>("content_type"), "text/plain");
    BOOST_CHECK_EQUAL(parts->getObject(0)->getValue<std::string>("text"),
                      "marker " + token + "\nsecond line\n");
    // Postfix puts its own trace headers on top; the raw header dict has them by lower-case name
    BOOST_CHECK(msg->getObject("raw_headers")->has("received"));
}

BOOST_AUTO_TEST_CASE(scripted_rcpt_answers_after_auth_on_2525) {
    const auto r = smtp_probe("rcpt-2525");
    const auto reject = r->getObject("reject@example.test");
    BOOST_CHECK_EQUAL(reject->getValue<int>("code"), 550);
    BOOST_CHECK_EQUAL(reject->getValue<std::string>("text"),
                      "5.1.1 <reject@example.test>: Recipient address rejected: no such user (test rig)");
    const auto tempfail = r->getObject("tempfail@example.test");
    BOOST_CHECK_EQUAL(tempfail->getValue<int>("code"), 450);
    BOOST_CHECK(tempfail->getValue<std::string>("text").rfind("4.2.1 ", 0) == 0);
    BOOST_CHECK_EQUAL(r->getObject("bob@example.test")->getValue<int>("code"), 250);
}

BOOST_AUTO_TEST_CASE(capture_server_keeps_crlf) {
    const std::string token = testbed::unique_token("rig-8465");
    const auto r = smtp_probe("send-8465", token);
    BOOST_CHECK_EQUAL(r->getObject("refused")->size(), 0u);
    const std::string path = testbed::wait_for_message("aiosmtpd", token);
    BOOST_REQUIRE_MESSAGE(!path.empty(), "no message with " << token << " in the aiosmtpd maildir");
    const auto msg = testbed::inspect(path);
    BOOST_CHECK(!msg->getValue<bool>("bare_lf"));
    BOOST_CHECK(!msg->getValue<bool>("bare_cr"));
    BOOST_CHECK_EQUAL(msg->getValue<std::string>("subject"), "rig self-test " + token);
    const auto raw = msg->getObject("raw_headers");
    BOOST_REQUIRE(raw->has("x-capture-auth"));
    BOOST_CHECK_EQUAL(raw->getArray("x-capture-auth")->getElement<std::string>(0),
                      "X-Capture-Auth: PLAIN testuser@example.test");
    BOOST_CHECK_EQUAL(raw->getArray("x-capture-rcpt-to")->getElement<std::string>(0),
                      "X-Capture-Rcpt-To: <alice@example.test>");
}

// The exchangers of direct (MX) delivery; tests/testbed/check_dns.py checks the DNS that
// points at them (ctest integration.testbed_dns).
BOOST_AUTO_TEST_CASE(mx_refuse_127_0_0_4_refuses_connections) {
    Poco::Net::StreamSocket s;
    BOOST_CHECK_THROW(s.connect(Poco::Net::SocketAddress("127.0.0.4", 25), Poco::Timespan(2, 0)),
                      Poco::Net::ConnectionRefusedException);
}

BOOST_AUTO_TEST_CASE(mx_defer_127_0_0_5_answers_mail_with_450) {
    const auto mail = mx_probe("127.0.0.5")->getObject("mail");
    BOOST_CHECK_EQUAL(mail->getValue<int>("code"), 450);
    BOOST_CHECK_EQUAL(mail->getValue<std::string>("text"),
                      "4.3.2 <testuser@example.test>: Sender address rejected: Try again later");
}

BOOST_AUTO_TEST_CASE(mx_nosender_127_0_0_6_answers_mail_with_554) {
    const auto mail = mx_probe("127.0.0.6")->getObject("mail");
    BOOST_CHECK_EQUAL(mail->getValue<int>("code"), 554);
    BOOST_CHECK_EQUAL(mail->getValue<std::string>("text"),
                      "5.7.1 <testuser@example.test>: Sender address rejected: Access denied");
}

BOOST_AUTO_TEST_CASE(mx_strict_127_0_0_7_knows_its_users) {
    const auto r = mx_probe("127.0.0.7", {"alice@strict.example.test", "bob@strict.example.test",
                                          "nobody@strict.example.test"});
    BOOST_REQUIRE_EQUAL(r->getObject("mail")->getValue<int>("code"), 250);
    const auto rcpt = r->getObject("rcpt");
    BOOST_CHECK_EQUAL(rcpt->getObject("alice@strict.example.test")->getValue<int>("code"), 250);
    BOOST_CHECK_EQUAL(rcpt->getObject("bob@strict.example.test")->getValue<int>("code"), 250);
    const auto nobody = rcpt->getObject("nobody@strict.example.test");
    BOOST_CHECK_EQUAL(nobody->getValue<int>("code"), 550);
    BOOST_CHECK_EQUAL(nobody->getValue<std::string>("text"),
                      "5.1.1 <nobody@strict.example.test>: Recipient address rejected: User unknown (test rig)");
}

BOOST_AUTO_TEST_CASE(mx_silent_127_0_0_9_accepts_and_never_greets) {
    Poco::Net::StreamSocket s;
    s.connect(Poco::Net::SocketAddress("127.0.0.9", 25), Poco::Timespan(2, 0));
    BOOST_CHECK_MESSAGE(!s.poll(Poco::Timespan(1, 0), Poco::Net::Socket::SELECT_READ),
                        "127.0.0.9:25 sent something (or closed) within 1 s");
}

BOOST_AUTO_TEST_SUITE_END()
