// delivery.cpp — relay-or-outbox policy for one message; see mvsmtp/delivery.hpp.
#include "mvsmtp/delivery.hpp"

#include <functional>

#include "domain_groups.hpp"
#include "mvsmtp/address.hpp"
#include "mvsmtp/direct.hpp"
#include "mvsmtp/envelope.hpp"
#include "mvsmtp/mime.hpp"
#include "mvsmtp/outbox.hpp"

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

DeliveryReport deliver_each(const Message& message, const Profile& profile, TranscriptHook transcript) noexcept {
    return guarded_report([&] {
        std::vector<Message> copies = separate_copies(message);
        for (auto& c : copies) ready_for_sending(c, profile);
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

DeliveryReport deliver(Message message, const Profile& profile, TranscriptHook transcript) noexcept {
    if (profile.delivery == Delivery::Direct) return deliver_direct(std::move(message), profile, std::move(transcript));
    return guarded_report([&] {
        DeliveryReport report;
        ready_for_sending(message, profile);
        if (!profile.has_server()) {
            report.message_id = message.message_id;
            report.outbox_path = store_in_outbox(message, profile.outbox);
            report.status = DeliveryStatus::Stored;
            report.message = "no mail server is configured: the message was stored, not sent, in " +
                             report.outbox_path;
            for (const auto& r : message.envelope_recipients())
                report.recipients.push_back({r, false, ErrorCode::Ok, Reply{}});
            return report;
        }
        SessionSettings settings = session_settings(profile);
        settings.transcript = std::move(transcript);
        Session session(settings);
        DeliveryReport partial;  // what is known if open() or send() throws
        partial.message_id = message.message_id;
        try {
            session.open();
            const TlsInfo tls = session.tls_info();
            SendResult sent = session.send(message);
            session.quit();
            report = report_from(std::move(sent), profile.host);
            report.tls = tls;
        } catch (const Error& e) {
            partial.tls = session.tls_info();
            fill_from_error(partial, e);
            return partial;
        }
        report.message_id = message.message_id;
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
