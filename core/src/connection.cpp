// connection.cpp — sockets with deadlines, STARTTLS/implicit TLS, reply reading.
#include "mvsmtp/connection.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include "mvsmtp/error.hpp"
#include "platform.hpp"
#include "tcp_tls.hpp"
#include "tls_context.hpp"

namespace mvsmtp {
namespace {

constexpr std::size_t kReceiveChunk = 16 * 1024;
constexpr std::size_t kFlushThreshold = 64 * 1024;

}  // namespace

struct Connection::Impl {
    Poco::Net::StreamSocket plain;
    std::unique_ptr<Poco::Net::SecureStreamSocket> secure;
    bool open = false;

    Poco::Net::StreamSocket& socket() {
        return secure ? static_cast<Poco::Net::StreamSocket&>(*secure) : plain;
    }
};

Connection::Connection(Timeouts timeouts) : impl_(std::make_unique<Impl>()), timeouts_(timeouts) {}

Connection::~Connection() { close(); }

void Connection::drop(ErrorCode code, const std::string& message) {
    close();
    throw Error(code, message);
}

void Connection::note(Direction d, std::string_view text) {
    if (!transcript_) return;
    try {
        transcript_(d, text);
    } catch (...) {
        // A failing transcript must not break the conversation.
    }
}

void Connection::connect(const std::string& host, int port) {
    close();
    impl_->plain = tcp_connect(host, port, timeouts_, "mail server", peer_);
    impl_->open = true;
    note(Direction::Info, "connected to " + peer_);
}

void Connection::start_tls(const TlsSettings& settings, const std::string& host) {
    if (!impl_->open) throw Error(ErrorCode::ConnectionLost, "not connected");
    // RFC 3207 §4.2: anything the server sent before the handshake could have been injected.
    in_.clear();
    in_pos_ = 0;
    const std::string name = settings.verify_name.empty() ? host : settings.verify_name;
    platform::SigpipeGuard guard;
    try {
        impl_->secure = tls_handshake(impl_->plain, name, settings.ca_file, timeouts_, peer_);
    } catch (...) {
        close();
        throw;
    }
    const TlsInfo info = tls_info();
    note(Direction::Info, "TLS " + info.protocol + " " + info.cipher + ", certificate " +
                              info.peer_subject + " issued by " + info.peer_issuer +
                              ", expires " + info.peer_expires);
}

bool Connection::encrypted() const { return impl_->secure != nullptr; }

TlsInfo Connection::tls_info() const {
    if (!impl_->secure) return {};
    return tls::describe(*impl_->secure);
}

bool Connection::is_open() const { return impl_->open; }

void Connection::set_io_timeout(int ms) noexcept {
    timeouts_.io_ms = ms;
    if (!impl_->open) return;
    try {
        const Poco::Timespan span(static_cast<Poco::Timespan::TimeDiff>(ms) * 1000);
        impl_->socket().setReceiveTimeout(span);
        impl_->socket().setSendTimeout(span);
    } catch (...) {
        // A socket that cannot take a timeout fails its next read or write instead.
    }
}

void Connection::close() noexcept {
    if (!impl_->open) return;
    impl_->open = false;
    try {
        platform::SigpipeGuard guard;
        if (impl_->secure) {
            // A close_notify alert is a write; the guard keeps it from raising SIGPIPE.
            impl_->secure->close();
            impl_->secure.reset();
        }
        impl_->plain.close();
    } catch (...) {
    }
    impl_->secure.reset();
    in_.clear();
    in_pos_ = 0;
    out_.clear();
}

void Connection::send_all(const char* data, std::size_t size) {
    if (!impl_->open) throw Error(ErrorCode::ConnectionLost, "connection to mail server is closed");
    platform::SigpipeGuard guard;
    try {
        auto& sock = impl_->socket();
        const int flags = impl_->secure ? 0 : platform::nosignal_send_flags();
        while (size > 0) {
            const int chunk = static_cast<int>(std::min<std::size_t>(size, 1 << 20));
            const int n = sock.sendBytes(data, chunk, flags);
            if (n <= 0) throw Error(ErrorCode::ConnectionLost, "mail server closed the connection");
            data += n;
            size -= static_cast<std::size_t>(n);
        }
    } catch (const Error&) {
        close();
        throw;
    } catch (const Poco::TimeoutException&) {
        drop(ErrorCode::Timeout, "sending to " + peer_ + " timed out");
    } catch (const Poco::Exception& e) {
        drop(ErrorCode::ConnectionLost, "connection to " + peer_ + " lost: " + e.displayText());
    }
}

void Connection::note_sent(const std::string& wire_line, bool secret) {
    if (!transcript_) return;
    std::string_view shown(wire_line);
    while (!shown.empty() && (shown.back() == '\n' || shown.back() == '\r')) shown.remove_suffix(1);
    if (!secret) return note(Direction::Sent, shown);
    // Keep "AUTH <mechanism>" so transcripts stay readable; the rest is the secret.
    std::string redacted = "<redacted>";
    if (shown.rfind("AUTH ", 0) == 0) {
        const std::size_t end = shown.find(' ', 5);
        redacted = std::string(shown.substr(0, end)) + (end == std::string_view::npos ? "" : " <redacted>");
    }
    note(Direction::Sent, redacted);
}

void Connection::send_line(const std::string& wire_line, bool secret) {
    flush();
    note_sent(wire_line, secret);
    send_all(wire_line.data(), wire_line.size());
}

void Connection::queue_line(const std::string& wire_line, bool secret) {
    note_sent(wire_line, secret);
    out_ += wire_line;
}

void Connection::write(const char* data, std::size_t size) {
    out_.append(data, size);
    if (out_.size() >= kFlushThreshold) flush();
}

void Connection::flush() {
    if (out_.empty()) return;
    std::string pending;
    pending.swap(out_);
    send_all(pending.data(), pending.size());
}

void Connection::receive_more() {
    if (!impl_->open) throw Error(ErrorCode::ConnectionLost, "connection to mail server is closed");
    if (in_pos_ > 0) {
        in_.erase(0, in_pos_);
        in_pos_ = 0;
    }
    char buf[kReceiveChunk];
    int n = 0;
    try {
        platform::SigpipeGuard guard;  // TLS reads may write (renegotiation, alerts)
        n = impl_->socket().receiveBytes(buf, static_cast<int>(sizeof buf));
    } catch (const Poco::TimeoutException&) {
        drop(ErrorCode::Timeout, "mail server " + peer_ + " did not answer in time");
    } catch (const Poco::Exception& e) {
        drop(ErrorCode::ConnectionLost, "connection to " + peer_ + " lost: " + e.displayText());
    }
    if (n <= 0) {
        drop(ErrorCode::ConnectionLost, "mail server " + peer_ + " closed the connection");
    }
    in_.append(buf, static_cast<std::size_t>(n));
}

bool Connection::read_line(std::string& line) {
    const std::size_t eol = in_.find('\n', in_pos_);
    if (eol == std::string::npos) {
        if (in_.size() - in_pos_ > ReplyParser::kMaxLineLength + 2) {
            drop(ErrorCode::ProtocolError, "reply line from mail server is too long");
        }
        return false;
    }
    std::size_t end = eol;
    if (end > in_pos_ && in_[end - 1] == '\r') --end;
    line.assign(in_, in_pos_, end - in_pos_);
    in_pos_ = eol + 1;
    return true;
}

Reply Connection::read_reply() {
    flush();
    ReplyParser parser;
    std::string line;
    for (;;) {
        while (!read_line(line)) receive_more();
        note(Direction::Received, line);
        try {
            if (parser.feed(line)) return parser.take();
        } catch (const Error&) {
            close();
            throw;
        }
    }
}

}  // namespace mvsmtp
