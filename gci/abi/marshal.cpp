// marshal.cpp — see marshal.hpp.
#include "marshal.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "dynarray.hpp"
#include "layout.hpp"
#include "mvsmtp/text.hpp"
#include "mvsmtp/address.hpp"
#include "mvsmtp/encoding.hpp"
#include "mvsmtp/envelope.hpp"
#include "mvsmtp/error.hpp"

namespace mvsmtp::gci {
namespace {

namespace M = field::Message;
namespace O = field::Options;
namespace R = field::Result;

std::string trimmed(std::string s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> plain_values(std::string_view array, int attr, const char* what);

std::vector<Mailbox> mailboxes(std::string_view message, int attr, InputCharset cs, const char* what) {
    std::vector<Mailbox> out;
    for (const auto& v : plain_values(message, attr, what)) {
        const std::string text = trimmed(to_utf8(v, cs));
        if (text.empty()) continue;
        try {
            for (auto& m : parse_mailbox_list(text)) out.push_back(std::move(m));
        } catch (const Error& e) {
            throw Error(e.code(), std::string(what) + ": " + e.what());
        }
    }
    return out;
}

// The layout decides where marks may be: a field read here is taken by its position only,
// and a mark the layout does not give it is refused, never split on. So a mark inside a
// value can at worst make its own field invalid; it cannot become another field.
constexpr char kMarks[] = {kValueMark, kSubvalueMark, '\0'};

// A single-valued field: no value or subvalue mark.
std::string single(std::string_view array, int attr, const char* what, ErrorCode code = ErrorCode::BadArgument) {
    std::string v = extract(array, attr);
    if (v.find_first_of(kMarks) != std::string::npos)
        throw Error(code, std::string(what) + " must be a single value (it holds a value or subvalue mark)");
    return v;
}

// A multivalued field whose values have no subvalues.
std::vector<std::string> plain_values(std::string_view array, int attr, const char* what) {
    std::vector<std::string> out = values(array, attr);
    for (std::size_t i = 0; i < out.size(); ++i)
        if (out[i].find(kSubvalueMark) != std::string::npos)
            throw Error(ErrorCode::BadArgument, std::string(what) + " value " + std::to_string(i + 1) +
                                                    " holds a subvalue mark; this field has none");
    return out;
}

// Attributes after the last one the layout defines can only come from a mark inside a value
// (BASIC itself never makes them): refused, so nothing is silently dropped or shifted.
void refuse_extra_attributes(std::string_view array, int last, const char* what) {
    const auto attrs = split(array, kAttributeMark);
    for (std::size_t i = static_cast<std::size_t>(last); i < attrs.size(); ++i)
        if (!attrs[i].empty())
            throw Error(ErrorCode::BadArgument, std::string(what) + " has a field " + std::to_string(i + 1) +
                                                    " after its last one (" + std::to_string(last) +
                                                    "): is there an attribute mark inside a value?");
}

// The last field number layout.def gives a group ("Message", "Options").
int last_field(const char* group) {
    int last = 0;
    for (const auto& f : field_table())
        if (f.group == group) last = std::max(last, f.number);
    return last;
}

std::string value_at(const std::vector<std::string>& v, std::size_t i) { return i < v.size() ? v[i] : std::string(); }

Priority priority_of(const std::string& raw) {
    const std::string p = ascii_upper(trimmed(raw));
    if (p.empty()) return Priority::None;
    if (p == "1" || p == "2" || p == "HIGH" || p == "URGENT") return Priority::High;
    if (p == "3" || p == "NORMAL") return Priority::Normal;
    if (p == "4" || p == "5" || p == "LOW") return Priority::Low;
    throw Error(ErrorCode::BadArgument, "MESSAGE<M.PRIORITY> must be 1/HIGH, 3/NORMAL or 5/LOW (got \"" + raw + "\")");
}

}  // namespace

ProfileRequest options_request(std::string_view options) {
    ProfileRequest req;
    refuse_extra_attributes(options, last_field("Options"), "OPTIONS");
    req.profile = trimmed(single(options, O::PROFILE, "OPTIONS<O.PROFILE>", ErrorCode::BadOption));
    req.config_path = trimmed(single(options, O::CONFIG, "OPTIONS<O.CONFIG>", ErrorCode::BadOption));
    const std::pair<int, const char*> keys[] = {
        {O::SERVER, "server"}, {O::PORT, "port"}, {O::TLS, "tls"}, {O::USER, "user"},
        {O::PASSWORD, "password"}, {O::PASSWORD_FILE, "password_file"}, {O::AUTH, "auth"},
        {O::ALLOW_PLAINTEXT_AUTH, "allow_plaintext_auth"}, {O::CA_FILE, "ca_file"},
        {O::HELO, "helo"}, {O::CONNECT_TIMEOUT, "connect_timeout"}, {O::TIMEOUT, "timeout"},
        {O::FINAL_TIMEOUT, "final_timeout"},
        {O::OUTBOX, "outbox"}, {O::CHARSET, "charset"}, {O::FROM, "from"},
        {O::TRANSCRIPT, "transcript"}, {O::KEEPALIVE, "keepalive"}, {O::PIPELINING, "pipelining"},
        {O::MAX_SIZE, "max_size"}, {O::DELIVERY, "delivery"}, {O::DNS_SERVER, "dns_server"},
        {O::DNS_TIMEOUT, "dns_timeout"}, {O::MX_PORT, "mx_port"}, {O::QUEUE, "queue"},
        {O::DKIM_DOMAIN, "dkim_domain"}, {O::DKIM_SELECTOR, "dkim_selector"}, {O::DKIM_KEY_FILE, "dkim_key_file"}};
    for (const auto& [attr, key] : keys) {
        // A password may legitimately start or end with a space; nothing else may.
        std::string v = attr == O::PASSWORD ? extract(options, attr) : trimmed(extract(options, attr));
        if (v.find_first_of(std::string("\x1D\x1C", 2)) != std::string::npos)
            throw Error(ErrorCode::BadOption, std::string("OPTIONS field for ") + key + " must be a single value");
        if (!v.empty()) req.overrides[key] = v;
    }
    return req;
}

std::vector<std::string> decode_addresses(std::string_view addresses, InputCharset cs) {
    std::vector<std::string> out;
    const auto attrs = split(addresses, kAttributeMark);
    for (std::size_t a = 0; a < attrs.size(); ++a) {
        const std::string what = "ADDRESSES<" + std::to_string(a + 1) + ">";
        // Each attribute is read as M.TO is: values, each possibly a comma/semicolon list.
        for (const auto& m : mailboxes(addresses, static_cast<int>(a + 1), cs, what.c_str())) out.push_back(m.address);
    }
    return out;
}

bool manual_mode(std::string_view options) {
    const std::string v = trimmed(single(options, O::MANUAL, "OPTIONS<O.MANUAL>", ErrorCode::BadOption));
    if (v.empty() || v == "0") return false;
    if (v == "1") return true;
    throw Error(ErrorCode::BadOption, "OPTIONS<O.MANUAL> must be 1 or 0 (got \"" + v + "\")");
}

bool separate_copies_wanted(std::string_view message) {
    const std::string v = trimmed(single(message, M::SEPARATE, "MESSAGE<M.SEPARATE>"));
    if (v.empty() || v == "0") return false;
    if (v == "1") return true;
    throw Error(ErrorCode::BadArgument, "MESSAGE<M.SEPARATE> must be 1 or 0 (got \"" + v + "\")");
}

InputCharset charset_of(const Profile& profile) {
    if (profile.charset.empty()) return InputCharset::Utf8;
    const auto cs = input_charset_from_name(profile.charset);
    return cs ? *cs : InputCharset::Utf8;
}

Message decode_message(std::string_view message, std::string_view body, InputCharset cs) {
    Message m;
    refuse_extra_attributes(message, last_field("Message"), "MESSAGE");
    const auto from = mailboxes(message, M::FROM, cs, "MESSAGE<M.FROM>");
    if (from.size() > 1) throw Error(ErrorCode::BadAddress, "MESSAGE<M.FROM> must hold one address");
    if (!from.empty()) m.from = from.front();
    m.to = mailboxes(message, M::TO, cs, "MESSAGE<M.TO>");
    m.cc = mailboxes(message, M::CC, cs, "MESSAGE<M.CC>");
    m.bcc = mailboxes(message, M::BCC, cs, "MESSAGE<M.BCC>");
    m.reply_to = mailboxes(message, M::REPLY_TO, cs, "MESSAGE<M.REPLY.TO>");
    m.subject = to_utf8(single(message, M::SUBJECT, "MESSAGE<M.SUBJECT>", ErrorCode::HeaderInjection), cs);
    m.return_path = trimmed(to_utf8(single(message, M::RETURN_PATH, "MESSAGE<M.RETURN.PATH>"), cs));
    if (!m.return_path.empty()) validate_address(m.return_path);

    // BODY and HTML: every mark is a line break, so captured report output works as is.
    const std::string body_text = to_utf8(marks_to(body, "\n"), cs);
    const std::string body_type = ascii_upper(trimmed(single(message, M::BODY_TYPE, "MESSAGE<M.BODY.TYPE>")));
    if (body_type == "HTML") m.html = body_text;
    else if (body_type.empty() || body_type == "TEXT") m.text = body_text;
    else throw Error(ErrorCode::BadArgument, "MESSAGE<M.BODY.TYPE> must be TEXT or HTML (got \"" + body_type + "\")");
    const std::string html = to_utf8(marks_to(extract(message, M::HTML), "\n"), cs);
    if (!html.empty()) {
        if (!m.html.empty()) throw Error(ErrorCode::BadArgument, "HTML given both in BODY (M.BODY.TYPE=HTML) and in MESSAGE<M.HTML>");
        m.html = html;
    }

    const auto paths = plain_values(message, M::ATTACH_PATH, "MESSAGE<M.ATTACH.PATH>");
    const auto names = plain_values(message, M::ATTACH_NAME, "MESSAGE<M.ATTACH.NAME>");
    const auto types = plain_values(message, M::ATTACH_TYPE, "MESSAGE<M.ATTACH.TYPE>");
    for (std::size_t i = 0; i < paths.size(); ++i) {
        const std::string path = trimmed(paths[i]);  // OS paths: bytes as the OS knows them
        if (path.empty()) continue;
        m.attachments.push_back(Attachment::from_file(path, to_utf8(value_at(names, i), cs),
                                                      trimmed(value_at(types, i))));
    }
    const auto dnames = plain_values(message, M::DATA_NAME, "MESSAGE<M.DATA.NAME>");
    const auto contents = values(message, M::DATA_CONTENT);  // a subvalue mark is a line break
    const auto dtypes = plain_values(message, M::DATA_TYPE, "MESSAGE<M.DATA.TYPE>");
    const auto encodings = plain_values(message, M::DATA_ENCODING, "MESSAGE<M.DATA.ENCODING>");
    const std::size_t n = std::max(dnames.size(), contents.size());
    for (std::size_t i = 0; i < n; ++i) {
        const std::string name = to_utf8(trimmed(value_at(dnames, i)), cs);
        if (name.empty())
            throw Error(ErrorCode::BadArgument, "MESSAGE<M.DATA.NAME," + std::to_string(i + 1) + "> is empty: every in-memory attachment needs a file name");
        const std::string enc = ascii_upper(trimmed(value_at(encodings, i)));
        std::string data;
        if (enc == "BASE64") {
            try {
                data = base64_decode(value_at(contents, i));
            } catch (const Error&) {
                throw Error(ErrorCode::BadArgument, "MESSAGE<M.DATA.CONTENT," + std::to_string(i + 1) + "> is not valid base64");
            }
        } else if (enc.empty() || enc == "TEXT") {
            std::string text = value_at(contents, i);
            std::string crlf;
            for (char c : text) crlf += c == kSubvalueMark ? std::string("\r\n") : std::string(1, c);
            data = to_utf8(crlf, cs);
        } else {
            throw Error(ErrorCode::BadArgument, "MESSAGE<M.DATA.ENCODING," + std::to_string(i + 1) + "> must be empty, TEXT or BASE64");
        }
        m.attachments.push_back(Attachment::from_data(std::move(data), name, trimmed(value_at(dtypes, i))));
    }

    const auto hnames = plain_values(message, M::HEADER_NAME, "MESSAGE<M.HEADER.NAME>");
    const auto hvalues = plain_values(message, M::HEADER_VALUE, "MESSAGE<M.HEADER.VALUE>");
    for (std::size_t i = 0; i < std::max(hnames.size(), hvalues.size()); ++i)
        m.headers.push_back({trimmed(value_at(hnames, i)), to_utf8(value_at(hvalues, i), cs)});
    m.priority = priority_of(single(message, M::PRIORITY, "MESSAGE<M.PRIORITY>"));
    m.dsn.notify = trimmed(single(message, M::DSN_NOTIFY, "MESSAGE<M.DSN.NOTIFY>"));
    m.dsn.ret = trimmed(single(message, M::DSN_RET, "MESSAGE<M.DSN.RET>"));
    m.dsn.envid = trimmed(single(message, M::DSN_ENVID, "MESSAGE<M.DSN.ENVID>"));
    validate_dsn(m.dsn);
    return m;
}

std::string encode_result(const DeliveryReport& r, const ResultExtras& extras) {
    // Everything in RESULT that came from a server or a message passes through clean_value,
    // so no reply text can forge a mark and shift the fields after it.
    struct CleanBuilder {
        DynArrayBuilder b;
        void set(int attr, const std::string& v) { b.set(attr, clean_value(v)); }
        void set(int attr, const std::vector<std::string>& vs) {
            std::vector<std::string> cleaned;
            for (const auto& v : vs) cleaned.push_back(clean_value(v));
            b.set(attr, cleaned);
        }
        std::string str() const { return b.str(); }
    } b;
    b.set(R::STATUS, std::to_string(static_cast<int>(r.status)));
    b.set(R::ERROR, std::to_string(error_number(r.error)));
    b.set(R::ERROR_NAME, r.error == ErrorCode::Ok ? "" : error_info(r.error).basic_name);
    b.set(R::MESSAGE, r.message);
    if (r.last_reply) {
        b.set(R::REPLY_CODE, std::to_string(r.last_reply->code));
        b.set(R::REPLY_ENHANCED, r.last_reply->enhanced);
        b.set(R::REPLY_TEXT, r.last_reply->lines);
    }
    std::vector<std::string> addr, status, code, enh, text, transaction, klass, exchanger, catch_all, queued;
    bool any_queued = false;
    bool classified = false;
    for (const auto& rc : r.recipients) {
        addr.push_back(rc.address);
        const bool stored = r.status == DeliveryStatus::Stored;
        status.push_back(stored ? "" : std::to_string(rc.accepted ? 0 : error_number(rc.error)));
        code.push_back(rc.reply.code ? std::to_string(rc.reply.code) : "");
        enh.push_back(rc.reply.enhanced);
        text.push_back(rc.reply.text());
        transaction.push_back(rc.accepted && rc.transaction > 0 ? std::to_string(rc.transaction) : "");
        klass.push_back(std::to_string(rc.outcome));
        exchanger.push_back(rc.exchanger);
        catch_all.push_back(rc.catch_all < 0 ? "" : rc.catch_all ? "1" : "0");
        classified = classified || rc.outcome != 0 || !rc.exchanger.empty() || rc.catch_all >= 0;
        queued.push_back(rc.queued ? "1" : "");
        any_queued = any_queued || rc.queued;
    }
    b.set(R::RCPT_ADDRESS, addr);
    b.set(R::RCPT_STATUS, status);
    b.set(R::RCPT_CODE, code);
    b.set(R::RCPT_ENHANCED, enh);
    b.set(R::RCPT_TEXT, text);
    // Only when something was delivered: a RESULT without recipients keeps its old shape
    // (the CLI's own failure RESULTs end at R.CAPABILITIES).
    bool any_transaction = false;
    for (const auto& t : transaction) any_transaction = any_transaction || !t.empty();
    if (any_transaction) b.set(R::RCPT_TRANSACTION, transaction);
    // Likewise the outcome classes: only direct delivery and SMTP.VERIFY classify, so a relay
    // RESULT leaves RCPT.CLASS empty (BASIC reads it as C.UNKNOWN, 0) and keeps its shape.
    // When any recipient is classified, every one gets its class, 0 included.
    if (classified) {
        b.set(R::RCPT_CLASS, klass);
        b.set(R::RCPT_EXCHANGER, exchanger);
        b.set(R::RCPT_CATCHALL, catch_all);
    }
    if (r.message_ids.empty()) b.set(R::MESSAGE_ID, r.message_id);
    else b.set(R::MESSAGE_ID, r.message_ids);
    b.set(R::OUTBOX_FILE, r.outbox_path);
    // Queued: the queue retries; a caller that sent it again would make a duplicate.
    b.set(R::TRANSIENT, is_transient(r.error) && r.status != DeliveryStatus::Queued ? "1" : "0");
    b.set(R::SIZE, r.size ? std::to_string(r.size) : "");
    b.set(R::HANDLE, extras.handle ? std::to_string(extras.handle) : "");
    b.set(R::TRANSCRIPT, extras.transcript);
    const TlsInfo& tls = extras.tls.active ? extras.tls : r.tls;
    if (tls.active) b.set(R::TLS, std::vector<std::string>{tls.protocol, tls.cipher, tls.peer_subject, tls.peer_issuer, tls.peer_expires});
    b.set(R::CAPABILITIES, extras.capabilities);
    // The queue's fields only when there is something in them, so that every other RESULT
    // keeps its old shape (ending at the last field it had before the queue existed).
    if (!r.queue_id.empty()) b.set(R::QUEUE_ID, r.queue_id);
    if (!r.dkim.empty()) b.set(R::DKIM, r.dkim);
    if (any_queued) b.set(R::RCPT_QUEUED, queued);
    const QueueRows& q = extras.queue;
    if (!q.id.empty()) {
        b.set(R::QUEUE_ID, q.id);
        b.set(R::QUEUE_CREATED, q.created);
        b.set(R::QUEUE_ATTEMPTS, q.attempts);
        b.set(R::QUEUE_NEXT, q.next);
        b.set(R::QUEUE_PENDING, q.pending);
    }
    if (!q.reason.empty()) b.set(R::QUEUE_REASON, q.reason);  // FLUSH: one value per message that did not go
    if (!extras.queue_counts.empty()) b.set(R::QUEUE_COUNTS, extras.queue_counts);
    return b.str();
}

std::string utc_time(std::int64_t seconds) {
    if (seconds <= 0) return "";
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

QueueRows queue_rows(const std::vector<QueueEntry>& entries) {
    QueueRows rows;
    for (const QueueEntry& e : entries) {
        rows.id.push_back(e.id);
        rows.created.push_back(utc_time(e.created));
        rows.attempts.push_back(std::to_string(e.attempts));
        rows.next.push_back(utc_time(e.next_attempt));
        rows.pending.push_back(std::to_string(e.pending()));
        rows.reason.push_back(e.last_reason);
    }
    return rows;
}

std::string encode_failure(ErrorCode code, const std::string& message) {
    DeliveryReport r;
    r.status = DeliveryStatus::Failed;
    r.error = code;
    r.message = message;
    return encode_result(r);
}

}  // namespace mvsmtp::gci
