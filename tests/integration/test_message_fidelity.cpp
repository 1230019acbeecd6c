// What arrives is what was meant: every delivered message is parsed by an independent MIME
// parser (Python's email package) and compared field by field and byte by byte.
#include <boost/test/unit_test.hpp>

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/SHA2Engine.h>

#include <fstream>
#include <random>

#include "sendmail_fixture.hpp"

using namespace sendmail_test;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

std::string sha256_hex(const std::string& bytes) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(bytes);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

// A 20 MB binary file with every byte value, written once per process.
const std::string& big_binary(std::string* sha = nullptr) {
    static std::string path, digest;
    if (path.empty()) {
        path = testbed::dir() + "/big-" + std::to_string(getpid()) + ".bin";
        std::mt19937 rng(20261123);
        std::string data(20u * 1024 * 1024, '\0');
        for (auto& c : data) c = static_cast<char>(rng() & 0xff);
        std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
        digest = sha256_hex(data);
    }
    if (sha) *sha = digest;
    return path;
}

Object::Ptr part_named(const Object::Ptr& msg, const std::string& filename) {
    Array::Ptr parts = msg->getArray("parts");
    for (std::size_t i = 0; i < parts->size(); ++i) {
        Object::Ptr p = parts->getObject(static_cast<unsigned>(i));
        if (!p->isNull("filename") && p->getValue<std::string>("filename") == filename) return p;
    }
    return nullptr;
}

Object::Ptr part_typed(const Object::Ptr& msg, const std::string& type) {
    Array::Ptr parts = msg->getArray("parts");
    for (std::size_t i = 0; i < parts->size(); ++i) {
        Object::Ptr p = parts->getObject(static_cast<unsigned>(i));
        if (p->getValue<std::string>("content_type") == type && p->isNull("filename")) return p;
    }
    return nullptr;
}

const std::string kSubject = "Rechnung für Zoë — 請求書 2026 ✓ with a subject long enough to need several encoded words";
const std::string kDisplay = "Zoë \"Q\" Smith, Accounts";
const std::string kLongLine(5000, 'x');

std::string body_text() {
    // Lines starting with '.' (one is a lone dot, which would end DATA if not stuffed),
    // a 5000-octet line, non-ASCII text and trailing spaces that must survive.
    return std::string("Dear customer,") + '\x1E' + ".hidden line starts with a dot" + '\x1E' + "." + '\x1E' +
           "..two dots" + '\x1E' + kLongLine + '\x1E' + "Grüße — ünïcödé  " + '\x1E' + "end";
}

std::string expected_body_text() {
    return "Dear customer,\n.hidden line starts with a dot\n.\n..two dots\n" + kLongLine +
           "\nGrüße — ünïcödé  \nend";
}

std::string rich_message(const std::string& token, const std::vector<std::string>& to) {
    DynArrayBuilder m;
    m.set(M::FROM, "\"" + std::string("Zoë \\\"Q\\\" Smith, Accounts") + "\" <sender@example.test>");
    m.set(M::TO, to);
    m.set(M::BCC, "bob@example.test");
    m.set(M::SUBJECT, kSubject + " " + token);
    m.set(M::HTML, std::vector<std::string>{"<html><body>", "<p>Grüße</p>", "</body></html>"});
    m.set(M::ATTACH_PATH, big_binary());
    m.set(M::ATTACH_NAME, "Übersicht März.bin");
    m.set(M::DATA_NAME, std::vector<std::string>{"report.csv"});
    m.set(M::DATA_CONTENT, std::string("id,name") + '\x1C' + "1,Zoë" + '\x1C' + ".2,dot");
    m.set(M::HEADER_NAME, "X-Invoice");
    m.set(M::HEADER_VALUE, "INV-1042");
    return m.str();
}

