// config.cpp — profile loading; see mvsmtp/config.hpp.
#include "mvsmtp/config.hpp"
#include "config_dkim.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/Environment.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Util/IniFileConfiguration.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include "mvsmtp/error.hpp"
#include "platform.hpp"
#include "secret_file.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

// An INI value without its trailing comment: "; ..." or "# ..." after a space or tab (so
// "pa;ss" stays whole). A value that must contain " ;" belongs in a file (password_file).
std::string without_comment(const std::string& raw) {
    for (std::size_t i = 1; i < raw.size(); ++i)
        if ((raw[i] == ';' || raw[i] == '#') && (raw[i - 1] == ' ' || raw[i - 1] == '\t')) return raw.substr(0, i);
    return raw;
}

bool file_exists(const std::string& path) {
    try {
        Poco::File f(path);
        return f.exists() && f.isFile();
    } catch (...) {
        return false;
    }
}

std::string find_config(const std::string& explicit_path) {
    if (!explicit_path.empty()) {
        if (!file_exists(explicit_path))
            throw Error(ErrorCode::ConfigNotFound, "configuration file " + explicit_path + " not found");
        return explicit_path;
    }
    const std::string env = Poco::Environment::get("MVSMTP_CONFIG", "");
    if (!env.empty()) {
        if (!file_exists(env))
            throw Error(ErrorCode::ConfigNotFound, "MVSMTP_CONFIG names " + env + ", which does not exist");
        return env;
    }
    std::vector<std::string> candidates = {"mvsmtp.ini"};
    const std::string home = Poco::Environment::get("HOME", "");
    if (!home.empty()) candidates.push_back(home + "/.mvsmtp.ini");
    candidates.push_back("/etc/mvsmtp/mvsmtp.ini");
    for (const auto& c : candidates)
        if (file_exists(c)) return c;
    return {};
}

std::string read_password_file(const std::string& path) {
    return read_secret_line(path, ErrorCode::PasswordFile, "password file");
}

int parse_int(const std::string& key, const std::string& value, int lo, int hi) {
    try {
        std::size_t used = 0;
        const int n = std::stoi(value, &used);
        if (used == value.size() && n >= lo && n <= hi) return n;
    } catch (...) {
    }
    throw Error(ErrorCode::BadOption, key + " must be a whole number from " + std::to_string(lo) +
                                          " to " + std::to_string(hi) + " (got \"" + value + "\")");
}

// max_size: octets, or with a K, M or G suffix (binary multiples), 1 K to 1024 G.
std::uint64_t parse_size(const std::string& key, const std::string& value) {
    std::uint64_t multiplier = 1;
    std::string digits = value;
    if (!digits.empty()) {
        const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(digits.back())));
        if (unit == 'K' || unit == 'M' || unit == 'G') {
            multiplier = unit == 'K' ? 1024ull : unit == 'M' ? 1024ull * 1024 : 1024ull * 1024 * 1024;
            digits.pop_back();
        }
    }
    const bool all_digits = !digits.empty() && digits.size() <= 13 &&
                            digits.find_first_not_of("0123456789") == std::string::npos;
    if (all_digits) {
        const std::uint64_t n = std::stoull(digits) * multiplier;
        if (n >= 1024 && n <= 1024ull * 1024 * 1024 * 1024) return n;
    }
    throw Error(ErrorCode::BadOption, key + " must be a size in octets, optionally with K, M or G, from 1K to 1024G (got \"" +
                                          value + "\")");
}

bool parse_bool(const std::string& key, const std::string& value) {
    const std::string v = ascii_lower(value);
    if (v == "1" || v == "yes" || v == "true" || v == "on") return true;
    if (v == "0" || v == "no" || v == "false" || v == "off" || v.empty()) return false;
    throw Error(ErrorCode::BadOption, key + " must be 1 or 0 (got \"" + value + "\")");
}

