// shell.cpp — `mvsmtp shell`: an interactive SMTP session, like telnet to the mail port, but
// with STARTTLS that checks the certificate, AUTH without hand-made base64, and the same
// calls a BASIC program makes (SMTP.OPEN with O.MANUAL=1, SMTP.CMD, SMTP.CLOSE).
//
//   mvsmtp shell HOST[:PORT] | --server URL [server flags]
//
//   220 mail.example.com ESMTP
//   smtp> EHLO me.example.com         each line is one SMTP.CMD; the reply is printed the
//   250-mail.example.com              way the server sent it
//   250 STARTTLS
//   smtp> .auth LOGIN                 helpers start with a dot: .auth .starttls .help .quit
//   smtp> DATA
//   354 End data with <CR><LF>.<CR><LF>
//   data> .hello                      body lines go through as typed (the library
//   data> .                           dot-stuffs them) until a line holding only "."
//
// Prompts appear only when stdin is a terminal, so piped input yields just the replies.
// Passwords are read with the terminal's echo off (restored on every path, signals
// included) and are never printed, nor is their base64. Ctrl-D ends the session cleanly.
#include <array>
#include <cctype>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <termios.h>
#include <unistd.h>

#include "abi_call.hpp"
#include "commands.hpp"
#include "dynarray.hpp"
#include "layout.hpp"
#include "server_flags.hpp"

