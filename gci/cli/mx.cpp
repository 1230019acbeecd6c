// mx.cpp — `mvsmtp mx`: a domain's mail exchangers as direct delivery and SMTP.VERIFY see
// them, with every DNS step, for the operator who asks "why class 1/3?".
//
//   mvsmtp mx example.com [--dns-server IP[:PORT]] [--dns-timeout SECONDS]
//
// Prints the resolver, each query with its answer and milliseconds, then the exchangers in
// the order they would be tried (with their addresses), or why there are none.
// Exit status: 0 exchangers found, 49 NO.MAIL.SERVER, 21 DNS.UNAVAILABLE, 62 a bad domain.
// An operator tool like `oauth`: it calls the core's lookup directly (nothing is sent).
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/mx_lookup.hpp"
#include "server_flags.hpp"

namespace mvsmtp::cli {
namespace {

const char* kMxUsage = R"(Usage: mvsmtp mx DOMAIN [--dns-server IP[:PORT]] [--dns-timeout SECONDS]

Looks up DOMAIN's mail exchangers exactly as direct delivery and verify do (MX, then each
exchanger's A/AAAA; no MX = the domain itself; a null MX = no mail server) and prints every
DNS step with its answer and time, then the exchangers in the order they would be tried.
  --dns-server IP[:PORT]  DNS server(s), comma-separated (default: /etc/resolv.conf)
  --dns-timeout SECONDS   the whole lookup (default 30)
Exit status: 0 exchangers found, 49 no mail server, 21 the DNS did not answer.
)";

void print_lookup(const MxLookup& mx) {
    std::cout << "Resolver: " << (mx.resolver.empty() ? "/etc/resolv.conf" : mx.resolver) << "\n";
    for (const DnsStep& s : mx.steps)
        std::cout << "  " << s.query << " -> " << (s.answer.empty() ? "(no answer)" : s.answer) << "  ("
                  << s.milliseconds << " ms)\n";
    if (mx.outcome == MxOutcome::NoMailServer) {
        std::cout << "No mail server for " << mx.domain << ": " << mx.reason << "\n";
        return;
    }
    if (mx.outcome == MxOutcome::Unavailable) {
        std::cout << "DNS unavailable for " << mx.domain << ": " << mx.reason << "\n";
        return;
    }
    std::cout << "Exchangers of " << mx.domain << ", in the order they would be tried:\n";
    int n = 0;
    for (const Exchanger& x : mx.exchangers) {
        std::cout << "  " << ++n << ". " << x.name
                  << (x.implicit ? "  (no MX: the domain itself)" : "  preference " + std::to_string(x.preference))
                  << "  ";
        for (std::size_t i = 0; i < x.addresses.size(); ++i) std::cout << (i ? ", " : "") << x.addresses[i];
        std::cout << "\n";
    }
}

}  // namespace

int run_mx(const std::vector<std::string>& args) {
    DnsSettings dns;
    std::string domain;
    ArgReader reader(args);
    while (reader.next()) {
        const std::string& flag = reader.flag();
        if (flag == "--help" || flag == "-h") {
            std::cout << kMxUsage;
            return 0;
        }
        if (flag == "--dns-server") { dns.servers = reader.value(); continue; }
        if (flag == "--dns-timeout") { dns.timeout_ms = dns_timeout_ms(reader.value()); continue; }
        if (!flag.empty() && flag[0] == '-') throw UsageError("unknown option " + flag + " (try mvsmtp mx --help)");
        if (!domain.empty()) throw UsageError("mx takes one DOMAIN (got \"" + domain + "\" and \"" + flag + "\")");
        domain = flag;
    }
    if (domain.empty()) throw UsageError("mx needs a DOMAIN (try mvsmtp mx --help)");
    try {
        const MxLookup mx = lookup_mx(domain, dns);
        print_lookup(mx);
        switch (mx.outcome) {
            case MxOutcome::Found: return 0;
            case MxOutcome::NoMailServer: return error_number(ErrorCode::NoMailServer);
            case MxOutcome::Unavailable: return error_number(ErrorCode::DnsUnavailable);
        }
        return 99;
    } catch (const Error& e) {
        std::cerr << "mvsmtp: " << e.what() << "\n";
        return error_number(e.code());
    }
}

}  // namespace mvsmtp::cli
