// connection.cpp — sockets with deadlines, STARTTLS/implicit TLS, reply reading.
//
// After connect the socket is non-blocking and every wait is a poll() against a deadline:
// one for each whole reply, one for each 64 KiB written. Socket timeouts are not used: they
// bound a single read, so a server dripping a byte at a time could hold a reply forever, and
// Poco retries a timed-out TLS read once (twice the timeout).
#include "mvsmtp/connection.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "mvsmtp/client_name.hpp"
#include "mvsmtp/error.hpp"
#include "platform.hpp"
#include "tcp_tls.hpp"
#include "tls_context.hpp"

namespace mvsmtp {
namespace {

constexpr std::size_t kReceiveChunk = 16 * 1024;
constexpr std::size_t kFlushThreshold = 64 * 1024;
constexpr std::size_t kSendBlock = 64 * 1024;  // each block written has its own deadline

// What a non-blocking receive/send can return besides a byte count (the values Poco's
// SecureStreamSocket uses for the same conditions).
constexpr int kWantRead = Poco::Net::SecureStreamSocket::ERR_SSL_WANT_READ;
constexpr int kWantWrite = Poco::Net::SecureStreamSocket::ERR_SSL_WANT_WRITE;

}  // namespace

struct Connection::Impl {
    Poco::Net::StreamSocket plain;
    std::unique_ptr<Poco::Net::SecureStreamSocket> secure;
    std::string unverified;  // accept_unverified: why the certificate did not verify
    bool open = false;

    int fd() const { return static_cast<int>(plain.impl()->sockfd()); }

    // > 0 bytes, 0 end of stream, kWantRead/kWantWrite: wait and call again.
    int receive(char* buf, int size) {
        if (secure) return secure->receiveBytes(buf, size);
        for (;;) {
            const ssize_t n = ::recv(fd(), buf, static_cast<std::size_t>(size), 0);
            if (n >= 0) return static_cast<int>(n);
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return kWantRead;
            throw Poco::IOException(std::strerror(errno));
        }
    }
    int send(const char* data, int size) {
        if (secure) return secure->sendBytes(data, size);
        for (;;) {
            const ssize_t n = ::send(fd(), data, static_cast<std::size_t>(size), platform::nosignal_send_flags());
            if (n >= 0) return static_cast<int>(n);
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return kWantWrite;
            throw Poco::IOException(std::strerror(errno));
        }
    }
};

bool is_auth_command(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    static constexpr std::string_view kAuth = "AUTH";
    if (line.size() - i < kAuth.size()) return false;
    for (std::size_t k = 0; k < kAuth.size(); ++k)
        if (std::toupper(static_cast<unsigned char>(line[i + k])) != kAuth[k]) return false;
    i += kAuth.size();
    return i == line.size() || line[i] == ' ' || line[i] == '\t';
}

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
    auth_exchange_ = false;
    try {
        impl_->plain.setBlocking(false);  // every wait is a poll with a deadline (see top)
    } catch (const Poco::Exception& e) {
        drop(ErrorCode::ConnectFailed, "cannot use the connection to " + peer_ + ": " + e.displayText());
    }
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
        impl_->unverified.clear();
        impl_->secure = tls_handshake(impl_->plain, name, settings.ca_file, timeouts_, peer_,
                                      settings.accept_unverified ? &impl_->unverified : nullptr);
    } catch (...) {
        close();
        throw;
    }
    const TlsInfo info = tls_info();
    note(Direction::Info, "TLS " + info.protocol + " " + info.cipher + ", certificate " +
                              info.peer_subject + " issued by " + info.peer_issuer +
                              ", expires " + info.peer_expires);
    if (!info.unverified.empty())
        note(Direction::Info, "TLS certificate NOT verified (opportunistic TLS, RFC 7435): " + info.unverified);
}

bool Connection::encrypted() const { return impl_->secure != nullptr; }

TlsInfo Connection::tls_info() const {
    if (!impl_->secure) return {};
    TlsInfo info = tls::describe(*impl_->secure);
    info.unverified = impl_->unverified;
    return info;
}

bool Connection::is_open() const { return impl_->open; }

std::string Connection::local_address() const {
    if (!impl_->open) return {};
    try {
        return impl_->plain.address().host().toString();
    } catch (const Poco::Exception&) {
        return {};
    }
}

std::string Connection::client_name(const std::string& configured) const {
    if (!configured.empty()) return configured;
    // At most 5 s for the host's canonical name (once per ten minutes: it is remembered).
    return default_client_name(local_address(), std::min(timeouts_.connect_ms, 5000));
}

