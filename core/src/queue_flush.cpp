// queue_flush.cpp — Queue::flush: one pass over the due messages; see mvsmtp/queue.hpp.
//
// Each message: lock (skip it when another flusher has it), read its metadata again under
// the lock, expire it or send its pending recipients with the profile it was queued under,
// then record every recipient's new state before anything else happens to the message.
#include <algorithm>
#include <chrono>
#include <thread>

#include "mvsmtp/address.hpp"
#include "mvsmtp/config.hpp"
#include "mvsmtp/delivery.hpp"
#include "mvsmtp/queue.hpp"
#include "mvsmtp/rate_limit.hpp"
#include "queue_files.hpp"

namespace mvsmtp {
namespace {

std::string one_line(const RecipientResult& r) {
    if (r.reply.code) return r.reply.summary();
    return r.reply.text();
}

Profile profile_of(const QueueEntry& e) {
    ProfileRequest request;
    request.config_path = e.profile.config;
    request.profile = e.profile.profile;
    request.overrides = e.profile.overrides;
    Profile p = load_profile(request);
    p.queue.folder.clear();  // the flusher records outcomes itself: never queue the message again
    return p;                // its rates: the flusher takes the slot itself, before sending
}

Message message_of(const QueueEntry& e) {
    Message m;
    m.from.address = e.sender;
    m.return_path = e.sender;
    m.dsn = e.dsn;
    m.message_id = e.message_id;
    m.prepared_file = e.eml_path;
    for (const auto& r : e.recipients)
        if (r.state == RecipientState::Pending) m.to.push_back({"", r.address});
    return m;
}

// A short notice to the configured address about a message that will not be delivered.
void notify(const QueueSettings& settings, const Profile& profile, const QueueEntry& e, const std::string& reason) {
    if (settings.notify.empty()) return;
    Message notice;
    notice.from = profile.from.empty() ? Mailbox{"mvsmtp", e.sender} : parse_mailbox(profile.from);
    notice.to.push_back({"", settings.notify});
    notice.subject = "mvsmtp: a queued message could not be delivered (" + e.id + ")";
    notice.text = "The queued message " + e.id + " (Message-ID " + e.message_id + ", queued " + utc_text(e.created) +
                  " UTC, " + std::to_string(e.attempts) + " attempts) was moved to " + settings.folder + "/failed.\n\n" +
                  "Reason: " + reason + "\n\nRecipients:\n";
    for (const auto& r : e.recipients)
        notice.text += "  " + r.address + "  " +
                       (r.state == RecipientState::Accepted ? "delivered" : r.state == RecipientState::Failed ? "refused" : "not delivered") +
                       (r.reply.empty() ? "" : "  (" + r.reply + ")") + "\n";
    Profile p = profile;
    p.queue.folder.clear();
    p.rates = {};
    deliver(notice, p);  // best effort: the message itself is safe in failed/ either way
}

}  // namespace

FlushReport Queue::flush(const FlushOptions& options) {
    FlushReport report;
    QueueFiles files(settings_.folder);
    files.ensure();
    files.sweep();
    std::vector<QueueEntry> due;
    for (auto& e : list())
        if (options.all || e.next_attempt <= (options.now ? options.now : now_seconds())) due.push_back(std::move(e));
    report.due = due.size();
    std::size_t done = 0;
    for (const QueueEntry& listed : due) {
        if ((options.should_stop && options.should_stop()) || (options.limit && done >= options.limit)) {
            report.not_attempted = due.size() - done;
            break;
        }
        ++done;
        MessageLock lock(files.eml(listed.id));
        if (!lock.held()) {
            if (!lock.missing()) ++report.skipped_locked;
            continue;
        }
        std::optional<QueueEntry> current = files.read(listed.id);
        if (!current) continue;  // finished by another flusher meanwhile
        QueueEntry e = std::move(*current);
        const std::int64_t now = options.now ? options.now : now_seconds();
        if (!options.all && e.next_attempt > now) continue;

        Profile profile;
        try {
            profile = profile_of(e);
        } catch (const Error& err) {
            e.last_error = static_cast<int>(err.code());
            e.last_reason = std::string("the profile it was queued with cannot be loaded: ") + err.what();
            e.next_attempt = now + retry_delay_seconds(settings_, ++e.attempts);
            files.write(e);
            ++report.deferred;
            report.errors.push_back(e.id + ": " + e.last_reason);
            continue;
        }
        if (now - e.created > settings_.max_age_seconds) {
            const std::string reason = "not delivered within " + std::to_string(settings_.max_age_seconds) + " s (" +
                                       std::to_string(e.attempts) + " attempts); last: " + e.last_reason;
            files.move_to_failed(e, reason);
            notify(settings_, profile, e, reason);
            ++report.failed;
            report.errors.push_back(e.id + ": " + reason);
            if (options.progress) options.progress(done, due.size(), e);
            continue;
        }
        if (profile.rates.enabled()) {
            RateGate gate(profile.rates, files.rate_state());
            double wait = gate.try_take(e.pending());
            while (wait > 0 && options.pace && !(options.should_stop && options.should_stop())) {
                std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(std::min(wait, 0.5) * 1000) + 1));
                wait = gate.try_take(e.pending());
            }
            if (wait > 0) {
                ++report.rate_limited;  // a stop during the wait lands here too: untouched, due again
                continue;
            }
            profile.rates = {};
        }

        const Message message = message_of(e);
        std::vector<std::string> pending;
        for (const auto& box : message.to) pending.push_back(box.address);
        const DeliveryReport sent = guarded_report([&] { return send_prepared(message, pending, profile, {}); });
        // Every pending recipient's new state, from its own result (or the call's error).
        for (auto& r : e.recipients) {
            if (r.state != RecipientState::Pending) continue;
            const RecipientResult* result = nullptr;
            for (const auto& x : sent.recipients)
                if (x.address == r.address) result = &x;
            const ErrorCode code = result && result->error != ErrorCode::Ok ? result->error : sent.error;
            if (result && result->accepted) {
                r.state = RecipientState::Accepted;
                r.error = 0;
                r.reply = one_line(*result);
            } else if (is_transient(code) || code == ErrorCode::OutcomeUnknown) {
                // At least once: a message whose fate is unknown stays pending (queue.hpp).
                r.error = static_cast<int>(code);
                r.reply = result && result->reply.code ? one_line(*result) : sent.message;
            } else {
                r.state = RecipientState::Failed;
                r.error = static_cast<int>(code);
                r.reply = result && result->reply.code ? one_line(*result) : sent.message;
            }
        }
        if (e.pending() == 0) {
            bool refused = false;
            for (const auto& r : e.recipients) refused = refused || r.state == RecipientState::Failed;
            if (refused) {
                const std::string reason = "refused for good: " + sent.message;
                files.move_to_failed(e, reason);
                notify(settings_, profile, e, reason);
                ++report.failed;
                report.errors.push_back(e.id + ": " + reason);
            } else {
                files.remove(e.id);
                ++report.delivered;
            }
        } else {
            e.attempts += 1;
            e.last_error = static_cast<int>(sent.error);
            e.last_reason = sent.message;
            e.next_attempt = now + retry_delay_seconds(settings_, e.attempts);
            files.write(e);
            ++report.deferred;
            report.errors.push_back(e.id + ": " + sent.message);
        }
        if (options.progress) options.progress(done, due.size(), e);
    }
    return report;
}

}  // namespace mvsmtp
