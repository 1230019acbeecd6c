// machine.cpp — `mvsmtp machine ...`: the out-of-process form of the C ABI, for BASIC sites
// that cannot relink their engine (the wrappers run it through EXECUTE/SH/PCPERFORM).
//
//   mvsmtp machine sendmail [ARGFILE]
//       Input: MESSAGE, BODY and OPTIONS separated by ASCII 31. Output: RESULT.
//   mvsmtp machine session [ARGFILE]
//       Input: requests separated by ASCII 23, each an operation and its arguments separated
//       by ASCII 31:  OPEN␟OPTIONS  SEND␟MESSAGE␟BODY  CMD␟COMMAND  CLOSE
//       The requests act on one session (handles live only as long as this process, so a
//       batch — OPEN, many SENDs, CLOSE — travels as one request file). Output: one RESULT
//       per request, separated by ASCII 23. A request after a failed OPEN gets BAD.HANDLE.
//       A missing CLOSE is done at the end (its RESULT is not printed).
//
// Arguments are dynamic arrays with ASCII 30/29/28 marks, read from ARGFILE or stdin; the
// output is RESULTs on stdout and nothing else. With --hex (mvsmtp machine --hex sendmail
// ...) both the input and the output are hexadecimal text, two digits per byte, as BASIC's
// OCONV(x, 'MX') writes and ICONV(x, 'MX') reads it: UniData and jBASE OSWRITE turn byte
// 0x80 into 0x00 and captured output may not carry control characters, so the BASIC
// wrappers use this 7-bit form. Whitespace and line breaks in hex input are ignored.
// With --remove the ARGFILE is deleted as soon as it has been read (it may hold a password). Exit status: the first non-zero RESULT
// error code (0 when every request succeeded). No user data is ever taken from the command
// line, so nothing can be injected through a shell.
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

#include "abi_call.hpp"
#include "commands.hpp"
#include "dynarray.hpp"

namespace mvsmtp::cli {
namespace {

constexpr char kArgumentSeparator = '\x1F';
constexpr char kRequestSeparator = '\x17';

std::string read_input(const std::vector<std::string>& args) {
    if (args.size() > 1) {
        std::ifstream in(args[1], std::ios::binary);
        if (!in) throw UsageError("cannot read " + args[1]);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
}

std::string from_hex(const std::string& text) {
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    std::string out;
    int high = -1;
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        const int d = digit(c);
        if (d < 0) throw UsageError("--hex input holds a character that is not a hexadecimal digit");
        if (high < 0) {
            high = d;
        } else {
            out += static_cast<char>(high * 16 + d);
            high = -1;
        }
    }
    if (high >= 0) throw UsageError("--hex input has an odd number of digits");
    return out;
}

std::string to_hex(const std::string& bytes) {
    static const char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

std::vector<std::string> parts_of(std::string_view text, char separator) {
    std::vector<std::string> out;
    for (auto p : gci::split(text, separator)) out.emplace_back(p);
    return out;
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// Where results go: as they are, or as hex (--hex).
struct Output {
    bool hex = false;
    void put(const std::string& bytes) const { std::cout << (hex ? to_hex(bytes) : bytes); }
};

int run_sendmail(const std::string& input, const Output& out) {
    const auto parts = parts_of(input, kArgumentSeparator);
    if (parts.size() != 3)
        throw UsageError("machine sendmail expects MESSAGE, BODY and OPTIONS separated by ASCII 31 (got " +
                         std::to_string(parts.size()) + " parts)");
    const std::string result = call_sendmail(parts[0], parts[1], parts[2]);
    out.put(result);
    std::cout << std::flush;
    return exit_status(result);
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

int run_session(const std::string& input, const Output& out) {
    std::vector<std::vector<std::string>> requests;
    for (const auto& r : parts_of(input, kRequestSeparator))
        if (!r.empty()) requests.push_back(parts_of(r, kArgumentSeparator));
    if (requests.empty()) throw UsageError("machine session: no requests");
    for (const auto& r : requests) run_request_check(r);
    int handle = 0, status = 0;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const std::string result = run_request(requests[i], handle);
        if (i) out.put(std::string(1, kRequestSeparator));
        out.put(result);
        if (!status) status = exit_status(result);
    }
    std::cout << std::flush;
    if (handle > 0) call_close(handle);
    return status;
}

}  // namespace

int run_machine(const std::vector<std::string>& all_args) {
    std::vector<std::string> args = all_args;
    Output out;
    bool remove_input = false;
    while (!args.empty() && args[0].rfind("--", 0) == 0) {
        if (args[0] == "--hex") out.hex = true;
        else if (args[0] == "--remove") remove_input = true;
        else throw UsageError("unknown option " + args[0] + " for machine (--hex, --remove)");
        args.erase(args.begin());
    }
    if (args.empty() || (args[0] != "sendmail" && args[0] != "session"))
        throw UsageError("usage: mvsmtp machine [--hex] [--remove] sendmail|session [ARGFILE]");
    std::string input = read_input(args);
    // The request file may hold a password: the BASIC wrapper asks us to delete it as soon
    // as it has been read, whatever happens next.
    if (remove_input && args.size() > 1) std::remove(args[1].c_str());
    if (out.hex) input = from_hex(input);
    return args[0] == "sendmail" ? run_sendmail(input, out) : run_session(input, out);
}

}  // namespace mvsmtp::cli