struct Pending {
    std::vector<ServerAddress> servers;  // server = a, b, ...
    bool port_set = false;
    bool tls_set = false;
    bool smtps_scheme = false;  // the server in force was given as smtps://
    std::string password_file;
    std::string client_secret_file;
    DkimKeys dkim;
};

// oauth_* keys; false when `key` is not one of them.
bool apply_oauth(OAuthSettings& o, const std::string& key, const std::string& value, Pending& pending) {
    if (key == "oauth_grant") {
        const std::string v = ascii_lower(value);
        if (v.empty() || v == "none") o.grant = OAuthGrant::None;
        else if (v == "client_credentials") o.grant = OAuthGrant::ClientCredentials;
        else if (v == "refresh_token" || v == "device_code") o.grant = OAuthGrant::RefreshToken;
        else if (v == "static") o.grant = OAuthGrant::Static;
        else throw Error(ErrorCode::BadOption, "oauth_grant must be client_credentials, refresh_token or static (got \"" + value + "\")");
    } else if (key == "oauth_provider") { o.provider = value;
    } else if (key == "oauth_tenant") { o.tenant = value;
    } else if (key == "oauth_authority") { o.authority = value;
    } else if (key == "oauth_client_id") { o.client_id = value;
    } else if (key == "oauth_client_secret") { o.client_secret = value;
    } else if (key == "oauth_client_secret_file") { pending.client_secret_file = value;
    } else if (key == "oauth_client_certificate") { o.client_certificate = value;
    } else if (key == "oauth_client_key") { o.client_key = value;
    } else if (key == "oauth_scope") { o.scope = value;
    } else if (key == "oauth_token_url") { o.token_url = value;
    } else if (key == "oauth_device_url") { o.device_url = value;
    } else if (key == "oauth_ca_file") { o.ca_file = value;
    } else if (key == "oauth_cache") { o.cache_dir = value;
    } else if (key == "oauth_refresh_token_file") { o.refresh_token_file = value;
    } else if (key == "oauth_token_file") { o.token_file = value;
    } else {
        return false;
    }
    return true;
}

// The OAuth part of a finished profile: its user, timeouts and secret, and AUTH limited to
// the token mechanisms (a token is never sent as a password).
void finish_oauth(Profile& p, const Pending& pending) {
    OAuthSettings& o = p.oauth;
    if (!o.enabled()) return;
    o.user = p.user;
    o.profile = p.name.empty() ? "default" : p.name;
    o.timeouts = p.timeouts;
    if (!pending.client_secret_file.empty())
        o.client_secret = read_secret_line(pending.client_secret_file, ErrorCode::PasswordFile, "OAuth client secret file");
    if (!p.password.empty())
        throw Error(ErrorCode::BadOption, "profile [" + o.profile + "] sets both a password and oauth_grant: use one");
    finish_oauth_settings(o);
    if (p.auth.empty()) p.auth = {Mechanism::XOAuth2, Mechanism::OAuthBearer};
    for (Mechanism m : p.auth)
        if (!is_token_mechanism(m))
            throw Error(ErrorCode::BadOption, std::string("auth = ") + mechanism_name(m) + " cannot carry an OAuth token: use "
                                              "XOAUTH2 or OAUTHBEARER with oauth_grant");
}

// A duration: seconds, or with s, m, h or d ("90s", "30m", "12h", "5d"); 1 s to 365 days.
std::int64_t parse_duration(const std::string& key, const std::string& value) {
    const std::string v = ascii_lower(trim(value));
    std::int64_t unit = 1;
    std::string digits = v;
    if (!v.empty() && std::string("smhd").find(v.back()) != std::string::npos) {
        unit = v.back() == 's' ? 1 : v.back() == 'm' ? 60 : v.back() == 'h' ? 3600 : 86400;
        digits = trim(v.substr(0, v.size() - 1));
    }
    const std::int64_t n = parse_int(key, digits, 1, 365 * 86400);
    if (n * unit > 365 * 86400)
        throw Error(ErrorCode::BadOption, key + " must be at most 365 days (got \"" + value + "\")");
    return n * unit;
}

