// domain_groups.hpp (private) — recipients grouped by domain, in the order first seen, with
// each recipient's slot in the caller's list: the shape direct delivery and SMTP.VERIFY work in.
//
//   for (const DomainGroup& g : group_by_domain(addresses)) lookup_mx(g.domain, ...) ...
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mvsmtp/delivery.hpp"
#include "mvsmtp/direct.hpp"

namespace mvsmtp {

struct DomainGroup {
    std::string domain;                  // A-labels, lower case
    std::vector<std::string> addresses;  // as given
    std::vector<std::size_t> slots;      // addresses[i] is the caller's list[slots[i]]
};

// Error(BadAddress) for an address without a usable domain.
std::vector<DomainGroup> group_by_domain(const std::vector<std::string>& addresses);

// Sets the outcome of every recipient of `group` in `report` that has none yet.
void settle_group(DeliveryReport& report, const DomainGroup& group, Outcome outcome, ErrorCode code,
                  const std::string& text, const std::optional<Reply>& reply, const std::string& exchanger);

// Status, error and message of a report whose recipients are all settled (accepted or not):
// Sent when all were accepted, Partial when some, else Failed. The error is the first terminal
// failure's (classes 3-5, or OUTCOME.UNKNOWN), else the first inconclusive one's (1, 2), so
// that a transient error means every failure may succeed later.
void conclude_report(DeliveryReport& report, const std::string& what_accepted);

}  // namespace mvsmtp
