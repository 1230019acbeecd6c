// machine_call.cpp — see machine_call.hpp.
#include "machine_call.hpp"

#include <cctype>
#include <vector>

#include "abi_call.hpp"
#include "commands.hpp"
#include "dynarray.hpp"
#include "session_client.hpp"
#include "session_process.hpp"

namespace mvsmtp::cli {
namespace {

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

CallReply run_call(const std::string& request, const std::string& folder) {
    std::vector<std::string> parts;
    for (auto p : gci::split(request, '\x1F')) parts.emplace_back(p);
    const std::string op = upper(parts[0]);
    static const std::pair<const char*, std::size_t> kArity[] = {
        {"SENDMAIL", 3}, {"OPEN", 1}, {"SEND", 3}, {"CMD", 2}, {"CLOSE", 1}, {"VERIFY", 2}, {"QUEUE", 2}};
    bool known = false;
    for (const auto& [name, n] : kArity)
        if (op == name) {
            known = true;
            if (parts.size() != n + 1)
                throw UsageError("call " + op + " takes " + std::to_string(n) + " argument(s) separated by ASCII 31, got " +
                                 std::to_string(parts.size() - 1));
        }
    if (!known) throw UsageError("call: unknown operation \"" + parts[0] + "\" (SENDMAIL, OPEN, SEND, CMD, CLOSE, VERIFY, QUEUE)");
    if (op == "SENDMAIL") return {call_sendmail(parts[1], parts[2], parts[3]), ""};
    // Like SENDMAIL, one self-contained call: it needs no session process.
    if (op == "VERIFY") return {call_verify(parts[1], parts[2]), ""};
    if (op == "QUEUE") return {call_queue(parts[1], parts[2]), ""};
    if (folder.empty()) throw UsageError("call " + op + " needs --spool ROOT (the session's socket lives there)");
    if (op == "OPEN") {
        const OpenOutcome o = open_session(folder, parts[1]);
        return {o.result, o.token};
    }
    return {call_session(folder, parts[1], op, std::vector<std::string>(parts.begin() + 2, parts.end())), ""};
}

}  // namespace mvsmtp::cli
