// mime_headers.cpp — the RFC 5322 header block of a message.
//
// Order: Date, From, To, Cc, Reply-To, Subject, Message-ID, MIME-Version, X-Priority,
// Importance, then the caller's headers. Bcc is never written (RFC 5322 §3.6.3 allows
// either; leaving it out is the only choice that cannot leak the list). When there is no
// To or Cc, "To: undisclosed-recipients:;" (an empty group, §3.4) is written, as MUAs do,
// because some filters score a message without To as spam.
// Text that cannot stand as is (non-ASCII, controls, "=?", tokens too long to fold) is
// written as RFC 2047 encoded words; every header is folded (encoding.hpp fold_header).
#include <openssl/rand.h>

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include "mime_internal.hpp"
#include "mvsmtp/address.hpp"
#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/mime.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp::mime_detail {
namespace {

// An address as a header shows it. A message that travels with SMTPUTF8 (a non-ASCII local
// part somewhere) is UTF-8 throughout and keeps Unicode domains (RFC 6532 §3.2); any other
// message stays ASCII (RFC 5322), so its domains are written in A-labels, as in the envelope.
std::string header_address(const std::string& address, bool utf8) {
    return utf8 ? address : address_to_ascii_domain(address);
}

std::vector<Mailbox> clean(const std::vector<Mailbox>& list, bool utf8) {
    std::vector<Mailbox> out;
    out.reserve(list.size());
    for (const Mailbox& m : list) out.push_back({to_utf8(m.display_name), header_address(m.address, utf8)});
    return out;
}

std::string unstructured(std::string_view name, const std::string& raw) {
    const std::string value = to_utf8(raw);
    if (!needs_encoded_words(value)) return fold_header(name, value);
    return fold_header(name, encode_words(value, name.size() + 2));
}

void add_priority(std::string& h, Priority p) {
    // X-Priority is what Outlook and Thunderbird set; Importance (RFC 2156 §5.3.4) is
    // what Exchange reads. Writing both gives every client the same answer.
    switch (p) {
        case Priority::High:
            h += "X-Priority: 1 (Highest)\r\nImportance: high\r\n";
            break;
        case Priority::Normal:
            h += "X-Priority: 3 (Normal)\r\nImportance: normal\r\n";
            break;
        case Priority::Low:
            h += "X-Priority: 5 (Lowest)\r\nImportance: low\r\n";
            break;
        case Priority::None:
            break;
    }
}

}  // namespace

std::string random_hex(std::size_t n) {
    static const char hex[] = "0123456789abcdef";
    std::string bytes(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1)
        throw Error(ErrorCode::Internal, "the random number generator failed");
    std::string out;
    out.reserve(2 * n);
    for (unsigned char c : bytes) {
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
    return out;
}

std::string new_message_id(const Message& message, std::string_view domain) {
    // RFC 5322 §3.6.4 id-right must be ASCII: a non-ASCII or odd domain is not used.
    auto usable = [](std::string_view d) {
        if (d.empty() || d.size() > 255 || d.front() == '[') return false;
        for (unsigned char c : d)
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.'))
                return false;
        return true;
    };
    std::string right(domain);
    if (!usable(right) && is_valid_address(message.from.address))
        right = domain_to_ascii(address_domain(message.from.address));
    if (!usable(right)) right = "mvsmtp.invalid";
    return "<" + random_hex(16) + "@" + right + ">";
}

std::string format_date(std::int64_t epoch_seconds) {
    // UTC with "+0000" (RFC 5322 §3.3: +0000 is UTC; "-0000" would mean "unknown").
    const Poco::Timestamp t =
        Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(epoch_seconds));
    return Poco::DateTimeFormatter::format(t, "%w, %d %b %Y %H:%M:%S +0000");
}

std::string render_headers(const Message& m, const std::string& message_id) {
    std::string h;
    const std::int64_t date = m.date != 0 ? m.date : Poco::Timestamp().epochTime();
    h += fold_header("Date", format_date(date));
    const bool utf8 = needs_smtputf8(m);
    h += fold_header("From", format_mailbox_header({to_utf8(m.from.display_name), header_address(m.from.address, utf8)}));
    if (!m.to.empty())
        h += fold_header("To", format_mailbox_list_header(clean(m.to, utf8)));
    else if (m.cc.empty())
        h += "To: undisclosed-recipients:;\r\n";
    if (!m.cc.empty()) h += fold_header("Cc", format_mailbox_list_header(clean(m.cc, utf8)));
    if (!m.reply_to.empty())
        h += fold_header("Reply-To", format_mailbox_list_header(clean(m.reply_to, utf8)));
    if (!m.subject.empty()) h += unstructured("Subject", m.subject);
    std::string id = message_id;
    if (id.front() != '<') id = "<" + id + ">";
    h += fold_header("Message-ID", id);
    h += "MIME-Version: 1.0\r\n";
    add_priority(h, m.priority);
    for (const Header& x : m.headers) h += unstructured(x.name, x.value);
    return h;
}

}  // namespace mvsmtp::mime_detail
