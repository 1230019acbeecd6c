// machine.cpp — `mvsmtp machine ...`: the out-of-process form of the C ABI, for BASIC sites
// that cannot relink their engine (the wrappers run it through EXECUTE/SH/PCPERFORM).
//
//   mvsmtp machine [FLAGS] sendmail [ARGFILE]
//       Input: MESSAGE, BODY and OPTIONS separated by ASCII 31. Output: RESULT.
//   mvsmtp machine [FLAGS] session [ARGFILE]
//       Input: requests separated by ASCII 23, each an operation and its arguments separated
//       by ASCII 31:  OPEN␟OPTIONS  SEND␟MESSAGE␟BODY  CMD␟COMMAND  CLOSE
//       The requests act on one session that lives as long as this run (a batch — OPEN,
//       many SENDs, CLOSE — in one request file). Output: one RESULT per request, separated
//       by ASCII 23. A request after a failed OPEN gets BAD.HANDLE. A missing CLOSE is done
//       at the end (its RESULT is not printed).
//   mvsmtp machine --hex [--remove] --spool ROOT [--next] call ARGFILE
//       One BASIC call per run (machine_call.hpp): SENDMAIL␟MESSAGE␟BODY␟OPTIONS,
//       OPEN␟OPTIONS, SEND␟TOKEN␟MESSAGE␟BODY, CMD␟TOKEN␟COMMAND, CLOSE␟TOKEN,
//       VERIFY␟ADDRESSES␟OPTIONS (SMTP.VERIFY), QUEUE␟COMMAND␟OPTIONS (SMTP.QUEUE.CONTROL;
//       like SENDMAIL both run in this process).
//       OPEN starts a session process that keeps the SMTP connection across runs and
//       prints "SESSION <token>"; SEND/CMD/CLOSE name it by that token.
//   mvsmtp machine --hex --spool ROOT [--next] prepare
//       Checks (and creates) the private folder ROOT/<uid>; with --next prints a request file.
//
// FLAGS (before the subcommand, any order):
//   --hex          input and output in hexadecimal, two digits per byte, as BASIC's
//                  OCONV(x, 'MX') writes and ICONV(x, 'MX') reads it (UniData and jBASE
//                  OSWRITE turn byte 0x80 into 0x00, and captured output may not carry control
//                  characters). Whitespace and line breaks in hex input are ignored.
//   --remove       delete ARGFILE as soon as it is opened (it may hold a password), also when
//                  it is refused — never a symbolic link or another user's file.
//   --spool ROOT   (needs --hex) the spool root: ROOT/<uid> is this user's private folder for
//                  request files and session sockets (spool.hpp has the rules). With --spool,
//                  and always with call, ARGFILE must be a regular file of ours with no
//                  group/other permission, not a symbolic link (request_file.hpp).
//   --next         (needs --hex and --spool) after the RESULT print a fresh, empty request
//                  file ROOT/<uid>/<32 random hex>.req (mode 0600) for the next call, and
//                  sweep *.req leftovers older than one hour.
//
// Output with --hex, on every run (usage errors and refused files included):
//   line 1   the RESULT in uppercase hex (sendmail/session: the RESULTs joined by ASCII 23)
//   NEXT <path>        with --next, when the next request file could be made
//   SESSION <token>    after a successful call OPEN
// and nothing else. A problem that stops the run is a S.FAILED RESULT: BAD.ARGUMENT (60) for
// usage and malformed requests, BAD.OPTION (66) for a refused spool folder or request file,
// INTERNAL (99). Compatibility: the older forms `--hex [--remove] sendmail|session` without
// --spool and --next print the hex RESULT without the line break, exactly as before.
// Without --hex the RESULT is printed raw, and a usage error goes to stderr (exit 60).
// Exit status: the first non-zero RESULT error code (0 when every request succeeded). No user
// data is ever taken from the command line, so nothing can be injected through a shell.
//
// Session processes (session_process.hpp): one per call OPEN, serving its calls one at a
// time. Each ends, saying QUIT, after CLOSE, after OPTIONS<O.SESSION.IDLE> seconds without a
// call (default 600, 1..86400), or when its owner ends — the process that ran mvsmtp through
// a shell, watched through Linux /proc (elsewhere: the parent, by kill(pid, 0)). A call to an
// ended session is BAD.HANDLE; a session process lost during SEND is OUTCOME.UNKNOWN. A call
// waits at most 5 s to be taken and 3600 s for its RESULT; OPEN waits at most 300 s.
#include <cctype>
#include <cstdio>
#include <iostream>
#include <iterator>

