// domain_groups.cpp — see domain_groups.hpp.
#include "domain_groups.hpp"

#include "mvsmtp/address.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {

std::vector<DomainGroup> group_by_domain(const std::vector<std::string>& addresses) {
    std::vector<DomainGroup> groups;
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        const std::string domain = ascii_lower(address_domain(address_to_ascii_domain(addresses[i])));
        if (domain.empty()) throw Error(ErrorCode::BadAddress, "address <" + addresses[i] + "> has no domain");
        DomainGroup* group = nullptr;
        for (auto& g : groups)
            if (g.domain == domain) group = &g;
        if (!group) {
            groups.push_back({domain, {}, {}});
            group = &groups.back();
        }
        group->addresses.push_back(addresses[i]);
        group->slots.push_back(i);
    }
    return groups;
}

void settle_group(DeliveryReport& report, const DomainGroup& group, Outcome outcome, ErrorCode code,
                  const std::string& text, const std::optional<Reply>& reply, const std::string& exchanger) {
    for (std::size_t slot : group.slots) {
        RecipientResult& r = report.recipients[slot];
        if (r.outcome != 0 || r.accepted) continue;
        r.error = code;
        r.outcome = static_cast<int>(outcome);
        r.exchanger = exchanger;
        if (reply) {
            r.reply = *reply;
        } else {
            r.reply = Reply{};
            r.reply.lines = {text};  // no server said anything: the reason is the text
        }
    }
}

void conclude_report(DeliveryReport& report, const std::string& what_accepted) {
    std::size_t accepted = 0;
    const RecipientResult* terminal = nullptr;
    const RecipientResult* inconclusive = nullptr;
    for (const auto& r : report.recipients) {
        if (r.accepted) {
            ++accepted;
            continue;
        }
        const bool retry_may_help = r.outcome == static_cast<int>(Outcome::DnsUnavailable) ||
                                    r.outcome == static_cast<int>(Outcome::Unreachable);
        if (retry_may_help && !inconclusive) inconclusive = &r;
        if (!retry_may_help && !terminal) terminal = &r;
    }
    const std::size_t total = report.recipients.size();
    const RecipientResult* first = terminal ? terminal : inconclusive;
    report.status = accepted == total ? DeliveryStatus::Sent : accepted ? DeliveryStatus::Partial : DeliveryStatus::Failed;
    report.message = what_accepted + " for " + std::to_string(accepted) + " of " + std::to_string(total) +
                     (total == 1 ? " recipient" : " recipients");
    if (first) {
        report.error = first->error;
        report.message += "; <" + first->address + ">: " + (first->reply.code ? first->reply.summary() : first->reply.text());
        if (first->reply.code) report.last_reply = first->reply;
    }
    for (const auto& note : report.notes) report.message += "; " + note;
}

}  // namespace mvsmtp
