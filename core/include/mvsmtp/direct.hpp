// mvsmtp/direct.hpp — delivery straight to each recipient domain's mail exchangers, and
// address verification, with an honest answer per recipient in six outcome classes.
//
//   Profile p = load_profile(req);            // delivery = direct; dns_server, mx_port for tests
//   DeliveryReport r = deliver_direct(message, p);
//   DeliveryReport v = verify_addresses({"a@example.com", "b@example.org"}, p);
//   for (const RecipientResult& x : r.recipients) x.outcome ...   // Outcome below, as int
//
// Recipients are grouped by domain (A-labels, case-insensitive), one transaction per domain
// (mvsmtp/mx_lookup.hpp for the lookup, each exchanger in turn until one decides). Classes:
//   1 DnsUnavailable     the DNS did not answer (SERVFAIL, timeout)            inconclusive
//   2 Unreachable        exchangers found, none reachable or all said 4xx      inconclusive
//   3 NoMailServer       NXDOMAIN, null MX, no MX and no address               terminal
//   4 SenderRejected     the exchanger refused MAIL FROM with 5xx              terminal
//   5 RecipientRejected  5xx to RCPT TO (or to the message itself)             terminal
//   6 Accepted           the exchanger took it: the only class that may say "sent"
// A failure after the final dot is class 0 with OUTCOME.UNKNOWN: never resend it blindly.
// verify_addresses() runs the same path up to RCPT TO, then RSET and QUIT (never DATA), and
// asks each domain once more for a random local part: catch_all says whether it takes any.
// Neither ever throws: every failure is in the report.
#pragma once
#include <string>
#include <vector>

#include "mvsmtp/config.hpp"
#include "mvsmtp/delivery.hpp"

namespace mvsmtp {

enum class Outcome : int {
    Unknown = 0,
    DnsUnavailable = 1,
    Unreachable = 2,
    NoMailServer = 3,
    SenderRejected = 4,
    RecipientRejected = 5,
    Accepted = 6,
};

// The class an SMTP-level per-recipient result belongs to (direct delivery and verification).
Outcome outcome_of(const RecipientResult& result);

// deliver() with delivery = direct (queueing what may succeed later when the profile has a queue).
DeliveryReport deliver_direct(Message message, const Profile& profile, TranscriptHook transcript = {}) noexcept;
// The sending part for a message already prepared: no queue, no rate limit. Throws.
DeliveryReport deliver_direct_prepared(const Message& prepared, const std::vector<std::string>& recipients,
                                      const Profile& profile, const TranscriptHook& transcript);

DeliveryReport verify_addresses(const std::vector<std::string>& addresses, const Profile& profile,
                                TranscriptHook transcript = {}) noexcept;

}  // namespace mvsmtp