// dns_server: "host[:port]" or "[v6]:port", comma-separated; c-ares would take more (and
// silently ignore what it cannot read), so the list is checked here.
void check_dns_servers(const std::string& value) {
    std::size_t pos = 0;
    while (pos <= value.size() && !value.empty()) {
        const std::size_t end = std::min(value.find(',', pos), value.size());
        const std::string one = trim(value.substr(pos, end - pos));
        pos = end + 1;
        const ServerAddress s = one.empty() ? ServerAddress{} : parse_server(one);
        Poco::Net::IPAddress ip;
        if (one.empty() || s.scheme_given || !Poco::Net::IPAddress::tryParse(s.host, ip))
            throw Error(ErrorCode::BadOption, "dns_server must list IP addresses with optional ports, e.g. "
                                              "127.0.0.1:53,[::1]:53 (got \"" + value + "\")");
        if (end == value.size()) break;
    }
}

void apply(Profile& p, const std::string& key, const std::string& value, Pending& pending) {
    bool& port_set = pending.port_set;
    std::string& password_file = pending.password_file;
    if (key == "server") {
        pending.servers.clear();
        if (value.empty()) { p.host.clear(); return; }
        std::size_t pos = 0;
        while (pos <= value.size()) {
            const std::size_t end = std::min(value.find(',', pos), value.size());
            const std::string one = trim(value.substr(pos, end - pos));
            pos = end + 1;
            if (one.empty()) throw Error(ErrorCode::BadOption, "server lists an empty relay (got \"" + value + "\")");
            pending.servers.push_back(parse_server(one));
        }
        for (const auto& s : pending.servers)
            if (s.implicit_tls != pending.servers.front().implicit_tls)
                throw Error(ErrorCode::BadOption, "the relays of one profile must all be smtp:// or all smtps:// (got \"" + value + "\")");
        const ServerAddress& s = pending.servers.front();
        p.host = s.host;
        if (s.port) { p.port = s.port; port_set = true; }
        pending.smtps_scheme = s.implicit_tls;
    } else if (key == "port") {
        if (value.empty()) return;
        p.port = parse_int(key, value, 1, 65535);
        port_set = true;
    } else if (key == "tls") {
        if (value.empty()) return;
        const auto mode = parse_tls_mode(value);
        if (!mode) throw Error(ErrorCode::BadOption, "tls must be required, opportunistic, off or implicit (got \"" + value + "\")");
        p.tls = *mode;
        pending.tls_set = true;
    } else if (key == "delivery") {
        const std::string v = ascii_lower(value);
        if (v.empty() || v == "relay") p.delivery = Delivery::Relay;
        else if (v == "direct" || v == "mx") p.delivery = Delivery::Direct;
        else throw Error(ErrorCode::BadOption, "delivery must be relay or direct (got \"" + value + "\")");
    } else if (key == "dns_server") {
        check_dns_servers(value);
        p.dns.servers = value;
    } else if (key == "dns_timeout") {
        if (!value.empty()) p.dns.timeout_ms = parse_int(key, value, 1, 3600) * 1000;
    } else if (key == "mx_port") {
        if (!value.empty()) p.mx_port = parse_int(key, value, 1, 65535);
    } else if (key == "queue") {
        p.queue.folder = value;
    } else if (key == "queue_max_age") {
        if (!value.empty()) p.queue.max_age_seconds = parse_duration(key, value);
    } else if (key == "queue_retry") {
        if (!value.empty()) p.queue.retry_first_seconds = static_cast<int>(parse_duration(key, value));
    } else if (key == "queue_retry_max") {
        if (!value.empty()) p.queue.retry_max_seconds = static_cast<int>(parse_duration(key, value));
    } else if (key == "queue_notify") {
        p.queue.notify = value;
    } else if (key == "rate_limit") {
        p.rates.messages = parse_rate(value);
    } else if (key == "recipient_limit") {
        p.rates.recipients = parse_rate(value);
    } else if (key == "user") {
        p.user = value;
    } else if (key == "password") {
        p.password = value;
    } else if (key == "password_file") {
        password_file = value;
    } else if (key == "auth") {
        p.auth.clear();
        std::string list = value;
        std::replace(list.begin(), list.end(), ',', ' ');
        std::size_t pos = 0;
        while (pos < list.size()) {
            const std::size_t end = std::min(list.find(' ', pos), list.size());
            const std::string word = list.substr(pos, end - pos);
            pos = end + 1;
            if (word.empty() || ascii_lower(word) == "auto") continue;
            const auto m = parse_mechanism(word);
            if (!m) throw Error(ErrorCode::BadOption, "unknown AUTH mechanism \"" + word + "\" (use PLAIN, LOGIN, CRAM-MD5, XOAUTH2 or OAUTHBEARER)");
            p.auth.push_back(*m);
        }
    } else if (key == "allow_plaintext_auth") {
        p.allow_plaintext_auth = parse_bool(key, value);
    } else if (key == "from") {
        p.from = value;
    } else if (key == "helo") {
        p.helo = value;
    } else if (key == "ca_file") {
        p.ca_file = value;
    } else if (key == "connect_timeout") {
        if (!value.empty()) p.timeouts.connect_ms = parse_int(key, value, 1, 3600) * 1000;
    } else if (key == "timeout") {
        if (!value.empty()) p.timeouts.io_ms = parse_int(key, value, 1, 3600) * 1000;
    } else if (key == "final_timeout") {
        if (!value.empty()) p.timeouts.final_ms = parse_int(key, value, 1, 3600) * 1000;
    } else if (key == "outbox") {
        p.outbox = value;
    } else if (key == "transcript") {
        p.transcript = value;
    } else if (key == "keepalive") {
        if (!value.empty()) p.keepalive_seconds = parse_int(key, value, 0, 86400);
    } else if (key == "pipelining") {
        if (!value.empty()) p.pipelining = parse_bool(key, value);
    } else if (key == "max_size") {
        if (!value.empty()) p.max_size = parse_size(key, value);
    } else if (apply_dkim(pending.dkim, key, value)) {
    } else if (apply_oauth(p.oauth, key, value, pending)) {
    } else if (key == "charset") {
        const std::string c = ascii_lower(value);
        if (!c.empty() && c != "utf-8" && c != "utf8" && c != "cp1252" && c != "windows-1252" &&
            c != "latin1" && c != "iso-8859-1")
            throw Error(ErrorCode::BadOption, "charset must be utf-8, cp1252 or latin1 (got \"" + value + "\")");
        p.charset = c;
    }
}

