// queue_files.cpp — see queue_files.hpp.
#include "queue_files.hpp"

#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "mvsmtp/error.hpp"
#include "platform.hpp"

namespace mvsmtp {
namespace {

constexpr std::int64_t kOrphanAge = 3600;  // an enqueue or an outbox write takes far less

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool exists(const std::string& path) {
    struct stat st{};
    return ::lstat(path.c_str(), &st) == 0;
}

std::int64_t age_of(const std::string& path) {
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) return 0;
    return now_seconds() - static_cast<std::int64_t>(st.st_mtime);
}

std::vector<std::string> names_in(const std::string& folder) {
    std::vector<std::string> names;
    DIR* dir = ::opendir(folder.c_str());
    if (!dir) return names;
    while (const dirent* d = ::readdir(dir)) {
        const std::string name = d->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
    return names;
}

const char* state_name(RecipientState s) {
    return s == RecipientState::Accepted ? "accepted" : s == RecipientState::Failed ? "failed" : "pending";
}

RecipientState state_of(const std::string& s) {
    return s == "accepted" ? RecipientState::Accepted : s == "failed" ? RecipientState::Failed : RecipientState::Pending;
}

std::string to_json(const QueueEntry& e) {
    Poco::JSON::Object o;
    o.set("id", e.id);
    o.set("message_id", e.message_id);
    o.set("sender", e.sender);
    Poco::JSON::Object dsn;
    dsn.set("notify", e.dsn.notify);
    dsn.set("ret", e.dsn.ret);
    dsn.set("envid", e.dsn.envid);
    o.set("dsn", dsn);
    Poco::JSON::Array rcpts;
    for (const auto& r : e.recipients) {
        Poco::JSON::Object x;
        x.set("address", r.address);
        x.set("state", std::string(state_name(r.state)));
        x.set("error", r.error);
        x.set("reply", r.reply);
        rcpts.add(x);
    }
    o.set("recipients", rcpts);
    Poco::JSON::Object profile;
    profile.set("config", e.profile.config);
    profile.set("profile", e.profile.profile);
    Poco::JSON::Object overrides;
    for (const auto& [k, v] : e.profile.overrides) overrides.set(k, v);
    profile.set("overrides", overrides);
    o.set("profile", profile);
    o.set("created", e.created);
    o.set("next_attempt", e.next_attempt);
    o.set("attempts", e.attempts);
    o.set("last_error", e.last_error);
    o.set("last_reason", e.last_reason);
    o.set("size", static_cast<Poco::UInt64>(e.size));
    std::ostringstream out;
    o.stringify(out, 1);
    return out.str() + "\n";
}

std::string text_of(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    return o && o->has(key) ? o->getValue<std::string>(key) : std::string();
}

}  // namespace

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string utc_text(std::int64_t seconds) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(seconds)),
                                           "%Y-%m-%d %H:%M:%S");
}

std::size_t QueueEntry::pending() const {
    std::size_t n = 0;
    for (const auto& r : recipients) n += r.state == RecipientState::Pending ? 1 : 0;
    return n;
}

MessageLock::MessageLock(const std::string& eml_path, bool wait) {
    fd_ = ::open(eml_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd_ < 0) {
        missing_ = errno == ENOENT;
        return;
    }
    // Waiting callers (enqueue, retry, delete) give up after 10 s: a flusher may hold the
    // message for a whole send, and a database process must not wait that long.
    if (!platform::lock_exclusive(fd_, wait ? 10000 : 0)) {
        ::close(fd_);
        fd_ = -1;
        return;
    }
    // Removed between open and flock (a flusher that finished it): not ours to work on.
    if (!exists(eml_path)) {
        ::close(fd_);
        fd_ = -1;
        missing_ = true;
    }
}

MessageLock::~MessageLock() {
    if (fd_ >= 0) ::close(fd_);
}

QueueFiles::QueueFiles(std::string folder) : folder_(std::move(folder)) {
    while (folder_.size() > 1 && folder_.back() == '/') folder_.pop_back();
}

void QueueFiles::ensure() const {
    for (const std::string& dir : {folder_, failed_folder()}) {
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            throw Error(ErrorCode::OutboxFailed, "cannot create the queue folder " + dir + ": " + std::strerror(errno));
    }
}

std::vector<std::string> QueueFiles::ids() const {
    std::vector<std::string> ids;
    for (const auto& name : names_in(folder_))
        if (ends_with(name, ".json") && name != "rate.json") ids.push_back(name.substr(0, name.size() - 5));
    return ids;
}

std::optional<QueueEntry> QueueFiles::read(const std::string& id) const { return read_from(meta(id), id); }

