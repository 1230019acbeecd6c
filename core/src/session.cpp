// session.cpp — the SMTP conversation (RFC 5321 §3, §4.1) on top of Connection.
#include "mvsmtp/session.hpp"

#include <cctype>

#include "mvsmtp/command.hpp"
#include "mvsmtp/dot_stuffer.hpp"
#include "mvsmtp/envelope.hpp"
#include "mvsmtp/mime.hpp"
#include "platform.hpp"

namespace mvsmtp {

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

bool Session::is_open() const { return connection_.is_open() && !broken_; }

Reply Session::command(const std::string& line, bool secret) {
    try {
        connection_.send_line(line, secret);
        last_reply_ = connection_.read_reply();
        return last_reply_;
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
    try {
        connection_.connect(settings_.host, settings_.port);
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
        last_reply_ = connection_.read_reply();
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

void Session::reset_transaction() {
    Reply r = command(command::rset());
    if (r.code != 250) {
        // A server that cannot reset is not safe for another transaction.
        broken_ = true;
        quit();
    }
}

void Session::refuse_message(SendResult& result, const Reply& reply, Stage stage, const std::string& what) {
    const ErrorCode e = classify_reply(reply, stage);
    // Recipients accepted at RCPT did not get the message after all.
    for (auto& rr : result.recipients)
        if (rr.accepted) rr = {rr.address, false, e, reply};
    result.error = e;
    result.message = what + ": " + reply.summary();
    result.last_reply = reply;
}

Reply Session::read_reply() {
    try {
        last_reply_ = connection_.read_reply();
        return last_reply_;
    } catch (const Error&) {
        broken_ = true;
        throw;
    }
}

Session::Transaction Session::begin(const Message& message) {
    Transaction t{&message, message.envelope_recipients(), {}, {}};
    t.write_options.allow_8bit = caps_.has("8BITMIME");
    CountingSink counter;
    write_message(message, counter, t.write_options);
    t.plan = plan_envelope(message, t.recipients, caps_, counter.count);
    return t;
}

void Session::queue_envelope(const Transaction& t) {
    try {
        connection_.queue_line(command::mail_from(t.message->envelope_sender(), t.plan.mail_parameters));
        for (std::size_t i = 0; i < t.recipients.size(); ++i)
            connection_.queue_line(command::rcpt_to(t.recipients[i], t.plan.rcpt_parameters[i]));
        connection_.queue_line(command::data());
    } catch (const Error&) {
        broken_ = true;
        throw;
    }
}

Session::EnvelopeReplies Session::read_envelope(const Transaction& t) {
    // RFC 2920: the replies come back in the order of the commands, so each is attributed
    // to its command by position.
    EnvelopeReplies r;
    r.mail = read_reply();
    for (std::size_t i = 0; i < t.recipients.size(); ++i) r.rcpt.push_back(read_reply());
    r.data = read_reply();
    return r;
}

Session::EnvelopeReplies Session::send_envelope_in_turn(const Transaction& t) {
    EnvelopeReplies r;
    r.mail = command(command::mail_from(t.message->envelope_sender(), t.plan.mail_parameters));
    if (r.mail.code != 250) return r;
    bool any = false;
    for (std::size_t i = 0; i < t.recipients.size(); ++i) {
        r.rcpt.push_back(command(command::rcpt_to(t.recipients[i], t.plan.rcpt_parameters[i])));
        any = any || r.rcpt.back().code == 250 || r.rcpt.back().code == 251;
    }
    if (any) r.data = command(command::data());
    return r;
}

bool Session::accept_envelope(SendResult& result, const Transaction& t, const EnvelopeReplies& env) {
    result.notes = t.plan.notes;
    const bool data_open = env.data && env.data->code == 354;
    auto close_unwanted_data = [&] {
        // A server that said 354 although nothing can be delivered (RFC 2920 §3.1 says it
        // should not): end the empty message so the session stays in step.
        if (!data_open) return;
        connection_.send_line(".\r\n");
        read_reply();
    };
    const std::string sender = t.message->envelope_sender();
    if (env.mail.code != 250) {
        result.error = classify_reply(env.mail, Stage::MailFrom);
        result.message = "sender <" + sender + "> refused: " + env.mail.summary();
        result.last_reply = env.mail;
        for (const auto& a : t.recipients) result.recipients.push_back({a, false, result.error, env.mail});
        close_unwanted_data();
        return false;
    }
    bool any_permanent = false;
    for (std::size_t i = 0; i < t.recipients.size(); ++i) {
        const Reply& r = i < env.rcpt.size() ? env.rcpt[i] : env.mail;
        RecipientResult rr{t.recipients[i], r.code == 250 || r.code == 251, ErrorCode::Ok, r};
        if (!rr.accepted) {
            rr.error = classify_reply(r, Stage::RcptTo);
            if (rr.error == ErrorCode::Ok) rr.error = ErrorCode::RecipientRejected;
            any_permanent = any_permanent || !is_transient(rr.error);
            if (result.error == ErrorCode::Ok) {
                result.error = rr.error;
                result.message = "recipient <" + t.recipients[i] + "> refused: " + r.summary();
                result.last_reply = r;
            }
        }
        result.recipients.push_back(std::move(rr));
    }
    if (result.accepted_count() == 0) {
        // Nothing to deliver: no message, and the transaction is reset (RFC 5321 §3.3).
        result.error = any_permanent ? ErrorCode::RecipientRejected : ErrorCode::RecipientDeferred;
        result.message = "every recipient was refused; first: " + result.message;
        close_unwanted_data();
        return false;
    }
    if (!data_open) {
        refuse_message(result, env.data ? *env.data : env.mail, Stage::Data, "DATA refused");
        return false;
    }
    return true;
}

void Session::write_content(SendResult& result, const Transaction& t) {
    data_started_ = true;
    try {
        DotStuffer body(connection_);
        write_message(*t.message, body, t.write_options);
        body.finish();
        result.size = body.bytes_in();
    } catch (const Error&) {
        // The server is inside DATA and we cannot finish the message: the only safe end is
        // to drop the connection, so no truncated message is ever accepted.
        broken_ = true;
        connection_.close();
        throw;
    }
}

void Session::accept_final(SendResult& result, const Reply& done) {
    result.last_reply = done;
    // After the end-of-data reply the transaction is over whatever it said (RFC 5321
    // §4.1.1.4): no RSET is needed.
    if (done.code != 250) refuse_message(result, done, Stage::DataEnd, "message refused after DATA");
}

SendResult Session::send(const Message& message) {
    platform::SigpipeGuard guard;  // one guard for the whole transaction (they nest)
    data_started_ = false;
    if (!is_open()) throw Error(ErrorCode::ConnectionLost, "SMTP session is not open");
    const Transaction t = begin(message);
    SendResult result;
    EnvelopeReplies env;
    if (settings_.pipelining && caps_.has("PIPELINING")) {
        queue_envelope(t);
        env = read_envelope(t);
    } else {
        env = send_envelope_in_turn(t);
    }
    if (!accept_envelope(result, t, env)) {
        reset_transaction();
        return result;
    }
    write_content(result, t);
    accept_final(result, read_reply());
    return result;
}

std::vector<SendResult> Session::send_each(const std::vector<Message>& messages) {
    platform::SigpipeGuard guard;
    std::vector<SendResult> results(messages.size());
    if (!settings_.pipelining || !caps_.has("PIPELINING")) {
        for (std::size_t i = 0; i < messages.size(); ++i) results[i] = send(messages[i]);
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
            t.push_back(begin(messages[i]));
            index.push_back(i);
        } catch (const Error& e) {
            results[i].error = e.code();
            results[i].message = e.what();
        }
    }
    if (t.empty()) return results;
    std::size_t done = 0;
    try {
        queue_envelope(t[0]);
        EnvelopeReplies env = read_envelope(t[0]);
        for (std::size_t k = 0; k < t.size(); ++k) {
            SendResult& r = results[index[k]];
            data_started_ = false;
            const bool open = accept_envelope(r, t[k], env);
            if (open) write_content(r, t[k]);
            else connection_.queue_line(command::rset());
            if (k + 1 < t.size()) queue_envelope(t[k + 1]);
            if (open) accept_final(r, read_reply());
            else if (read_reply().code != 250) throw Error(ErrorCode::ProtocolError, "RSET refused", last_reply_);
            done = k + 1;
            if (k + 1 < t.size()) env = read_envelope(t[k + 1]);
        }
    } catch (const Error& e) {
        broken_ = true;
        connection_.close();
        // Messages already answered keep their results; the one in flight may or may not
        // have been accepted, the rest were never sent.
        for (std::size_t k = done; k < t.size(); ++k) {
            SendResult& r = results[index[k]];
            r = SendResult{};
            r.error = e.code();
            r.message = std::string(e.what()) +
                        (k == done && data_started_ ? " (this message may or may not have been accepted)" : " (not sent)");
            for (const auto& a : t[k].recipients) r.recipients.push_back({a, false, e.code(), Reply{}});
        }
    }
    return results;
}

Reply Session::open_manual() {
    broken_ = false;
    try {
        connection_.connect(settings_.host, settings_.port);
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
    DotStuffer stuffer(connection_);
    stuffer.write(line);
    stuffer.write("\r\n", 2);
}

Reply Session::end_data() {
    if (!is_open()) throw Error(ErrorCode::ConnectionLost, "SMTP session is not open");
    try {
        connection_.write(".\r\n", 3);
    } catch (const Error&) {
        broken_ = true;
        throw;
    }
    return read_reply();
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
        if (connection_.is_open()) {
            connection_.send_line(command::quit());
            last_reply_ = connection_.read_reply();
        }
    } catch (...) {
    }
    connection_.close();
}

}  // namespace mvsmtp
