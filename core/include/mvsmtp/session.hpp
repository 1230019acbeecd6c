// mvsmtp/session.hpp — one SMTP conversation: greeting, EHLO, TLS, AUTH, transactions, QUIT.
//
//   SessionSettings s;  s.host = "mail.example.com";  s.port = 587;
//   s.credentials = Credentials("user", "secret");
//   Session session(s);
//   session.open();                       // connect, EHLO, STARTTLS, EHLO, AUTH
//   SendResult r = session.send(message); // per-recipient results; never throws for a 4xx/5xx
//   session.quit();
//
// open() and send() throw mvsmtp::Error for anything that ends the conversation (network,
// TLS, AUTH, protocol); after that the session is broken() and must not be reused.
// Refusals inside a transaction (sender, recipients, message) come back in SendResult,
// the transaction is reset with RSET, and the session stays usable (unless the RSET fails
// or the server said 421: the refusal stays the result, the session is then broken()).
// Once the content of a message has started, send() no longer throws: a failure there is
// OUTCOME.UNKNOWN in SendResult (the server may have accepted the message), never TIMEOUT.
// Recipients the server defers with 452/552 "too many recipients" are sent in a following
// transaction on the same connection (RFC 5321 §4.5.3.1.10), while that makes progress.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mvsmtp/auth.hpp"
#include "mvsmtp/capabilities.hpp"
#include "mvsmtp/connection.hpp"
#include "mvsmtp/envelope.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/message.hpp"
#include "mvsmtp/mime.hpp"
#include "mvsmtp/tls.hpp"
#include "mvsmtp/token_source.hpp"

namespace mvsmtp {

struct SessionSettings {
    std::string host;                      // the server's name: TLS checks the certificate against it
    std::string connect_address;           // an IP literal to connect to instead of resolving host
                                           // (direct delivery: the exchanger's address just looked up)
    int port = 587;
    TlsSettings tls;
    std::optional<Credentials> credentials;
    // OAuth 2.0: AUTH with an access token from here instead of credentials' password. A
    // cached token the server refuses is replaced once (one refresh, one retry).
    std::shared_ptr<TokenSource> tokens;
    std::vector<Mechanism> mechanisms;     // empty: PLAIN, LOGIN over TLS; CRAM-MD5 first without (auth.hpp)
    bool allow_plaintext_auth = false;     // send credentials without TLS (explicit opt-in)
    std::string client_name;               // EHLO argument; empty: FQDN, else address literal
    bool pipelining = true;                // use PIPELINING (RFC 2920) when offered
    Timeouts timeouts;
    TranscriptHook transcript;
};

struct RecipientResult {
    std::string address;
    bool accepted = false;
    ErrorCode error = ErrorCode::Ok;  // why not, when !accepted
    Reply reply;                      // the server's answer to RCPT (or to DATA when it failed)
    // Which transaction of the message (1, 2, ...) took this recipient: more than 1 when
    // the server deferred it with 452/552 "too many recipients"; 0 when not accepted.
    int transaction = 0;
    // Direct delivery and SMTP.VERIFY (delivery.hpp's outcome classes): 1 DNS unavailable,
    // 2 exchangers unreachable, 3 no mail server, 4 sender rejected, 5 recipient rejected,
    // 6 accepted; 0 = not classified (relay, or outcome unknown after the final dot).
    int outcome = 0;
    std::string exchanger = {};  // "mx1.example.com [192.0.2.25]": who answered (direct delivery)
    int catch_all = -1;     // SMTP.VERIFY: 1 the domain accepts any address, 0 it does not, -1 unknown
    bool queued = false;    // deferred, stored in the durable queue to be retried
};

// SMTP.VERIFY's conversation up to RCPT TO: the replies, one per recipient asked.
struct ProbeResult {
    Reply mail;
    std::vector<Reply> rcpt;  // empty when MAIL was refused
};

struct SendResult {
    ErrorCode error = ErrorCode::Ok;  // Ok: accepted for every recipient
    std::string message;              // human explanation when error != Ok
    std::optional<Reply> last_reply;  // the reply that decided the outcome
    std::vector<RecipientResult> recipients;
    std::uint64_t size = 0;           // octets of the message as written (before dot-stuffing)
    std::vector<std::string> notes;   // e.g. "the server does not offer DSN ..."
    std::size_t accepted_count() const;
    bool all_accepted() const { return error == ErrorCode::Ok; }
};

// How a reply to a given stage maps to the error table.
enum class Stage { Greeting, Hello, StartTls, Auth, MailFrom, RcptTo, Data, DataEnd };
ErrorCode classify_reply(const Reply& reply, Stage stage);

class Session {
public:
    explicit Session(SessionSettings settings);
    ~Session();

