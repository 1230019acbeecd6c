// mvsmtp/mailer.hpp — a long-lived sending channel for batches: one Session, reopened when
// the server has dropped an idle connection, never reused once broken.
//
//   Mailer mailer(settings, /*keepalive_seconds=*/30);
//   mailer.open();                               // throws like Session::open
//   for (...) SendResult r = mailer.send(msg);   // per message; reconnects when needed
//   mailer.close();
//
// Reconnect policy: before a send, a session that is broken (a previous failure poisoned
// it) or idle longer than keepalive_seconds and failing a NOOP is replaced by a new one.
// A send that fails before the server accepted DATA (EOF or 421 while sending the
// envelope: the typical idle-timeout close) is retried once on a new connection — nothing
// of it can have been delivered. A timeout is not retried (the server is stalled, and a
// retry would double the wait). A message whose content had started is never sent again:
// it might have been accepted (OUTCOME.UNKNOWN), and a duplicate invoice is worse than an
// error.
#pragma once
#include <chrono>
#include <memory>

#include "mvsmtp/session.hpp"

namespace mvsmtp {

class Mailer {
public:
    Mailer(SessionSettings settings, int keepalive_seconds);

    void open();
    SendResult send(const Message& message);
    // Session::send_each on a live connection (reopened first when needed). Not retried:
    // a batch that breaks reports which messages were not sent.
    std::vector<SendResult> send_each(const std::vector<Message>& messages);
    void close() noexcept;

    Session& session() { return *session_; }
    bool is_open() const { return session_ && session_->is_open(); }
    int reconnects() const { return reconnects_; }

private:
    void reopen();
    void ensure_live();
    void touch() { last_used_ = std::chrono::steady_clock::now(); }

    SessionSettings settings_;
    int keepalive_seconds_;
    std::unique_ptr<Session> session_;
    std::chrono::steady_clock::time_point last_used_;
    int reconnects_ = 0;
};

}  // namespace mvsmtp