bool same_text(const std::string& a, const std::string& b) { return ascii_lower(a) == ascii_lower(b); }

// The line of `path` that holds `key` in [section] (1-based; 0 when not found). Poco's INI
// reader keeps no line numbers, so the file is read again, the way Poco reads it: "[name]"
// starts a section, ';' or '#' starts a comment line, the key is what precedes the first '='
// (the whole line when there is none), trimmed.
int line_of_key(const std::string& path, const std::string& section, const std::string& key) {
    std::ifstream in(path, std::ios::binary);
    std::string line, current;
    for (int number = 1; std::getline(in, line); ++number) {
        const std::string t = trim(line);
        if (t.empty() || t[0] == ';' || t[0] == '#') continue;
        if (t[0] == '[') {
            current = trim(t.substr(1, t.find(']') == std::string::npos ? std::string::npos : t.find(']') - 1));
            continue;
        }
        if (same_text(current, section) && same_text(trim(t.substr(0, t.find('='))), key)) return number;
    }
    return 0;
}

// Unknown key: named by its first word and line only. A line such as "password S3cr3t" (no
// '=') is one long key to the INI reader, and its rest must never be echoed into RESULT.
Error unknown_key(const std::string& path, const std::string& section, const std::string& raw_key) {
    const std::string word = raw_key.substr(0, raw_key.find_first_of(" \t="));
    const int line = line_of_key(path, section, raw_key);
    const bool more = word.size() < raw_key.size();
    std::string where = path + (line > 0 ? ", line " + std::to_string(line) : std::string());
    return Error(ErrorCode::ConfigInvalid,
                 "unknown key \"" + word + "\"" + (more ? " (the rest of the line is not shown: is its '=' missing?)" : "") +
                     " in profile [" + section + "] of " + where);
}

}  // namespace

