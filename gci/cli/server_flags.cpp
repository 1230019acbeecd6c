// server_flags.cpp — see server_flags.hpp.
#include "server_flags.hpp"

#include <map>

#include "commands.hpp"
#include "layout.hpp"

namespace mvsmtp::cli {
namespace {

namespace O = gci::field::Options;

// Flag → OPTIONS field, for every flag that takes a value.
const std::map<std::string, int>& valued_flags() {
    static const std::map<std::string, int> flags = {
        {"--server", O::SERVER}, {"--port", O::PORT}, {"--tls", O::TLS}, {"--user", O::USER},
        {"--password-file", O::PASSWORD_FILE}, {"--auth", O::AUTH}, {"--ca-file", O::CA_FILE},
        {"--helo", O::HELO}, {"--timeout", O::TIMEOUT}, {"--connect-timeout", O::CONNECT_TIMEOUT},
        {"--profile", O::PROFILE}, {"--config", O::CONFIG}, {"--charset", O::CHARSET},
        {"--dkim-domain", O::DKIM_DOMAIN}, {"--dkim-selector", O::DKIM_SELECTOR}, {"--dkim-key", O::DKIM_KEY_FILE}};
    return flags;
}

}  // namespace

const char* const kServerFlagsUsage = R"(Server (each overrides the profile):
  --server URL           smtp://host:port (STARTTLS) or smtps://host:port (implicit TLS)
  --port N  --tls required|opportunistic|off|implicit
  --user NAME  --password-file PATH  --auth PLAIN|LOGIN|CRAM-MD5|XOAUTH2|OAUTHBEARER
                         no --password: other users could read it in `ps`; put it in a
                         chmod 600 file or the profile
  --allow-plaintext-auth send credentials without TLS (you accept the risk)
  --ca-file PATH         trust this CA file instead of the system store
  --helo NAME  --timeout SECONDS  --connect-timeout SECONDS
  --profile NAME  --config PATH   profile and INI file (see README: Configuration)
  --charset utf-8|cp1252|latin1
  --dkim-domain D --dkim-selector S --dkim-key PATH
                         DKIM-sign with this key (chmod 600 PEM) when From is in D
                         (default: the profile's dkim_* keys; see mvsmtp dkim)
)";

const char* const kDirectFlagsUsage = R"(Direct delivery (no relay: each recipient domain's mail exchangers, port 25, no AUTH):
  --delivery relay|direct  direct = look up each domain's MX and deliver there (O.DELIVERY)
  --dns-server IP[:PORT]   DNS server(s) for the MX lookups, comma-separated (default:
                           /etc/resolv.conf)
  --dns-timeout SECONDS    the whole lookup of one domain (default 30)
  --mx-port N              the exchangers' port (default 25; tests use another)
)";

int dns_timeout_ms(const std::string& text) {
    try {
        std::size_t used = 0;
        const int n = std::stoi(text, &used);
        if (used == text.size() && n >= 1 && n <= 3600) return n * 1000;
    } catch (const std::exception&) {
    }
    throw UsageError("--dns-timeout must be 1..3600 seconds (got \"" + text + "\")");
}

bool take_direct_flag(ArgReader& args, gci::DynArrayBuilder& options, bool with_delivery) {
    static const std::map<std::string, int> flags = {
        {"--dns-server", O::DNS_SERVER}, {"--dns-timeout", O::DNS_TIMEOUT}, {"--mx-port", O::MX_PORT}};
    const std::string& flag = args.flag();
    if (with_delivery && flag == "--delivery") {
        options.set(O::DELIVERY, args.value());
        return true;
    }
    const auto it = flags.find(flag);
    if (it == flags.end()) return false;
    options.set(it->second, args.value());
    return true;
}

void refuse_marks(const std::string& what, const std::string& text) {
    for (char c : text)
        if (c >= '\x1C' && c <= '\x1F')
            throw UsageError(what + " contains a control character ASCII 28-31 (a dynamic-array mark or the "
                                    "argument separator); refused, nothing was sent");
}

std::string ArgReader::value() {
    const std::string& name = flag();
    if (pos_ + 1 >= args_.size()) throw UsageError(name + " needs a value");
    refuse_marks("the value of " + name, args_[pos_ + 1]);
    return args_[++pos_];
}

bool take_server_flag(ArgReader& args, gci::DynArrayBuilder& options) {
    const std::string& flag = args.flag();
    if (flag == "--password")
        throw UsageError("--password is not accepted: use --password-file or a profile");
    if (flag == "--allow-plaintext-auth") {
        options.set(O::ALLOW_PLAINTEXT_AUTH, "1");
        return true;
    }
    const auto it = valued_flags().find(flag);
    if (it == valued_flags().end()) return false;
    options.set(it->second, args.value());
    return true;
}

bool take_server_target(ArgReader& args, gci::DynArrayBuilder& options) {
    const std::string& arg = args.flag();
    if (arg.empty() || arg[0] == '-') return false;
    refuse_marks("the server argument", arg);
    options.set(O::SERVER, arg);
    return true;
}

}  // namespace mvsmtp::cli
