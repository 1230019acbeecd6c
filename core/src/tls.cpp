// tls.cpp — TLS mode names.
#include "mvsmtp/tls.hpp"

#include <cctype>

namespace mvsmtp {

const char* tls_mode_name(TlsMode mode) {
    switch (mode) {
        case TlsMode::Required: return "required";
        case TlsMode::Opportunistic: return "opportunistic";
        case TlsMode::Off: return "off";
        case TlsMode::Implicit: return "implicit";
    }
    return "required";
}

std::optional<TlsMode> parse_tls_mode(const std::string& name) {
    std::string n;
    for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (n == "required" || n == "starttls" || n == "require") return TlsMode::Required;
    if (n == "opportunistic" || n == "may") return TlsMode::Opportunistic;
    if (n == "off" || n == "none" || n == "plain") return TlsMode::Off;
    if (n == "implicit" || n == "smtps" || n == "ssl" || n == "tls") return TlsMode::Implicit;
    return std::nullopt;
}

}  // namespace mvsmtp
