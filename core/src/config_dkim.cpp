// config_dkim.cpp — the dkim_* profile keys; see config_dkim.hpp.
#include "config_dkim.hpp"

#include "mvsmtp/address.hpp"
#include "mvsmtp/dkim_dns.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t end = std::min(text.find(separator, pos), text.size());
        const std::string one = trim(text.substr(pos, end - pos));
        if (!one.empty()) out.push_back(one);
        pos = end + 1;
    }
    return out;
}

// The n-th of a list that has one entry for all or one per domain.
std::string nth(const std::vector<std::string>& list, std::size_t i, std::size_t domains, const char* key) {
    if (list.size() != 1 && list.size() != domains)
        throw Error(ErrorCode::BadOption, std::string(key) + " must list one value for all DKIM domains or one per "
                                          "dkim_domain (" + std::to_string(domains) + "), in the same order; it lists " +
                                          std::to_string(list.size()));
    return list.size() == 1 ? list.front() : list[i];
}

std::string replace_domain(std::string path, const std::string& domain) {
    for (std::size_t at = path.find("%d"); at != std::string::npos; at = path.find("%d", at + domain.size()))
        path.replace(at, 2, domain);
    return path;
}

}  // namespace

bool apply_dkim(DkimKeys& keys, const std::string& key, const std::string& value) {
    if (key == "dkim_domain") keys.domains = value;
    else if (key == "dkim_selector") keys.selectors = value;
    else if (key == "dkim_key_file") keys.key_files = value;
    else if (key == "dkim_canonicalization") keys.canonicalization = value;
    else if (key == "dkim_headers") keys.headers = value;
    else return false;
    return true;
}

std::vector<DkimSettings> dkim_settings(const DkimKeys& keys) {
    const std::vector<std::string> domains = split(keys.domains, ',');
    const std::vector<std::string> selectors = split(keys.selectors, ',');
    const std::vector<std::string> files = split(keys.key_files, ',');
    if (domains.empty()) {
        if (!selectors.empty() || !files.empty())
            throw Error(ErrorCode::BadOption, "dkim_selector and dkim_key_file need dkim_domain (the d= domain the key signs for)");
        return {};
    }
    if (selectors.empty()) throw Error(ErrorCode::BadOption, "dkim_domain needs dkim_selector (the s= name the key is published under)");
    if (files.empty()) throw Error(ErrorCode::BadOption, "dkim_domain needs dkim_key_file (the private key, owner-only)");
    std::vector<DkimSettings> out;
    for (std::size_t i = 0; i < domains.size(); ++i) {
        DkimSettings s;
        try {
            s.domain = ascii_lower(domain_to_ascii(domains[i]));
        } catch (const Error&) {
            throw Error(ErrorCode::BadOption, "dkim_domain \"" + domains[i] + "\" is not a domain name");
        }
        if (s.domain.find('.') == std::string::npos)
            throw Error(ErrorCode::BadOption, "dkim_domain \"" + domains[i] + "\" is not a domain name");
        s.selector = nth(selectors, i, domains.size(), "dkim_selector");
        if (!is_dkim_selector(s.selector))
            throw Error(ErrorCode::BadOption, "dkim_selector \"" + s.selector + "\" is not a DNS label (letters, digits, '-', '.')");
        s.key_file = replace_domain(nth(files, i, domains.size(), "dkim_key_file"), s.domain);
        parse_canonicalization(keys.canonicalization, s);
        s.headers = split(keys.headers, ':');
        for (const auto& h : s.headers)
            for (char c : h)
                if (c < 33 || c > 126)
                    throw Error(ErrorCode::BadOption, "dkim_headers lists \"" + h + "\", which is not a header name (names are separated by ':')");
        if (!s.headers.empty()) {
            bool from = false;
            for (const auto& h : s.headers) from = from || ascii_lower(h) == "from";
            if (!from) throw Error(ErrorCode::BadOption, "dkim_headers must include From (RFC 6376 §5.4)");
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace mvsmtp
