// client_name.cpp — the default EHLO name; see mvsmtp/client_name.hpp.
#include "mvsmtp/client_name.hpp"

#include <Poco/Net/IPAddress.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <mutex>

#include "resolver.hpp"

namespace mvsmtp {

std::string address_literal(const std::string& ip) {
    Poco::Net::IPAddress a;
    if (!Poco::Net::IPAddress::tryParse(ip, a)) return "[" + ip + "]";
    if (a.family() == Poco::Net::IPAddress::IPv6 && a.isIPv4Mapped()) {
        const std::string text = a.toString();  // "::ffff:192.0.2.1"
        return "[" + text.substr(text.rfind(':') + 1) + "]";
    }
    if (a.family() == Poco::Net::IPAddress::IPv6) {
        std::string text = a.toString();
        const auto percent = text.find('%');  // a zone id has no place in a literal
        if (percent != std::string::npos) text.erase(percent);
        return "[IPv6:" + text + "]";
    }
    return "[" + a.toString() + "]";
}

bool looks_like_fqdn(const std::string& name) {
    if (name.size() < 3 || name.size() > 253 || name.find('.') == std::string::npos) return false;
    if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos) return false;
    Poco::Net::IPAddress ip;
    if (Poco::Net::IPAddress::tryParse(name, ip)) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
    return true;
}

std::string host_fqdn(int timeout_ms) {
    using Clock = std::chrono::steady_clock;
    static std::mutex mutex;
    static std::string cached;
    static Clock::time_point cached_at;
    static bool have = false;
    std::lock_guard<std::mutex> lock(mutex);
    if (have && Clock::now() - cached_at < std::chrono::minutes(10)) return cached;
    char host[256] = {};
    std::string name;
    if (gethostname(host, sizeof host - 1) == 0) name = host;
    std::string fqdn;
    if (looks_like_fqdn(name)) {
        fqdn = name;
    } else if (!name.empty()) {
        std::string canonical;
        if (canonical_name(name, timeout_ms, canonical) && looks_like_fqdn(canonical)) fqdn = canonical;
    }
    cached = fqdn;
    cached_at = Clock::now();
    have = true;
    return cached;
}

std::string default_client_name(const std::string& local_ip, int timeout_ms) {
    std::string fqdn = host_fqdn(timeout_ms);
    return fqdn.empty() ? address_literal(local_ip) : fqdn;
}

}  // namespace mvsmtp
