// session.cpp — the SMTP conversation (RFC 5321 §3, §4.1) on top of Connection.
#include "mvsmtp/session.hpp"

#include <algorithm>
#include <cctype>

#include "mvsmtp/command.hpp"
#include "mvsmtp/dot_stuffer.hpp"
#include "mvsmtp/envelope.hpp"
#include "mvsmtp/mime.hpp"
#include "platform.hpp"

namespace mvsmtp {
namespace {

// RFC 2920 §3.1: a pipelined group must not outgrow what the peers buffer, or the client
// blocks writing commands while the server blocks writing replies nobody reads. A group
// carries at most this many RCPT, so its replies (~50 octets each) always fit the server's
// socket buffer and the server keeps reading; the next group leaves once they are read.
constexpr std::size_t kMaxRcptPerGroup = 100;
// QUIT comes after the outcome is known: a server that does not answer it promptly is not
// waited for (RFC 5321 §4.1.1.10 lets the client close then).
constexpr int kQuitMs = 5000;

// 452 (and 552, RFC 5321 §4.5.3.1.10): "too many recipients" — try them again in a
// following transaction.
bool too_many_recipients(const Reply& r) { return r.code == 452 || r.code == 552; }

const char* const kUnknownOutcome =
    ": the message may or may not have been accepted; check with the recipient or the server's log before "
    "sending it again";

// A SendResult whose error is still Ok although recipients were not accepted: they were
// deferred with 452/552 and no later transaction took them.
void conclude(SendResult& r) {
    if (r.error != ErrorCode::Ok) return;
    for (const auto& rr : r.recipients) {
        if (rr.accepted) continue;
        r.error = rr.error == ErrorCode::Ok ? ErrorCode::RecipientDeferred : rr.error;
        r.message = "recipient <" + rr.address + "> deferred: " + rr.reply.summary();
        r.last_reply = rr.reply;
        return;
    }
}

}  // namespace

std::size_t SendResult::accepted_count() const {
    std::size_t n = 0;
    for (const auto& r : recipients) n += r.accepted ? 1 : 0;
    return n;
}

ErrorCode classify_reply(const Reply& reply, Stage stage) {
    if (reply.is_positive()) return ErrorCode::Ok;
    const bool transient = reply.is_transient();
    // 421 at any stage: the server is shutting the channel (RFC 5321 §3.8).
    if (reply.code == 421) return ErrorCode::ServerUnavailable;
    if (reply.code == 530 && stage != Stage::Auth) return ErrorCode::AuthRequired;
    if (reply.code == 552 && (stage == Stage::DataEnd || stage == Stage::MailFrom))
        return ErrorCode::MessageTooLarge;
    // RFC 5321 §4.5.3.1.10: 552 to RCPT is a (broken) "too many recipients"; treat it as 452.
    if (reply.code == 552 && stage == Stage::RcptTo) return ErrorCode::RecipientDeferred;
    switch (stage) {
        case Stage::Greeting:
        case Stage::Hello:
            return transient ? ErrorCode::ServerUnavailable : ErrorCode::ServerRejected;
        case Stage::StartTls:
            return transient ? ErrorCode::ServerTransient : ErrorCode::TlsUnavailable;
        case Stage::Auth:
            if (transient) return ErrorCode::AuthDeferred;
            if (reply.code == 504) return ErrorCode::AuthUnsupported;
            return ErrorCode::AuthFailed;
        case Stage::MailFrom:
            return transient ? ErrorCode::SenderDeferred : ErrorCode::SenderRejected;
        case Stage::RcptTo:
            return transient ? ErrorCode::RecipientDeferred : ErrorCode::RecipientRejected;
        case Stage::Data:
        case Stage::DataEnd:
            return transient ? ErrorCode::MessageDeferred : ErrorCode::MessageRejected;
    }
    return transient ? ErrorCode::ServerTransient : ErrorCode::ServerRejected;
}

Session::Session(SessionSettings settings)
    : settings_(std::move(settings)), connection_(settings_.timeouts) {
    connection_.set_transcript(settings_.transcript);
}

Session::~Session() { connection_.close(); }

const std::string& Session::connect_target() const {
    return settings_.connect_address.empty() ? settings_.host : settings_.connect_address;
}

bool Session::is_open() const { return connection_.is_open() && !broken_; }

const Reply& Session::took(Reply reply) {
    last_reply_ = std::move(reply);
    if (last_reply_.code == 421) {
        // RFC 5321 §3.8: the server is closing the channel. Not another command, not QUIT.
        server_closing_ = true;
        broken_ = true;
    }
    return last_reply_;
}

Reply Session::command(const std::string& line, bool secret) {
    try {
        connection_.send_line(line, secret);
        return took(connection_.read_reply());
    } catch (const Error&) {
        broken_ = true;
        throw;
    }
}

void Session::fail(ErrorCode code, const std::string& message, Reply reply) {
    quit();
    broken_ = true;
    const std::string text = message + ": " + reply.summary();
    throw Error(code, text, std::move(reply));
}

void Session::open() {
    broken_ = false;
    server_closing_ = false;
    try {
        connection_.connect(connect_target(), settings_.port);
        if (settings_.tls.mode == TlsMode::Implicit) connection_.start_tls(settings_.tls, settings_.host);
        greet();
        hello();
        secure();
        authenticate();
    } catch (const Error&) {
        broken_ = true;
        connection_.close();
        throw;
    }
}

void Session::greet() {
    try {
        took(connection_.read_reply());
    } catch (const Error& e) {
        broken_ = true;
        // The usual cause of a silent server: a STARTTLS client on an implicit-TLS port.
        if (e.code() == ErrorCode::Timeout && settings_.tls.mode != TlsMode::Implicit)
            throw Error(e.code(), std::string(e.what()) + " (no greeting: if " + std::to_string(settings_.port) +
                                      " is an implicit-TLS port such as 465, use smtps:// or tls=implicit)");
        throw;
    }
    if (last_reply_.code != 220)
        fail(classify_reply(last_reply_, Stage::Greeting), "mail server refused the connection", last_reply_);
}

void Session::hello() {
    // Decided now: the address literal needs the connected socket (RFC 5321 §4.1.4).
    const std::string name = connection_.client_name(settings_.client_name);
    Reply r = command(command::ehlo(name));
    if (r.code == 250) {
        caps_ = Capabilities::from_ehlo(r);
        return;
    }
    // RFC 5321 §4.1.4: a server that does not know EHLO answers 500/502; fall back to HELO.
    if (r.is_permanent() && r.code != 554) {
        Reply h = command(command::helo(name));
        if (h.code == 250) {
            caps_ = Capabilities::from_helo(h);
            return;
        }
        r = h;
    }
    fail(classify_reply(r, Stage::Hello), "mail server refused EHLO", r);
}

void Session::secure() {
    const TlsMode mode = settings_.tls.mode;
    if (mode == TlsMode::Off || mode == TlsMode::Implicit || connection_.encrypted()) return;
    if (!caps_.has("STARTTLS")) {
        if (mode == TlsMode::Opportunistic) return;
        quit();
        broken_ = true;
        throw Error(ErrorCode::TlsUnavailable,
                    "TLS is required but " + settings_.host + " does not offer STARTTLS; nothing "
                    "was sent (set tls=implicit for port 465, or tls=opportunistic to allow plaintext)");
    }
    Reply r = command(command::starttls());
    if (r.code != 220) {
        if (mode == TlsMode::Opportunistic && r.is_permanent()) return;
        fail(classify_reply(r, Stage::StartTls), "STARTTLS refused", r);
    }
    try {
        connection_.start_tls(settings_.tls, settings_.host);
    } catch (const Error&) {
        broken_ = true;
        throw;
    }
    // RFC 3207 §4.2: forget everything learned before TLS and ask again.
    caps_ = Capabilities{};
    hello();
}

void Session::authenticate() {
    if (!settings_.credentials && !settings_.tokens) return;
    const std::string user = settings_.tokens ? settings_.tokens->settings().user : settings_.credentials->user();
    if (!connection_.encrypted() && !settings_.allow_plaintext_auth) {
        quit();
        broken_ = true;
        throw Error(ErrorCode::AuthNeedsTls,
                    std::string(settings_.tokens ? "the OAuth token was" : "credentials were") + " not sent to " +
                        settings_.host + " because the connection is not encrypted (use tls=required, or set "
                        "allow_plaintext_auth=1 if you accept the risk)");
    }
    if (!caps_.has("AUTH")) {
        quit();
        broken_ = true;
        throw Error(ErrorCode::AuthUnsupported, "server " + settings_.host + " does not offer AUTH");
    }
    const std::vector<Mechanism> mechanisms = mechanisms_to_try(caps_, settings_.mechanisms, connection_.encrypted());
    if (mechanisms.empty()) {
        std::string offered;
        for (const auto& m : caps_.auth_mechanisms) offered += (offered.empty() ? "" : " ") + m;
        quit();
        broken_ = true;
        throw Error(ErrorCode::AuthUnsupported,
                    "no AUTH mechanism in common with " + settings_.host + " (server offers: " + offered + ")");
    }
    if (settings_.tokens) return authenticate_with_token(mechanisms.front());
    // RFC 4954 §6: after 535/504/534 the next mechanism may do (a server that offers CRAM-MD5
    // but stores hashed passwords refuses it with 535); each one is tried once, in order.
    std::string tried;
    std::optional<Reply> refusal;  // the reply that explains the failure best
    for (Mechanism mechanism : mechanisms) {
        std::string server_error;
        Reply r;
        try {
            r = sasl(mechanism, *settings_.credentials, server_error);
        } catch (const Error& e) {
            // A server that hangs up on the next attempt after a refusal: the refusal is the
            // answer (AUTH.FAILED, not a transient connection error that invites a retry).
            if (!refusal || (e.code() != ErrorCode::ConnectionLost && e.code() != ErrorCode::Timeout)) throw;
            broken_ = true;
            connection_.close();
            throw Error(classify_reply(*refusal, Stage::Auth),
                        "AUTH " + tried + " failed for user " + user + ": " + refusal->summary() +
                            " (then AUTH " + mechanism_name(mechanism) + ": " + e.what() + ")",
                        *refusal);
        }
        if (r.code == 235) return;
        tried += std::string(tried.empty() ? "" : ", ") + mechanism_name(mechanism);
        if (!refusal || (refusal->code != 535 && r.code == 535)) refusal = r;
        if (!falls_back(r)) {
            refusal = r;
            break;
        }
    }
    fail(classify_reply(*refusal, Stage::Auth), "AUTH " + tried + " failed for user " + user, *refusal);
}

Reply Session::sasl(Mechanism mechanism, const Credentials& credentials, std::string& server_error) {
    SaslExchange exchange(mechanism, credentials, SaslTarget{settings_.host, settings_.port});
    Reply r = command(exchange.first_line(), true);
    while (r.code == 334) {
        std::string answer;
        try {
            answer = exchange.respond(r);
        } catch (const Error& e) {
            if (e.code() != ErrorCode::ProtocolError) throw;
            // A challenge we cannot answer: cancel the exchange with "*" and read the
            // server's 501 (RFC 4954 §4) so the conversation ends in step, then give up.
            Reply cancelled;
            try {
                cancelled = command(SaslExchange::cancel_line());
            } catch (const Error&) {
                connection_.close();
                throw Error(ErrorCode::ProtocolError, std::string(e.what()) + "; AUTH cancelled, no answer to '*'");
            }
            fail(ErrorCode::ProtocolError, std::string(e.what()) + "; AUTH cancelled", cancelled);
        }
        r = command(answer, true);
    }
    server_error = exchange.server_error();
    return r;
}

void Session::note(const std::string& text) {
    if (!settings_.transcript) return;
    try {
        settings_.transcript(Direction::Info, text);
    } catch (...) {
    }
}

AccessToken Session::token_or_fail(const std::function<AccessToken()>& obtain) {
    try {
        return obtain();
    } catch (const Error& e) {
        // The token endpoint failed: nothing was sent to the mail server in the user's name.
        note(std::string("OAuth token: ") + e.what());
        quit();
        broken_ = true;
        throw;
    }
}

void Session::authenticate_with_token(Mechanism mechanism) {
    TokenSource& tokens = *settings_.tokens;
    const std::string user = tokens.settings().user;
    AccessToken token = token_or_fail([&] { return tokens.get(); });
    note("OAuth token: " + token.description);
    std::string server_error;
    Reply r = sasl(mechanism, Credentials(user, token.value), server_error);
    // A refused token that came from the cache may have been revoked or rotated early: one
    // refresh and one retry. A token obtained just now is not retried (that is a loop).
    if (r.code != 235 && r.is_permanent() && token.from_cache && tokens.can_refresh()) {
        note("OAuth token: the server refused the cached token (" + r.summary() + "); one refresh, one retry");
        token = token_or_fail([&] { return tokens.replace(token); });
        note("OAuth token: " + token.description);
        r = sasl(mechanism, Credentials(user, token.value), server_error);
    }
    if (r.code == 235) return;
    std::string text = std::string("AUTH ") + mechanism_name(mechanism) + " refused the OAuth token for " + user;
    if (!server_error.empty()) text += " (server said " + server_error + ")";
    if (r.is_transient()) fail(ErrorCode::AuthDeferred, text, r);
    text += tokens.can_refresh() ? "; a token was obtained just now, so the mailbox or the application lacks "
                                   "permission (see docs/oauth-microsoft365.md or docs/oauth-google.md)"
                                 : "; the static token in " + tokens.settings().token_file + " is expired or invalid";
    fail(ErrorCode::OAuthTokenRejected, text, r);
}

void Session::reset_transaction() noexcept {
    try {
        if (command(command::rset()).code == 250) return;
    } catch (...) {
        // The outcome is already decided (a refusal): a connection that breaks here only
        // makes the session unusable, it does not turn the refusal into a network error.
    }
    // A server that cannot reset is not safe for another transaction.
    broken_ = true;
    quit();
}

void Session::refuse_message(SendResult& result, const Transaction& t, const Reply& reply, Stage stage,
                             const std::string& what) {
    const ErrorCode e = classify_reply(reply, stage);
    // Recipients accepted at RCPT in this transaction did not get the message after all.
    for (std::size_t slot : t.slots) {
        RecipientResult& rr = result.recipients[slot];
        if (rr.accepted) rr = {rr.address, false, e, reply};
    }
    result.error = e;
    result.message = what + ": " + reply.summary();
    result.last_reply = reply;
}

Reply Session::read_reply() {
    try {
        return took(connection_.read_reply());
    } catch (const Error&) {
        broken_ = true;
        throw;
    }
}

Session::Transaction Session::begin(const Message& message, std::vector<std::string> recipients, int number) {
    Transaction t;
    t.message = &message;
    t.number = number;
    t.recipients = std::move(recipients);
    t.write_options.allow_8bit = caps_.has("8BITMIME");
    // Signed once: the SIZE declared below and the DATA sent later carry the same signature.
    t.write_options.signature = dkim_field(message, t.write_options);
    CountingSink counter;
    write_message(message, counter, t.write_options);
    t.plan = plan_envelope(message, t.recipients, caps_, counter.count);
    for (std::size_t i = 0; i < t.recipients.size(); ++i) t.slots.push_back(i);
    return t;
}

void Session::queue_envelope(const Transaction& t) {
    // The first group: MAIL, up to kMaxRcptPerGroup RCPT, and DATA when every RCPT fits
    // (DATA ends a group, RFC 2920 §3.1). read_envelope() sends the other groups.
    connection_.queue_line(command::mail_from(t.message->envelope_sender(), t.plan.mail_parameters));
    const std::size_t first = std::min(t.recipients.size(), kMaxRcptPerGroup);
    for (std::size_t i = 0; i < first; ++i)
        connection_.queue_line(command::rcpt_to(t.recipients[i], t.plan.rcpt_parameters[i]));
    if (first == t.recipients.size()) connection_.queue_line(command::data());
}

Session::EnvelopeReplies Session::read_envelope(const Transaction& t) {
    // RFC 2920: the replies come back in the order of the commands, so each is attributed
    // to its command by position. Each group's replies are read before the next group is
    // written; after a 421 nothing more is read (the server is closing).
    EnvelopeReplies r;
    const std::size_t n = t.recipients.size();
    r.mail = read_reply();
    std::size_t sent = std::min(n, kMaxRcptPerGroup);
    bool data_sent = sent == n;
    if (server_closing_) {
        r.closing = r.mail;
        return r;
    }
    for (std::size_t i = 0;;) {
        for (; i < sent; ++i) {
            r.rcpt.push_back(read_reply());
            if (server_closing_) {
                r.closing = r.rcpt.back();
                return r;
            }
        }
        if (sent == n || r.mail.code != 250) break;  // no further groups for a refused sender
        const std::size_t end = std::min(n, sent + kMaxRcptPerGroup);
        for (std::size_t k = sent; k < end; ++k)
            connection_.queue_line(command::rcpt_to(t.recipients[k], t.plan.rcpt_parameters[k]));
        sent = end;
        if (sent == n) {
            connection_.queue_line(command::data());
            data_sent = true;
        }
    }
    if (data_sent) {
        r.data = read_reply();
        if (server_closing_) r.closing = r.data;
    }
    return r;
}

Session::EnvelopeReplies Session::send_envelope_in_turn(const Transaction& t) {
    EnvelopeReplies r;
    r.mail = command(command::mail_from(t.message->envelope_sender(), t.plan.mail_parameters));
    if (server_closing_) r.closing = r.mail;
    if (server_closing_ || r.mail.code != 250) return r;
    bool any = false;
    for (std::size_t i = 0; i < t.recipients.size(); ++i) {
        r.rcpt.push_back(command(command::rcpt_to(t.recipients[i], t.plan.rcpt_parameters[i])));
        if (server_closing_) {
            r.closing = r.rcpt.back();
            return r;
        }
        any = any || r.rcpt.back().code == 250 || r.rcpt.back().code == 251;
    }
    if (any) {
        r.data = command(command::data());
        if (server_closing_) r.closing = r.data;
    }
    return r;
}

void Session::close_unwanted_data(const EnvelopeReplies& env) {
    // A server that said 354 although nothing can be delivered (RFC 2920 §3.1 says it
    // should not): end the empty message so the session stays in step.
    if (!env.data || env.data->code != 354) return;
    try {
        connection_.send_line(".\r\n");
        read_reply();
    } catch (const Error&) {
        broken_ = true;  // the refusal stands; only the session is lost
    }
}

bool Session::accept_envelope(SendResult& result, Transaction& t, const EnvelopeReplies& env) {
    result.notes = t.plan.notes;
    const std::string sender = t.message->envelope_sender();
    if (env.closing) {
        // 421: the server is closing the channel (RFC 5321 §3.8). What it refused before
        // stays refused; everything else of this transaction was not delivered.
        const Reply& closing = *env.closing;
        for (std::size_t i = 0; i < t.recipients.size(); ++i) {
            RecipientResult& rr = result.recipients[t.slots[i]];
            const bool own_refusal = env.mail.code == 250 && i < env.rcpt.size() && env.rcpt[i].code != 421 &&
                                     env.rcpt[i].code != 250 && env.rcpt[i].code != 251;
            if (own_refusal) rr = {rr.address, false, classify_reply(env.rcpt[i], Stage::RcptTo), env.rcpt[i]};
            else rr = {rr.address, false, ErrorCode::ServerUnavailable, closing};
        }
        result.error = ErrorCode::ServerUnavailable;
        result.message = "the server is closing the connection: " + closing.summary();
        result.last_reply = closing;
        broken_ = true;
        connection_.close();
        return false;
    }
    if (env.mail.code != 250) {
        result.error = classify_reply(env.mail, Stage::MailFrom);
        result.message = "sender <" + sender + "> refused: " + env.mail.summary();
        result.last_reply = env.mail;
        for (std::size_t slot : t.slots) {
            RecipientResult& rr = result.recipients[slot];
            rr = {rr.address, false, result.error, env.mail};
        }
        close_unwanted_data(env);
        return false;
    }
    bool any_permanent = false;
    std::string first_refusal;
    std::optional<Reply> first_refusal_reply;
    t.accepted = 0;
    t.deferred.clear();
    for (std::size_t i = 0; i < t.recipients.size(); ++i) {
        const Reply& r = i < env.rcpt.size() ? env.rcpt[i] : env.mail;
        RecipientResult rr{t.recipients[i], r.code == 250 || r.code == 251, ErrorCode::Ok, r};
        if (rr.accepted) {
            rr.transaction = t.number;
            ++t.accepted;
        } else {
            rr.error = classify_reply(r, Stage::RcptTo);
            if (rr.error == ErrorCode::Ok) rr.error = ErrorCode::RecipientRejected;
            any_permanent = any_permanent || !is_transient(rr.error);
            const std::string why = "recipient <" + t.recipients[i] + "> refused: " + r.summary();
            if (first_refusal.empty()) {
                first_refusal = why;
                first_refusal_reply = r;
            }
            if (too_many_recipients(r)) {
                t.deferred.push_back(t.slots[i]);  // not an outcome yet: a next transaction may take it
            } else if (result.error == ErrorCode::Ok) {
                result.error = rr.error;
                result.message = why;
                result.last_reply = r;
            }
        }
        result.recipients[t.slots[i]] = std::move(rr);
    }
    if (t.accepted == 0) {
        // Nothing to deliver in this transaction: no message, and it is reset (RFC 5321 §3.3).
        if (result.accepted_count() == 0) {
            result.error = any_permanent ? ErrorCode::RecipientRejected : ErrorCode::RecipientDeferred;
            result.message = "every recipient was refused; first: " + first_refusal;
            result.last_reply = first_refusal_reply;
        }
        close_unwanted_data(env);
        return false;
    }
    if (!env.data || env.data->code != 354) {
        refuse_message(result, t, env.data ? *env.data : env.mail, Stage::Data, "DATA refused");
        t.accepted = 0;
        return false;
    }
    return true;
}

void Session::write_content(SendResult& result, const Transaction& t) {
    // From here on part of the message may reach the server: a failure is OUTCOME.UNKNOWN.
    data_started_ = true;
    DotStuffer body(connection_);
    write_message(*t.message, body, t.write_options);
    body.finish();
    result.size = body.bytes_in();
}

Reply Session::read_final_reply() {
    // RFC 5321 §4.5.3.2.6: the reply to "." gets its own, long, timeout: the server may be
    // scanning or relaying the message, and giving up early is how duplicates are made.
    connection_.flush();
    const bool own = settings_.timeouts.final_ms != settings_.timeouts.io_ms;
    if (own) connection_.set_io_timeout(settings_.timeouts.final_ms);
    try {
        Reply r = read_reply();
        if (own) connection_.set_io_timeout(settings_.timeouts.io_ms);
        return r;
    } catch (...) {
        if (own) connection_.set_io_timeout(settings_.timeouts.io_ms);
        throw;
    }
}

void Session::lose_after_data(SendResult& result, const Transaction& t, const Error& e) {
    // The server is inside DATA or working on the message, and we cannot finish or hear
    // the end: drop the connection (no truncated message is ever accepted) and say that the
    // outcome is unknown: never TIMEOUT or CONNECTION.LOST, which read as "send it again".
    broken_ = true;
    connection_.close();
    const Reply reply = e.reply() ? *e.reply() : Reply{};
    for (std::size_t slot : t.slots) {
        RecipientResult& rr = result.recipients[slot];
        if (rr.accepted) rr = {rr.address, false, ErrorCode::OutcomeUnknown, reply};
    }
    result.error = ErrorCode::OutcomeUnknown;
    result.message = std::string(e.what()) + " after the message was sent" + kUnknownOutcome;
    if (e.reply()) result.last_reply = e.reply();
}

void Session::accept_final(SendResult& result, Transaction& t, const Reply& done) {
    result.last_reply = done;
    // After the end-of-data reply the transaction is over whatever it said (RFC 5321
    // §4.1.1.4): no RSET is needed.
    if (done.code != 250) {
        refuse_message(result, t, done, Stage::DataEnd, "message refused after DATA");
        t.accepted = 0;
    }
    if (server_closing_) connection_.close();  // a 421 here: the server closes the channel
}

void Session::run_transaction(SendResult& result, Transaction& t) {
    EnvelopeReplies env;
    if (settings_.pipelining && caps_.has("PIPELINING")) {
        try {
            queue_envelope(t);
        } catch (const Error&) {
            broken_ = true;
            throw;
        }
        env = read_envelope(t);
    } else {
        env = send_envelope_in_turn(t);
    }
    if (!accept_envelope(result, t, env)) {
        if (!server_closing_ && connection_.is_open()) reset_transaction();
        return;
    }
    try {
        write_content(result, t);
        accept_final(result, t, read_final_reply());
    } catch (const Error& e) {
        lose_after_data(result, t, e);
    }
}

SendResult Session::send(const Message& message) { return send_to(message, message.envelope_recipients()); }

ProbeResult Session::probe(const std::string& sender, const std::vector<std::string>& recipients) {
    platform::SigpipeGuard guard;
    if (!is_open()) throw Error(ErrorCode::ConnectionLost, "SMTP session is not open");
    ProbeResult result;
    result.mail = command(command::mail_from(sender));
    if (server_closing_) fail(classify_reply(result.mail, Stage::MailFrom), "the server is closing", result.mail);
    if (result.mail.code == 250) {
        for (const auto& r : recipients) {
            result.rcpt.push_back(command(command::rcpt_to(r)));
            if (server_closing_) fail(classify_reply(result.rcpt.back(), Stage::RcptTo), "the server is closing", result.rcpt.back());
        }
    }
    reset_transaction();
    return result;
}

SendResult Session::send_to(const Message& message, const std::vector<std::string>& recipients) {
    platform::SigpipeGuard guard;  // one guard for the whole transaction (they nest)
    data_started_ = false;
    if (!is_open()) throw Error(ErrorCode::ConnectionLost, "SMTP session is not open");
    Transaction t = begin(message, recipients);
    SendResult result;
    for (const auto& a : t.recipients) result.recipients.push_back({a, false, ErrorCode::Ok, Reply{}});
    // A failure before DATA of the first transaction throws: nothing can have been delivered.
    run_transaction(result, t);
    // Recipients deferred with 452/552 ("too many recipients") go in a following transaction
    // on the same connection, after this one's final reply, as long as that makes progress
    // (RFC 5321 §4.5.3.1.10).
    while (!t.deferred.empty() && t.accepted > 0 && is_open()) {
        std::vector<std::string> again;
        for (std::size_t slot : t.deferred) again.push_back(result.recipients[slot].address);
        Transaction next = begin(message, std::move(again), t.number + 1);
        next.slots = t.deferred;
        try {
            run_transaction(result, next);
        } catch (const Error& e) {
            // Before this transaction's DATA: nothing of it was delivered; the recipients of
            // earlier transactions keep their results.
            broken_ = true;
            connection_.close();
            for (std::size_t slot : next.slots) {
                RecipientResult& rr = result.recipients[slot];
                rr = {rr.address, false, e.code(), e.reply() ? *e.reply() : Reply{}};
            }
            result.error = e.code();
            result.message = std::string(e.what()) + " (recipients the server had deferred were not sent)";
            if (e.reply()) result.last_reply = e.reply();
            break;
        }
        t = std::move(next);
    }
    conclude(result);
    return result;
}

std::vector<SendResult> Session::send_each(const std::vector<Message>& messages) {
    platform::SigpipeGuard guard;
    std::vector<SendResult> results(messages.size());
    auto not_sent = [&](std::size_t from, ErrorCode code, const std::string& why,
                        const std::vector<std::vector<std::string>>& recipients) {
        for (std::size_t i = from; i < messages.size(); ++i) {
            SendResult& r = results[i];
            r = SendResult{};
            r.error = code;
            r.message = why + " (not sent)";
            for (const auto& a : recipients[i]) r.recipients.push_back({a, false, code, Reply{}});
        }
    };
    std::vector<std::vector<std::string>> all_recipients;
    for (const auto& m : messages) all_recipients.push_back(m.envelope_recipients());
    if (!settings_.pipelining || !caps_.has("PIPELINING")) {
        for (std::size_t i = 0; i < messages.size(); ++i) {
            try {
                results[i] = send(messages[i]);
            } catch (const Error& e) {
                // send() throws only before DATA: this copy was not delivered. A local refusal
                // (too large, SMTPUTF8) leaves the session usable for the next copy.
                if (is_open()) {
                    results[i].error = e.code();
                    results[i].message = e.what();
                    continue;
                }
                broken_ = true;
                connection_.close();
                not_sent(i, e.code(), e.what(), all_recipients);
                break;
            }
            if (!is_open()) {
                // This copy's result stands (refused, or OUTCOME.UNKNOWN); the rest never left.
                not_sent(i + 1, server_closing_ ? ErrorCode::ServerUnavailable : ErrorCode::ConnectionLost,
                         "the connection ended with an earlier copy", all_recipients);
                break;
            }
        }
        return results;
    }
    if (!is_open()) throw Error(ErrorCode::ConnectionLost, "SMTP session is not open");
    // One round trip per message: the body and final dot of message i leave in the same
    // write as the envelope of message i+1 (RFC 2920 §3.1 allows content first in a group).
    // Messages refused locally (too large, SMTPUTF8 missing) get their error and are skipped.
    std::vector<Transaction> t;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        try {
            t.push_back(begin(messages[i], all_recipients[i]));
            index.push_back(i);
        } catch (const Error& e) {
            results[i].error = e.code();
            results[i].message = e.what();
        }
    }
    if (t.empty()) return results;
    std::size_t done = 0;  // transactions whose result is final
    auto rest_not_sent = [&](ErrorCode code, const std::string& why) {
        broken_ = true;
        connection_.close();
        for (std::size_t k = done; k < t.size(); ++k) {
            SendResult& r = results[index[k]];
            r = SendResult{};
            r.error = code;
            r.message = why + " (not sent)";
            for (const auto& a : t[k].recipients) r.recipients.push_back({a, false, code, Reply{}});
        }
    };
    try {
        queue_envelope(t[0]);
        EnvelopeReplies env = read_envelope(t[0]);
        for (std::size_t k = 0; k < t.size(); ++k) {
            SendResult& r = results[index[k]];
            for (const auto& a : t[k].recipients) r.recipients.push_back({a, false, ErrorCode::Ok, Reply{}});
            data_started_ = false;
            const bool open = accept_envelope(r, t[k], env);
            if (server_closing_) {  // a 421 in the envelope: accept_envelope closed the connection
                done = k + 1;
                conclude(r);
                rest_not_sent(ErrorCode::ServerUnavailable, "the server closed the connection: " + last_reply_.summary());
                return results;
            }
            if (open) {
                try {
                    write_content(r, t[k]);
                    if (k + 1 < t.size()) queue_envelope(t[k + 1]);
                    accept_final(r, t[k], read_final_reply());
                } catch (const Error& e) {
                    lose_after_data(r, t[k], e);
                    done = k + 1;
                    rest_not_sent(e.code(), std::string("the connection failed before this copy: ") + e.what());
                    return results;
                }
            } else {
                done = k + 1;  // the refusal is this copy's result, whatever the RSET does
                connection_.queue_line(command::rset());
                if (k + 1 < t.size()) queue_envelope(t[k + 1]);
                const Reply reset = read_reply();
                if (reset.code != 250)
                    throw Error(server_closing_ ? ErrorCode::ServerUnavailable : ErrorCode::ProtocolError,
                                "RSET refused: " + reset.summary(), reset);
            }
            conclude(r);
            done = k + 1;
            data_started_ = false;  // the copy's final reply is in: the next copy starts clean
            if (server_closing_) {
                rest_not_sent(ErrorCode::ServerUnavailable, "the server closed the connection: " + last_reply_.summary());
                return results;
            }
            if (k + 1 < t.size()) env = read_envelope(t[k + 1]);
        }
    } catch (const Error& e) {
        // Copies already answered keep their results; the rest never reached DATA.
        rest_not_sent(e.code(), e.what());
    }
    return results;
}