const std::vector<std::string>& profile_keys() {
    static const std::vector<std::string> keys = {
        "server", "port", "tls", "user", "password", "password_file", "auth",
        "allow_plaintext_auth", "from", "helo", "ca_file", "connect_timeout", "timeout", "final_timeout",
        "outbox", "charset", "transcript", "keepalive", "pipelining", "max_size",
        "delivery", "dns_server", "dns_timeout", "mx_port",
        "queue", "queue_max_age", "queue_retry", "queue_retry_max", "queue_notify", "rate_limit", "recipient_limit",
        "dkim_domain", "dkim_selector", "dkim_key_file", "dkim_canonicalization", "dkim_headers",
        "oauth_grant", "oauth_provider", "oauth_tenant", "oauth_authority", "oauth_client_id",
        "oauth_client_secret", "oauth_client_secret_file", "oauth_client_certificate", "oauth_client_key",
        "oauth_scope", "oauth_token_url", "oauth_device_url", "oauth_ca_file", "oauth_cache",
        "oauth_refresh_token_file", "oauth_token_file"};
    return keys;
}

ServerAddress parse_server(const std::string& raw) {
    ServerAddress out;
    std::string text = trim(raw);
    const std::string l = ascii_lower(text);
    if (l.rfind("smtps://", 0) == 0) {
        out.implicit_tls = true;
        out.scheme_given = true;
        text = text.substr(8);
    } else if (l.rfind("smtp://", 0) == 0) {
        out.scheme_given = true;
        text = text.substr(7);
    } else if (l.find("://") != std::string::npos) {
        throw Error(ErrorCode::BadOption, "server must be smtp://host:port or smtps://host:port (got \"" + raw + "\")");
    }
    if (!text.empty() && text.back() == '/') text.pop_back();
    std::string port;
    if (!text.empty() && text.front() == '[') {  // [IPv6]:port
        const auto close = text.find(']');
        if (close == std::string::npos) throw Error(ErrorCode::BadOption, "unterminated [ in server \"" + raw + "\"");
        out.host = text.substr(1, close - 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') throw Error(ErrorCode::BadOption, "bad server \"" + raw + "\"");
            port = text.substr(close + 2);
        }
    } else {
        const auto colon = text.find(':');
        if (colon != std::string::npos && text.find(':', colon + 1) == std::string::npos) {
            out.host = text.substr(0, colon);
            port = text.substr(colon + 1);
        } else {
            out.host = text;  // a bare IPv6 address has several colons and no port
        }
    }
    if (out.host.empty()) throw Error(ErrorCode::BadOption, "server has no host name (got \"" + raw + "\")");
    for (char c : out.host)
        if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == '@')
            throw Error(ErrorCode::BadOption, "server host name is malformed (got \"" + raw + "\")");
    if (!port.empty()) out.port = parse_int("port", port, 1, 65535);
    return out;
}