    void open();
    // Operator mode: connect (and implicit TLS) and read the greeting, nothing else; the
    // caller drives the rest with raw_command(). Returns the greeting, whatever its code.
    Reply open_manual();
    SendResult send(const Message& message);
    // send() to some of the message's recipients only (direct delivery: one domain's).
    SendResult send_to(const Message& message, const std::vector<std::string>& recipients);
    // MAIL FROM, one RCPT TO per recipient, then RSET: never DATA (address verification).
    // Throws like send() for anything that ends the conversation.
    ProbeResult probe(const std::string& sender, const std::vector<std::string>& recipients);
    // Several messages with one round trip each: message i's content and final dot leave in
    // the same write as message i+1's envelope (needs PIPELINING; else one by one). Never
    // throws for a network failure: messages not answered by then carry the error, and the
    // session is broken().
    std::vector<SendResult> send_each(const std::vector<Message>& messages);
    void quit() noexcept;  // polite QUIT, then close; never throws

    // One command line typed by an operator (no CRLF; CR/LF/NUL refused). STARTTLS upgrades
    // the connection when the server answers 220; EHLO refreshes capabilities().
    Reply raw_command(const std::string& line, bool secret = false);
    // After a 354: one body line (dot-stuffed, CRLF added), then end_data() for the reply.
    void data_line(const std::string& line);
    Reply end_data();
    // NOOP; false when the connection turned out to be dead (it is then closed).
    bool noop() noexcept;

    bool broken() const { return broken_; }
    bool is_open() const;
    // True when no content of the last send() left (its failure came before the server
    // accepted DATA): nothing of that message can have been delivered, so sending it again
    // on a new connection is safe. False once any transaction of it started its content.
    bool failed_before_data() const { return !data_started_; }
    const Capabilities& capabilities() const { return caps_; }
    TlsInfo tls_info() const { return connection_.tls_info(); }
    const Reply& last_reply() const { return last_reply_; }
    const SessionSettings& settings() const { return settings_; }

private:
    Reply command(const std::string& line, bool secret = false);
    Reply read_reply();
    // Records a reply as the last one; a 421 means the server is closing the channel.
    const Reply& took(Reply reply);
    struct EnvelopeReplies {
        Reply mail;
        std::vector<Reply> rcpt;  // may be shorter than the recipients when not pipelined
        std::optional<Reply> data;
        std::optional<Reply> closing;  // a 421: nothing after it was read (or sent)
    };
    struct Transaction {
        const Message* message = nullptr;
        int number = 1;                        // 1, 2, ... within one send()
        std::vector<std::string> recipients;
        std::vector<std::size_t> slots;        // recipients[i] is result.recipients[slots[i]]
        EnvelopePlan plan;
        WriteOptions write_options;
        std::vector<std::size_t> deferred;     // slots refused with 452/552: for a next transaction
        std::size_t accepted = 0;              // recipients this transaction delivered to
    };
    Transaction begin(const Message& message, std::vector<std::string> recipients, int number = 1);
    void queue_envelope(const Transaction& t);
    EnvelopeReplies read_envelope(const Transaction& t);
    EnvelopeReplies send_envelope_in_turn(const Transaction& t);
    // Applies the envelope replies; true when the server now waits for the content.
    bool accept_envelope(SendResult& result, Transaction& t, const EnvelopeReplies& env);
    void close_unwanted_data(const EnvelopeReplies& env);
    void write_content(SendResult& result, const Transaction& t);
    Reply read_final_reply();
    void accept_final(SendResult& result, Transaction& t, const Reply& done);
    // The connection failed after the content started: the outcome of `t` is unknown.
    void lose_after_data(SendResult& result, const Transaction& t, const Error& e);
    // One whole transaction; throws only for a failure before DATA was accepted.
    void run_transaction(SendResult& result, Transaction& t);
    const std::string& connect_target() const;
    void greet();
    void hello();
    void secure();
    void authenticate();
    void authenticate_with_token(Mechanism mechanism);
    AccessToken token_or_fail(const std::function<AccessToken()>& obtain);
    // One AUTH exchange; `server_error` gets what a token mechanism's server explained.
    Reply sasl(Mechanism mechanism, const Credentials& credentials, std::string& server_error);
    void note(const std::string& text);
    void reset_transaction() noexcept;
    void refuse_message(SendResult& result, const Transaction& t, const Reply& reply, Stage stage,
                        const std::string& what);
    // The reply is taken by value: quit() overwrites last_reply_, which callers often pass.
    [[noreturn]] void fail(ErrorCode code, const std::string& message, Reply reply);

    SessionSettings settings_;
    Connection connection_;
    Capabilities caps_;
    Reply last_reply_;
    bool broken_ = false;
    bool data_started_ = false;
    bool server_closing_ = false;  // it answered 421 (RFC 5321 §3.8): send nothing more
};


}  // namespace mvsmtp
