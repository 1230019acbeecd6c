// test_command.cpp — `mvsmtp test`: check a relay the way an admin would with telnet, one
// PASS/FAIL/SKIP line per step, with the server's own words where it refused.
//
//   mvsmtp test HOST[:PORT] | --server URL [server flags] [--from ADDR --rcpt ADDR] [--verbose]
//
//   PASS connect   ...
//   PASS greeting  220 mail.example.com ESMTP
//   PASS ehlo      8 capabilities (one per line below)
//   PASS tls       STARTTLS: TLSv1.3 TLS_AES_256_GCM_SHA384 (subject, issuer, expiry below)
//   PASS token     cached access token for billing@... (client_credentials ...), expires in 3412 s
//   PASS auth      235 2.7.0 Authentication successful
//   FAIL relay     554 5.7.1 <x@example.org>: Relay access denied
//
// Connect, greeting, EHLO, TLS and AUTH are one SMTP.OPEN (mvs_open, exactly as BASIC calls
// it, with O.TRANSCRIPT=RESULT); when it fails, its error code says which step did. The relay
// check is SMTP.CMD: MAIL FROM, RCPT TO, then RSET — no message is ever sent. Exit status: 0
// when every step that ran passed, else the error code of the first failure.
#include <array>
#include <iostream>
#include <string>
#include <vector>

#include "abi_call.hpp"
#include "commands.hpp"
#include "dynarray.hpp"
#include "layout.hpp"
#include "server_flags.hpp"

namespace mvsmtp::cli {
namespace {

namespace O = gci::field::Options;
namespace R = gci::field::Result;

const char* kTestUsage = R"(Usage: mvsmtp test HOST[:PORT] | --server URL [options]

Checks a mail server step by step and prints one PASS, FAIL or SKIP line per step:
connect, greeting, ehlo (lists the capabilities), tls (protocol, cipher, certificate),
token (OAuth profiles: where the access token came from and when it expires; SKIP
otherwise), auth (with the profile's or --user's credentials; SKIP without a user) and relay
(MAIL FROM / RCPT TO, then RSET: no message is sent; SKIP without --rcpt).

Relay check:
  --rcpt ADDR            recipient to ask about ("may I relay to ADDR?")
  --from ADDR            envelope sender for it (default: --user when it is an address, else <>)

Output:
  --verbose              also print the protocol transcript (secrets are redacted)

)";

const char* kTestExamples = R"(
Examples:
  mvsmtp test mail.example.com:587 --rcpt someone@example.org
  mvsmtp test --profile o365 --rcpt partner@example.org --verbose
Exit status: 0 when every step that ran passed, else the error code of the first failure.
)";

enum Step { kConnect, kGreeting, kEhlo, kTls, kToken, kAuth, kRelay, kStepCount };
const std::array<const char*, kStepCount> kStepNames = {"connect", "greeting", "ehlo", "tls", "token", "auth", "relay"};
constexpr const char* kTokenNote = "-- OAuth token: ";

struct Outcome {
    std::string verdict = "SKIP";
    std::string detail = "not reached";
    std::vector<std::string> more;  // indented lines under the verdict
};

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// R.TRANSCRIPT: "C: " sent, "S: " received, "-- " notes (one value per line).
struct Transcript {
    std::vector<std::string> lines;

    bool sent(const std::string& command) const {
        for (const auto& l : lines)
            if (starts_with(l, ("C: " + command).c_str())) return true;
        return false;
    }
    // The step of the last command sent (the QUIT on the way out aside): how far the
    // conversation got.
    Step last_step() const {
        for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
            if (!starts_with(*it, "C: ") || starts_with(*it, "C: QUIT")) continue;
            if (starts_with(*it, "C: AUTH") || *it == "C: <redacted>") return kAuth;
            if (starts_with(*it, "C: STARTTLS")) return kTls;
            return kEhlo;
        }
        return kGreeting;
    }
    // The server's lines before the client said anything: the greeting.
    std::string greeting() const {
        std::string out;
        for (const auto& l : lines) {
            if (starts_with(l, "C: ")) break;
            if (starts_with(l, "S: ")) out += (out.empty() ? "" : " / ") + l.substr(3);
        }
        return out;
    }
    // The last line received: after a successful AUTH it is the server's 235.
    std::string last_received() const {
        for (auto it = lines.rbegin(); it != lines.rend(); ++it)
            if (starts_with(*it, "S: ")) return it->substr(3);
        return "";
    }
    // The library's notes about the OAuth access token, in order (without the prefix).
    std::vector<std::string> token_notes() const {
        std::vector<std::string> out;
        for (const auto& l : lines)
            if (starts_with(l, kTokenNote)) out.push_back(l.substr(std::string(kTokenNote).size()));
        return out;
    }
    // The first note: where the library connected to.
    std::string first_note() const {
        for (const auto& l : lines)
            if (starts_with(l, "-- ")) return l.substr(3);
        return "";
    }
};

