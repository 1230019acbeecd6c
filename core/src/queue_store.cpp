// queue_store.cpp — Queue: storing, listing and operator actions; see mvsmtp/queue.hpp.
// (The flusher is queue_flush.cpp; the files themselves queue_files.cpp.)
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "mvsmtp/outbox.hpp"
#include "mvsmtp/queue.hpp"
#include "platform.hpp"
#include "queue_files.hpp"

namespace mvsmtp {

Queue::Queue(QueueSettings settings) : settings_(std::move(settings)) {}

int retry_delay_seconds(const QueueSettings& s, int attempts) {
    double delay = std::max(1, s.retry_first_seconds);
    for (int i = 1; i < attempts && delay < s.retry_max_seconds; ++i) delay *= 2;
    delay = std::min<double>(delay, std::max(1, s.retry_max_seconds));
    unsigned seed = 0;
    platform::random_bytes(&seed, sizeof seed);
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    std::minstd_rand random(seed);
    return std::max(1, static_cast<int>(delay * jitter(random) + 0.5));
}

std::string Queue::enqueue(const Message& prepared, const std::vector<std::string>& recipients,
                           const ProfileReference& profile, const std::string& reason, ErrorCode error) {
    QueueFiles files(settings_.folder);
    files.ensure();
    // The .eml (and .envelope) are written exactly as the outbox writes them: exclusive
    // names, 0600, fsync, published without replacing; the metadata follows under the lock.
    const std::string eml = store_in_outbox(prepared, settings_.folder);
    const std::string name = eml.substr(eml.rfind('/') + 1);
    QueueEntry e;
    e.id = name.substr(0, name.size() - 4);
    e.message_id = prepared.message_id;
    e.sender = prepared.envelope_sender();
    e.dsn = prepared.dsn;
    for (const auto& r : recipients) e.recipients.push_back({r, RecipientState::Pending, static_cast<int>(error), reason});
    e.profile = profile;
    e.created = now_seconds();
    e.attempts = 1;  // the call that queued it was the first
    e.next_attempt = e.created + retry_delay_seconds(settings_, 1);
    e.last_error = static_cast<int>(error);
    e.last_reason = reason;
    try {
        MessageLock lock(files.eml(e.id), true);
        if (!lock.held()) throw Error(ErrorCode::OutboxFailed, "cannot lock the queued message " + files.eml(e.id));
        std::ifstream in(eml, std::ios::binary | std::ios::ate);
        e.size = in ? static_cast<std::uint64_t>(in.tellg()) : 0;
        files.write(e, true);
    } catch (...) {
        ::unlink(files.eml(e.id).c_str());
        ::unlink(files.envelope(e.id).c_str());
        throw;
    }
    return e.id;
}

std::vector<QueueEntry> Queue::list() const {
    QueueFiles files(settings_.folder);
    std::vector<QueueEntry> entries;
    for (const auto& id : files.ids())
        if (auto e = files.read(id)) entries.push_back(std::move(*e));
    std::sort(entries.begin(), entries.end(), [](const QueueEntry& a, const QueueEntry& b) {
        return a.created != b.created ? a.created < b.created : a.id < b.id;
    });
    return entries;
}

std::optional<QueueEntry> Queue::find(const std::string& id) const {
    if (id.empty() || id.find('/') != std::string::npos || id.find("..") != std::string::npos) return std::nullopt;
    return QueueFiles(settings_.folder).read(id);
}

bool Queue::retry_now(const std::string& id) {
    QueueFiles files(settings_.folder);
    if (!find(id)) return false;
    MessageLock lock(files.eml(id), true);
    auto e = files.read(id);
    if (!lock.held() || !e) return false;
    e->next_attempt = now_seconds();
    files.write(*e);
    return true;
}

bool Queue::remove(const std::string& id) {
    QueueFiles files(settings_.folder);
    if (!find(id)) return false;
    MessageLock lock(files.eml(id), true);
    if (!lock.held()) return false;
    files.remove(id);
    return true;
}

std::size_t Queue::purge(std::int64_t older_than_seconds) {
    std::size_t n = 0;
    const std::int64_t now = now_seconds();
    for (const auto& e : list())
        if (now - e.created > older_than_seconds && remove(e.id)) ++n;
    return n;
}

std::vector<QueueEntry> Queue::failed() const {
    QueueFiles files(settings_.folder);
    QueueFiles failed_files(files.failed_folder());
    std::vector<QueueEntry> entries;
    for (const auto& id : failed_files.ids())
        if (auto e = failed_files.read(id)) entries.push_back(std::move(*e));
    return entries;
}

}  // namespace mvsmtp
