// address.cpp — mailbox parsing, RFC 5321 address validation, header rendering.
#include "mvsmtp/address.hpp"

#include <Poco/Net/IPAddress.h>
#include <idn2.h>

#include <cstring>
#include <memory>

#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

bool blank(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

// RFC 5322 §3.2.3 atext.
bool atext(unsigned char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    return c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// The address as it may appear in an error message: control characters made visible,
// long input shortened (RESULT fields and logs must stay one line).
std::string shown(std::string_view s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s.substr(0, 200)) {
        if (c == '\r')
            out += "\\r";
        else if (c == '\n')
            out += "\\n";
        else if (c < 0x20 || c == 0x7F)
            out.append("\\x").append(1, hex[c >> 4]).append(1, hex[c & 0xF]);
        else
            out += static_cast<char>(c);
    }
    if (s.size() > 200) out += "...";
    return out;
}

[[noreturn]] void bad(std::string_view address, const std::string& why) {
    throw Error(ErrorCode::BadAddress, "bad e-mail address \"" + shown(address) + "\": " + why);
}

// Returns an empty string when valid, else the reason.
std::string check_local_part(std::string_view local) {
    if (local.empty()) return "empty local part";
    if (local.size() > 64) return "local part longer than 64 octets";
    if (local.front() == '"') {
        // RFC 5321 §4.1.2 Quoted-string: qtextSMTP (%d32-33 / %d35-91 / %d93-126) or a
        // quoted-pair; RFC 6531 §3.3 adds UTF-8. '<' and '>' are refused anyway: they
        // would confuse every naive parser downstream.
        if (local.size() < 2 || local.back() != '"') return "unterminated quoted local part";
        for (std::size_t i = 1; i + 1 < local.size(); ++i) {
            const auto c = static_cast<unsigned char>(local[i]);
            if (c == '\\') {
                if (++i + 1 >= local.size()) return "dangling backslash";
                continue;
            }
            if (c == '"') return "stray quote in local part";
        }
        return {};
    }
    if (local.front() == '.' || local.back() == '.') return "local part starts or ends with '.'";
    for (std::size_t i = 0; i < local.size(); ++i) {
        const auto c = static_cast<unsigned char>(local[i]);
        if (c == '.') {
            if (local[i + 1] == '.') return "'..' in local part";
        } else if (!atext(c) && c < 0x80) {
            return std::string("character '") + static_cast<char>(c) +
                   "' not allowed in local part";
        }
    }
    return {};
}

bool ipv4_literal(std::string_view s) {
    int parts = 0;
    std::size_t i = 0;
    while (i <= s.size()) {
        std::size_t digits = 0;
        int value = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 4) {
            value = value * 10 + (s[i] - '0');
            ++i;
            ++digits;
        }
        if (digits == 0 || digits > 3 || value > 255) return false;
        ++parts;
        if (i == s.size()) break;
        if (s[i] != '.') return false;
        ++i;
    }
    return parts == 4;
}

