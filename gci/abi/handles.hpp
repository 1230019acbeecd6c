// handles.hpp — the per-process table behind SMTP.OPEN / SEND / CMD / CLOSE.
//
//   int h = HandleTable::instance().add(std::move(state));   // 0 when the table is full
//   auto s = HandleTable::instance().find(h);                // nullptr: unknown or closed
//   std::lock_guard<std::mutex> lock(s->mutex);              // one call per handle at a time
//   HandleTable::instance().remove(h);
//
// Handles count up from 1 and are never reused within a process, so a stale handle in a
// BASIC variable can never reach somebody else's session. At most kMaxOpen are open.
#pragma once
#include <map>
#include <memory>
#include <mutex>

#include "mvsmtp/config.hpp"
#include "mvsmtp/mailer.hpp"
#include "transcript.hpp"

namespace mvsmtp::gci {

struct SessionHandle {
    std::mutex mutex;            // serialises calls on this handle (jBASE threads share a process)
    Profile profile;
    Transcript transcript;
    std::unique_ptr<Mailer> mailer;   // normal mode: reconnecting sends
    std::unique_ptr<Session> manual;  // operator mode (O.MANUAL): raw commands only
    bool in_data = false;        // SMTP.CMD: between DATA's 354 and the final "."
    bool in_auth = false;        // SMTP.CMD: inside an AUTH exchange (lines are secret)

    Session* session() { return manual ? manual.get() : mailer ? &mailer->session() : nullptr; }
};

class HandleTable {
public:
    static constexpr int kMaxOpen = 64;
    static HandleTable& instance();

    int add(std::shared_ptr<SessionHandle> handle);
    std::shared_ptr<SessionHandle> find(int handle);
    std::shared_ptr<SessionHandle> remove(int handle);

private:
    std::mutex mutex_;
    std::map<int, std::shared_ptr<SessionHandle>> open_;
    int next_ = 1;
};

}  // namespace mvsmtp::gci