namespace mvsmtp::cli {
namespace {

namespace O = gci::field::Options;
namespace R = gci::field::Result;

const char* kShellUsage = R"(Usage: mvsmtp shell HOST[:PORT] | --server URL [options]

Opens a session (connect, implicit TLS for smtps://, greeting) and lets you type SMTP
commands; each reply is printed as the server sent it. After DATA is answered with 354,
lines are message text until a line holding only ".".

Helpers (outside DATA):
  .auth [PLAIN|LOGIN]    asks for user and password (not echoed) and authenticates;
                         only over TLS unless --allow-plaintext-auth was given
  .starttls              same as typing STARTTLS (the certificate is checked)
  .help                  this list
  .quit                  QUIT and end (Ctrl-D does the same)

Nothing is sent on your behalf: --user and --password-file are not used (AUTH happens
when you type it or use .auth); --tls implicit (or smtps://), --ca-file, --timeout and
--allow-plaintext-auth are.

)";

const char* kShellHelp = R"(Type SMTP commands (EHLO, STARTTLS, MAIL FROM:<a@b>, RCPT TO:<c@d>, DATA, RSET, QUIT).
  .auth [PLAIN|LOGIN]  authenticate (the password is not echoed, never shown)
  .starttls            same as STARTTLS
  .help                this list
  .quit                QUIT and end (Ctrl-D does the same)
)";

const bool kInteractive = ::isatty(STDIN_FILENO) == 1;

void prompt(const char* text) {
    if (kInteractive) std::cout << text << std::flush;
}

// One line of input without its line ending; false at end of input.
bool read_line(std::string& line) {
    if (!std::getline(std::cin, line)) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
}

// Overwrites a secret before its memory is released (volatile: the writes may not be
// optimised away as dead stores).
void wipe(std::string& secret) {
    volatile char* p = secret.data();
    for (std::size_t i = 0; i < secret.size(); ++i) p[i] = 0;
    secret.clear();
}

std::string base64(const std::string& in) {
    static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        std::uint32_t n = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
        if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
        out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
    }
    return out;
}

// Terminal echo off while a password is typed. The destructor restores it; should a signal
// end the program first, the handler restores it (tcsetattr is async-signal-safe) and then
// lets the signal take its default course.
class EchoOff {
public:
    EchoOff() {
        if (!kInteractive || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
        active_ = true;
        struct sigaction sa {};
        sa.sa_handler = &EchoOff::on_signal;
        for (std::size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &sa, &old_[i]);
        termios quiet = saved_;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;  // the Enter key still moves to the next line
        // TCSAFLUSH drops what was typed before the prompt: it was echoed, so it must not
        // become the password.
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    ~EchoOff() {
        if (!active_) return;
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
        for (std::size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
        active_ = false;
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

private:
    static void on_signal(int sig) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
        ::signal(sig, SIG_DFL);
        ::raise(sig);
    }
    static constexpr std::array<int, 4> kSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    static inline termios saved_{};
    static inline bool active_ = false;
    std::array<struct sigaction, kSignals.size()> old_{};
};

// Prints a reply the way it came over the wire: "250-first", ..., "250 last". A failure
// without a reply (connection lost, certificate refused) goes to stderr.
void print_reply(const std::string& result) {
    const std::string code = gci::extract(result, R::REPLY_CODE);
    if (code.empty()) {
        if (failed(result)) std::cerr << "mvsmtp: " << error_line(result) << "\n";
        return;
    }
    // R.REPLY.TEXT holds the text without the enhanced code; servers that use one put it
    // on every line, so it goes back on every line.
    const std::string enhanced = gci::extract(result, R::REPLY_ENHANCED);
    const auto lines = gci::values(result, R::REPLY_TEXT);
    if (lines.empty()) std::cout << code << (enhanced.empty() ? "" : " " + enhanced) << "\n";
    for (std::size_t i = 0; i < lines.size(); ++i)
        std::cout << code << (i + 1 < lines.size() ? "-" : " ") << (enhanced.empty() ? "" : enhanced + " ")
                  << lines[i] << "\n";
    std::cout << std::flush;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// After these the library has dropped the connection (a broken session is never reused).
bool session_over(const std::string& result) {
    if (!failed(result) || !gci::extract(result, R::REPLY_CODE).empty()) return false;
    const std::string name = gci::extract(result, R::ERROR_NAME);
    return name == "CONNECTION.LOST" || name == "TIMEOUT" || name == "PROTOCOL.ERROR" || name == "BAD.HANDLE" ||
           starts_with(name, "TLS.");
}

class Shell {
public:
    // `open`: the result of SMTP.OPEN (its R.TLS says whether implicit TLS is on).
    Shell(const std::string& open, bool allow_plaintext_auth)
        : handle_(handle_of(open)), last_(open), allow_plaintext_auth_(allow_plaintext_auth) {
        note_tls();
    }

    // The prompt loop; returns the exit status.
    int run() {
        std::string line;
        for (;;) {
            prompt(in_data_ ? "data> " : "smtp> ");
            if (!read_line(line)) {
                if (kInteractive) std::cout << "\n";
                return quit();
            }
            if (in_data_) {
                if (!data_line(line)) return close_broken();
                continue;
            }
            if (line.empty()) continue;
            if (line[0] == '.') {
                if (const int status = helper(line); status >= 0) return status;
                continue;
            }
            if (!command(line)) return close_broken();
            if (upper(line) == "QUIT") return close(0);
        }
    }

private:
    static std::string upper(std::string s) {
        for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return s;
    }

    // One SMTP.CMD, reply printed; false when the session is over.
    bool command(const std::string& line) {
        last_ = call_cmd(handle_, line);
        print_reply(last_);
        note_tls();
        if (gci::extract(last_, R::REPLY_CODE) == "354") in_data_ = true;
        return !session_over(last_);
    }

    // A message line: no reply until the line holding only ".".
    bool data_line(const std::string& line) {
        last_ = call_cmd(handle_, line);
        if (line == ".") in_data_ = false;
        print_reply(last_);
        return !session_over(last_);
    }

    // R.TLS comes with SMTP.OPEN (implicit TLS) and with the reply to STARTTLS: the
    // handshake and the certificate it checked.
    void note_tls() {
        const auto lines = tls_description(last_);
        if (lines.empty()) return;
        encrypted_ = true;
        for (std::size_t i = 0; i < lines.size(); ++i) std::cout << (i ? "; " : "-- TLS ") << lines[i];
        std::cout << "\n" << std::flush;
    }

    // A dot helper; returns an exit status when the session ended, else -1.
    int helper(const std::string& line) {
        std::istringstream words(upper(line));
        std::string word, argument;
        words >> word >> argument;
        if (word == ".QUIT") return quit();
        if (word == ".HELP") std::cout << kShellHelp << std::flush;
        else if (word == ".STARTTLS") return command("STARTTLS") ? -1 : close_broken();
        else if (word == ".AUTH") return authenticate(argument.empty() ? "PLAIN" : argument) ? -1 : close_broken();
        else std::cerr << "mvsmtp: unknown helper " << line << " (.help lists them)\n";
        return -1;
    }

    // AUTH PLAIN (RFC 4616: one line with "\0user\0password") or LOGIN (user, then password,
    // each answering a 334 prompt). The library redacts both in transcripts; nothing typed
    // here is ever printed. False when the session is over.
    bool authenticate(const std::string& mechanism) {
        if (mechanism != "PLAIN" && mechanism != "LOGIN") {
            std::cerr << "mvsmtp: .auth knows PLAIN and LOGIN\n";
            return true;
        }
        // The same default as SMTP.OPEN's: no password in clear text unless asked for.
        if (!encrypted_ && !allow_plaintext_auth_) {
            std::cerr << "mvsmtp: the connection is not encrypted: .starttls first (or start the shell with "
                         "--allow-plaintext-auth)\n";
            return true;
        }
        std::string user, password;
        prompt("Username: ");
        if (!read_line(user)) return true;
        {
            EchoOff quiet;  // before the prompt: once it shows, typing is not echoed
            prompt("Password: ");
            if (!read_line(password)) return true;
        }
        bool alive = true;
        if (mechanism == "PLAIN") {
            std::string token = base64(std::string(1, '\0') + user + '\0' + password);
            alive = command("AUTH PLAIN " + token);
            wipe(token);
        } else {
            alive = command("AUTH LOGIN");
            if (alive && continued()) alive = command(base64(user));
            if (alive && continued()) {
                std::string token = base64(password);
                alive = command(token);
                wipe(token);
            }
        }
        wipe(password);
        return alive;
    }

    // The server asks for the next AUTH line (334).
    bool continued() const { return gci::extract(last_, R::REPLY_CODE) == "334"; }

    // QUIT (unless in DATA, where it would be message text), then SMTP.CLOSE.
    int quit() {
        if (!in_data_) command("QUIT");
        return close(0);
    }

    int close(int status) {
        const std::string r = call_close(handle_);
        if (failed(r)) std::cerr << "mvsmtp: " << error_line(r) << "\n";
        return status;
    }

    int close_broken() { return close(exit_status(last_)); }

    int handle_;
    std::string last_;  // result of the last SMTP.CMD (SMTP.OPEN at first)
    bool allow_plaintext_auth_;
    bool encrypted_ = false;
    bool in_data_ = false;
};

}  // namespace

int run_shell(const std::vector<std::string>& args) {
    gci::DynArrayBuilder options;
    ArgReader reader(args);
    while (reader.next()) {
        const std::string& flag = reader.flag();
        if (flag == "--help" || flag == "-h") {
            std::cout << kShellUsage << kServerFlagsUsage;
            return 0;
        }
        if (take_server_flag(reader, options) || take_server_target(reader, options)) continue;
        throw UsageError("unknown option " + flag + " (try mvsmtp shell --help)");
    }
    options.set(O::MANUAL, "1");
    const std::string opts = options.str();
    const std::string open = call_open(opts);
    print_reply(open);  // the greeting
    if (failed(open)) {
        if (!gci::extract(open, R::REPLY_CODE).empty()) std::cerr << "mvsmtp: " << error_line(open) << "\n";
        return exit_status(open);
    }
    if (kInteractive) std::cout << "-- connected; .help lists the helpers, Ctrl-D ends\n";
    return Shell(open, gci::extract(opts, O::ALLOW_PLAINTEXT_AUTH) == "1").run();
}

}  // namespace mvsmtp::cli
