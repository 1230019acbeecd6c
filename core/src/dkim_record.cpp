// dkim_record.cpp — a DKIM key record as text: its tag list read (RFC 6376 §3.2, §3.6.1) and
// written in zone-file form; see mvsmtp/dkim_dns.hpp.
#include <cctype>
#include <cstdio>

#include "mvsmtp/dkim_dns.hpp"
#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

// FWS and WSP (RFC 5322 §3.2.2); a TXT record holds no CRLF in practice, but the grammar allows it.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim_space(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// tag-name = ALPHA *ALNUMPUNC (RFC 6376 §3.2)
bool is_tag_name(std::string_view name) {
    if (name.empty() || !std::isalpha(static_cast<unsigned char>(name.front()))) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
}

// VALCHAR = %x21-3A / %x3C-7E, with whitespace between the value's words.
void check_value(std::string_view name, std::string_view value) {
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (is_space(c) || (u >= 0x21 && u <= 0x7E && c != ';')) continue;
        char code[8];
        std::snprintf(code, sizeof code, "0x%02X", u);
        throw Error(ErrorCode::BadArgument, std::string(name) + "= holds byte " + code +
                                                ", which a tag value cannot (RFC 6376 §3.2: printable ASCII)");
    }
}

struct Tag {
    std::string name, value;
};

Tag split_tag(std::string_view spec) {
    const std::size_t eq = spec.find('=');
    if (eq == std::string_view::npos)
        throw Error(ErrorCode::BadArgument, "\"" + std::string(trim_space(spec)) + "\" is not a tag (no '=')");
    Tag tag{std::string(trim_space(spec.substr(0, eq))), std::string(trim_space(spec.substr(eq + 1)))};
    if (!is_tag_name(tag.name))
        throw Error(ErrorCode::BadArgument, "\"" + tag.name + "\" is not a tag name (a letter, then letters, digits, '_')");
    check_value(tag.name, tag.value);
    return tag;
}

// The ';'-separated specs; one final ';' is allowed (tag-list = tag-spec *(";" tag-spec) [";"]).
std::vector<std::string_view> tag_specs(std::string_view text) {
    std::vector<std::string_view> specs;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t end = text.find(';', pos);
        specs.push_back(text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
        if (end == std::string_view::npos) break;
        pos = end + 1;
    }
    if (specs.size() > 1 && trim_space(specs.back()).empty()) specs.pop_back();
    return specs;
}

// A colon-separated list (h=, s=, t=), lower case: its words are ABNF literals, case-insensitive.
std::vector<std::string> colon_list(const std::string& value) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t end = value.find(':', pos);
        const std::string_view one =
            trim_space(std::string_view(value).substr(pos, end == std::string::npos ? std::string::npos : end - pos));
        if (!one.empty()) out.push_back(ascii_lower(std::string(one)));
        if (end == std::string::npos) break;
        pos = end + 1;
    }
    return out;
}

std::string without_space(const std::string& value) {
    std::string out;
    for (char c : value)
        if (!is_space(c)) out += c;
    return out;
}

std::vector<std::string> chunks(const std::string& text, std::size_t size) {
    std::vector<std::string> out;
    for (std::size_t pos = 0; pos < text.size(); pos += size) out.push_back(text.substr(pos, size));
    return out;
}

// Where the p= tag starts: at the start or after ';' and whitespace; npos when it is not there.
std::size_t p_tag_start(const std::string& value) {
    for (std::size_t at = value.find("p="); at != std::string::npos; at = value.find("p=", at + 1)) {
        std::size_t before = at;
        while (before > 0 && is_space(value[before - 1])) --before;
        if (before == 0 || value[before - 1] == ';') return at;
    }
    return std::string::npos;
}

}  // namespace

std::optional<DkimKeyRecord> parse_dkim_key_record(std::string_view text) {
    const std::vector<std::string_view> specs = tag_specs(text);
    // RFC 6376 §3.6.1: a record that starts with v= other than DKIM1 is discarded, whatever
    // follows (an SPF or site-verification record at the same name is not ours to judge).
    const std::size_t first_eq = specs.front().find('=');
    if (first_eq != std::string_view::npos && trim_space(specs.front().substr(0, first_eq)) == "v" &&
        trim_space(specs.front().substr(first_eq + 1)) != "DKIM1")
        return std::nullopt;

    DkimKeyRecord record;
    bool have_p = false;
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        if (trim_space(specs[i]).empty())
            throw Error(ErrorCode::BadArgument, i == 0 && specs.size() == 1 ? std::string("the record is empty")
                                                                               : "an empty tag (';' with nothing before it)");
        Tag tag = split_tag(specs[i]);
        for (const auto& name : seen)
            if (name == tag.name) throw Error(ErrorCode::BadArgument, "the tag " + tag.name + "= appears twice (RFC 6376 §3.2)");
        seen.push_back(tag.name);
        if (tag.name == "v") {
            if (i != 0) throw Error(ErrorCode::BadArgument, "v= must be the first tag (RFC 6376 §3.6.1)");
            record.version = tag.value;
        } else if (tag.name == "k") {
            record.key_type = ascii_lower(tag.value);
        } else if (tag.name == "p") {
            have_p = true;
            record.public_key = without_space(tag.value);
            try {
                base64_decode(record.public_key);
            } catch (const Error&) {
                throw Error(ErrorCode::BadArgument, "p= is not base64");
            }
        } else if (tag.name == "h") {
            record.hashes = colon_list(tag.value);
        } else if (tag.name == "s") {
            record.services = colon_list(tag.value);
        } else if (tag.name == "t") {
            record.flags = colon_list(tag.value);
        }
        // n= (notes) and tags of later versions: ignored, as RFC 6376 §3.2 asks.
    }
    if (!have_p) throw Error(ErrorCode::BadArgument, "no p= tag (RFC 6376 §3.6.1 requires it; an empty p= revokes the key)");
    return record;
}

bool is_dkim_selector(const std::string& s) {
    // sub-domain *( "." sub-domain ) (RFC 6376 §3.1); '_' too, which DNS allows and some use.
    if (s.empty() || s.size() > 200 || s.front() == '.' || s.back() == '.' || s.find("..") != std::string::npos) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) return false;
    return true;
}

std::vector<std::string> txt_strings(const std::string& value) {
    constexpr std::size_t kMax = 255;  // one character-string's length octet (RFC 1035 §3.3)
    if (value.empty()) return {""};
    const std::size_t p = p_tag_start(value);
    std::vector<std::string> out = chunks(value.substr(0, p == std::string::npos ? value.size() : p), kMax);
    if (p != std::string::npos)
        for (std::string& s : chunks(value.substr(p), kMax)) out.push_back(std::move(s));
    return out;
}

std::string zone_file_record(const std::string& name, const std::string& value) {
    const std::string head = name + ". IN TXT ( ";
    std::string out = head;
    const std::vector<std::string> strings = txt_strings(value);
    for (std::size_t i = 0; i < strings.size(); ++i) {
        if (i) out += "\n" + std::string(head.size(), ' ');
        out += '"';
        for (char c : strings[i]) {
            if (c == '"' || c == '\\') out += '\\';  // RFC 1035 §5.1 quoting
            out += c;
        }
        out += '"';
    }
    return out + " )\n";
}

}  // namespace mvsmtp
