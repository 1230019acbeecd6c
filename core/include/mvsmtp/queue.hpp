// mvsmtp/queue.hpp — the durable queue: messages that could not be delivered yet (relay down,
// DNS or exchangers unreachable, 4xx, over a rate limit) wait here and are retried, so that
// a nightly run loses nothing and BASIC needs no retry loop of its own.
//
//   Queue q(profile.queue);                                  // queue = /u2/mail/queue
//   std::string id = q.enqueue(prepared, {"a@example.com"}, profile_ref, "relay down", ErrorCode::ConnectFailed);
//   for (const QueueEntry& e : q.list()) ...
//   FlushReport r = q.flush(flush_options);                  // one pass over what is due
//
// Layout of the folder (created 0700; every file 0600):
//   ID.eml    the complete message as it goes on the wire (7-bit, Bcc not shown), written
//             once: temporary file (O_EXCL), fsync, rename, fsync of the folder
//   ID.json   its metadata: envelope, per-recipient state (pending / accepted / failed: an
//             accepted recipient is never sent again), attempts, next attempt, last error,
//             and the profile reference it is sent with; replaced atomically the same way
//   failed/   messages that expired (queue_max_age) or were refused for good: ID.eml and
//             ID.json with the reason
// A flusher holds an flock on ID.eml while it works on the message, so two flushers (threads
// or processes) never send the same message; the kernel drops the lock when a flusher dies,
// so no lock can go stale. Guarantee: at least once. The one window where a duplicate is
// possible: from the final "." of a transaction until its reply is recorded in ID.json (a
// crash, or OUTCOME.UNKNOWN, there leaves the recipients pending and they are sent again).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mvsmtp/error.hpp"
#include "mvsmtp/message.hpp"

namespace mvsmtp {

struct QueueSettings {
    std::string folder;                       // queue = /path; empty: no queue (failures are returned)
    std::int64_t max_age_seconds = 5 * 86400; // queue_max_age: then failed/, and the notice
    int retry_first_seconds = 60;             // queue_retry: the first retry after this, then doubling
    int retry_max_seconds = 3600;             // queue_retry_max: the longest wait between attempts
    std::string notify;                       // queue_notify: address told when a message expires
    bool enabled() const { return !folder.empty(); }
};

// What a queued message is sent with: the profile it was queued under, and the options
// that overrode it (never a password: O.PASSWORD is not written to disk).
struct ProfileReference {
    std::string config;
    std::string profile;
    std::map<std::string, std::string> overrides;
    // The caller gave a password or client secret as an option: it is not written to disk,
    // so a message sent that way is not queued (its failure is returned instead).
    bool dropped_secret = false;
};

enum class RecipientState { Pending, Accepted, Failed };

struct QueuedRecipient {
    std::string address;
    RecipientState state = RecipientState::Pending;
    int error = 0;            // the last error code for it (0 none)
    std::string reply;        // the last reply about it, one line
};

struct QueueEntry {
    std::string id;
    std::string message_id;
    std::string sender;                       // MAIL FROM
    DsnRequest dsn;
    std::vector<QueuedRecipient> recipients;
    ProfileReference profile;
    std::int64_t created = 0;                 // seconds since the epoch
    std::int64_t next_attempt = 0;
    int attempts = 0;
    int last_error = 0;
    std::string last_reason;
    std::uint64_t size = 0;
    std::string eml_path;                     // the stored message
    std::size_t pending() const;
};

struct FlushOptions {
    bool all = false;                         // also messages whose next attempt is not due yet
    // Rate limits: true waits for the next slot (the CLI, a flusher process); false leaves the
    // message for a later pass (a call inside a database process must not sleep for minutes).
    bool pace = false;
    std::function<bool()> should_stop = {};   // checked between messages (SIGTERM in `queue run`)
    std::int64_t now = 0;                     // 0: the real clock (tests may set it)
    std::size_t limit = 0;                    // at most this many messages (0: all)
    // Called after each message: done so far, total due, the entry as it is now.
    std::function<void(std::size_t, std::size_t, const QueueEntry&)> progress = {};
};

struct FlushReport {
    std::size_t due = 0, delivered = 0, deferred = 0, failed = 0, skipped_locked = 0;
    std::size_t rate_limited = 0;             // left for later by a rate limit
    std::size_t not_attempted = 0;            // due, but the pass stopped first (should_stop, limit)
    std::vector<std::string> errors;          // one line per message that did not go
};

class Queue {
public:
    explicit Queue(QueueSettings settings);

    // Stores a prepared message (Message-ID and Date set) for these recipients; returns its
    // id. Throws Error(OutboxFailed) when it cannot be stored (then nothing of it remains).
    std::string enqueue(const Message& prepared, const std::vector<std::string>& recipients,
                        const ProfileReference& profile, const std::string& reason, ErrorCode error);

    std::vector<QueueEntry> list() const;                  // oldest first
    std::optional<QueueEntry> find(const std::string& id) const;
    bool retry_now(const std::string& id);                 // next attempt = now
    bool remove(const std::string& id);                    // deletes it (not delivered)
    std::size_t purge(std::int64_t older_than_seconds);    // deletes entries older than this
    std::vector<QueueEntry> failed() const;                // failed/

    // One pass over the due messages: each is locked, its pending recipients are sent with
    // its profile reference, and its metadata updated (delivered ones are removed).
    FlushReport flush(const FlushOptions& options);

    const QueueSettings& settings() const { return settings_; }

private:
    QueueSettings settings_;
};

// The wait before attempt number `attempts` + 1 (attempts >= 1): first, doubling, capped,
// with +-20 % jitter so that many queued messages do not all come back in the same second.
int retry_delay_seconds(const QueueSettings& settings, int attempts);

}  // namespace mvsmtp
