// delivery.cpp — relay-or-outbox policy for one message; see mvsmtp/delivery.hpp.
#include "mvsmtp/delivery.hpp"

#include "mvsmtp/address.hpp"
#include "mvsmtp/mime.hpp"
#include "mvsmtp/outbox.hpp"

namespace mvsmtp {

SessionSettings session_settings(const Profile& p) {
    SessionSettings s;
    s.host = p.host;
    s.port = p.port;
    s.tls.mode = p.tls;
    s.tls.ca_file = p.ca_file;
    if (!p.user.empty()) s.credentials = Credentials(p.user, p.password);
    s.mechanisms = p.auth;
    s.allow_plaintext_auth = p.allow_plaintext_auth;
    s.client_name = p.helo.empty() ? "localhost" : p.helo;
    s.timeouts = p.timeouts;
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

DeliveryReport deliver(Message message, const Profile& profile, TranscriptHook transcript) noexcept {
    DeliveryReport report;
    try {
        apply_profile_defaults(message, profile);
        validate(message);
        prepare(message, address_domain(message.from.address));
        report.message_id = message.message_id;

        if (!profile.has_server()) {
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
        session.open();
        SendResult sent = session.send(message);
        session.quit();

        report.recipients = std::move(sent.recipients);
        report.last_reply = sent.last_reply;
        report.size = sent.size;
        report.error = sent.error;
        const std::size_t accepted = [&] {
            std::size_t n = 0;
            for (const auto& r : report.recipients) n += r.accepted ? 1 : 0;
            return n;
        }();
        if (sent.error == ErrorCode::Ok) {
            report.status = DeliveryStatus::Sent;
            report.message = "accepted by " + profile.host + " for " + std::to_string(accepted) +
                             " recipient" + (accepted == 1 ? "" : "s");
        } else if (accepted > 0) {
            report.status = DeliveryStatus::Partial;
            report.message = "accepted for " + std::to_string(accepted) + " of " +
                             std::to_string(report.recipients.size()) + " recipients; " + sent.message;
        } else {
            report.status = DeliveryStatus::Failed;
            report.message = sent.message;
        }
    } catch (const Error& e) {
        fill_from_error(report, e);
    } catch (const std::bad_alloc&) {
        report.status = DeliveryStatus::Failed;
        report.error = ErrorCode::Internal;
        report.message = "out of memory";
    } catch (const std::exception& e) {
        report.status = DeliveryStatus::Failed;
        report.error = ErrorCode::Internal;
        report.message = std::string("internal error: ") + e.what();
    } catch (...) {
        report.status = DeliveryStatus::Failed;
        report.error = ErrorCode::Internal;
        report.message = "internal error";
    }
    return report;
}

}  // namespace mvsmtp