#include "abi_call.hpp"
#include "commands.hpp"
#include "dynarray.hpp"
#include "hex.hpp"
#include "machine_call.hpp"
#include "machine_result.hpp"
#include "request_file.hpp"
#include "spool.hpp"

namespace mvsmtp::cli {
namespace {

constexpr char kArgumentSeparator = '\x1F';
constexpr char kRequestSeparator = '\x17';

std::vector<std::string> parts_of(std::string_view text, char separator) {
    std::vector<std::string> out;
    for (auto p : gci::split(text, separator)) out.emplace_back(p);
    return out;
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

struct Flags {
    bool hex = false, remove = false, next = false;
    std::string spool;
    std::string command;  // sendmail, session, call, prepare
    std::string argfile;  // "" = stdin
    // The older forms print hex without a line break (kept byte for byte).
    bool legacy() const { return (command == "sendmail" || command == "session") && spool.empty() && !next; }
};

// What a run prints: the RESULT (or RESULTs), extra lines, and the exit status.
struct Reply {
    std::string body;
    std::vector<std::string> lines;
    int status = 0;
};

Flags parse_flags(const std::vector<std::string>& args) {
    Flags f;
    std::size_t i = 0;
    for (; i < args.size() && args[i].rfind("--", 0) == 0; ++i) {
        if (args[i] == "--hex") f.hex = true;
        else if (args[i] == "--remove") f.remove = true;
        else if (args[i] == "--next") f.next = true;
        else if (args[i] == "--spool" && i + 1 < args.size()) f.spool = args[++i];
        else if (args[i].rfind("--spool=", 0) == 0) f.spool = args[i].substr(8);
        else throw UsageError("unknown option " + args[i] + " for machine (--hex, --remove, --spool ROOT, --next)");
    }
    if (i < args.size()) f.command = args[i++];
    if (i < args.size()) f.argfile = args[i++];
    if (f.command != "sendmail" && f.command != "session" && f.command != "call" && f.command != "prepare")
        throw UsageError("usage: mvsmtp machine [--hex] [--remove] [--spool ROOT] [--next] sendmail|session|call|prepare [ARGFILE]");
    if (i < args.size()) throw UsageError("machine " + f.command + ": unexpected argument " + args[i]);
    if ((!f.spool.empty() || f.next) && !f.hex) throw UsageError("--spool and --next need --hex");
    if (f.next && f.spool.empty()) throw UsageError("--next needs --spool ROOT");
    if ((f.command == "call" || f.command == "prepare") && !f.hex) throw UsageError("machine " + f.command + " needs --hex");
    if (f.command == "prepare" && f.spool.empty()) throw UsageError("machine prepare needs --spool ROOT");
    if (f.command == "prepare" && !f.argfile.empty()) throw UsageError("machine prepare takes no ARGFILE");
    if (f.command == "call" && f.argfile.empty()) throw UsageError("machine call needs ARGFILE (the request file)");
    return f;
}

Reply run_sendmail(const std::string& input) {
    const auto parts = parts_of(input, kArgumentSeparator);
    if (parts.size() != 3)
        throw UsageError("machine sendmail expects MESSAGE, BODY and OPTIONS separated by ASCII 31 (got " +
                         std::to_string(parts.size()) + " parts)");
    const std::string result = call_sendmail(parts[0], parts[1], parts[2]);
    return {result, {}, exit_status(result)};
}

// Checks a request's shape, so that a malformed script is refused before anything is sent.
void run_request_check(const std::vector<std::string>& req) {
    static const std::pair<const char*, std::size_t> kArity[] = {{"OPEN", 1}, {"SEND", 2}, {"CMD", 1}, {"CLOSE", 0}};
    const std::string op = upper(req[0]);
    for (const auto& [name, n] : kArity)
        if (op == name) {
            if (req.size() != n + 1)
                throw UsageError(op + " takes " + std::to_string(n) + " argument(s), got " + std::to_string(req.size() - 1));
            return;
        }
    throw UsageError("unknown request \"" + req[0] + "\" (OPEN, SEND, CMD, CLOSE)");
}

// One request of a session script → its RESULT (shapes already checked).
std::string run_request(const std::vector<std::string>& req, int& handle) {
    const std::string op = upper(req[0]);
    if (op == "OPEN") {
        const std::string r = call_open(req[1]);
        handle = handle_of(r);
        return r;
    }
    if (op == "SEND") return call_send(handle, req[1], req[2]);
    if (op == "CMD") return call_cmd(handle, req[1]);
    {
        const std::string r = call_close(handle);
        handle = 0;
        return r;
    }
}

Reply run_session(const std::string& input) {
    std::vector<std::vector<std::string>> requests;
    for (const auto& r : parts_of(input, kRequestSeparator))
        if (!r.empty()) requests.push_back(parts_of(r, kArgumentSeparator));
    if (requests.empty()) throw UsageError("machine session: no requests");
    for (const auto& r : requests) run_request_check(r);
    Reply reply;
    int handle = 0;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const std::string result = run_request(requests[i], handle);
        if (i) reply.body += kRequestSeparator;
        reply.body += result;
        if (!reply.status) reply.status = exit_status(result);
    }
    if (handle > 0) call_close(handle);
    return reply;
}

std::string read_input(const Flags& f) {
    if (f.argfile.empty()) return std::string(std::istreambuf_iterator<char>(std::cin), {});
    // Strict checks whenever the new private spool is in use (and always for call).
    return read_request_file(f.argfile, f.remove, f.command == "call" || !f.spool.empty());
}

Reply failure(int error, const std::string& message) {
    const std::string r = failure_result(error, message);
    return {r, {}, exit_status(r)};
}

// The whole run; with --hex every failure is a RESULT (without, it is thrown). Order: the request file is opened (and with
// --remove deleted) first, so a refused folder never leaves a password behind; then the
// folder is checked; then the request runs; then the next request file is made.
Reply run(const Flags& f) {
    Reply reply;
    bool have_reply = false;
    std::string input;
    if (f.command != "prepare") {
        try {
            input = read_input(f);
        } catch (const MachineError& e) {
            if (!f.hex) throw;  // without --hex a refusal goes to stderr, as before
            reply = failure(e.code, e.what());
            have_reply = true;
        }
    }
    std::string folder;
    if (!f.spool.empty()) {
        try {
            folder = ensure_user_folder(f.spool);
        } catch (const MachineError& e) {
            return have_reply ? reply : failure(e.code, e.what());
        }
        if (f.next || f.command == "prepare") sweep_user_folder(folder);
    }
    if (!have_reply) {
        try {
            if (f.hex) input = from_hex(input);
            if (f.command == "prepare") {
                const std::string r = ok_result("the spool folder " + folder + " is ready");
                reply = {r, {}, 0};
            } else if (f.command == "sendmail") {
                reply = run_sendmail(input);
            } else if (f.command == "session") {
                reply = run_session(input);
            } else {
                const CallReply c = run_call(input, folder);
                reply = {c.result, {}, exit_status(c.result)};
                if (!c.token.empty()) reply.lines.push_back("SESSION " + c.token);
            }
        } catch (const UsageError& e) {
            if (!f.hex) throw;
            reply = failure(code::BadArgument, e.what());
        } catch (const MachineError& e) {
            if (!f.hex) throw;
            reply = failure(e.code, e.what());
        }
    }
    if (f.next && !folder.empty()) {
        try {
            reply.lines.insert(reply.lines.begin(), "NEXT " + new_request_file(folder));
        } catch (const std::exception&) {
            // No NEXT line: the caller runs `prepare`, which says what is wrong.
        }
    }
    return reply;
}

void print(const Flags& f, const Reply& reply) {
    if (!f.hex) {
        std::cout << reply.body << std::flush;
        return;
    }
    std::string out = to_hex(reply.body);
    if (!f.legacy()) {
        out += '\n';
        for (const auto& line : reply.lines) out += line + '\n';
    }
    std::cout << out << std::flush;
}

}  // namespace

int run_machine(const std::vector<std::string>& args) {
    // --hex decides how even a usage error is reported, so look for it first.
    Flags f;
    for (const auto& a : args) {
        if (a.rfind("--", 0) != 0) break;
        if (a == "--hex") f.hex = true;
    }
    if (!f.hex) {
        f = parse_flags(args);  // UsageError → main: stderr, exit 60
        try {
            const Reply reply = run(f);
            print(f, reply);
            return reply.status;
        } catch (const MachineError& e) {
            std::cerr << "mvsmtp: " << e.what() << "\n";
            return e.code;
        }
    }
    Reply reply;
    try {
        f = parse_flags(args);
        reply = run(f);
    } catch (const UsageError& e) {
        reply = failure(code::BadArgument, e.what());
    } catch (const MachineError& e) {
        reply = failure(e.code, e.what());
    } catch (const std::exception& e) {
        reply = failure(code::Internal, std::string("internal error: ") + e.what());
    } catch (...) {
        reply = failure(code::Internal, "internal error");
    }
    print(f, reply);
    return reply.status;
}

}  // namespace mvsmtp::cli