void Connection::set_io_timeout(int ms) noexcept {
    // Every wait takes its deadline from io_ms when it starts (the socket is non-blocking).
    timeouts_.io_ms = ms;
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
    auth_exchange_ = false;
}

void Connection::send_all(const char* data, std::size_t size) {
    if (!impl_->open) throw Error(ErrorCode::ConnectionLost, "connection to mail server is closed");
    platform::SigpipeGuard guard;
    try {
        while (size > 0) {
            const std::size_t block = std::min(size, kSendBlock);
            const Deadline deadline = Clock::now() + std::chrono::milliseconds(timeouts_.io_ms);
            std::size_t done = 0;
            while (done < block) {
                // After a WANT result TLS needs the same buffer and length again: `done` has
                // not moved, so it gets them.
                const int n = impl_->send(data + done, static_cast<int>(block - done));
                if (n > 0) {
                    done += static_cast<std::size_t>(n);
                } else if (n == kWantRead || n == kWantWrite) {
                    if (!platform::wait_socket(impl_->fd(), n == kWantWrite, deadline))
                        drop(ErrorCode::Timeout, "sending to " + peer_ + " timed out");
                } else {
                    throw Error(ErrorCode::ConnectionLost, "mail server closed the connection");
                }
            }
            data += block;
            size -= block;
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
    std::string_view shown(wire_line);
    while (!shown.empty() && (shown.back() == '\n' || shown.back() == '\r')) shown.remove_suffix(1);
    // An AUTH command in any spelling starts an exchange; every client line after it while
    // the server answers 334 is part of it (RFC 4954 §4). Tracked here, below every caller,
    // so no path (operator commands included) can put a credential in a transcript.
    const bool auth = is_auth_command(shown);
    secret = secret || auth || auth_exchange_;
    if (auth) auth_exchange_ = true;
    if (!transcript_) return;
    if (!secret) return note(Direction::Sent, shown);
    // Keep "AUTH <mechanism>" so transcripts stay readable; the rest is the secret.
    std::string redacted = "<redacted>";
    if (auth) {
        std::size_t i = shown.find_first_not_of(" \t");
        i = shown.find_first_not_of(" \t", i + 4);  // the mechanism, if any
        std::string mechanism;
        if (i != std::string_view::npos) {
            const std::size_t end = shown.find_first_of(" \t", i);
            mechanism = std::string(shown.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i));
            for (char& c : mechanism) {
                const auto u = static_cast<unsigned char>(c);
                c = std::isalnum(u) || c == '-' || c == '_' ? static_cast<char>(std::toupper(u)) : '?';
            }
            redacted = "AUTH " + mechanism;
            if (end != std::string_view::npos && shown.find_first_not_of(" \t", end) != std::string_view::npos)
                redacted += " <redacted>";
        } else {
            redacted = "AUTH";
        }
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

void Connection::receive_more(Deadline deadline) {
    if (!impl_->open) throw Error(ErrorCode::ConnectionLost, "connection to mail server is closed");
    if (in_pos_ > 0) {
        in_.erase(0, in_pos_);
        in_pos_ = 0;
    }
    char buf[kReceiveChunk];
    int n = 0;
    try {
        platform::SigpipeGuard guard;  // TLS reads may write (renegotiation, alerts)
        for (;;) {
            // Read first: TLS may hold decrypted bytes while the socket itself is quiet.
            n = impl_->receive(buf, static_cast<int>(sizeof buf));
            if (n != kWantRead && n != kWantWrite) break;
            if (!platform::wait_socket(impl_->fd(), n == kWantWrite, deadline))
                drop(ErrorCode::Timeout, "mail server " + peer_ + " did not answer in time");
        }
    } catch (const Error&) {
        throw;
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
    // One deadline for the whole reply, however many lines and reads it takes.
    const Deadline deadline = Clock::now() + std::chrono::milliseconds(timeouts_.io_ms);
    ReplyParser parser;
    std::string line;
    for (;;) {
        while (!read_line(line)) receive_more(deadline);
        note(Direction::Received, line);
        try {
            if (parser.feed(line)) {
                Reply reply = parser.take();
                if (reply.code != 334) auth_exchange_ = false;  // the AUTH exchange is over
                return reply;
            }
        } catch (const Error&) {
            close();
            throw;
        }
    }
}

}  // namespace mvsmtp
