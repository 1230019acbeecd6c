// operations.cpp — SENDMAIL and the session operations; see operations.hpp.
#include "operations.hpp"

#include <cctype>

#include "handles.hpp"
#include "marshal.hpp"
#include "mvsmtp/delivery.hpp"
#include "mvsmtp/direct.hpp"

namespace mvsmtp::gci {
namespace {

std::string upper_verb(const std::string& line) {
    std::string verb = line.substr(0, line.find(' '));
    for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return verb;
}

// RESULT for an operation that ends with one reply (open, cmd, close).
DeliveryReport reply_report(const Reply& reply, const std::string& message) {
    DeliveryReport r;
    r.status = DeliveryStatus::Sent;  // S.OK
    r.message = message;
    if (reply.code) r.last_reply = reply;
    return r;
}

}  // namespace

std::string encode_guarded(const std::function<std::string()>& work) noexcept {
    try {
        return work();
    } catch (const Error& e) {
        try { return encode_failure(e.code(), e.what()); } catch (...) {}
    } catch (...) {
    }
    try { return encode_failure(ErrorCode::Internal, "internal error"); } catch (...) {}
    return "3\x1E" "99\x1E" "INTERNAL";
}

namespace {

std::string bad_handle(int handle) {
    return encode_failure(ErrorCode::BadHandle, "session handle " + std::to_string(handle) +
                                                    " is not open (never opened, or already closed)");
}

}  // namespace

std::string sendmail(const char* message, const char* body, const char* options) noexcept {
    return encode_guarded([&] {
        const Profile profile = load_profile(options_request(options));
        Transcript transcript = Transcript::from_setting(profile.transcript);
        const Message m = decode_message(message, body, charset_of(profile));
        const DeliveryReport report = separate_copies_wanted(message) ? deliver_each(m, profile, transcript.hook())
                                                                      : deliver(m, profile, transcript.hook());
        ResultExtras extras;
        extras.transcript = transcript.take_lines();
        return encode_result(report, extras);
    });
}

std::string verify(const char* addresses, const char* options) noexcept {
    return encode_guarded([&] {
        // Verification always goes to the exchangers, whatever O.DELIVERY or the profile says
        // (a relay's answer at RCPT TO says nothing about the mailbox); loading the profile as
        // direct also gives direct's defaults, e.g. opportunistic TLS unless tls is set.
        ProfileRequest request = options_request(options);
        request.overrides["delivery"] = "direct";
        const Profile profile = load_profile(request);
        Transcript transcript = Transcript::from_setting(profile.transcript);
        const DeliveryReport report =
            verify_addresses(decode_addresses(addresses, charset_of(profile)), profile, transcript.hook());
        ResultExtras extras;
        extras.transcript = transcript.take_lines();
        return encode_result(report, extras);
    });
}

std::string open_session(const char* options) noexcept {
    return encode_guarded([&] {
        auto state = std::make_shared<SessionHandle>();
        state->profile = load_profile(options_request(options));
        if (!state->profile.has_server())
            return encode_failure(ErrorCode::BadOption,
                                  "SMTP.OPEN needs a mail server (O.SERVER or a profile with server=)");
        state->transcript = Transcript::from_setting(state->profile.transcript);
        SessionSettings settings = session_settings(state->profile);
        settings.transcript = state->transcript.hook();
        ResultExtras extras;
        DeliveryReport report;
        try {
            if (manual_mode(options)) {
                state->manual = std::make_unique<Session>(settings);
                const Reply greeting = state->manual->open_manual();
                report = reply_report(greeting, "connected to " + state->profile.host + " (manual mode)");
            } else {
                state->mailer = std::make_unique<Mailer>(settings, state->profile.keepalive_seconds);
                state->mailer->open();
                Session& s = state->mailer->session();
                report = reply_report(s.last_reply(), "session open with " + state->profile.host);
                extras.capabilities = s.capabilities().lines;
            }
        } catch (const Error& e) {
            report = failure_report(e.code(), e.what());
            if (e.reply()) report.last_reply = e.reply();
            // What the server offered explains many failures (e.g. no STARTTLS).
            if (state->mailer) extras.capabilities = state->mailer->session().capabilities().lines;
            extras.transcript = state->transcript.take_lines();
            return encode_result(report, extras);
        }
        extras.tls = state->session()->tls_info();
        extras.transcript = state->transcript.take_lines();
        extras.handle = HandleTable::instance().add(state);
        if (!extras.handle) {
            state->session()->quit();
            return encode_failure(ErrorCode::TooManySessions,
                                  "this process already has " + std::to_string(HandleTable::kMaxOpen) +
                                      " open sessions; close some with SMTP.CLOSE");
        }
        return encode_result(report, extras);
    });
}

std::string send_on(int handle, const char* message, const char* body) noexcept {
    return encode_guarded([&] {
        auto state = HandleTable::instance().find(handle);
        if (!state) return bad_handle(handle);
        std::lock_guard<std::mutex> lock(state->mutex);
        if (!state->mailer)
            return encode_failure(ErrorCode::BadHandle, "SMTP.SEND needs a session opened without O.MANUAL; use SMTP.CMD");
        if (state->in_data)
            return encode_failure(ErrorCode::BadArgument, "the session is inside DATA (SMTP.CMD); finish it with \".\" first");
        Message m = decode_message(message, body, charset_of(state->profile));
        const bool separate = separate_copies_wanted(message);
        DeliveryReport report = guarded_report([&] {
            DeliveryReport r;
            if (separate) {
                std::vector<Message> copies = separate_copies(m);
                for (auto& c : copies) ready_for_sending(c, state->profile);
                r = report_from_each(state->mailer->send_each(copies), state->profile.host);
                for (const auto& c : copies) r.message_ids.push_back(c.message_id);
                note_dkim(r, copies.front(), state->profile);
            } else {
                ready_for_sending(m, state->profile);
                r = report_from(state->mailer->send(m), state->profile.host);
                r.message_id = m.message_id;
                note_dkim(r, m, state->profile);
            }
            r.tls = state->mailer->session().tls_info();
            return r;
        });
        ResultExtras extras;
        extras.transcript = state->transcript.take_lines();
        return encode_result(report, extras);
    });
}

std::string command_on(int handle, const char* command_text) noexcept {
    return encode_guarded([&] {
        auto state = HandleTable::instance().find(handle);
        if (!state) return bad_handle(handle);
        std::lock_guard<std::mutex> lock(state->mutex);
        Session* session = state->session();
        ResultExtras extras;
        DeliveryReport report;
        const std::string line(command_text);
        try {
            if (!session || !session->is_open())
                throw Error(ErrorCode::ConnectionLost, "the connection is closed; SMTP.CLOSE this handle and open a new one");
            if (state->in_data) {
                if (line == ".") {
                    state->in_data = false;
                    report = reply_report(session->end_data(), "message ended");
                } else {
                    session->data_line(line);
                    report = reply_report(Reply{}, "data line sent");
                }
            } else {
                // Any spelling of AUTH ("auth", a tab, leading blanks) and each answer to its
                // 334 prompts; the connection redacts these too, whatever this flag says.
                const bool secret = state->in_auth || is_auth_command(line);
                const Reply r = session->raw_command(line, secret);
                state->in_auth = secret && r.code == 334;
                state->in_data = upper_verb(line) == "DATA" && r.code == 354;
                report = reply_report(r, r.summary());
                if (upper_verb(line) == "STARTTLS" && r.code == 220) extras.tls = session->tls_info();
            }
        } catch (const Error& e) {
            state->in_data = state->in_auth = false;
            report = failure_report(e.code(), e.what());
            if (e.reply()) report.last_reply = e.reply();
        }
        extras.transcript = state->transcript.take_lines();
        return encode_result(report, extras);
    });
}

std::string close_session(int handle) noexcept {
    return encode_guarded([&] {
        auto state = HandleTable::instance().remove(handle);
        if (!state) return bad_handle(handle);
        std::lock_guard<std::mutex> lock(state->mutex);
        Reply last;
        if (Session* s = state->session()) {
            s->quit();
            last = s->last_reply();
        }
        if (state->mailer) state->mailer->close();
        ResultExtras extras;
        extras.transcript = state->transcript.take_lines();
        return encode_result(reply_report(last, "session closed"), extras);
    });
}

}  // namespace mvsmtp::gci