Reply Session::open_manual() {
    broken_ = false;
    server_closing_ = false;
    try {
        connection_.connect(connect_target(), settings_.port);
        if (settings_.tls.mode == TlsMode::Implicit) connection_.start_tls(settings_.tls, settings_.host);
        return read_reply();
    } catch (const Error&) {
        broken_ = true;
        connection_.close();
        throw;
    }
}

Reply Session::raw_command(const std::string& line, bool secret) {
    if (!is_open()) throw Error(ErrorCode::ConnectionLost, "SMTP session is not open");
    if (line.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
        throw Error(ErrorCode::BadArgument, "a command line may not contain CR, LF or NUL");
    std::string verb = line.substr(0, line.find(' '));
    for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const Reply r = command(line + "\r\n", secret);
    if ((verb == "EHLO" && r.code == 250)) caps_ = Capabilities::from_ehlo(r);
    if ((verb == "HELO" && r.code == 250)) caps_ = Capabilities::from_helo(r);
    if (verb == "STARTTLS" && r.code == 220) {
        try {
            connection_.start_tls(settings_.tls, settings_.host);
        } catch (const Error&) {
            broken_ = true;
            throw;
        }
        caps_ = Capabilities{};  // RFC 3207 §4.2: ask again with EHLO
    }
    if (verb == "QUIT") connection_.close();
    return r;
}

void Session::data_line(const std::string& line) {
    if (!is_open()) throw Error(ErrorCode::ConnectionLost, "SMTP session is not open");
    try {
        DotStuffer stuffer(connection_);
        stuffer.write(line);
        stuffer.write("\r\n", 2);
    } catch (const Error& e) {
        // Part of the message may have reached the server, as in send().
        broken_ = true;
        connection_.close();
        throw Error(ErrorCode::OutcomeUnknown, std::string(e.what()) + " while the message was being sent" + kUnknownOutcome);
    }
}

Reply Session::end_data() {
    if (!is_open()) throw Error(ErrorCode::ConnectionLost, "SMTP session is not open");
    try {
        connection_.write(".\r\n", 3);
        return read_final_reply();
    } catch (const Error& e) {
        broken_ = true;
        connection_.close();
        throw Error(ErrorCode::OutcomeUnknown, std::string(e.what()) + " after the message was sent" + kUnknownOutcome);
    }
}

bool Session::noop() noexcept {
    try {
        if (!is_open()) return false;
        return command(command::noop()).code == 250;
    } catch (...) {
        broken_ = true;
        connection_.close();
        return false;
    }
}

void Session::quit() noexcept {
    try {
        if (connection_.is_open() && !server_closing_) {
            // The outcome is known by now: a server that stalls on QUIT gets a short wait.
            connection_.set_io_timeout(std::min(kQuitMs, settings_.timeouts.io_ms));
            connection_.send_line(command::quit());
            last_reply_ = connection_.read_reply();
        }
    } catch (...) {
    }
    connection_.close();
    connection_.set_io_timeout(settings_.timeouts.io_ms);
}

}  // namespace mvsmtp