Profile load_profile(const ProfileRequest& request) {
    Profile p;
    Pending pending;
    const std::string path = find_config(request.config_path);
    const std::string section = request.profile.empty() ? "default" : request.profile;

    if (!path.empty()) {
        Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini;
        try {
            ini = new Poco::Util::IniFileConfiguration(path);
        } catch (const Poco::Exception& e) {
            throw Error(ErrorCode::ConfigInvalid, "cannot read configuration " + path + ": " + e.displayText());
        }
        p.source = path;
        Poco::Util::AbstractConfiguration::Keys keys;
        ini->keys(section, keys);
        if (!keys.empty()) {
            p.name = section;
            for (const auto& k : keys) {
                // Poco reads "server.port = 25" as a key "port" under "server": no profile key
                // has a dot, so such a line is an unknown key (it was an INTERNAL error, or
                // silently ignored next to a "server" line).
                Poco::Util::AbstractConfiguration::Keys nested;
                ini->keys(section + "." + k, nested);
                if (!nested.empty()) throw unknown_key(path, section, k + "." + nested.front());
                const std::string key = ascii_lower(k);
                const auto& known = profile_keys();
                if (std::find(known.begin(), known.end(), key) == known.end())
                    throw unknown_key(path, section, k);
                if (key == "password" || key == "oauth_client_secret") refuse_if_shared(path, "configuration file");
                apply(p, key, trim(without_comment(ini->getRawString(section + "." + k))), pending);
            }
        } else if (!request.profile.empty()) {
            throw Error(ErrorCode::ProfileNotFound, "profile [" + request.profile + "] not found in " + path);
        }
    } else if (!request.profile.empty()) {
        throw Error(ErrorCode::ConfigNotFound,
                    "profile [" + request.profile + "] requested but no configuration file was found "
                    "(looked at $MVSMTP_CONFIG, ./mvsmtp.ini, ~/.mvsmtp.ini, /etc/mvsmtp/mvsmtp.ini)");
    }

    for (const auto& [k, v] : request.overrides) {
        const std::string key = ascii_lower(k);
        const auto& known = profile_keys();
        if (std::find(known.begin(), known.end(), key) == known.end())
            throw Error(ErrorCode::BadOption, "unknown option \"" + k + "\"");
        // A password is taken exactly as given (it may start or end with a space); every
        // other field is trimmed.
        apply(p, key, key == "password" ? v : trim(v), pending);
    }
    // smtps:// always means TLS from the first byte: waiting for a plaintext greeting on
    // such a port only ends in a timeout. Asking for no TLS at all there is a contradiction.
    if (pending.smtps_scheme) {
        if (p.tls == TlsMode::Off)
            throw Error(ErrorCode::BadOption, "server is smtps:// (implicit TLS) but tls=off; use smtp:// for an unencrypted server");
        p.tls = TlsMode::Implicit;
    }
    if (p.delivery == Delivery::Direct) {
        if (p.tls == TlsMode::Implicit)
            throw Error(ErrorCode::BadOption, "delivery = direct talks to mail exchangers on port 25 with STARTTLS: "
                                              "tls must be opportunistic (the default there), required or off");
        if (!pending.tls_set) p.tls = TlsMode::Opportunistic;
    }
    if (!pending.password_file.empty()) p.password = read_password_file(pending.password_file);
    if (!pending.port_set) p.port = p.tls == TlsMode::Implicit ? 465 : 587;
    const int default_port = p.tls == TlsMode::Implicit ? 465 : 587;
    p.relays.clear();
    if (pending.servers.empty() && !p.host.empty()) p.relays.push_back({p.host, p.port});
    for (const auto& s : pending.servers) p.relays.push_back({s.host, s.port ? s.port : default_port});
    if (!p.relays.empty()) p.relays.front().port = p.port;  // a port key applies to the first
    p.reference.config = path;
    p.reference.profile = request.profile;
    for (const auto& [k, v] : request.overrides) {
        const std::string key = ascii_lower(k);
        if (key != "password" && key != "oauth_client_secret") p.reference.overrides[key] = v;
        else if (!v.empty()) p.reference.dropped_secret = true;
    }
    if (p.rates.enabled() && !p.queue.enabled())
        throw Error(ErrorCode::BadOption, "rate_limit and recipient_limit need a queue folder (queue = ...): a message over "
                                          "the limit is queued, never refused");
    finish_oauth(p, pending);
    p.dkim = dkim_settings(pending.dkim);
    return p;
}

}  // namespace mvsmtp
