// mvsmtp/config.hpp — profiles from an INI file, overridden field by field by the caller.
//
//   ; mvsmtp.ini  (chmod 600 when it holds a password)
//   [default]
//   server        = smtp://mail.example.com:587     ; or smtps://host:465, or host[:port]
//   tls           = required                        ; required | opportunistic | off | implicit
//   user          = billing@example.com
//   password_file = /etc/mvsmtp/billing.pass        ; or password = ... (file must be 0600)
//   from          = Billing <billing@example.com>
//   ; OAuth 2.0 instead of a password (see mvsmtp/oauth_settings.hpp and docs/oauth-*.md):
//   ; oauth_grant = client_credentials, oauth_tenant = ..., oauth_client_id = ..., ...
//
//   ProfileRequest req;  req.profile = "billing";  req.overrides["server"] = "...";
//   Profile p = load_profile(req);
//
// Where the file is found: req.config_path, else $MVSMTP_CONFIG, else ./mvsmtp.ini, else
// $HOME/.mvsmtp.ini, else /etc/mvsmtp/mvsmtp.ini. No file and no server given is not an
// error: the profile then has no server and messages go to the outbox folder.
// A file (or password file) that holds a secret and can be read by other users is refused
// with Error(ConfigInsecure) saying which chmod fixes it.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mvsmtp/auth.hpp"
#include "mvsmtp/connection.hpp"
#include "mvsmtp/dkim.hpp"
#include "mvsmtp/mx_lookup.hpp"
#include "mvsmtp/queue.hpp"
#include "mvsmtp/rate_limit.hpp"
#include "mvsmtp/oauth_settings.hpp"
#include "mvsmtp/tls.hpp"

namespace mvsmtp {

// relay: through the profile's server (or to the outbox without one); direct: to each
// recipient domain's mail exchangers on port 25, no AUTH (direct.hpp).
enum class Delivery { Relay, Direct };

struct Profile {
    std::string name;            // section used ("" when none)
    std::string source;          // config file used ("" when none)
    std::string host;            // empty → no server: store in the outbox
    int port = 0;                // resolved: explicit, else 465 for implicit TLS, else 587
    TlsMode tls = TlsMode::Required;
    std::string user;
    std::string password;        // never logged; from password or password_file
    std::vector<Mechanism> auth; // empty → strongest offered
    bool allow_plaintext_auth = false;
    std::string from;            // default From when the message has none
    std::string helo;            // EHLO name; empty → the host's FQDN, else an address literal
    std::string ca_file;
    Timeouts timeouts;
    std::string outbox;          // folder for stored messages
    std::string charset;         // input charset of BASIC data: utf-8 (default), cp1252, latin1
    std::string transcript;      // "" none, "result" into RESULT, else a file to append to
    int keepalive_seconds = 30;  // sessions: NOOP before a send after this much idle; 0 never
    bool pipelining = true;      // use PIPELINING when the server offers it
    // The largest message, in octets, that is sent or stored (max_size; "25M" style suffixes
    // K, M, G accepted). Keeps a runaway attachment from filling the disk or the DATA.
    std::uint64_t max_size = kDefaultMaxSize;
    static constexpr std::uint64_t kDefaultMaxSize = 100ull * 1024 * 1024;
    OAuthSettings oauth;         // oauth_* keys: the AUTH secret is an access token obtained here
    Delivery delivery = Delivery::Relay;  // delivery = relay | direct
    DnsSettings dns;             // dns_server, dns_timeout: MX lookups of direct delivery and SMTP.VERIFY
    int mx_port = 25;            // mx_port: the exchangers' port (tests use another)
    // server = a, b, ...: relays tried in order (a refused or failed connection, a 4xx before
    // the content) before the message is deferred; host/port above are the first.
    struct Relay {
        std::string host;
        int port = 0;
    };
    std::vector<Relay> relays;
    QueueSettings queue;         // queue, queue_max_age, queue_retry, queue_retry_max, queue_notify
    RateLimits rates;            // rate_limit, recipient_limit (need a queue: over the limit = queued)
    // dkim_domain, dkim_selector, dkim_key_file, dkim_canonicalization, dkim_headers: one entry
    // per signing domain; a message is signed with the one covering its From domain.
    std::vector<DkimSettings> dkim;
    // Where this profile came from (file, section, the caller's overrides but never a
    // password or client secret): what a queued message is sent with later.
    ProfileReference reference;
    // direct delivery: tls defaults to opportunistic (STARTTLS when offered, an unverifiable
    // certificate reported, not refused); an explicit tls = required refuses both.

    bool has_server() const { return !host.empty(); }
};

struct ProfileRequest {
    std::string config_path;                      // explicit file; must exist when given
    std::string profile;                          // section name; "default" when empty
    std::map<std::string, std::string> overrides; // same keys as the INI file
};

// The keys a profile (and an override) may contain.
const std::vector<std::string>& profile_keys();

Profile load_profile(const ProfileRequest& request);

// "smtp://h:25", "smtps://h", "h:2525", "[::1]:25", "h" → host, port (0 if none), tls mode
// implied by the scheme (smtps → Implicit) when the scheme says so.
struct ServerAddress {
    std::string host;
    int port = 0;
    bool implicit_tls = false;
    bool scheme_given = false;
};
ServerAddress parse_server(const std::string& text);

}  // namespace mvsmtp
