// queue_control.cpp — SMTP.QUEUE.CONTROL: the durable queue (mvsmtp/queue.hpp) from BASIC.
//
//   COMMAND<1> = LIST | SHOW | FLUSH | RETRY | DELETE | PURGE
//   COMMAND<2> = SHOW/RETRY/DELETE: the queue id; PURGE: seconds ("older than");
//                FLUSH: ALL to include messages not due yet
//   OPTIONS    = as for SENDMAIL: the profile names the folder (queue =), O.QUEUE overrides it
//
// RESULT: LIST and SHOW fill R.QUEUE.ID .. R.QUEUE.REASON (one value per message; SHOW also
// its recipients in R.RCPT.*, R.RCPT.QUEUED = 1 while one is pending); FLUSH fills
// R.QUEUE.COUNTS and a one-line R.MESSAGE; PURGE says how many in R.MESSAGE.
//
// FLUSH here never waits for a rate-limit slot: it runs inside a database process, where a
// call that sleeps for minutes would hold a BASIC user. What the limit leaves is counted as
// rate-limited and stays queued for `mvsmtp queue run`, which does pace.
#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>

#include "dynarray.hpp"
#include "marshal.hpp"
#include "operations.hpp"
#include "mvsmtp/config.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/queue.hpp"

namespace mvsmtp::gci {
namespace {

std::string upper_trimmed(std::string s) {
    const auto b = s.find_first_not_of(" \t");
    s = b == std::string::npos ? "" : s.substr(b, s.find_last_not_of(" \t") - b + 1);
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

DeliveryReport ok(const std::string& message) {
    DeliveryReport r;
    r.status = DeliveryStatus::Sent;  // S.OK
    r.message = message;
    return r;
}

std::string unknown_id(const std::string& id) {
    return encode_failure(ErrorCode::BadArgument, "no queued message " + id);
}

std::string needs_id(const std::string& verb) {
    return encode_failure(ErrorCode::BadArgument, "SMTP.QUEUE.CONTROL " + verb + " needs the queue id in COMMAND<2>");
}

// SHOW: the entry's row plus one R.RCPT.* value per recipient. RCPT.STATUS is the last error
// code for it (0: accepted or not tried yet), RCPT.QUEUED = 1 while it is pending, so the
// three states read: QUEUED 1 pending, STATUS 0 accepted, else failed.
std::string show(const QueueEntry& e) {
    DeliveryReport r = ok("");
    for (const QueuedRecipient& q : e.recipients) {
        RecipientResult rc;
        rc.address = q.address;
        rc.accepted = q.state == RecipientState::Accepted;
        rc.error = static_cast<ErrorCode>(q.error);
        rc.queued = q.state == RecipientState::Pending;
        if (!q.reply.empty()) rc.reply.lines = {q.reply};  // the stored one-line reply, as RCPT.TEXT
        r.recipients.push_back(rc);
    }
    std::size_t failed = 0;
    for (const auto& q : e.recipients) failed += q.state == RecipientState::Failed;
    r.message = "from <" + e.sender + ">, " + std::to_string(e.recipients.size()) + " recipient(s): " +
                std::to_string(e.pending()) + " pending, " +
                std::to_string(e.recipients.size() - e.pending() - failed) + " accepted, " + std::to_string(failed) +
                " failed; profile " + (e.profile.profile.empty() ? "default" : e.profile.profile) +
                (e.profile.config.empty() ? "" : " (" + e.profile.config + ")");
    r.message_id = e.message_id;
    r.outbox_path = e.eml_path;
    r.size = e.size;
    // R.ERROR stays 0: SHOW itself succeeded (and machine mode's exit status is R.ERROR); the
    // entry's last error goes into the summary, its reason into R.QUEUE.REASON.
    if (e.last_error)
        r.message += "; last error " + std::to_string(e.last_error) + " " +
                     error_info(static_cast<ErrorCode>(e.last_error)).basic_name;
    ResultExtras extras;
    extras.queue = queue_rows({e});
    return encode_result(r, extras);
}

std::string flush(Queue& queue, bool all) {
    FlushOptions options;
    options.all = all;
    options.pace = false;  // never sleep for a rate-limit slot inside a database process
    const FlushReport f = queue.flush(options);
    DeliveryReport r = ok("flushed " + std::to_string(f.due) + ": " + std::to_string(f.delivered) + " delivered, " +
                          std::to_string(f.deferred) + " deferred, " + std::to_string(f.failed) + " failed, " +
                          std::to_string(f.rate_limited) + " left by the rate limit" +
                          (f.skipped_locked ? ", " + std::to_string(f.skipped_locked) + " busy (another flusher)" : ""));
    ResultExtras extras;
    extras.queue_counts = {std::to_string(f.due), std::to_string(f.delivered), std::to_string(f.deferred),
                           std::to_string(f.failed), std::to_string(f.rate_limited)};
    extras.queue.reason = f.errors;
    return encode_result(r, extras);
}

}  // namespace

std::string queue_control(const char* command, const char* options) noexcept {
    return encode_guarded([&] {
        const std::string verb = upper_trimmed(extract(command, 1));
        const std::string argument = trimmed(extract(command, 2));
        static const char* kVerbs = "LIST, SHOW, FLUSH, RETRY, DELETE or PURGE";
        // The verb first: a typo is BAD.ARGUMENT whatever the profile says.
        static const char* kKnown[] = {"LIST", "SHOW", "FLUSH", "RETRY", "DELETE", "PURGE"};
        if (std::find(std::begin(kKnown), std::end(kKnown), verb) == std::end(kKnown))
            return encode_failure(ErrorCode::BadArgument,
                                  (verb.empty() ? std::string("COMMAND<1> is empty") : "unknown COMMAND<1> \"" + verb + "\"") +
                                      ": " + kVerbs);
        const Profile profile = load_profile(options_request(options));
        if (!profile.queue.enabled())
            return encode_failure(ErrorCode::BadOption,
                                  "no queue folder: set O.QUEUE or the profile's queue key (queue = /path/to/queue)");
        Queue queue(profile.queue);
        if (verb == "LIST") {
            const auto entries = queue.list();
            ResultExtras extras;
            extras.queue = queue_rows(entries);
            return encode_result(ok(std::to_string(entries.size()) + " message(s) queued in " + profile.queue.folder),
                                 extras);
        }
        if (verb == "SHOW") {
            if (argument.empty()) return needs_id(verb);
            const auto entry = queue.find(argument);
            return entry ? show(*entry) : unknown_id(argument);
        }
        if (verb == "FLUSH") {
            if (!argument.empty() && upper_trimmed(argument) != "ALL")
                return encode_failure(ErrorCode::BadArgument, "FLUSH takes ALL or nothing in COMMAND<2> (got \"" + argument + "\")");
            return flush(queue, !argument.empty());
        }
        if (verb == "RETRY") {
            if (argument.empty()) return needs_id(verb);
            return queue.retry_now(argument) ? encode_result(ok(argument + " will be tried at the next flush"))
                                             : unknown_id(argument);
        }
        if (verb == "DELETE") {
            if (argument.empty()) return needs_id(verb);
            return queue.remove(argument) ? encode_result(ok(argument + " deleted, not delivered")) : unknown_id(argument);
        }
        if (verb == "PURGE") {
            std::size_t used = 0;
            long long seconds = -1;
            try {
                seconds = std::stoll(argument, &used);
            } catch (const std::exception&) {
            }
            if (seconds < 0 || used != argument.size() || argument.empty())
                return encode_failure(ErrorCode::BadArgument,
                                      "PURGE needs COMMAND<2> = age in seconds (got \"" + argument + "\")");
            const std::size_t n = queue.purge(seconds);
            return encode_result(ok(std::to_string(n) + " message(s) purged"));
        }
        return encode_failure(ErrorCode::Internal, "SMTP.QUEUE.CONTROL " + verb + " not handled");
    });
}

}  // namespace mvsmtp::gci