void check_rich(const Object::Ptr& msg, const std::string& token) {
    BOOST_TEST(msg->getValue<std::string>("subject") == kSubject + " " + token);
    Object::Ptr from = msg->getObject("from");
    BOOST_TEST(from->getValue<std::string>("display_name") == kDisplay);
    BOOST_TEST(from->getValue<std::string>("address") == "sender@example.test");
    BOOST_TEST(!msg->getValue<bool>("has_bcc_header"));
    BOOST_TEST(msg->getValue<std::string>("mime_version") == "1.0");
    BOOST_TEST(msg->getValue<int>("max_line_octets") <= 998);
    // The one tolerated defect: the legacy name="=?UTF-8?...?=" on an attachment's
    // Content-Type, written beside the standard RFC 2231 filename*= because Outlook reads
    // only the former (Thunderbird does the same). Anything else is a real defect.
    Array::Ptr defects = msg->getArray("defects");
    for (std::size_t i = 0; i < defects->size(); ++i) {
        const std::string d = defects->getElement<std::string>(static_cast<unsigned>(i));
        const bool legacy_name = d.find("header Content-Type:") != std::string::npos &&
                                 (d.find("encoded word inside quoted string") != std::string::npos ||
                                  d.find("missing trailing whitespace after encoded-word") != std::string::npos);
        BOOST_TEST(legacy_name, "MIME defect: " << d);
    }

    Object::Ptr text = part_typed(msg, "text/plain");
    BOOST_REQUIRE(text);
    BOOST_TEST(text->getValue<std::string>("charset") == "utf-8");
    std::string got = text->getValue<std::string>("text");
    while (!got.empty() && (got.back() == '\n')) got.pop_back();
    BOOST_TEST(got == expected_body_text());
    Object::Ptr html = part_typed(msg, "text/html");
    BOOST_REQUIRE(html);
    BOOST_TEST(html->getValue<std::string>("text").find("<p>Grüße</p>") != std::string::npos);

    std::string sha;
    big_binary(&sha);
    Object::Ptr big = part_named(msg, "Übersicht März.bin");
    BOOST_REQUIRE_MESSAGE(big, "20 MB attachment with RFC 2231 name not found");
    BOOST_TEST(big->getValue<std::string>("sha256") == sha);
    BOOST_TEST(big->getValue<long>("size") == 20L * 1024 * 1024);
    Object::Ptr csv = part_named(msg, "report.csv");
    BOOST_REQUIRE(csv);
    BOOST_TEST(csv->getValue<std::string>("sha256") == sha256_hex("id,name\r\n1,Zoë\r\n.2,dot"));

    bool has_x_invoice = false;
    Array::Ptr headers = msg->getArray("headers");
    for (std::size_t i = 0; i < headers->size(); ++i) {
        Array::Ptr h = headers->getArray(static_cast<unsigned>(i));
        if (h->getElement<std::string>(0) == "X-Invoice" && h->getElement<std::string>(1) == "INV-1042")
            has_x_invoice = true;
    }
    BOOST_TEST(has_x_invoice);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_message_fidelity)

BOOST_AUTO_TEST_CASE(rich_message_through_postfix) {
    const std::string token = testbed::unique_token("rich");
    const std::string result = mvsmtp_library().sendmail(rich_message(token, {"Alice Ärger <alice@example.test>"}), body_text(),
                                              options({"smtp://127.0.0.1:2525", "required"}));
    BOOST_TEST_REQUIRE(field(result, R::STATUS) == "0", field(result, R::MESSAGE));
    BOOST_TEST(std::stoul(field(result, R::SIZE)) > 27u * 1000 * 1000);  // base64 of 20 MiB
    const std::string path = testbed::wait_for_message("alice@example.test", token, 30000);
    BOOST_REQUIRE(!path.empty());
    const auto msg = testbed::inspect(path);
    check_rich(msg, token);
    Object::Ptr to = msg->getArray("to")->getObject(0);
    BOOST_TEST(to->getValue<std::string>("display_name") == "Alice Ärger");
    // The Bcc recipient got the message, and it does not show the Bcc either.
    const std::string bcc_copy = testbed::wait_for_message("bob@example.test", token, 30000);
    BOOST_REQUIRE(!bcc_copy.empty());
    BOOST_TEST(!testbed::inspect(bcc_copy)->getValue<bool>("has_bcc_header"));
}

BOOST_AUTO_TEST_CASE(wire_bytes_captured_exactly) {
    // aiosmtpd keeps the bytes exactly as sent: every line ending must be CRLF. Its AUTH
    // LOGIN prompts are "User Name\0"/"Password\0", on which Poco 1.11 silently fails.
    const std::string token = testbed::unique_token("wire");
    Server s{"smtp://127.0.0.1:8025", "required", kUser, "testpass", "LOGIN"};
    const std::string result = mvsmtp_library().sendmail(rich_message(token, {"capture@example.test"}), body_text(), options(s));
    BOOST_TEST_REQUIRE(field(result, R::STATUS) == "0", field(result, R::MESSAGE));
    const std::string path = testbed::wait_for_message("aiosmtpd", token, 30000);
    BOOST_REQUIRE(!path.empty());
    const auto msg = testbed::inspect(path);
    check_rich(msg, token);
    BOOST_TEST(!msg->getValue<bool>("bare_lf"));
    BOOST_TEST(!msg->getValue<bool>("bare_cr"));
}

BOOST_AUTO_TEST_SUITE_END()