// The server refused (4xx/5xx): show its words; otherwise the library's classification.
bool server_refused(const std::string& result) {
    const std::string code = gci::extract(result, R::REPLY_CODE);
    return !code.empty() && (code[0] == '4' || code[0] == '5');
}

// A failed step: the server's reply when it refused, with the library's error (if it gave
// one) below; else just the library's error.
Outcome failure(const std::string& result) {
    if (!server_refused(result)) return {"FAIL", error_line(result), {}};
    Outcome o{"FAIL", reply_line(result), {}};
    if (failed(result)) o.more.push_back(error_line(result));
    return o;
}

// Which step a failed SMTP.OPEN stopped at. Codes name the step where they can; for the
// rest (SERVER.*, TIMEOUT, CONNECTION.LOST, PROTOCOL.ERROR) the transcript tells how far
// the conversation got. An empty transcript means no connection was made: the library
// notes "connected to ..." first thing.
Step failed_step(const std::string& error_name, const Transcript& t) {
    if (starts_with(error_name, "TLS.")) return kTls;
    if (starts_with(error_name, "AUTH.") || error_name == "OAUTH.TOKEN.REJECTED") return kAuth;
    if (starts_with(error_name, "OAUTH.")) return kToken;
    if (error_name == "CONNECT.FAILED" || error_name == "DNS.FAILED" || t.lines.empty()) return kConnect;
    return t.last_step();
}

// Implicit TLS (smtps) handshakes before the greeting, STARTTLS after EHLO: the report
// lists the steps in the order they ran.
bool tls_before_greeting(const std::string& open, const Transcript& t) {
    if (t.sent("STARTTLS")) return false;
    if (!failed(open)) return !gci::values(open, R::TLS).empty();
    const std::string name = gci::extract(open, R::ERROR_NAME);
    return starts_with(name, "TLS.") && name != "TLS.UNAVAILABLE";
}

Outcome tls_outcome(const std::string& open, bool starttls) {
    Outcome o{"PASS", starttls ? "STARTTLS" : "implicit TLS", tls_description(open)};
    if (!o.more.empty()) {
        o.detail += ": " + o.more.front();
        o.more.erase(o.more.begin());
    }
    return o;
}

// Steps 1-5 from the result of SMTP.OPEN. Returns the step that failed, or kRelay when none did.
Step judge_open(const std::string& open, const Transcript& t, std::array<Outcome, kStepCount>& steps) {
    const Step failed_at = failed(open) ? failed_step(gci::extract(open, R::ERROR_NAME), t) : kRelay;
    const auto tls = gci::values(open, R::TLS);
    const auto caps = gci::values(open, R::CAPABILITIES);

    steps[kConnect] = {"PASS", t.first_note(), {}};
    steps[kGreeting] = {"PASS", t.greeting(), {}};
    steps[kEhlo] = {"PASS", caps.empty() ? "answered (see --verbose for its capabilities)"
                                         : std::to_string(caps.size()) + " capabilities",
                    caps};
    if (!tls.empty() || t.sent("STARTTLS")) steps[kTls] = tls_outcome(open, t.sent("STARTTLS"));
    else steps[kTls] = {"SKIP", "not used: the connection is NOT encrypted (tls off or opportunistic)", {}};
    const auto token = t.token_notes();
    if (!token.empty()) steps[kToken] = {"PASS", token.back(), {token.begin(), token.end() - 1}};
    else steps[kToken] = {"SKIP", "no OAuth in this profile", {}};
    if (t.sent("AUTH")) steps[kAuth] = {"PASS", t.last_received(), {}};
    else steps[kAuth] = {"SKIP", "no user configured", {}};
    if (failed_at == kRelay) return kRelay;

    steps[failed_at] = failure(open);
    for (int s = failed_at + 1; s < kStepCount; ++s) steps[s] = Outcome{};
    // A failed implicit-TLS handshake comes before the greeting: nothing after connect ran.
    if (failed_at == kTls && tls_before_greeting(open, t)) steps[kGreeting] = steps[kEhlo] = Outcome{};
    return failed_at;
}

