// delivery.cpp — relay-or-outbox policy for one message; see mvsmtp/delivery.hpp.
#include "mvsmtp/delivery.hpp"

#include <functional>

#include "domain_groups.hpp"
#include "queue_files.hpp"
#include "mvsmtp/address.hpp"
#include "mvsmtp/direct.hpp"
#include "mvsmtp/dkim.hpp"
#include "mvsmtp/envelope.hpp"
#include "mvsmtp/mime.hpp"
#include "mvsmtp/outbox.hpp"
#include "mvsmtp/queue.hpp"
#include "mvsmtp/rate_limit.hpp"

namespace mvsmtp {

SessionSettings session_settings(const Profile& p) {
    SessionSettings s;
    s.host = p.host;
    s.port = p.port;
    s.tls.mode = p.tls;
    s.tls.ca_file = p.ca_file;
    if (p.oauth.enabled()) s.tokens = std::make_shared<TokenSource>(p.oauth);
    else if (!p.user.empty()) s.credentials = Credentials(p.user, p.password);
    s.mechanisms = p.auth;
    s.allow_plaintext_auth = p.allow_plaintext_auth;
    s.client_name = p.helo;  // empty: the FQDN or address literal, decided at EHLO time
    s.timeouts = p.timeouts;
    s.pipelining = p.pipelining;
    return s;
}

void apply_profile_defaults(Message& message, const Profile& profile) {
    if (message.from.address.empty() && !profile.from.empty()) {
        const Mailbox fallback = parse_mailbox(profile.from);
        message.from.address = fallback.address;
        if (message.from.display_name.empty()) message.from.display_name = fallback.display_name;
    }
}

namespace {

void fill_from_error(DeliveryReport& report, const Error& e) {
    report.status = DeliveryStatus::Failed;
    report.error = e.code();
    report.message = e.what();
    if (e.reply()) report.last_reply = e.reply();
}

}  // namespace

void ready_for_sending(Message& message, const Profile& profile) {
    apply_profile_defaults(message, profile);
    message.size_limit = profile.max_size;
    validate(message);
    validate_dsn(message.dsn);
    prepare(message, address_domain(message.from.address));
    if (!profile.dkim.empty())
        if (const DkimSettings* key = dkim_settings_for(profile.dkim, domain_to_ascii(address_domain(message.from.address))))
            message.dkim = std::make_shared<DkimSigner>(*key);
}

void note_dkim(DeliveryReport& report, const Message& message, const Profile& profile) {
    if (message.dkim) report.dkim = message.dkim->description();
    else if (!profile.dkim.empty()) {
        const std::string note = "not DKIM-signed: no dkim_domain covers " + address_domain(message.from.address);
        report.notes.push_back(note);
        report.message += (report.message.empty() ? "" : "; ") + note;
    }
}

DeliveryReport report_from(SendResult sent, const std::string& host) {
    DeliveryReport report;
    report.recipients = std::move(sent.recipients);
    report.last_reply = sent.last_reply;
    report.size = sent.size;
    report.error = sent.error;
    report.notes = sent.notes;
    std::size_t accepted = 0;
    for (const auto& r : report.recipients) accepted += r.accepted ? 1 : 0;
    if (sent.error == ErrorCode::Ok) {
        report.status = DeliveryStatus::Sent;
        report.message = "accepted by " + host + " for " + std::to_string(accepted) + " recipient" +
                         (accepted == 1 ? "" : "s");
        for (const auto& note : sent.notes) report.message += "; " + note;
    } else if (accepted > 0) {
        report.status = DeliveryStatus::Partial;
        report.message = "accepted for " + std::to_string(accepted) + " of " +
                         std::to_string(report.recipients.size()) + " recipients; " + sent.message;
    } else {
        report.status = DeliveryStatus::Failed;
        report.message = sent.message;
    }
    return report;
}

DeliveryReport report_from_each(std::vector<SendResult> sent, const std::string& host) {
    DeliveryReport report;
    std::size_t accepted = 0;
    for (auto& s : sent) {
        const bool ok = s.error == ErrorCode::Ok;
        accepted += ok ? 1 : 0;
        if (!ok && report.error == ErrorCode::Ok) {
            report.error = s.error;
            report.last_reply = s.last_reply;
            report.message = s.message;
        }
        report.size += s.size;
        RecipientResult copy;
        copy.address = s.recipients.empty() ? std::string() : s.recipients.front().address;
        copy.accepted = ok;
        copy.error = s.error;
        if (!s.recipients.empty()) {
            copy.reply = s.recipients.front().reply;
            copy.transaction = ok ? s.recipients.front().transaction : 0;
        }
        if (!ok && s.last_reply) copy.reply = *s.last_reply;
        report.recipients.push_back(std::move(copy));
    }
    const std::string counts = std::to_string(accepted) + " of " + std::to_string(sent.size()) + " copies";
    if (accepted == sent.size()) {
        report.status = DeliveryStatus::Sent;
        report.message = counts + " accepted by " + host;
        if (!sent.empty() && sent.back().last_reply) report.last_reply = sent.back().last_reply;
    } else {
        report.status = accepted ? DeliveryStatus::Partial : DeliveryStatus::Failed;
        report.message = counts + " accepted; first refusal: " + report.message;
    }
    return report;
}

std::vector<Message> separate_copies(const Message& message) {
    if (!message.cc.empty() || !message.bcc.empty())
        throw Error(ErrorCode::BadArgument, "separate copies (M.SEPARATE) cannot have Cc or Bcc recipients");
    if (message.to.empty()) throw Error(ErrorCode::NoRecipients, "separate copies need at least one To address");
    std::vector<Message> copies;
    copies.reserve(message.to.size());
    for (const auto& to : message.to) {
        Message copy = message;
        copy.to = {to};
        copy.message_id.clear();  // each copy is its own message
        copies.push_back(std::move(copy));
    }
    return copies;
}

namespace {

// deliver_each once the copies are ready.
DeliveryReport deliver_copies(const std::vector<Message>& copies, const Profile& profile, TranscriptHook transcript) {
    DeliveryReport report;
    if (profile.delivery == Delivery::Direct) {
        for (const auto& c : copies) {
            DeliveryReport one = deliver_direct(c, profile, transcript);
            report.message_ids.push_back(c.message_id);
            for (auto& r : one.recipients) report.recipients.push_back(std::move(r));
            for (auto& n : one.notes) report.notes.push_back(std::move(n));
            report.size += one.size;
            if (!report.tls.active) report.tls = one.tls;
        }
        conclude_report(report, "delivered to the recipients' mail exchangers");
        return report;
    }
    if (!profile.has_server()) {
        for (const auto& c : copies) {
            const std::string path = store_in_outbox(c, profile.outbox);
            report.recipients.push_back({c.to.front().address, false, ErrorCode::Ok, Reply{}});
            report.message_ids.push_back(c.message_id);
            report.outbox_path += (report.outbox_path.empty() ? "" : " ") + path;
        }
        report.status = DeliveryStatus::Stored;
        report.message = "no mail server is configured: " + std::to_string(copies.size()) +
                         " copies were stored, not sent, in the outbox folder";
        return report;
    }
    SessionSettings settings = session_settings(profile);
    settings.transcript = std::move(transcript);
    Session session(settings);
    session.open();
    const TlsInfo tls = session.tls_info();
    report = report_from_each(session.send_each(copies), profile.host);
    session.quit();
    report.tls = tls;
    for (const auto& c : copies) report.message_ids.push_back(c.message_id);
    return report;
}

}  // namespace

DeliveryReport deliver_each(const Message& message, const Profile& profile, TranscriptHook transcript) noexcept {
    return guarded_report([&] {
        std::vector<Message> copies = separate_copies(message);
        for (auto& c : copies) ready_for_sending(c, profile);
        DeliveryReport report = deliver_copies(copies, profile, transcript);
        note_dkim(report, copies.front(), profile);
        return report;
    });
}

DeliveryReport failure_report(ErrorCode code, const std::string& message) noexcept {
    DeliveryReport report;
    try {
        report.status = DeliveryStatus::Failed;
        report.error = code;
        report.message = message;
    } catch (...) {
    }
    return report;
}

namespace {

// One relay after another: the next when this one refused or failed for now before any
// content left (nothing of the message can be there), never after.
DeliveryReport relay(const Message& message, const std::vector<std::string>& recipients, const Profile& profile,
                     const TranscriptHook& transcript) {
    DeliveryReport last;
    std::string tried;
    for (const Profile::Relay& r : profile.relays) {
        SessionSettings settings = session_settings(profile);
        settings.host = r.host;
        settings.port = r.port;
        settings.transcript = transcript;
        Session session(settings);
        DeliveryReport report;
        try {
            session.open();
            const TlsInfo tls = session.tls_info();
            SendResult sent = session.send_to(message, recipients);
            session.quit();
            const bool next = sent.accepted_count() == 0 && is_transient(sent.error) && session.failed_before_data();
            report = report_from(std::move(sent), r.host);
            report.tls = tls;
            report.message_id = message.message_id;
            if (!next) return report;
        } catch (const Error& e) {
            report.tls = session.tls_info();
            report.message_id = message.message_id;
            fill_from_error(report, e);
            if (!e.is_transient()) return report;
        }
        tried += (tried.empty() ? "" : "; ") + r.host + ":" + std::to_string(r.port) + ": " + report.message;
        last = std::move(report);
    }
    if (profile.relays.size() > 1) last.message = "no relay took the message: " + tried;
    return last;
}

bool deferred_for_now(const RecipientResult& r, ErrorCode overall) {
    if (r.accepted) return false;
    return is_transient(r.error) || (r.error == ErrorCode::Ok && is_transient(overall));
}

// What may succeed later goes to the queue; the report then says Queued.
DeliveryReport defer_what_may_succeed_later(DeliveryReport report, const Message& message,
                                            const std::vector<std::string>& recipients, const Profile& profile) {
    if (!profile.queue.enabled()) return report;
    if (report.recipients.empty())
        for (const auto& r : recipients) report.recipients.push_back({r, false, report.error, Reply{}});
    std::vector<std::string> later;
    for (const auto& r : report.recipients)
        if (deferred_for_now(r, report.error)) later.push_back(r.address);
    if (later.empty()) return report;
    if (profile.reference.dropped_secret) {
        report.message += " (not queued: a password given as an option is never written to disk; put it in the profile)";
        return report;
    }
    const ErrorCode why = is_transient(report.error) ? report.error : ErrorCode::RecipientDeferred;
    try {
        report.queue_id = Queue(profile.queue).enqueue(message, later, profile.reference, report.message, why);
    } catch (const Error& e) {
        report.message += std::string(" (could not be queued: ") + e.what() + ")";
        return report;
    }
    const RecipientResult* refused = nullptr;
    std::size_t accepted = 0;
    for (auto& r : report.recipients) {
        accepted += r.accepted ? 1 : 0;
        if (deferred_for_now(r, report.error)) {
            r.queued = true;
            if (r.error == ErrorCode::Ok) r.error = why;
        } else if (!r.accepted && !refused) {
            refused = &r;
        }
    }
    report.status = DeliveryStatus::Queued;
    report.error = refused ? refused->error : why;
    report.message = "queued as " + report.queue_id + " for " + std::to_string(later.size()) + " of " +
                     std::to_string(report.recipients.size()) + " recipients (" + std::to_string(accepted) +
                     " accepted" + (refused ? ", some refused" : "") + "): " + report.message;
    return report;
}

DeliveryReport queue_whole(const Message& message, const std::vector<std::string>& recipients, const Profile& profile,
                           ErrorCode why, const std::string& reason) {
    DeliveryReport report;
    report.message_id = message.message_id;
    report.error = why;
    report.message = reason;
    for (const auto& r : recipients) report.recipients.push_back({r, false, why, Reply{}});
    return defer_what_may_succeed_later(std::move(report), message, recipients, profile);
}

}  // namespace

DeliveryReport send_prepared(const Message& prepared, const std::vector<std::string>& recipients,
                             const Profile& profile, const TranscriptHook& transcript) {
    if (profile.delivery == Delivery::Direct) return deliver_direct_prepared(prepared, recipients, profile, transcript);
    return relay(prepared, recipients, profile, transcript);
}

namespace {

// deliver() once the message is ready: outbox, rate limit, relays or exchangers, queue.
DeliveryReport deliver_ready(const Message& message, const Profile& profile, const TranscriptHook& transcript) {
    DeliveryReport report;
    if (profile.delivery == Delivery::Relay && !profile.has_server()) {
        report.message_id = message.message_id;
        report.outbox_path = store_in_outbox(message, profile.outbox);
        report.status = DeliveryStatus::Stored;
        report.message = "no mail server is configured: the message was stored, not sent, in " +
                         report.outbox_path;
        for (const auto& r : message.envelope_recipients())
            report.recipients.push_back({r, false, ErrorCode::Ok, Reply{}});
        return report;
    }
    const std::vector<std::string> recipients = message.envelope_recipients();
    if (profile.rates.enabled()) {
        QueueFiles files(profile.queue.folder);
        files.ensure();
        const double wait = RateGate(profile.rates, files.rate_state()).try_take(recipients.size());
        if (wait > 0)
            return queue_whole(message, recipients, profile, ErrorCode::RateLimited,
                               "over the rate limit (" + rate_text(profile.rates.messages) + " messages, " +
                                   rate_text(profile.rates.recipients) + " recipients): the next slot is in " +
                                   std::to_string(static_cast<int>(wait + 0.999)) + " s");
    }
    report = send_prepared(message, recipients, profile, transcript);
    report.message_id = message.message_id;
    return defer_what_may_succeed_later(std::move(report), message, recipients, profile);
}

}  // namespace

DeliveryReport deliver(Message message, const Profile& profile, TranscriptHook transcript) noexcept {
    return guarded_report([&] {
        ready_for_sending(message, profile);
        DeliveryReport report = deliver_ready(message, profile, transcript);
        note_dkim(report, message, profile);
        return report;
    });
}

DeliveryReport guarded_report(const std::function<DeliveryReport()>& work) noexcept {
    try {
        return work();
    } catch (const Error& e) {
        DeliveryReport report;
        fill_from_error(report, e);
        return report;
    } catch (const std::bad_alloc&) {
        return failure_report(ErrorCode::Internal, "out of memory");
    } catch (const std::exception& e) {
        return failure_report(ErrorCode::Internal, std::string("internal error: ") + e.what());
    } catch (...) {
        return failure_report(ErrorCode::Internal, "internal error");
    }
}

}  // namespace mvsmtp
