// verify.cpp — `mvsmtp verify`: SMTP.VERIFY from the shell, through mvs_verify.
//
//   mvsmtp verify [--profile P] [--dns-server IP:PORT] [--mx-port N] [--from ADDR] ADDRESS...
//
// One line per address: class number and name, the address, accepted / rejected /
// inconclusive, the exchanger that answered, its reply, and whether the domain is a catch-all:
//   6 ACCEPTED            bob@example.test  accepted  mx1.example.test [127.0.0.2]  250 2.1.5 Ok  catch-all: yes
// Exit status: 0 when every address was accepted, else RESULT<R.ERROR> (as `send`).
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

const char* kVerifyUsage = R"(Usage: mvsmtp verify [options] ADDRESS...

Asks each address's mail exchangers (its domain's MX) whether they would take mail for it,
up to RCPT TO, then RSET and QUIT: nothing is ever sent. A random address of each domain is
asked too, to tell a catch-all domain (accepts anything, so "accepted" proves little).

Options:
  --profile NAME  --config PATH   profile and INI file (see README: Configuration)
  --from ADDR            MAIL FROM of the probes (default: the profile's from, else <>)
  --dns-server IP[:PORT] DNS server(s) for the MX lookups, comma-separated
  --dns-timeout SECONDS  the whole lookup of one domain (default 30)
  --mx-port N            the exchangers' port (default 25)
  --helo NAME  --ca-file PATH  --tls opportunistic|required|off
  --timeout SECONDS  --connect-timeout SECONDS
  --transcript           print the SMTP conversation after the results
  --result               print RESULT as a dynamic array (marks as ASCII 30/29/28)

Each line: class and name, address, verdict, exchanger, its reply, catch-all yes/no/unknown.
  6 ACCEPTED, 5 RECIPIENT.REJECTED, 4 SENDER.REJECTED, 3 NO.MAIL.SERVER: decided;
  2 UNREACHABLE, 1 DNS.UNAVAILABLE: inconclusive, ask again later.
Exit status: 0 when every address was accepted, else the error code of RESULT.
)";

// "C.RECIPIENT.REJECTED" → "RECIPIENT.REJECTED", from layout.def's Class rows.
std::string class_name(int number) {
    for (const auto& f : gci::field_table())
        if (f.group == "Class" && f.number == number) return f.basic_name.substr(2);
    return "?";
}

std::string verdict(int klass, const std::string& status) {
    if (klass == 6) return "accepted";
    if (klass >= 3 && klass <= 5) return "rejected";
    if (klass == 1 || klass == 2) return "inconclusive";
    return status == "0" ? "accepted" : "unknown";
}

std::string catch_all(const std::string& v) { return v == "1" ? "yes" : v == "0" ? "no" : "unknown"; }

void print_lines(const std::string& r) {
    using gci::extract;
    const auto addrs = gci::values(r, R::RCPT_ADDRESS);
    if (addrs.empty()) {
        std::cout << error_line(r) << "\n";
        return;
    }
    std::size_t width = 0;
    for (const auto& a : addrs) width = std::max(width, a.size());
    for (std::size_t i = 0; i < addrs.size(); ++i) {
        const int v = static_cast<int>(i) + 1;
        const int klass = std::atoi(extract(r, R::RCPT_CLASS, v).c_str());
        std::string head = std::to_string(klass) + " " + class_name(klass);
        head.resize(std::max<std::size_t>(head.size(), 20), ' ');
        std::string addr = addrs[i];
        addr.resize(width, ' ');
        std::string reply = extract(r, R::RCPT_CODE, v);
        for (const int f : {R::RCPT_ENHANCED, R::RCPT_TEXT}) {
            const std::string part = extract(r, f, v);
            if (!part.empty()) reply += (reply.empty() ? "" : " ") + part;
        }
        const std::string exchanger = extract(r, R::RCPT_EXCHANGER, v);
        std::cout << head << "  " << addr << "  " << verdict(klass, extract(r, R::RCPT_STATUS, v)) << "  "
                  << (exchanger.empty() ? "-" : exchanger) << "  " << (reply.empty() ? "-" : reply)
                  << "  catch-all: " << catch_all(extract(r, R::RCPT_CATCHALL, v)) << "\n";
    }
}

}  // namespace

int run_verify(const std::vector<std::string>& args) {
    // Only the flags that mean something to a probe: no relay server, no credentials.
    static const std::vector<std::pair<std::string, int>> kValued = {
        {"--profile", O::PROFILE}, {"--config", O::CONFIG}, {"--from", O::FROM}, {"--helo", O::HELO},
        {"--ca-file", O::CA_FILE}, {"--tls", O::TLS}, {"--timeout", O::TIMEOUT},
        {"--connect-timeout", O::CONNECT_TIMEOUT}, {"--charset", O::CHARSET}};
    gci::DynArrayBuilder options;
    std::vector<std::string> addresses;
    bool raw_result = false, transcript = false;
    ArgReader reader(args);
    while (reader.next()) {
        const std::string& flag = reader.flag();
        if (flag == "--help" || flag == "-h") {
            std::cout << kVerifyUsage;
            return 0;
        }
        if (take_direct_flag(reader, options, false)) continue;
        if (flag == "--result") { raw_result = true; continue; }
        if (flag == "--transcript") { transcript = true; continue; }
        bool taken = false;
        for (const auto& [name, field] : kValued)
            if (flag == name) {
                options.set(field, reader.value());
                taken = true;
            }
        if (taken) continue;
        if (!flag.empty() && flag[0] == '-') throw UsageError("unknown option " + flag + " (try mvsmtp verify --help)");
        refuse_marks("an address", flag);
        addresses.push_back(flag);
    }
    if (addresses.empty()) throw UsageError("verify needs at least one ADDRESS (try mvsmtp verify --help)");
    if (transcript) options.set(O::TRANSCRIPT, "RESULT");
    gci::DynArrayBuilder list;
    list.set(1, addresses);  // one value each: the ABI splits a value at commas, not here
    const std::string result = call_verify(list.str(), options.str());
    if (raw_result) {
        std::cout << result;
    } else {
        print_lines(result);
        if (transcript)
            for (const auto& line : gci::values(result, R::TRANSCRIPT)) std::cout << "  " << line << "\n";
    }
    return exit_status(result);
}

}  // namespace mvsmtp::cli
