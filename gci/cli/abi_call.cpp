// abi_call.cpp — see abi_call.hpp.
#include "abi_call.hpp"

#include <cstdlib>
#include <vector>

#include "dynarray.hpp"
#include "layout.hpp"
#include "mvsmtp.h"

namespace mvsmtp::cli {
namespace {

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

}  // namespace

std::string call_sendmail(const std::string& message, const std::string& body, const std::string& options) {
    std::vector<char> buf(kChunk);
    const int n = mvs_sendmail(message.c_str(), body.c_str(), options.c_str(), buf.data(), kChunk);
    if (n < 0) return "3\x1E" + std::to_string(-n) + "\x1E" "ABI.MISUSE\x1E" "invalid call";
    return read_all(n, buf.data());
}

int exit_status(const std::string& result) {
    const std::string error = gci::extract(result, gci::field::Result::ERROR);
    const int code = std::atoi(error.c_str());
    return code >= 0 && code <= 255 ? code : 99;
}

}  // namespace mvsmtp::cli
