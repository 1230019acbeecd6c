// MESSAGE/OPTIONS → core types and DeliveryReport → RESULT, field by field.
#include <boost/test/unit_test.hpp>

#include "dynarray.hpp"
#include "layout.hpp"
#include "marshal.hpp"
#include "mvsmtp/error.hpp"
#include "support/error_code_of.hpp"

using namespace mvsmtp;
using namespace mvsmtp::gci;
namespace M = field::Message;
namespace O = field::Options;
namespace R = field::Result;

namespace {
ErrorCode decode_error(const std::string& message, const std::string& body = "") {
    return testsupport::error_code_of([&] { decode_message(message, body, InputCharset::Utf8); });
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_marshal)

BOOST_AUTO_TEST_CASE(decodes_addresses_subject_and_body_marks) {
    DynArrayBuilder m;
    m.set(M::FROM, "Billing <billing@example.test>");
    m.set(M::TO, std::vector<std::string>{"a@example.test", "Bob <b@example.test>, c@example.test"});
    m.set(M::BCC, "hidden@example.test");
    m.set(M::SUBJECT, "Statement");
    const std::string body = std::string("line1") + kAttributeMark + "line2" + kValueMark + "line3";
    const Message msg = decode_message(m.str(), body, InputCharset::Utf8);
    BOOST_TEST(msg.from.display_name == "Billing");
    BOOST_TEST(msg.from.address == "billing@example.test");
    BOOST_REQUIRE(msg.to.size() == 3u);
    BOOST_TEST(msg.to[1].display_name == "Bob");
    BOOST_TEST(msg.to[2].address == "c@example.test");
    BOOST_TEST(msg.bcc.size() == 1u);
    BOOST_TEST(msg.subject == "Statement");
    BOOST_TEST(msg.text == "line1\nline2\nline3");
    BOOST_TEST(msg.html.empty());
}

BOOST_AUTO_TEST_CASE(html_body_type_and_html_field) {
    DynArrayBuilder m;
    m.set(M::TO, "a@example.test");
    m.set(M::BODY_TYPE, "html");
    Message msg = decode_message(m.str(), "<p>x</p>", InputCharset::Utf8);
    BOOST_TEST(msg.html == "<p>x</p>");
    BOOST_TEST(msg.text.empty());
    DynArrayBuilder m2;
    m2.set(M::TO, "a@example.test");
    m2.set(M::HTML, std::vector<std::string>{"<p>a</p>", "<p>b</p>"});
    msg = decode_message(m2.str(), "text", InputCharset::Utf8);
    BOOST_TEST(msg.html == "<p>a</p>\n<p>b</p>");
    BOOST_TEST(msg.text == "text");
}

BOOST_AUTO_TEST_CASE(attachments_from_paths_and_data) {
    DynArrayBuilder m;
    m.set(M::TO, "a@example.test");
    m.set(M::ATTACH_PATH, std::vector<std::string>{"/tmp/a.pdf", "/tmp/b.csv"});
    m.set(M::ATTACH_NAME, std::vector<std::string>{"", "Report.csv"});
    m.set(M::DATA_NAME, std::vector<std::string>{"notes.txt", "bin.dat"});
    m.set(M::DATA_CONTENT, 1, std::string("l1") + kSubvalueMark + "l2");
    m.set(M::DATA_CONTENT, 2, "AAEC/w==");
    m.set(M::DATA_ENCODING, 2, "BASE64");
    const Message msg = decode_message(m.str(), "", InputCharset::Utf8);
    BOOST_REQUIRE(msg.attachments.size() == 4u);
    BOOST_TEST(msg.attachments[0].path == "/tmp/a.pdf");
    BOOST_TEST(msg.attachments[1].filename == "Report.csv");
    BOOST_TEST(msg.attachments[2].data == "l1\r\nl2");
    BOOST_TEST(msg.attachments[3].data == std::string("\x00\x01\x02\xff", 4));
}

BOOST_AUTO_TEST_CASE(cp1252_input_is_converted) {
    DynArrayBuilder m;
    m.set(M::TO, "a@example.test");
    m.set(M::SUBJECT, "Caf\xe9 \x80");
    const Message msg = decode_message(m.str(), "", InputCharset::Cp1252);
    BOOST_TEST(msg.subject == "Caf\xc3\xa9 \xe2\x82\xac");
    // Invalid UTF-8 with the default charset falls back to Windows-1252, never raw bytes.
    const Message fallback = decode_message(m.str(), "", InputCharset::Utf8);
    BOOST_TEST(fallback.subject == "Caf\xc3\xa9 \xe2\x82\xac");
}

BOOST_AUTO_TEST_CASE(bad_fields_give_clear_codes) {
    DynArrayBuilder m;
    m.set(M::TO, "not an address");
    BOOST_TEST((decode_error(m.str()) == ErrorCode::BadAddress));
    DynArrayBuilder p;
    p.set(M::TO, "a@example.test");
    p.set(M::PRIORITY, "whenever");
    BOOST_TEST((decode_error(p.str()) == ErrorCode::BadArgument));
    DynArrayBuilder s;
    s.set(M::TO, "a@example.test");
    s.set(M::SUBJECT, std::vector<std::string>{"one", "two"});
    BOOST_TEST((decode_error(s.str()) == ErrorCode::HeaderInjection));
    DynArrayBuilder d;
    d.set(M::TO, "a@example.test");
    d.set(M::DATA_CONTENT, "content without a name");
    BOOST_TEST((decode_error(d.str()) == ErrorCode::BadArgument));
    DynArrayBuilder b;
    b.set(M::TO, "a@example.test");
    b.set(M::DATA_NAME, "x.bin");
    b.set(M::DATA_CONTENT, "!!!not base64");
    b.set(M::DATA_ENCODING, "BASE64");
    BOOST_TEST((decode_error(b.str()) == ErrorCode::BadArgument));
}

BOOST_AUTO_TEST_CASE(options_become_profile_overrides) {
    DynArrayBuilder o;
    o.set(O::PROFILE, "billing");
    o.set(O::SERVER, " smtp://127.0.0.1:2525 ");
    o.set(O::PASSWORD, " spaced ");
    o.set(O::ALLOW_PLAINTEXT_AUTH, "1");
    const ProfileRequest req = options_request(o.str());
    BOOST_TEST(req.profile == "billing");
    BOOST_TEST(req.overrides.at("server") == "smtp://127.0.0.1:2525");
    BOOST_TEST(req.overrides.at("password") == " spaced ");
    BOOST_TEST(req.overrides.at("allow_plaintext_auth") == "1");
    BOOST_TEST(req.overrides.count("tls") == 0u);
}

BOOST_AUTO_TEST_CASE(result_layout) {
    DeliveryReport r;
    r.status = DeliveryStatus::Partial;
    r.error = ErrorCode::RecipientRejected;
    r.message = "accepted for 1 of 2";
    r.message_id = "<id@example.test>";
    r.last_reply = parse_reply("550 5.1.1 no such user\r\n");
    r.recipients.push_back({"ok@example.test", true, ErrorCode::Ok, parse_reply("250 2.1.5 Ok\r\n")});
    r.recipients.push_back({"bad@example.test", false, ErrorCode::RecipientRejected, *r.last_reply});
    const std::string s = encode_result(r);
    BOOST_TEST(extract(s, R::STATUS) == "1");
    BOOST_TEST(extract(s, R::ERROR) == "32");
    BOOST_TEST(extract(s, R::ERROR_NAME) == "RECIPIENT.REJECTED");
    BOOST_TEST(extract(s, R::REPLY_CODE) == "550");
    BOOST_TEST(extract(s, R::REPLY_ENHANCED) == "5.1.1");
    BOOST_TEST(extract(s, R::RCPT_ADDRESS, 2) == "bad@example.test");
    BOOST_TEST(extract(s, R::RCPT_STATUS, 1) == "0");
    BOOST_TEST(extract(s, R::RCPT_STATUS, 2) == "32");
    BOOST_TEST(extract(s, R::RCPT_CODE, 1) == "250");
    BOOST_TEST(extract(s, R::RCPT_ENHANCED, 2) == "5.1.1");
    BOOST_TEST(extract(s, R::MESSAGE_ID) == "<id@example.test>");
    BOOST_TEST(extract(s, R::TRANSIENT) == "0");
}

// A mark inside a value must never become another field: every field is read by its
// position, and a mark the layout does not give a field is refused, not split on.
BOOST_AUTO_TEST_CASE(marks_inside_values_cannot_add_fields) {
    const std::string to = "a@example.test";
    auto with = [&](int attr, const std::string& raw) {
        std::vector<std::string> attrs(std::max(attr, M::TO));
        attrs[M::TO - 1] = to;
        attrs[attr - 1] = raw;
        std::string out;
        for (std::size_t i = 0; i < attrs.size(); ++i) out += (i ? std::string(1, kAttributeMark) : "") + attrs[i];
        return out;
    };
    const std::string vm(1, kValueMark), sm(1, kSubvalueMark), am(1, kAttributeMark);
    // Single-valued fields: no value or subvalue mark.
    for (int attr : {M::RETURN_PATH, M::PRIORITY, M::BODY_TYPE, M::DSN_NOTIFY, M::DSN_RET, M::DSN_ENVID})
        for (const std::string& mark : {vm, sm})
            BOOST_TEST((decode_error(with(attr, "x" + mark + "y")) == ErrorCode::BadArgument), attr);
    BOOST_TEST((decode_error(with(M::SUBJECT, "Hi" + sm + "x")) == ErrorCode::HeaderInjection));
    BOOST_TEST((testsupport::error_code_of([&] { separate_copies_wanted(with(M::SEPARATE, "1" + vm + "1")); }) ==
                ErrorCode::BadArgument));
    // Multivalued fields without subvalues: a subvalue mark is refused, not kept or split.
    for (int attr : {M::CC, M::BCC, M::REPLY_TO, M::ATTACH_PATH, M::ATTACH_NAME, M::ATTACH_TYPE, M::HEADER_NAME,
                     M::HEADER_VALUE, M::DATA_NAME, M::DATA_TYPE, M::DATA_ENCODING})
        BOOST_TEST((decode_error(with(attr, "x" + sm + "/etc/passwd")) == ErrorCode::BadArgument), attr);
    // DATA.CONTENT's subvalue marks are its line breaks, as the layout says.
    const std::string data = with(M::DATA_NAME, "a.txt") + am + "one" + sm + "two";
    BOOST_TEST((decode_error(data) == ErrorCode::Ok));
    // A field past the layout's last one can only come from a mark inside a value.
    BOOST_TEST((decode_error(with(M::SEPARATE, "0") + am + "/etc/passwd") == ErrorCode::BadArgument));
    BOOST_TEST((decode_error(with(M::SEPARATE, "0") + am + am) == ErrorCode::Ok));  // trailing empties are fine
    int last_option = 0;
    for (const auto& f : mvsmtp::gci::field_table())
        if (f.group == "Options") last_option = std::max(last_option, f.number);
    const std::string options = std::string(static_cast<std::size_t>(last_option), kAttributeMark) + "extra";  // past the last field
    BOOST_TEST((testsupport::error_code_of([&] { options_request(options); }) == ErrorCode::BadArgument));
    for (int attr : {O::PROFILE, O::CONFIG, O::MANUAL}) {
        const std::string o = std::string(attr - 1, kAttributeMark) + "x" + vm + "y";
        BOOST_TEST((testsupport::error_code_of([&] { options_request(o); manual_mode(o); }) == ErrorCode::BadOption), attr);
    }
}

BOOST_AUTO_TEST_CASE(max_size_option_is_an_override) {
    DynArrayBuilder o;
    o.set(O::MAX_SIZE, " 25M ");
    BOOST_TEST(options_request(o.str()).overrides.at("max_size") == "25M");
}

BOOST_AUTO_TEST_SUITE_END()

