// mime_validate.cpp — everything that must be refused before a message reaches a server.
//
// CR or LF in a header value is how header injection works (a "Subject" that adds a Bcc);
// NUL truncates values in C code downstream. All three are refused everywhere a caller's
// text lands in a header, with an error that names the header (never its value's bytes).
#include <cstdint>
#include <cstdio>
#include <memory>

#include "attachment_file.hpp"
#include "mime_internal.hpp"

#include "mvsmtp/address.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/mime.hpp"

namespace mvsmtp {
namespace {

bool has_crlf_nul(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

void check_value(std::string_view header, std::string_view value) {
    if (has_crlf_nul(value))
        throw Error(ErrorCode::HeaderInjection,
                    "header " + std::string(header) + " contains CR, LF or NUL");
}

void check_mailboxes(const char* header, const std::vector<Mailbox>& list) {
    for (const Mailbox& m : list) {
        validate_address(m.address);
        if (has_crlf_nul(m.display_name))
            throw Error(ErrorCode::HeaderInjection, std::string("header ") + header +
                                                        ": the display name for <" + m.address +
                                                        "> contains CR, LF or NUL");
    }
}

// For error messages: a caller's text with control characters replaced by '?'.
std::string shown(std::string_view s) {
    std::string out(s.substr(0, 100));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 32 || c == 127) c = '?';
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
        if (x != y) return false;
    }
    return true;
}

// RFC 5322 §3.6.8 field-name = 1*ftext (printable ASCII except ':'); at most 76 so that
// "Name: " leaves room on a 78-column line.
bool valid_field_name(std::string_view name) {
    if (name.empty() || name.size() > 76) return false;
    for (unsigned char c : name)
        if (c < 33 || c > 126 || c == ':') return false;
    return true;
}

bool owned_by_writer(const Message& m, std::string_view name) {
    // DKIM-Signature: only the signer writes it (a caller's copy would sit beside ours, bogus).
    static const char* const kOwned[] = {"From",    "To",   "Cc",         "Bcc",          "Subject",
                                         "Date",    "Message-ID", "MIME-Version", "DKIM-Signature"};
    for (const char* owned : kOwned)
        if (iequals(name, owned)) return true;
    if (name.size() >= 8 && iequals(name.substr(0, 8), "Content-")) return true;
    // Written by us only when the Message asks for them; a second copy would contradict.
    if (!m.reply_to.empty() && iequals(name, "Reply-To")) return true;
    if (m.priority != Priority::None &&
        (iequals(name, "X-Priority") || iequals(name, "Importance")))
        return true;
    return false;
}

// type "/" subtype [";" parameters], printable ASCII (RFC 2045 §5.1), at most 255 octets.
bool valid_content_type(std::string_view t) {
    const std::size_t slash = t.find('/');
    if (slash == 0 || slash == std::string_view::npos || slash + 1 >= t.size()) return false;
    if (t.size() > 255) return false;  // keeps the folded header far below 998 octets
    for (unsigned char c : t)
        if (c < 32 || c > 126) return false;
    const std::size_t end = t.find(';');
    const std::string_view type = t.substr(0, end);
    return type.find_first_of(" \t\"()<>@,:\\[]?=") == std::string_view::npos &&
           type.find('/', slash + 1) == std::string_view::npos;
}

void check_attachment(const Attachment& a) {
    check_value("Content-Disposition (attachment filename)", a.filename);
    check_value("Content-Type (attachment)", a.content_type);
    if (a.filename.empty()) check_value("Content-Disposition (attachment path)", a.path);
    if (!a.content_type.empty() && !valid_content_type(a.content_type))
        throw Error(ErrorCode::BadArgument, "attachment content type \"" + shown(a.content_type) +
                                                "\" is not type/subtype");
    if (a.path.empty()) return;
    mime_detail::AttachmentFile f(a.path);  // throws for a FIFO, a device, a directory
}

// The attachments' raw bytes; their base64 form is a third larger still.
std::uint64_t attachment_bytes(const Message& m) {
    std::uint64_t total = 0;
    for (const Attachment& a : m.attachments)
        total += a.path.empty() ? a.data.size() : mime_detail::AttachmentFile(a.path).size();
    return total;
}

void check_message_id(const std::string& id) {
    if (id.empty()) return;
    check_value("Message-ID", id);
    // RFC 5322 §3.6.4 msg-id: "<" id-left "@" id-right ">", printable ASCII, no blanks.
    std::string_view v = id;
    if (v.front() == '<') {
        if (v.size() < 2 || v.back() != '>')
            throw Error(ErrorCode::BadArgument, "Message-ID " + id + " lacks its closing '>'");
        v = v.substr(1, v.size() - 2);
    }
    const std::size_t at = v.find('@');
    bool ok = at != std::string_view::npos && at > 0 && at + 1 < v.size() && v.size() <= 900;
    for (unsigned char c : v)
        if (c <= 32 || c > 126 || c == '<' || c == '>') ok = false;
    if (!ok) throw Error(ErrorCode::BadArgument, "Message-ID is not of the form <left@right>");
}

}  // namespace

Error too_large(std::uint64_t limit) {
    return Error(ErrorCode::MessageTooLarge,
                 "the message is larger than the local limit of " + std::to_string(limit) +
                     " octets (profile key max_size, OPTIONS<O.MAX.SIZE>); nothing was sent or stored");
}

void validate(const Message& m) {
    try {
        if (m.from.address.empty())
            throw Error(ErrorCode::NoSender, "the message has no From address");
        check_mailboxes("From", {m.from});
        if (m.to.empty() && m.cc.empty() && m.bcc.empty())
            throw Error(ErrorCode::NoRecipients, "the message has no To, Cc or Bcc recipient");
        check_mailboxes("To", m.to);
        check_mailboxes("Cc", m.cc);
        check_mailboxes("Bcc", m.bcc);
        check_mailboxes("Reply-To", m.reply_to);
        if (!m.return_path.empty()) validate_address(m.return_path);
        check_value("Subject", m.subject);
        check_message_id(m.message_id);
        for (const Header& h : m.headers) {
            if (!valid_field_name(h.name))
                throw Error(ErrorCode::BadArgument, "custom header name \"" + shown(h.name) +
                                                        "\" is not a valid field name");
            if (owned_by_writer(m, h.name))
                throw Error(ErrorCode::BadArgument,
                            "custom header " + h.name + " is written by mvsmtp itself");
            check_value(h.name, h.value);
        }
        for (const Attachment& a : m.attachments) check_attachment(a);
        // Early and cheap: when the attachments' raw bytes alone pass the limit, the message
        // certainly does (write_message enforces the exact size while writing).
        if (m.size_limit) {
            const std::uint64_t raw = attachment_bytes(m) + m.text.size() + m.html.size();
            if (raw > m.size_limit) throw too_large(m.size_limit);
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(ErrorCode::Internal, std::string("validate: ") + e.what());
    }
}

}  // namespace mvsmtp
