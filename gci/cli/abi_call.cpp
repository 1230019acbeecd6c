// abi_call.cpp — see abi_call.hpp.
#include "abi_call.hpp"

#include <cstdlib>
#include <vector>

#include "dynarray.hpp"
#include "layout.hpp"
#include "mvsmtp.h"
#include "mvsmtp/error.hpp"

namespace mvsmtp::cli {
namespace {

namespace R = gci::field::Result;

constexpr int kChunk = 4096;

std::string read_all(int total, const char* first) {
    std::string out(first);
    while (static_cast<int>(out.size()) < total) {
        std::vector<char> buf(kChunk);
        const int rest = mvs_fetch(static_cast<int>(out.size()), buf.data(), kChunk);
        if (rest <= 0) break;
        out += buf.data();
    }
    return out;
}

// One ABI call into a first buffer, then mvs_fetch for the rest. A negative return (misuse
// of the ABI) becomes a RESULT like any other failure.
template <typename Call>
std::string call(Call&& abi_function) {
    std::vector<char> buf(kChunk);
    const int n = abi_function(buf.data(), kChunk);
    if (n < 0) return "3\x1E" + std::to_string(-n) + "\x1E" "ABI.MISUSE\x1E" "invalid call";
    return read_all(n, buf.data());
}

}  // namespace

std::string call_sendmail(const std::string& message, const std::string& body, const std::string& options) {
    return call([&](char* out, int cap) {
        return mvs_sendmail(message.c_str(), body.c_str(), options.c_str(), out, cap);
    });
}

std::string call_open(const std::string& options) {
    return call([&](char* out, int cap) { return mvs_open(options.c_str(), out, cap); });
}

std::string call_send(int handle, const std::string& message, const std::string& body) {
    return call([&](char* out, int cap) { return mvs_send(handle, message.c_str(), body.c_str(), out, cap); });
}

std::string call_cmd(int handle, const std::string& command) {
    return call([&](char* out, int cap) { return mvs_cmd(handle, command.c_str(), out, cap); });
}

std::string call_close(int handle) {
    return call([&](char* out, int cap) { return mvs_close(handle, out, cap); });
}

std::string call_verify(const std::string& addresses, const std::string& options) {
    return call([&](char* out, int cap) { return mvs_verify(addresses.c_str(), options.c_str(), out, cap); });
}

std::string call_queue(const std::string& command, const std::string& options) {
    return call([&](char* out, int cap) { return mvs_queue(command.c_str(), options.c_str(), out, cap); });
}

int handle_of(const std::string& result) { return std::atoi(gci::extract(result, R::HANDLE).c_str()); }

bool failed(const std::string& result) { return gci::extract(result, R::STATUS) == "3"; }

std::string reply_line(const std::string& result) {
    std::string line = gci::extract(result, R::REPLY_CODE);
    for (const int field : {R::REPLY_ENHANCED, R::REPLY_TEXT}) {
        const std::string part = gci::marks_to(gci::extract(result, field), " / ");
        if (!part.empty()) line += (line.empty() ? "" : " ") + part;
    }
    return line;
}

std::vector<std::string> tls_description(const std::string& result) {
    // R.TLS values: protocol, cipher, certificate subject, issuer, expiry date.
    const auto tls = gci::values(result, R::TLS);
    if (tls.empty()) return {};
    std::vector<std::string> lines{tls[0] + (tls.size() > 1 ? " " + tls[1] : "")};
    static const char* kLabels[] = {"subject: ", "issuer: ", "expires: "};
    for (std::size_t i = 2; i < tls.size() && i < 5; ++i) lines.push_back(kLabels[i - 2] + tls[i]);
    return lines;
}

std::string error_line(const std::string& result) {
    return gci::extract(result, R::ERROR_NAME) + ": " + gci::extract(result, R::MESSAGE);
}

int exit_status(const std::string& result) {
    const std::string error = gci::extract(result, R::ERROR);
    const int code = std::atoi(error.c_str());
    // Queued for a temporary reason: taken care of (the queue retries), so a script that
    // retries on a temporary exit code does not queue it twice. A refusal beside it still
    // exits with its code.
    if (gci::extract(result, R::STATUS) == "4" && is_transient(static_cast<ErrorCode>(code))) return 0;
    return code >= 0 && code <= 255 ? code : 99;
}

}  // namespace mvsmtp::cli