// IDNA 2008 (RFC 5891) with UTS #46 non-transitional mapping ("ß" stays "ß", upper case is
// folded), on NFC input: the A-label form of `domain` in `out`, or the reason there is none.
std::string idn_to_ascii(std::string_view domain, std::string& out) {
    const std::string in(domain);
    char* raw = nullptr;
    const int rc = idn2_to_ascii_8z(in.c_str(), &raw, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    std::unique_ptr<char, void (*)(void*)> converted(raw, &idn2_free);
    if (rc != IDN2_OK || !converted)
        return "domain \"" + shown(domain) + "\" is not a valid internationalised domain name (IDNA 2008: " +
               idn2_strerror(rc) + ")";
    out = converted.get();
    return {};
}

// An ASCII domain or an address literal is sent as written; anything else in A-labels.
bool needs_idna(std::string_view domain) { return !domain.empty() && domain.front() != '[' && !is_ascii(domain); }

std::string check_domain(std::string_view domain) {
    if (domain.empty()) return "empty domain";
    if (domain.size() > 255) return "domain longer than 255 octets";
    if (domain.front() == '[') {  // RFC 5321 §4.1.3 address literal
        if (domain.back() != ']') return "unterminated address literal";
        const std::string_view inner = domain.substr(1, domain.size() - 2);
        if (inner.substr(0, 5) == "IPv6:") {
            Poco::Net::IPAddress ip;
            const std::string v6(inner.substr(5));
            if (v6.find_first_not_of("0123456789abcdefABCDEF:.") == std::string::npos &&
                Poco::Net::IPAddress::tryParse(v6, ip) && ip.family() == Poco::Net::IPAddress::IPv6)
                return {};
            return "bad IPv6 address literal";
        }
        return ipv4_literal(inner) ? std::string() : "bad IPv4 address literal";
    }
    std::size_t start = 0;
    while (true) {  // RFC 5321 §4.1.2 sub-domain: let-dig [ldh-str]; UTF-8 U-labels allowed
        const std::size_t dot = domain.find('.', start);
        const std::string_view label = domain.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty()) return "empty label in domain";
        if (label.size() > 63) return "domain label longer than 63 octets";
        if (label.front() == '-' || label.back() == '-')
            return "domain label starts or ends with '-'";
        for (unsigned char c : label)
            if (!(c >= 0x80 || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                  (c >= 'A' && c <= 'Z')))
                return std::string("character '") + static_cast<char>(c) +
                       "' not allowed in domain";
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (needs_idna(domain)) {
        std::string ascii;
        return idn_to_ascii(domain, ascii);
    }
    return {};
}

// Position of the '@' that separates local part and domain, or npos.
std::size_t at_sign(std::string_view address) {
    if (!address.empty() && address.front() == '"') {
        for (std::size_t i = 1; i < address.size(); ++i) {
            if (address[i] == '\\')
                ++i;
            else if (address[i] == '"')
                return (i + 1 < address.size() && address[i + 1] == '@') ? i + 1
                                                                         : std::string_view::npos;
        }
        return std::string_view::npos;
    }
    return address.find('@');
}

std::string address_problem(std::string_view address) {
    if (address.empty()) return "empty address";
    for (unsigned char c : address) {
        if (c == '\r' || c == '\n') return "contains CR or LF";
        if (c == 0) return "contains NUL";
        if (c < 0x20 || c == 0x7F) return "contains a control character";
        if (c == '<' || c == '>') return "contains '<' or '>'";
    }
    if (!valid_utf8(address)) return "not valid UTF-8";
    if (address.size() > 254) return "longer than 254 octets";
    const std::size_t at = at_sign(address);
    if (at == std::string_view::npos) return "missing '@' (expected local@domain)";
    const std::string_view local = address.substr(0, at);
    if (local.front() != '"' && local.find(' ') != std::string_view::npos)
        return "contains a space";
    std::string why = check_local_part(local);
    if (!why.empty()) return why;
    const std::string_view domain = address.substr(at + 1);
    why = check_domain(domain);
    if (!why.empty() || !needs_idna(domain)) return why;
    // RFC 5321 §4.5.3.1 counts what goes on the wire: the domain in A-labels.
    std::string ascii;
    idn_to_ascii(domain, ascii);
    if (at + 1 + ascii.size() > 254) return "longer than 254 octets with the domain in A-labels";
    return {};
}

// Display-name phrase: quoted segments are unquoted (backslash escapes removed), blanks
// outside quotes collapse to one space.
std::string decode_phrase(std::string_view s, std::string_view whole) {
    std::string out;
    bool pending_space = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '"') {
            if (pending_space && !out.empty()) out += ' ';
            pending_space = false;
            for (++i; i < s.size() && s[i] != '"'; ++i) {
                if (s[i] == '\\' && i + 1 < s.size()) ++i;
                out += s[i];
            }
            if (i >= s.size()) bad(whole, "unterminated quoted name");
        } else if (blank(c)) {
            pending_space = true;
        } else {
            if (pending_space && !out.empty()) out += ' ';
            pending_space = false;
            out += c;
        }
    }
    return out;
}

void check_display_name(std::string_view name, std::string_view address) {
    for (char c : name)
        if (c == '\r' || c == '\n' || c == '\0')
            throw Error(ErrorCode::HeaderInjection,
                        "the display name for <" + shown(address) + "> contains CR, LF or NUL");
}

bool is_atom_phrase(std::string_view name) {
    if (name.empty() || blank(name.front()) || blank(name.back())) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (c == ' ') {
            if (name[i + 1] == ' ') return false;  // would not survive as written
        } else if (!atext(c)) {
            return false;
        }
    }
    return true;
}

Mailbox parse_one(std::string_view text) {
    const std::string_view t = trim(text);
    Mailbox m;
    if (!t.empty() && t.back() == '>') {
        // The first '<' outside a quoted name opens the address.
        std::size_t open = std::string_view::npos;
        for (std::size_t i = 0; i < t.size(); ++i) {
            if (t[i] == '"') {
                for (++i; i < t.size() && t[i] != '"'; ++i)
                    if (t[i] == '\\') ++i;
            } else if (t[i] == '<') {
                open = i;
                break;
            }
        }
        if (open == std::string_view::npos) bad(t, "'>' without '<'");
        m.address = std::string(trim(t.substr(open + 1, t.size() - open - 2)));
        validate_address(m.address);
        const std::string_view raw_name = trim(t.substr(0, open));
        check_display_name(raw_name, m.address);
        m.display_name = decode_phrase(raw_name, t);
    } else {
        m.address = std::string(t);
        validate_address(m.address);
    }
    return m;
}

