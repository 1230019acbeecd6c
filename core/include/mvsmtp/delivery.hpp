// mvsmtp/delivery.hpp — one-shot delivery policy: relay through the profile's server, or,
// with no server configured, store in the outbox folder (the embedded default).
//
//   Profile p = load_profile(request);
//   DeliveryReport r = deliver(message, p);   // never throws
//   if (r.status == DeliveryStatus::Sent) ...
//
// The message is prepared (Message-ID, Date) and validated before any connection is made,
// so bad input never reaches a server.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mvsmtp/config.hpp"
#include "mvsmtp/message.hpp"
#include "mvsmtp/session.hpp"

namespace mvsmtp {

enum class DeliveryStatus : int {
    Sent = 0,     // the server accepted the message for every recipient
    Partial = 1,  // accepted for some recipients; see per-recipient results
    Stored = 2,   // no server configured: written to the outbox folder, NOT sent
    Failed = 3,   // nothing was accepted; see error
    Queued = 4,   // the recipients not accepted yet are in the durable queue (queue_id)
};

struct DeliveryReport {
    DeliveryStatus status = DeliveryStatus::Failed;
    ErrorCode error = ErrorCode::Ok;
    std::string message;                    // human text, never a secret
    std::optional<Reply> last_reply;
    std::vector<RecipientResult> recipients;
    std::string message_id;
    std::vector<std::string> message_ids;   // separate copies: one per copy
    std::string outbox_path;                // .eml written (Stored)
    std::uint64_t size = 0;
    std::vector<std::string> notes;
    TlsInfo tls;                            // the TLS the message travelled under
    std::string queue_id;                   // Queued: the message's id in the queue
    std::string dkim;                       // who signed: "d=example.com s=sel a=rsa-sha256 c=relaxed/relaxed"
};

// The session settings a profile describes (credentials only when a user is set).
SessionSettings session_settings(const Profile& profile);

// Fills From from the profile's default when the message has none.
void apply_profile_defaults(Message& message, const Profile& profile);

// Defaults, validation and Message-ID/Date for a message about to be sent or stored.
// Throws mvsmtp::Error for anything that must not reach a server.
void ready_for_sending(Message& message, const Profile& profile);

// Defaults, validation, Message-ID/Date and, when the profile has a DKIM key covering the
// From domain, the signer (message.dkim; Error(DkimKey) when that key cannot be used).
// report.dkim then says who signs; a profile with keys, none for this domain, adds a note.
void note_dkim(DeliveryReport& report, const Message& message, const Profile& profile);

// A report built from the outcome of one SMTP transaction.
DeliveryReport report_from(SendResult sent, const std::string& host);
// One report for separate copies (one transaction each): one recipient entry per copy.
DeliveryReport report_from_each(std::vector<SendResult> sent, const std::string& host);

// Separate copies of a message, one per To address (each recipient sees only their own
// address in To). Cc and Bcc make no sense there and are refused (BadArgument).
std::vector<Message> separate_copies(const Message& message);

// deliver() for separate copies: one connection, one pipelined round trip per copy; or,
// with no server, one .eml per copy in the outbox.
DeliveryReport deliver_each(const Message& message, const Profile& profile, TranscriptHook transcript = {}) noexcept;

// Sends through the profile's relays (in order, the next when one cannot take the message
// before its content started) or, with delivery = direct, to the exchangers; stores in the
// outbox without a server. With a queue (profile.queue), what failed only for now — and a send
// over the rate limit — is queued: status Queued, queue_id, recipients marked queued.
DeliveryReport deliver(Message message, const Profile& profile, TranscriptHook transcript = {}) noexcept;

// The sending part of deliver() for a prepared message (a queued one: prepared_file): relays
// or exchangers, no outbox, no queue, no rate limit. Throws for what guarded_report catches.
DeliveryReport send_prepared(const Message& prepared, const std::vector<std::string>& recipients,
                             const Profile& profile, const TranscriptHook& transcript);

// Runs work; any exception becomes a Failed report (mvsmtp::Error keeps its code and reply,
// anything else is Internal). The one place where C++ failures turn into reports.
DeliveryReport guarded_report(const std::function<DeliveryReport()>& work) noexcept;
DeliveryReport failure_report(ErrorCode code, const std::string& message) noexcept;

}  // namespace mvsmtp
