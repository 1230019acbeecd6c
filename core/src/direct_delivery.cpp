// direct_delivery.cpp — one transaction per recipient domain, straight to its exchangers;
// see mvsmtp/direct.hpp.
#include <map>

#include "domain_groups.hpp"
#include "exchanger_walk.hpp"
#include "mvsmtp/direct.hpp"

namespace mvsmtp {

Outcome outcome_of(const RecipientResult& r) {
    if (r.accepted) return Outcome::Accepted;
    switch (r.error) {
        case ErrorCode::OutcomeUnknown: return Outcome::Unknown;
        case ErrorCode::DnsUnavailable: return Outcome::DnsUnavailable;
        case ErrorCode::NoMailServer: return Outcome::NoMailServer;
        case ErrorCode::SenderRejected: return Outcome::SenderRejected;
        default: break;
    }
    // The exchanger answered: a temporary refusal is inconclusive (greylisting, a full
    // mailbox, too many recipients), a permanent one is the recipient's server saying no.
    const int code = static_cast<int>(r.error);
    if (r.reply.is_transient() || (code >= 10 && code < 30)) return Outcome::Unreachable;
    return Outcome::RecipientRejected;
}

namespace {

// A temporary refusal of the whole transaction before any content: the next exchanger may
// take the message (RFC 5321 §5.1: 4xx to the greeting, EHLO or MAIL).
bool next_exchanger_may_take_it(const SendResult& r) {
    if (r.accepted_count() > 0) return false;
    return r.error == ErrorCode::SenderDeferred || r.error == ErrorCode::ServerUnavailable;
}

std::string tls_note(const std::string& exchanger, const TlsInfo& tls) {
    if (!tls.active) return exchanger + ": no TLS (the exchanger does not offer STARTTLS)";
    if (!tls.unverified.empty()) return exchanger + ": TLS certificate not verified (" + tls.unverified + ")";
    return {};
}

// One domain: look up, walk the exchangers, settle every recipient of the group.
void deliver_to_domain(DeliveryReport& report, const Message& message, const DomainGroup& group,
                       const Profile& profile, const TranscriptHook& transcript) {
    const MxLookup mx = lookup_mx(group.domain, profile.dns);
    if (mx.outcome == MxOutcome::Unavailable)
        return settle_group(report, group, Outcome::DnsUnavailable, ErrorCode::DnsUnavailable, mx.reason, {}, "");
    if (mx.outcome == MxOutcome::NoMailServer)
        return settle_group(report, group, Outcome::NoMailServer, ErrorCode::NoMailServer, mx.reason, {}, "");
    SendResult sent;
    const WalkResult walk = walk_exchangers(mx, profile, transcript, [&](Session& s, const std::string&) -> std::optional<Reply> {
        sent = s.send_to(message, group.addresses);
        if (next_exchanger_may_take_it(sent)) return sent.last_reply ? *sent.last_reply : Reply{};
        return std::nullopt;
    });
    if (!walk.decided) {
        std::string why = "no mail exchanger of " + group.domain + " took the message: ";
        for (std::size_t i = 0; i < walk.failures.size(); ++i) why += (i ? "; " : "") + walk.failures[i];
        report.notes.push_back(why);
        return settle_group(report, group, Outcome::Unreachable, ErrorCode::ExchangersUnreachable, why,
                            walk.last_reply, "");
    }
    for (std::size_t i = 0; i < group.slots.size() && i < sent.recipients.size(); ++i) {
        RecipientResult r = sent.recipients[i];
        if (!r.accepted && r.error == ErrorCode::Ok) r.error = sent.error;  // refused with the message
        r.exchanger = walk.exchanger;
        r.outcome = static_cast<int>(outcome_of(r));
        report.recipients[group.slots[i]] = std::move(r);
    }
    report.size = std::max(report.size, sent.size);
    if (!report.tls.active && walk.tls.active) report.tls = walk.tls;
    const std::string note = tls_note(walk.exchanger, walk.tls);
    if (!note.empty()) report.notes.push_back(note);
    for (const auto& n : sent.notes) report.notes.push_back(n);
}

}  // namespace

DeliveryReport deliver_direct_prepared(const Message& prepared, const std::vector<std::string>& recipients,
                                      const Profile& profile, const TranscriptHook& transcript) {
    DeliveryReport report;
    report.message_id = prepared.message_id;
    for (const auto& r : recipients) report.recipients.push_back({r, false, ErrorCode::Ok, Reply{}});
    for (const DomainGroup& group : group_by_domain(recipients))
        deliver_to_domain(report, prepared, group, profile, transcript);
    conclude_report(report, "delivered to the recipients' mail exchangers");
    return report;
}

DeliveryReport deliver_direct(Message message, const Profile& profile, TranscriptHook transcript) noexcept {
    Profile direct = profile;
    direct.delivery = Delivery::Direct;
    return deliver(std::move(message), direct, std::move(transcript));
}

}  // namespace mvsmtp