std::optional<QueueEntry> QueueFiles::read_from(const std::string& meta_path, const std::string& id) const {
    std::ifstream in(meta_path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    try {
        Poco::JSON::Parser parser;
        const auto o = parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>();
        QueueEntry e;
        e.id = id;
        e.message_id = text_of(o, "message_id");
        e.sender = text_of(o, "sender");
        if (auto dsn = o->getObject("dsn")) {
            e.dsn.notify = text_of(dsn, "notify");
            e.dsn.ret = text_of(dsn, "ret");
            e.dsn.envid = text_of(dsn, "envid");
        }
        if (auto rcpts = o->getArray("recipients")) {
            for (std::size_t i = 0; i < rcpts->size(); ++i) {
                auto x = rcpts->getObject(static_cast<unsigned>(i));
                QueuedRecipient r;
                r.address = text_of(x, "address");
                r.state = state_of(text_of(x, "state"));
                r.error = x->optValue<int>("error", 0);
                r.reply = text_of(x, "reply");
                e.recipients.push_back(r);
            }
        }
        if (auto profile = o->getObject("profile")) {
            e.profile.config = text_of(profile, "config");
            e.profile.profile = text_of(profile, "profile");
            if (auto overrides = profile->getObject("overrides"))
                for (const auto& [k, v] : *overrides) e.profile.overrides[k] = v.convert<std::string>();
        }
        e.created = o->optValue<Poco::Int64>("created", 0);
        e.next_attempt = o->optValue<Poco::Int64>("next_attempt", 0);
        e.attempts = o->optValue<int>("attempts", 0);
        e.last_error = o->optValue<int>("last_error", 0);
        e.last_reason = text_of(o, "last_reason");
        e.size = o->optValue<Poco::UInt64>("size", 0);
        e.eml_path = meta_path.substr(0, meta_path.size() - 5) + ".eml";
        return e;
    } catch (const Poco::Exception&) {
        return std::nullopt;  // unreadable metadata: left alone for an operator (queue show says so)
    }
}

void QueueFiles::write(const QueueEntry& entry, bool fresh) const {
    try {
        if (fresh) {
            if (!platform::write_new_file(meta(entry.id), to_json(entry)))
                throw Error(ErrorCode::OutboxFailed, "queue id " + entry.id + " is already taken");
        } else {
            platform::write_file_atomically(meta(entry.id), to_json(entry));
        }
    } catch (const std::runtime_error& e) {
        throw Error(ErrorCode::OutboxFailed, std::string("cannot write the queue's metadata: ") + e.what());
    }
}

void QueueFiles::remove(const std::string& id) const {
    ::unlink(eml(id).c_str());
    ::unlink(envelope(id).c_str());
    ::unlink(meta(id).c_str());
    platform::fsync_path(folder_);
}

void QueueFiles::move_to_failed(QueueEntry entry, const std::string& reason) const {
    ensure();
    entry.last_reason = reason;
    const std::string failed_meta = failed_folder() + "/" + entry.id + ".json";
    try {
        platform::write_file_atomically(failed_meta, to_json(entry));
    } catch (const std::runtime_error& e) {
        throw Error(ErrorCode::OutboxFailed, std::string("cannot write to the failed folder: ") + e.what());
    }
    ::rename(envelope(entry.id).c_str(), (failed_folder() + "/" + entry.id + ".envelope").c_str());
    if (::rename(eml(entry.id).c_str(), (failed_folder() + "/" + entry.id + ".eml").c_str()) != 0 && errno != ENOENT)
        throw Error(ErrorCode::OutboxFailed, "cannot move " + eml(entry.id) + " to the failed folder: " + std::strerror(errno));
    platform::fsync_path(failed_folder());
    ::unlink(meta(entry.id).c_str());
    platform::fsync_path(folder_);
}

void QueueFiles::sweep() const {
    for (const auto& name : names_in(folder_)) {
        const std::string path = folder_ + "/" + name;
        const auto tmp = name.find(".json.tmp.");
        if (tmp != std::string::npos) {
            // A metadata write of a writer that died: only the lock holder writes it.
            MessageLock lock(eml(name.substr(0, tmp)));
            if (lock.held() || lock.missing()) ::unlink(path.c_str());
            continue;
        }
        if (ends_with(name, ".json") && name.find('.') == name.size() - 5) {
            const std::string id = name.substr(0, name.size() - 5);
            if (!exists(eml(id))) {
                ::unlink(envelope(id).c_str());
                ::unlink(path.c_str());  // its message was delivered and removed
            }
            continue;
        }
        if (ends_with(name, ".eml") || ends_with(name, ".envelope")) {
            const std::string id = name.substr(0, name.rfind('.'));
            if (exists(meta(id)) || age_of(path) < kOrphanAge) continue;
            MessageLock lock(eml(id));
            if ((lock.held() || lock.missing()) && !exists(meta(id))) ::unlink(path.c_str());
            continue;
        }
        if (ends_with(name, ".eml.tmp") && age_of(path) >= kOrphanAge) ::unlink(path.c_str());
    }
}

}  // namespace mvsmtp
