// queue_files.hpp (private) — the queue folder's files: names, metadata as JSON, the
// per-message lock, and the moves a flusher makes. Queue (queue_store.cpp) and the flusher
// (queue_flush.cpp) share them.
//
//   QueueFiles f(folder);
//   MessageLock lock(f.eml("ID"));  if (!lock.held()) ...   // someone else works on it
//   QueueEntry e = f.read("ID");  ...  f.write(e);           // atomic replace
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mvsmtp/queue.hpp"

namespace mvsmtp {

// An exclusive flock on a message's .eml, taken without waiting (or waiting at most 10 s);
// released when destroyed
// (and by the kernel if the process dies, so it never goes stale).
class MessageLock {
public:
    explicit MessageLock(const std::string& eml_path, bool wait = false);
    ~MessageLock();
    MessageLock(const MessageLock&) = delete;
    MessageLock& operator=(const MessageLock&) = delete;
    bool held() const { return fd_ >= 0; }
    bool missing() const { return missing_; }  // the .eml does not exist

private:
    int fd_ = -1;
    bool missing_ = false;
};

class QueueFiles {
public:
    explicit QueueFiles(std::string folder);
    const std::string& folder() const { return folder_; }
    std::string eml(const std::string& id) const { return folder_ + "/" + id + ".eml"; }
    std::string envelope(const std::string& id) const { return folder_ + "/" + id + ".envelope"; }
    std::string meta(const std::string& id) const { return folder_ + "/" + id + ".json"; }
    std::string failed_folder() const { return folder_ + "/failed"; }
    std::string rate_state() const { return folder_ + "/rate.state"; }

    // Creates the folder (0700) when missing; Error(OutboxFailed) when it cannot.
    void ensure() const;
    // Ids that have metadata, in no particular order.
    std::vector<std::string> ids() const;
    std::optional<QueueEntry> read(const std::string& id) const;
    std::optional<QueueEntry> read_from(const std::string& meta_path, const std::string& id) const;
    // Replaces ID.json atomically (or creates it new when `fresh`: never over another's).
    void write(const QueueEntry& entry, bool fresh = false) const;
    // Delivered: .eml first (so a crash leaves metadata without a message, which the next
    // flusher recognises as done), then .envelope, then .json. The caller holds the lock.
    void remove(const std::string& id) const;
    // To failed/ with the reason in its metadata: ID.json written there first, then the
    // message moved, then the queue's ID.json removed. The caller holds the lock.
    void move_to_failed(QueueEntry entry, const std::string& reason) const;
    // Leftovers of killed writers: temporary metadata of messages nobody holds, metadata
    // whose message is gone (a finished delivery), messages without metadata older than an
    // hour (an enqueue that died half-way), temporary messages older than an hour.
    void sweep() const;

private:
    std::string folder_;
};

std::int64_t now_seconds();
std::string utc_text(std::int64_t seconds);  // "2026-11-29 21:30:00"

}  // namespace mvsmtp