// SMTP.CMD returns the server's reply as it came (S.OK, R.ERROR 0) and leaves judging it to
// the caller; a refused relay check exits with the code SENDMAIL gives the same refusal.
int refusal_code(bool rcpt, const std::string& result) {
    if (failed(result)) return exit_status(result);
    const bool temporary = gci::extract(result, R::REPLY_CODE)[0] == '4';
    if (rcpt) return temporary ? 16 : 32;  // RECIPIENT.DEFERRED / RECIPIENT.REJECTED
    return temporary ? 15 : 31;            // SENDER.DEFERRED / SENDER.REJECTED
}

// MAIL FROM / RCPT TO, then RSET. Returns 0, or the error code of the refusal.
int check_relay(int handle, const std::string& from, const std::string& rcpt, Outcome& step,
                std::vector<std::string>& transcripts) {
    int code = 0;
    for (const std::string& command : {"MAIL FROM:<" + from + ">", "RCPT TO:<" + rcpt + ">"}) {
        const std::string r = call_cmd(handle, command);
        transcripts.push_back(r);
        if (failed(r) || server_refused(r)) {
            step = failure(r);
            code = refusal_code(command[0] == 'R', r);
            break;
        }
        step = {"PASS", command + " → " + reply_line(r), {"nothing sent: the transaction is reset"}};
    }
    transcripts.push_back(call_cmd(handle, "RSET"));
    return code;
}

void print_transcript(const std::vector<std::string>& results) {
    for (const auto& r : results)
        for (const auto& line : gci::values(r, R::TRANSCRIPT)) std::cout << line << "\n";
    std::cout << "\n";
}

void print_step(Step s, const Outcome& o) {
    std::string name = kStepNames[s];
    name.resize(9, ' ');
    std::cout << o.verdict << " " << name << " " << o.detail << "\n";
    for (const auto& line : o.more) std::cout << "               " << line << "\n";
}

}  // namespace

int run_test(const std::vector<std::string>& args) {
    gci::DynArrayBuilder options;
    std::string from, rcpt;
    bool verbose = false, from_given = false;
    ArgReader reader(args);
    while (reader.next()) {
        const std::string& flag = reader.flag();
        if (flag == "--help" || flag == "-h") {
            std::cout << kTestUsage << kServerFlagsUsage << kTestExamples;
            return 0;
        }
        if (take_server_flag(reader, options) || take_server_target(reader, options)) continue;
        if (flag == "--verbose" || flag == "-v") { verbose = true; continue; }
        if (flag == "--rcpt") { rcpt = reader.value(); continue; }
        if (flag == "--from") { from = reader.value(); from_given = true; continue; }
        throw UsageError("unknown option " + flag + " (try mvsmtp test --help)");
    }
    options.set(O::TRANSCRIPT, "RESULT");
    const std::string opts = options.str();
    if (!from_given) {
        const std::string user = gci::extract(opts, O::USER);
        if (user.find('@') != std::string::npos) from = user;
    }

    const std::string open = call_open(opts);
    const int code = exit_status(open);
    if (code >= 60) {  // bad flags or configuration: no step ran
        std::cerr << "mvsmtp: " << error_line(open) << "\n";
        return code;
    }
    std::vector<std::string> transcripts{open};
    const Transcript t{gci::values(open, R::TRANSCRIPT)};
    std::array<Outcome, kStepCount> steps;
    const Step failed_at = judge_open(open, t, steps);
    int status = code;

    if (failed_at == kRelay) {
        const int handle = handle_of(open);
        if (rcpt.empty()) steps[kRelay] = {"SKIP", "no --rcpt given", {}};
        else status = check_relay(handle, from, rcpt, steps[kRelay], transcripts);
        transcripts.push_back(call_close(handle));
    }

    if (verbose) print_transcript(transcripts);
    const std::array<Step, kStepCount> order = tls_before_greeting(open, t)
        ? std::array<Step, kStepCount>{kConnect, kTls, kGreeting, kEhlo, kToken, kAuth, kRelay}
        : std::array<Step, kStepCount>{kConnect, kGreeting, kEhlo, kTls, kToken, kAuth, kRelay};
    for (const Step s : order) print_step(s, steps[s]);
    return status;
}

}  // namespace mvsmtp::cli
