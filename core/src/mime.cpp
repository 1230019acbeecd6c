// mime.cpp — the public MIME entry points: prepare, write_message, needs_smtputf8.
//
// The work is split by concept: mime_headers.cpp (the header block), mime_body.cpp (the
// entity tree and transfer encodings), mime_validate.cpp (what is refused),
// mime_types.cpp (extension → Content-Type). What the output promises (mime.hpp): CRLF
// line ends only, no line over 998 octets, 7-bit clean except non-ASCII addresses (which
// need SMTPUTF8), no dot-stuffing (the DATA writer does that).
#include <Poco/Timestamp.h>

#include "mime_internal.hpp"
#include "mvsmtp/address.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/mime.hpp"

#include <fstream>

namespace mvsmtp {
namespace {

// Remembers whether the output ends with CRLF, so the message can end with exactly one.
class TailSink : public ByteSink {
public:
    explicit TailSink(ByteSink& out) : out_(out) {}
    void write(const char* p, std::size_t n) override {
        if (n == 0) return;
        out_.write(p, n);
        prev_ = n >= 2 ? p[n - 2] : last_;
        last_ = p[n - 1];
    }
    using ByteSink::write;
    bool ends_with_crlf() const { return prev_ == '\r' && last_ == '\n'; }

private:
    ByteSink& out_;
    char prev_ = 0, last_ = 0;
};

// Counts what passes and refuses to pass more than the message's size limit, so an
// oversized message fails before its end is written (a DATA in progress is then dropped
// by the session, an outbox temporary removed).
class LimitSink : public ByteSink {
public:
    LimitSink(ByteSink& out, std::uint64_t limit) : out_(out), limit_(limit) {}
    void write(const char* p, std::size_t n) override {
        count_ += n;
        if (limit_ && count_ > limit_) throw too_large(limit_);
        out_.write(p, n);
    }
    using ByteSink::write;

private:
    ByteSink& out_;
    std::uint64_t limit_;
    std::uint64_t count_ = 0;
};

}  // namespace

void prepare(Message& message, const std::string& message_id_domain) {
    try {
        if (message.message_id.empty())
            message.message_id = mime_detail::new_message_id(message, message_id_domain);
        if (message.date == 0) message.date = Poco::Timestamp().epochTime();
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(ErrorCode::Internal, std::string("prepare: ") + e.what());
    }
}

namespace {

// A queued message goes out exactly as it was stored.
void copy_prepared(const std::string& path, ByteSink& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::OutboxFailed, "cannot read the queued message " + path);
    char buffer[64 * 1024];
    while (in) {
        in.read(buffer, sizeof buffer);
        if (in.gcount() > 0) out.write(buffer, static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) throw Error(ErrorCode::OutboxFailed, "cannot read the queued message " + path);
}

}  // namespace

std::string dkim_field(const Message& message, const WriteOptions& options) {
    if (!message.dkim || !options.sign || !message.prepared_file.empty()) return {};
    if (!options.signature.empty()) return options.signature;
    return message.dkim->signature_field(message, options);
}

void write_message(const Message& message, ByteSink& out, const WriteOptions& options) {
    if (!message.prepared_file.empty()) return copy_prepared(message.prepared_file, out);
    try {
        validate(message);
        const std::string signature = dkim_field(message, options);
        LimitSink limited(out, message.size_limit);
        limited.write(signature);
        TailSink tail(limited);
        const std::string id = message.message_id.empty() ? mime_detail::new_message_id(message, {})
                                                          : message.message_id;
        tail.write(mime_detail::render_headers(message, id));
        mime_detail::write_body(message, id, options, tail);
        if (!tail.ends_with_crlf()) tail.write("\r\n", 2);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(ErrorCode::Internal, std::string("write_message: ") + e.what());
    }
}

bool needs_smtputf8(const Message& m) {
    if (needs_smtputf8(m.from.address) || needs_smtputf8(m.return_path)) return true;
    for (const auto* list : {&m.to, &m.cc, &m.bcc, &m.reply_to})
        for (const Mailbox& box : *list)
            if (needs_smtputf8(box.address)) return true;
    return false;
}

}  // namespace mvsmtp