std::vector<Mailbox> parse_list(std::string_view text) {
    std::vector<Mailbox> out;
    std::size_t start = 0;
    bool quoted = false, angle = false;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        const bool end = (i == text.size());
        if (!end) {
            const char c = text[i];
            if (quoted) {
                if (c == '\\')
                    ++i;
                else if (c == '"')
                    quoted = false;
                continue;
            }
            if (c == '"')
                quoted = true;
            else if (c == '<')
                angle = true;
            else if (c == '>')
                angle = false;
            if (angle || (c != ',' && c != ';')) continue;
        }
        const std::string_view item = trim(text.substr(start, std::min(i, text.size()) - start));
        if (!item.empty()) out.push_back(parse_one(item));
        start = i + 1;
    }
    if (quoted) bad(text, "unterminated quoted name");
    return out;
}

// Lets only mvsmtp::Error out of the public entry points (the rest can only be
// std::bad_alloc and friends).
template <class F>
auto guarded(const char* what, F f) -> decltype(f()) {
    try {
        return f();
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(ErrorCode::Internal, std::string(what) + ": " + e.what());
    }
}

}  // namespace

void validate_address(std::string_view address) {
    const std::string why = guarded("validate_address", [&] { return address_problem(address); });
    if (!why.empty()) bad(address, why);
}

bool is_valid_address(std::string_view address) noexcept {
    try {
        return address_problem(address).empty();
    } catch (...) {
        return false;
    }
}

bool needs_smtputf8(std::string_view address) {
    const std::size_t at = at_sign(address);
    return !is_ascii(at == std::string_view::npos ? address : address.substr(0, at));
}

std::string domain_to_ascii(std::string_view domain) {
    return guarded("domain_to_ascii", [&] {
        std::string ascii(domain);
        if (!needs_idna(domain)) return ascii;
        const std::string why = idn_to_ascii(domain, ascii);
        if (!why.empty()) throw Error(ErrorCode::BadAddress, "bad e-mail address: " + why);
        return ascii;
    });
}

std::string address_to_ascii_domain(std::string_view address) {
    return guarded("address_to_ascii_domain", [&] {
        const std::size_t at = at_sign(address);
        if (at == std::string_view::npos || !needs_idna(address.substr(at + 1))) return std::string(address);
        std::string ascii;
        const std::string why = idn_to_ascii(address.substr(at + 1), ascii);
        if (!why.empty()) bad(address, why);
        return std::string(address.substr(0, at + 1)) + ascii;
    });
}

std::string smtp_path(std::string_view address) {
    return guarded("smtp_path", [&] {
        const std::size_t at = at_sign(address);
        // A blank can stand only inside a quoted local part (RFC 5321 §4.1.2 Quoted-string);
        // everything else here could end the path or start a second command.
        const std::size_t quoted_end = (at != std::string_view::npos && address.front() == '"') ? at : 0;
        for (std::size_t i = 0; i < address.size(); ++i) {
            const auto c = static_cast<unsigned char>(address[i]);
            if (c < 0x20 || c == 0x7F || c == '<' || c == '>' || (c == ' ' && i >= quoted_end))
                throw Error(ErrorCode::BadAddress, "address not usable in an SMTP command: \"" + shown(address) + "\"");
        }
        return address_to_ascii_domain(address);
    });
}

std::string address_domain(std::string_view address) {
    const std::size_t at = address.rfind('@');
    return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

Mailbox parse_mailbox(std::string_view text) {
    return guarded("parse_mailbox", [&] { return parse_one(text); });
}

std::vector<Mailbox> parse_mailbox_list(std::string_view text) {
    return guarded("parse_mailbox_list", [&] { return parse_list(text); });
}

std::string format_mailbox_header(const Mailbox& mailbox) {
    const std::string& name = mailbox.display_name;
    const std::string addr = "<" + mailbox.address + ">";
    if (name.empty()) return mailbox.address;
    if (needs_encoded_words(name)) return encode_words(name, 12) + " " + addr;  // RFC 2047 §5(3)
    if (is_atom_phrase(name)) return name + " " + addr;
    std::string q = "\"";
    for (char c : name) {
        if (c == '"' || c == '\\') q += '\\';  // RFC 5322 §3.2.4 quoted-pair
        q += c;
    }
    return q + "\" " + addr;
}

std::string format_mailbox_list_header(const std::vector<Mailbox>& mailboxes) {
    std::string out;
    for (const Mailbox& m : mailboxes) {
        if (!out.empty()) out += ", ";
        out += format_mailbox_header(m);
    }
    return out;
}

}  // namespace mvsmtp
