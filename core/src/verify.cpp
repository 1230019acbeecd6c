// verify.cpp — SMTP.VERIFY: direct delivery's path up to RCPT TO, never DATA; see
// mvsmtp/direct.hpp.
#include "domain_groups.hpp"
#include "exchanger_walk.hpp"
#include "mime_internal.hpp"
#include "mvsmtp/address.hpp"
#include "mvsmtp/direct.hpp"

namespace mvsmtp {
namespace {

// MAIL FROM for the probes: the profile's From, else the null sender <> (RFC 5321 §4.5.5).
std::string probe_sender(const Profile& profile) {
    if (profile.from.empty()) return "";
    return address_to_ascii_domain(parse_mailbox(profile.from).address);
}

void verify_domain(DeliveryReport& report, const DomainGroup& group, const Profile& profile,
                   const TranscriptHook& transcript) {
    const MxLookup mx = lookup_mx(group.domain, profile.dns);
    if (mx.outcome == MxOutcome::Unavailable)
        return settle_group(report, group, Outcome::DnsUnavailable, ErrorCode::DnsUnavailable, mx.reason, {}, "");
    if (mx.outcome == MxOutcome::NoMailServer)
        return settle_group(report, group, Outcome::NoMailServer, ErrorCode::NoMailServer, mx.reason, {}, "");
    std::vector<std::string> asked;
    for (const auto& a : group.addresses) asked.push_back(address_to_ascii_domain(a));
    // A local part nobody has: a domain that accepts it accepts anything (catch-all), and
    // its "accepted" says nothing about the address.
    asked.push_back("mvsmtp-verify-" + mime_detail::random_hex(6) + "@" + group.domain);
    ProbeResult probe;
    const WalkResult walk = walk_exchangers(mx, profile, transcript, [&](Session& s, const std::string&) -> std::optional<Reply> {
        probe = s.probe(probe_sender(profile), asked);
        if (probe.mail.is_transient()) return probe.mail;
        return std::nullopt;
    });
    if (!walk.decided) {
        std::string why = "no mail exchanger of " + group.domain + " answered: ";
        for (std::size_t i = 0; i < walk.failures.size(); ++i) why += (i ? "; " : "") + walk.failures[i];
        return settle_group(report, group, Outcome::Unreachable, ErrorCode::ExchangersUnreachable, why,
                            walk.last_reply, "");
    }
    if (probe.mail.code != 250)
        return settle_group(report, group, Outcome::SenderRejected, ErrorCode::SenderRejected,
                            "", probe.mail, walk.exchanger);
    int catch_all = -1;
    if (probe.rcpt.size() == asked.size()) {
        const Reply& random = probe.rcpt.back();
        catch_all = random.is_positive() ? 1 : random.is_permanent() ? 0 : -1;
    }
    for (std::size_t i = 0; i < group.slots.size() && i < probe.rcpt.size(); ++i) {
        RecipientResult& r = report.recipients[group.slots[i]];
        r.reply = probe.rcpt[i];
        r.accepted = r.reply.is_positive();
        r.error = classify_reply(r.reply, Stage::RcptTo);
        r.exchanger = walk.exchanger;
        r.catch_all = catch_all;
        r.outcome = static_cast<int>(outcome_of(r));
    }
}

}  // namespace

DeliveryReport verify_addresses(const std::vector<std::string>& addresses, const Profile& profile,
                                TranscriptHook transcript) noexcept {
    return guarded_report([&] {
        if (addresses.empty()) throw Error(ErrorCode::NoRecipients, "no address to verify");
        for (const auto& a : addresses) validate_address(a);
        DeliveryReport report;
        for (const auto& a : addresses) report.recipients.push_back({a, false, ErrorCode::Ok, Reply{}});
        for (const DomainGroup& group : group_by_domain(addresses)) verify_domain(report, group, profile, transcript);
        conclude_report(report, "accepted at RCPT TO (nothing was sent)");
        return report;
    });
}

}  // namespace mvsmtp
