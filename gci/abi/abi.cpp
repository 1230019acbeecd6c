// abi.cpp — the exception firewall and marshalling behind mvsmtp.h.
//
// Each exported function is one try/catch: nothing escapes, every failure becomes a RESULT
// (or, for misuse of the ABI itself, a negative return). The last result of each thread is
// kept for mvs_fetch: jBASE runs several BASIC threads in one process.
#include "mvsmtp.h"

#include <cstring>
#include <new>
#include <string>

#include "dynarray.hpp"
#include "marshal.hpp"
#include "mvsmtp/delivery.hpp"
#include "mvsmtp/error.hpp"
#include "result_store.hpp"

namespace {

using mvsmtp::ErrorCode;
using mvsmtp::gci::ResultStore;

constexpr int kMisuse = -static_cast<int>(ErrorCode::AbiMisuse);

std::string sendmail(const char* message, const char* body, const char* options) {
    using namespace mvsmtp;
    try {
        const Profile profile = load_profile(gci::options_request(options));
        const Message m = gci::decode_message(message, body, gci::charset_of(profile));
        return gci::encode_result(deliver(m, profile));
    } catch (const Error& e) {
        return gci::encode_failure(e.code(), e.what());
    }
}

}  // namespace

extern "C" {

MVSMTP_API int mvs_sendmail(const char* message, const char* body, const char* options,
                            char* result, int capacity) {
    try {
        if (!message || !body || !options || capacity < 0 || (capacity > 0 && !result)) return kMisuse;
        return ResultStore::publish(sendmail(message, body, options), result, capacity);
    } catch (const std::bad_alloc&) {
        return ResultStore::publish_noexcept(ErrorCode::Internal, "out of memory", result, capacity);
    } catch (...) {
        return ResultStore::publish_noexcept(ErrorCode::Internal, "internal error", result, capacity);
    }
}

MVSMTP_API int mvs_fetch(int offset, char* out, int capacity) {
    try {
        if (offset < 0 || capacity < 0 || (capacity > 0 && !out)) return kMisuse;
        return ResultStore::fetch(offset, out, capacity);
    } catch (...) {
        return kMisuse;
    }
}

MVSMTP_API int mvs_version(char* out, int capacity) {
    try {
        if (capacity < 0 || (capacity > 0 && !out)) return kMisuse;
        return ResultStore::publish(MVSMTP_VERSION, out, capacity);
    } catch (...) {
        return kMisuse;
    }
}

MVSMTP_API int mvs_error_text(int code, char* out, int capacity) {
    try {
        if (capacity < 0 || (capacity > 0 && !out)) return kMisuse;
        for (const auto& info : mvsmtp::error_table())
            if (static_cast<int>(info.code) == code)
                return ResultStore::publish(std::string(info.basic_name) + mvsmtp::gci::kAttributeMark + info.text,
                                            out, capacity);
        return ResultStore::publish(std::string("UNKNOWN") + mvsmtp::gci::kAttributeMark + "unknown error code",
                                    out, capacity);
    } catch (...) {
        return kMisuse;
    }
}

}  // extern "C"
