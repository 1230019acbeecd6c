// mvsmtp/connection.hpp — the only part of core/ that touches a socket.
//
//   Connection c({30000, 60000});           // connect and I/O deadlines in milliseconds
//   c.connect("mail.example.com", 587);     // tries every address of the name in turn
//   Reply greeting = c.read_reply();
//   c.send_line(command::starttls());  c.read_reply();
//   c.start_tls(tls_settings, "mail.example.com");
//   c.write(data, n); c.flush();            // buffered bytes (DATA)
//
// Every socket operation has a deadline: io_ms for each whole reply (however slowly it
// trickles in), for each TLS handshake and for each 64 KiB written; connect_ms for resolving
// the name and for each address tried. A timeout raises Error(Timeout) (Error(DnsFailed) for
// the name), a closed or reset connection Error(ConnectionLost), a reply that breaks the
// grammar Error(ProtocolError). After any of those the connection is closed and must not be
// reused. No operation can raise SIGPIPE. Lines marked secret reach the transcript hook
// redacted, and so does every AUTH command (any case or spacing) and each line that answers
// the server's 334 prompts after it.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mvsmtp/error.hpp"
#include "mvsmtp/reply.hpp"
#include "mvsmtp/sink.hpp"
#include "mvsmtp/tls.hpp"

namespace mvsmtp {

struct Timeouts {
    int connect_ms = 30000;   // name resolution, then each address tried
    int io_ms = 120000;       // each whole reply, TLS handshake, 64 KiB written; RFC 5321 §4.5.3.2 suggests minutes
    // The reply to the final "." (RFC 5321 §4.5.3.2.6: 10 minutes, because giving up there
    // while the server still works on the message is how duplicates are made).
    int final_ms = 600000;
};

// True when the command line's first word is AUTH, in any case, after any blanks or tabs.
bool is_auth_command(std::string_view line);

enum class Direction { Sent, Received, Info };
// Receives each line sent or received (without CRLF) and informational notes.
using TranscriptHook = std::function<void(Direction, std::string_view)>;

struct TlsInfo {
    bool active = false;
    std::string protocol;       // "TLSv1.3"
    std::string cipher;
    std::string peer_subject, peer_issuer, peer_expires;
    std::string unverified;     // accept_unverified: why the certificate did not verify; "" = verified
};

class Connection : public ByteSink {
public:
    explicit Connection(Timeouts timeouts);
    ~Connection() override;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void connect(const std::string& host, int port);
    // Handshakes on the open socket and verifies the certificate for `host` (or
    // settings.verify_name). Plaintext received but not yet read is discarded (RFC 3207 §4.2).
    void start_tls(const TlsSettings& settings, const std::string& host);
    bool encrypted() const;
    TlsInfo tls_info() const;
    std::string peer() const { return peer_; }
    // The local address of the open connection ("192.0.2.1", "2001:db8::1"); "" when closed.
    std::string local_address() const;
    // The EHLO name: `configured` when set, else this host's FQDN, else the address literal
    // of local_address() (RFC 5321 §4.1.4). Needs the open connection.
    std::string client_name(const std::string& configured) const;

    // Sends one complete command line (with CRLF) immediately.
    void send_line(const std::string& wire_line, bool secret = false);
    // Queues one command line without sending it (PIPELINING, RFC 2920): it leaves with the
    // next flush(), which read_reply() does first.
    void queue_line(const std::string& wire_line, bool secret = false);
    // Buffered raw bytes, for the message body.
    void write(const char* data, std::size_t size) override;
    using ByteSink::write;
    void flush();
    Reply read_reply();

    bool is_open() const;
    // Changes the deadline of the reads and writes that follow (the reply to the final "."
    // waits longer, QUIT shorter); never throws.
    void set_io_timeout(int ms) noexcept;
    void close() noexcept;  // drops the connection without QUIT
    void set_transcript(TranscriptHook hook) { transcript_ = std::move(hook); }

private:
    using Clock = std::chrono::steady_clock;
    using Deadline = Clock::time_point;
    bool read_line(std::string& line);
    void receive_more(Deadline deadline);
    void send_all(const char* data, std::size_t size);
    void note(Direction d, std::string_view text);
    void note_sent(const std::string& wire_line, bool secret);
    // Closes the connection (it must not be reused) and throws Error(code, message).
    [[noreturn]] void drop(ErrorCode code, const std::string& message);

    struct Impl;
    std::unique_ptr<Impl> impl_;
    Timeouts timeouts_;
    std::string peer_;
    std::string in_;          // received, not yet consumed
    std::size_t in_pos_ = 0;
    std::string out_;         // buffered for write()/flush()
    bool auth_exchange_ = false;  // an AUTH was sent and the server has answered only 334 since
    TranscriptHook transcript_;
};

}  // namespace mvsmtp
