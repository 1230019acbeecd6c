// mailer.cpp — reconnect and keepalive policy; see mvsmtp/mailer.hpp.
#include "mvsmtp/mailer.hpp"

namespace mvsmtp {
namespace {

// A server that closed an idle channel (EOF or 421) is worth one new connection. A server
// that stopped answering (Timeout) is not: a retry only doubles the wait.
bool connection_dropped(ErrorCode code) {
    return code == ErrorCode::ConnectionLost || code == ErrorCode::ServerUnavailable;
}

}  // namespace

Mailer::Mailer(SessionSettings settings, int keepalive_seconds)
    : settings_(std::move(settings)), keepalive_seconds_(keepalive_seconds) {}

void Mailer::open() {
    session_ = std::make_unique<Session>(settings_);
    session_->open();
    touch();
}

void Mailer::reopen() {
    if (session_) session_->quit();
    ++reconnects_;
    open();
}

void Mailer::ensure_live() {
    if (!session_ || !session_->is_open()) {
        reopen();
    } else if (keepalive_seconds_ > 0 &&
               std::chrono::steady_clock::now() - last_used_ >= std::chrono::seconds(keepalive_seconds_)) {
        if (!session_->noop()) reopen();
    }
}

std::vector<SendResult> Mailer::send_each(const std::vector<Message>& messages) {
    ensure_live();
    auto results = session_->send_each(messages);
    touch();
    return results;
}

SendResult Mailer::send(const Message& message) {
    ensure_live();
    SendResult result;
    try {
        result = session_->send(message);
    } catch (const Error& e) {
        if (!connection_dropped(e.code()) || !session_->failed_before_data()) throw;
        reopen();
        result = session_->send(message);
    }
    // A 421 to MAIL FROM is the server closing an idle channel politely.
    if (result.error == ErrorCode::ServerUnavailable && result.accepted_count() == 0 &&
        session_->failed_before_data()) {
        reopen();
        result = session_->send(message);
    }
    touch();
    return result;
}

void Mailer::close() noexcept {
    if (session_) session_->quit();
    session_.reset();
}

}  // namespace mvsmtp
