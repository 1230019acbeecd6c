// mx_lookup.cpp — MX, then addresses, under one deadline; see mvsmtp/mx_lookup.hpp.
#include "mvsmtp/mx_lookup.hpp"

#include <sys/random.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "mvsmtp/address.hpp"
#include "mvsmtp/error.hpp"
#include "resolver.hpp"

namespace mvsmtp {
namespace {

int elapsed_ms(DnsClock::time_point since) {
    return static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(DnsClock::now() - since).count());
}

// Preference order; equal preferences in random order (RFC 5321 §5.1), so that load spreads.
void order(std::vector<MxRecord>& records) {
    unsigned seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof seed))
        seed = static_cast<unsigned>(DnsClock::now().time_since_epoch().count());
    std::minstd_rand random(seed);
    std::shuffle(records.begin(), records.end(), random);
    std::stable_sort(records.begin(), records.end(),
                     [](const MxRecord& a, const MxRecord& b) { return a.preference < b.preference; });
}

std::string mx_text(const std::vector<MxRecord>& records) {
    std::string text;
    for (const auto& r : records)
        text += (text.empty() ? "" : ", ") + std::to_string(r.preference) + " " + (r.host.empty() ? "." : r.host);
    return text;
}

}  // namespace

MxLookup lookup_mx(const std::string& domain, const DnsSettings& dns) {
    MxLookup result;
    result.domain = domain_to_ascii(domain);
    if (!result.domain.empty() && result.domain.back() == '.') result.domain.pop_back();
    // A host name only (the header's promise): no address literal, nothing the DNS would be
    // asked about verbatim ("bad domain!" was looked up and reported as NXDOMAIN).
    if (result.domain.empty() || result.domain.front() == '[' || !is_valid_address("postmaster@" + result.domain))
        throw Error(ErrorCode::BadAddress, "\"" + domain + "\" is not a domain name");
    result.resolver = resolver_in_use(dns.servers);
    const auto deadline = DnsClock::now() + std::chrono::milliseconds(dns.timeout_ms > 0 ? dns.timeout_ms : 1);

    auto start = DnsClock::now();
    DnsAnswer<MxRecord> mx = query_mx(result.domain, dns.servers, deadline);
    order(mx.records);
    result.steps.push_back({"MX " + result.domain, mx.status == DnsStatus::Ok ? mx_text(mx.records) : mx.text,
                            elapsed_ms(start)});
    if (mx.status == DnsStatus::Unavailable) {
        result.reason = "the DNS (" + result.resolver + ") gave no answer for the MX of " + result.domain + ": " + mx.text;
        return result;
    }
    if (mx.status == DnsStatus::NoDomain) {
        result.outcome = MxOutcome::NoMailServer;
        result.reason = "the domain " + result.domain + " does not exist (NXDOMAIN)";
        return result;
    }
    // RFC 7505: a single MX with the root as exchange says "this domain takes no mail".
    const bool null_mx = std::any_of(mx.records.begin(), mx.records.end(), [](const MxRecord& r) { return r.host.empty(); });
    if (null_mx) {
        result.outcome = MxOutcome::NoMailServer;
        result.reason = "the domain " + result.domain + " declares that it accepts no mail (null MX, RFC 7505)";
        return result;
    }
    std::vector<MxRecord> targets = mx.records;
    const bool implicit = mx.status == DnsStatus::NoData;
    if (implicit) targets = {{0, result.domain}};  // RFC 5321 §5.1: the domain itself

    bool inconclusive = false;
    std::string last_text;
    for (const MxRecord& target : targets) {
        start = DnsClock::now();
        const DnsAnswer<Poco::Net::IPAddress> a = query_addresses(target.host, dns.servers, deadline);
        std::string answer;
        for (const auto& ip : a.records) answer += (answer.empty() ? "" : ", ") + ip.toString();
        result.steps.push_back({"A/AAAA " + target.host, a.status == DnsStatus::Ok ? answer : a.text, elapsed_ms(start)});
        if (a.status == DnsStatus::Ok) {
            Exchanger x{target.host, target.preference, implicit, {}};
            for (const auto& ip : a.records) x.addresses.push_back(ip.toString());
            result.exchangers.push_back(std::move(x));
            continue;
        }
        inconclusive = inconclusive || a.status == DnsStatus::Unavailable;
        last_text = target.host + ": " + a.text;
        if (DnsClock::now() >= deadline) break;
    }
    if (!result.exchangers.empty()) {
        result.outcome = MxOutcome::Found;
        return result;
    }
    if (inconclusive) {
        result.reason = "the DNS (" + result.resolver + ") gave no answer for the address of " +
                        (implicit ? result.domain : "the mail exchangers of " + result.domain) + " (" + last_text + ")";
        return result;
    }
    result.outcome = MxOutcome::NoMailServer;
    result.reason = implicit ? "the domain " + result.domain + " has no MX record and no address"
                             : "no mail exchanger of " + result.domain + " has an address (" + mx_text(mx.records) + ")";
    return result;
}

}  // namespace mvsmtp
