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
#include "operations.hpp"
#include "mvsmtp/error.hpp"
#include "result_store.hpp"

namespace {

using mvsmtp::ErrorCode;
using mvsmtp::gci::ResultStore;

constexpr int kMisuse = -static_cast<int>(ErrorCode::AbiMisuse);

// Shared by every entry point: argument checks, then the buffer convention, with a
// last-resort catch (operations never throw, but allocation in publish() can).
template <class Work>
int run(char* out, int capacity, bool args_ok, Work&& work) noexcept {
    try {
        if (!args_ok || capacity < 0 || (capacity > 0 && !out)) return kMisuse;
        return ResultStore::publish(work(), out, capacity);
    } catch (const std::bad_alloc&) {
        return ResultStore::publish_noexcept(ErrorCode::Internal, "out of memory", out, capacity);
    } catch (...) {
        return ResultStore::publish_noexcept(ErrorCode::Internal, "internal error", out, capacity);
    }
}

}  // namespace

extern "C" {

MVSMTP_API int mvs_sendmail(const char* message, const char* body, const char* options,
                            char* result, int capacity) {
    return run(result, capacity, message && body && options,
               [&] { return mvsmtp::gci::sendmail(message, body, options); });
}

MVSMTP_API int mvs_open(const char* options, char* result, int capacity) {
    return run(result, capacity, options != nullptr, [&] { return mvsmtp::gci::open_session(options); });
}

MVSMTP_API int mvs_send(int handle, const char* message, const char* body, char* result, int capacity) {
    return run(result, capacity, message && body,
               [&] { return mvsmtp::gci::send_on(handle, message, body); });
}

MVSMTP_API int mvs_cmd(int handle, const char* command, char* reply, int capacity) {
    return run(reply, capacity, command != nullptr, [&] { return mvsmtp::gci::command_on(handle, command); });
}

MVSMTP_API int mvs_close(int handle, char* result, int capacity) {
    return run(result, capacity, true, [&] { return mvsmtp::gci::close_session(handle); });
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
