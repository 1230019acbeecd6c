// dkim_check.cpp — `mvsmtp dkim check`: is the key published at S._domainkey.D the one we
// sign with? For the operator who asks "why do receivers say dkim=fail?".
//
//   mvsmtp dkim check --domain D --selector S --key PATH [--dns-server IP[:PORT]] [--dns-timeout S]
//   mvsmtp dkim check [--domain D] [--selector S] --profile P [--config F] [...]   (D: the profile's
//                                                        one dkim_domain when it has only one)
//
// With --profile the key is the one that profile's dkim_* keys sign D's mail with (the
// closest dkim_domain covering D, as ready_for_sending chooses it), and the record checked is
// that key's: its d= domain and, unless --selector says otherwise, its selector.
// Prints the key, the name asked with the DNS's answer, every record there and the verdict;
// exits with the verdict's error number (dkim.cpp's usage lists them). Nothing is sent.
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dkim_command.hpp"
#include "mvsmtp/address.hpp"
#include "mvsmtp/config.hpp"
#include "mvsmtp/dkim.hpp"
#include "mvsmtp/dkim_dns.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/text.hpp"
#include "server_flags.hpp"

namespace mvsmtp::cli {
namespace {

struct CheckArgs {
    std::string domain, selector, key_file;
    bool use_profile = false;
    ProfileRequest profile;
    DnsSettings dns;
};

CheckArgs parse(const std::vector<std::string>& args) {
    CheckArgs a;
    ArgReader reader(args);
    while (reader.next()) {
        const std::string& flag = reader.flag();
        if (flag == "--domain") a.domain = reader.value();
        else if (flag == "--selector") a.selector = reader.value();
        else if (flag == "--key") a.key_file = reader.value();
        else if (flag == "--profile") { a.profile.profile = reader.value(); a.use_profile = true; }
        else if (flag == "--config") { a.profile.config_path = reader.value(); a.use_profile = true; }
        else if (flag == "--dns-server") a.dns.servers = reader.value();
        else if (flag == "--dns-timeout") a.dns.timeout_ms = dns_timeout_ms(reader.value());
        else throw UsageError("unknown dkim check option " + flag + " (try mvsmtp dkim --help)");
    }
    if (a.domain.empty() && !a.use_profile) throw UsageError("dkim check needs --domain (try mvsmtp dkim --help)");
    if (a.key_file.empty() == !a.use_profile)
        throw UsageError("dkim check needs the key: --key PATH, or --profile P (not both)");
    if (!a.key_file.empty() && a.selector.empty()) throw UsageError("dkim check --key needs --selector");
    return a;
}

// The key, domain and selector to check, from the profile when one is named.
struct Subject {
    DkimKey key;
    std::string domain, selector, key_file;
};

Subject subject_of(const CheckArgs& a) {
    if (!a.use_profile) return {DkimKey::load(a.key_file), a.domain, a.selector, a.key_file};
    const Profile p = load_profile(a.profile);
    const std::string profile = a.profile.profile.empty() ? "default" : a.profile.profile;
    // Without --domain, a profile that signs for one domain needs no more; with several, which
    // one is the caller's to say.
    if (a.domain.empty() && p.dkim.size() > 1) {
        std::string all;
        for (const auto& d : p.dkim) all += (all.empty() ? "" : ", ") + d.domain;
        throw UsageError("profile [" + profile + "] signs for several domains (" + all + "): say which with --domain");
    }
    if (a.domain.empty() && p.dkim.empty())
        throw Error(ErrorCode::BadOption, "profile [" + profile + "] has no DKIM key (no dkim_domain)");
    const std::string domain = a.domain.empty() ? p.dkim.front().domain : ascii_lower(domain_to_ascii(a.domain));
    const DkimSettings* s = dkim_settings_for(p.dkim, domain);
    if (!s) throw Error(ErrorCode::BadOption, "profile [" + profile + "] has no DKIM key for " + domain + " (no dkim_domain covers it)");
    std::cout << "Profile:   [" << profile << "] signs " << domain << "'s mail with d=" << s->domain << " s=" << s->selector
              << " key " << s->key_file << "\n";
    return {DkimKey::load(s->key_file), s->domain, a.selector.empty() ? s->selector : a.selector, s->key_file};
}

int exit_status(DkimRecordStatus status) {
    switch (status) {
        case DkimRecordStatus::Match: return 0;
        case DkimRecordStatus::NotFound: return error_number(ErrorCode::DkimRecordMissing);
        case DkimRecordStatus::Mismatch: return error_number(ErrorCode::DkimRecordMismatch);
        case DkimRecordStatus::Revoked: return error_number(ErrorCode::DkimRecordRevoked);
        case DkimRecordStatus::Invalid: return error_number(ErrorCode::DkimRecordInvalid);
        case DkimRecordStatus::Unavailable: return error_number(ErrorCode::DnsUnavailable);
    }
    return error_number(ErrorCode::Internal);
}

void print_check(const Subject& s, const DkimRecordCheck& c) {
    std::cout << "Key:       " << s.key_file << " ("
              << (s.key.type() == DkimKeyType::Rsa ? "RSA " + std::to_string(s.key.bits()) + " bits" : std::string("Ed25519"))
              << ", " << s.key.algorithm() << ")\n"
              << "Resolver:  " << c.resolver << "\n"
              << "Asked:     TXT " << c.name << " -> " << c.answer << "  (" << c.milliseconds << " ms)\n";
    for (const std::string& r : c.records)
        std::cout << (c.records.size() > 1 && r == c.record ? "Record: *  " : "Record:    ") << r << "\n";
    std::cout << "Verdict:   " << dkim_record_status_name(c.status) << ": " << c.explanation << "\n";
    for (const std::string& n : c.notes) std::cout << "Note:      " << n << "\n";
    if (c.status != DkimRecordStatus::Match && c.status != DkimRecordStatus::Unavailable)
        std::cout << "\nTo publish this key:\n\n" << zone_file_record(c.name, s.key.dns_record());
}

}  // namespace

int run_dkim_check(const std::vector<std::string>& args) {
    for (const std::string& arg : args)
        if (arg == "--help" || arg == "-h") {
            std::cout << kDkimUsage;
            return 0;
        }
    const CheckArgs a = parse(args);
    try {
        const Subject s = subject_of(a);
        const DkimRecordCheck c = check_dkim_record(s.domain, s.selector, s.key, a.dns);
        print_check(s, c);
        return exit_status(c.status);
    } catch (const Error& e) {
        std::cerr << "mvsmtp: " << e.what() << "\n";
        return error_number(e.code());
    }
}

}  // namespace mvsmtp::cli
