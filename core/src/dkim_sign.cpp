// dkim_sign.cpp — the DKIM-Signature field (RFC 6376 §3.5, §3.7, §5); see mvsmtp/dkim.hpp.
#include <algorithm>
#include <ctime>
#include <map>

#include "dkim_canon.hpp"
#include "mvsmtp/address.hpp"
#include "mvsmtp/dkim.hpp"
#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/mime.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

constexpr std::size_t kLine = 76;  // fold the field's lines before this width

const char* canon_word(DkimCanon c) { return c == DkimCanon::Relaxed ? "relaxed" : "simple"; }

bool parse_canon_word(const std::string& word, DkimCanon& out) {
    const std::string w = ascii_lower(trim(word));
    if (w == "relaxed") out = DkimCanon::Relaxed;
    else if (w == "simple") out = DkimCanon::Simple;
    else return false;
    return true;
}

// The h= list: each candidate as often as the header block has it (verifiers take the
// instances from the bottom up, §5.4.2), and From once more.
std::vector<std::string> signed_names(const std::vector<HeaderField>& fields, const std::vector<std::string>& wanted) {
    std::vector<std::string> names;
    for (const std::string& w : wanted) {
        const std::string name = ascii_lower(w);
        if (std::find(names.begin(), names.end(), name) != names.end()) continue;
        std::size_t count = 0;
        for (const auto& f : fields) count += ascii_lower(trim(f.name)) == name ? 1 : 0;
        if (name == "from") ++count;
        for (std::size_t i = 0; i < count; ++i) names.push_back(name);
    }
    return names;
}

// The canonicalised fields h= names, in its order, each instance taken from the bottom up.
std::string signed_header_data(const std::vector<HeaderField>& fields, const std::vector<std::string>& names,
                               DkimCanon canon) {
    std::map<std::string, std::size_t> used;
    std::string data;
    for (const std::string& name : names) {
        std::size_t skip = used[name]++;
        for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
            if (ascii_lower(trim(it->name)) != name) continue;
            if (skip-- > 0) continue;
            data += canonical_header(canon, it->raw) + "\r\n";
            break;
        }
    }
    return data;
}

// Appends tag text to a field being folded: on this line when it fits (after a space, or
// right after what is there), else on a new one.
void append_folded(std::string& field, std::size_t& column, const std::string& text, bool space = true) {
    if (column + (space ? 1 : 0) + text.size() > kLine) {
        field += "\r\n\t";
        column = 8;
    } else if (space) {
        field += ' ';
        ++column;
    }
    field += text;
    column += text.size();
}

}  // namespace

const std::vector<std::string>& default_signed_headers() {
    static const std::vector<std::string> names = {"From", "To", "Cc", "Subject", "Date", "Message-ID",
                                                   "MIME-Version", "Content-Type", "Reply-To"};
    return names;
}

void parse_canonicalization(const std::string& text, DkimSettings& s) {
    const std::string t = trim(text);
    if (t.empty()) {
        s.header_canon = s.body_canon = DkimCanon::Relaxed;
        return;
    }
    const std::size_t slash = t.find('/');
    DkimCanon header = DkimCanon::Relaxed, body = DkimCanon::Simple;
    const bool ok = parse_canon_word(t.substr(0, slash), header) &&
                    (slash == std::string::npos || parse_canon_word(t.substr(slash + 1), body));
    if (!ok)
        throw Error(ErrorCode::BadOption, "dkim_canonicalization must be relaxed/relaxed, simple/simple, relaxed/simple "
                                          "or simple/relaxed (got \"" + text + "\")");
    s.header_canon = header;
    s.body_canon = body;
}

std::string canonicalization_text(const DkimSettings& s) {
    return std::string(canon_word(s.header_canon)) + "/" + canon_word(s.body_canon);
}

const DkimSettings* dkim_settings_for(const std::vector<DkimSettings>& all, const std::string& domain_in) {
    const std::string domain = ascii_lower(domain_in);
    const DkimSettings* best = nullptr;
    for (const auto& s : all) {
        const std::string d = ascii_lower(s.domain);
        const bool covers = domain == d || (domain.size() > d.size() &&
                                            domain.compare(domain.size() - d.size(), d.size(), d) == 0 &&
                                            domain[domain.size() - d.size() - 1] == '.');
        if (covers && (!best || d.size() > best->domain.size())) best = &s;
    }
    return best;
}

DkimSigner::DkimSigner(DkimSettings settings) : DkimSigner(settings, DkimKey::load(settings.key_file)) {}

DkimSigner::DkimSigner(DkimSettings settings, DkimKey key) : settings_(std::move(settings)), key_(std::move(key)) {
    if (settings_.domain.empty() || settings_.selector.empty())
        throw Error(ErrorCode::BadOption, "DKIM needs a domain and a selector (dkim_domain, dkim_selector)");
    settings_.domain = domain_to_ascii(settings_.domain);
    if (settings_.headers.empty()) settings_.headers = default_signed_headers();
}

std::string DkimSigner::description() const {
    return "d=" + settings_.domain + " s=" + settings_.selector + " a=" + key_.algorithm() +
           " c=" + canonicalization_text(settings_);
}

std::string DkimSigner::sign_header_block(std::string_view header_block, const std::string& body_hash,
                                          std::int64_t signed_at) const {
    const std::vector<HeaderField> fields = split_header_block(header_block);
    const std::vector<std::string> names = signed_names(fields, settings_.headers);

    std::string field = "DKIM-Signature: v=1; a=" + std::string(key_.algorithm()) + ";";
    std::size_t column = field.size();
    append_folded(field, column, "c=" + canonicalization_text(settings_) + ";");
    append_folded(field, column, "d=" + settings_.domain + ";");
    append_folded(field, column, "s=" + settings_.selector + ";");
    append_folded(field, column, "t=" + std::to_string(signed_at) + ";");
    for (std::size_t i = 0; i < names.size(); ++i)
        append_folded(field, column, (i == 0 ? "h=" : "") + names[i] + (i + 1 < names.size() ? ":" : ";"), i == 0);
    append_folded(field, column, "bh=" + body_hash + ";");
    field += "\r\n\tb=";  // b= last: what is hashed ends here (its value counts as empty, §3.7)

    const std::string data = signed_header_data(fields, names, settings_.header_canon) +
                             canonical_header(settings_.header_canon, field);
    const std::string b = base64_encode(key_.sign(data));
    for (std::size_t pos = 0, width = kLine - 10; pos < b.size(); pos += width, width = kLine - 8) {
        if (pos > 0) field += "\r\n\t";
        field += b.substr(pos, width);
    }
    return field + "\r\n";
}

std::string DkimSigner::signature_field(const Message& message, const WriteOptions& options) const {
    DkimMessageHash hash(settings_.body_canon);
    WriteOptions unsigned_options = options;
    unsigned_options.sign = false;
    write_message(message, hash, unsigned_options);
    return sign_header_block(hash.header_block(), hash.body_hash(), static_cast<std::int64_t>(std::time(nullptr)));
}

}  // namespace mvsmtp
