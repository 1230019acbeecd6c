// abi.cpp — the exception firewall and marshalling behind mvsmtp.h.
//
// Each exported function is one try/catch: nothing escapes, every failure becomes a RESULT
// (or, for misuse of the ABI itself, a negative return). The last result of each thread is
// kept for mvs_fetch: jBASE runs several BASIC threads in one process.
#include "mvsmtp.h"

#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "dynarray.hpp"
#include "marshal.hpp"
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

MVSMTP_API int mvs_verify(const char* addresses, const char* options, char* result, int capacity) {
    return run(result, capacity, addresses && options, [&] { return mvsmtp::gci::verify(addresses, options); });
}

MVSMTP_API int mvs_queue(const char* command, const char* options, char* result, int capacity) {
    return run(result, capacity, command && options, [&] { return mvsmtp::gci::queue_control(command, options); });
}

MVSMTP_API int mvs_shim_call(const char* op, int handle, const char* a1, const char* a2, const char* a3,
                             char* out) {
    try {
        if (!op || !out) return kMisuse;
        const char* empty = "";
        a1 = a1 ? a1 : empty;
        a2 = a2 ? a2 : empty;
        a3 = a3 ? a3 : empty;
        const std::string verb(op);
        // The header leaves MVS_SHIM_CAPACITY - 10 bytes for the text and its NUL.
        char* text = out + 10;
        const int text_capacity = MVS_SHIM_CAPACITY - 10;
        int total;
        if (verb == "FETCH") {
            if (handle < 0) return kMisuse;
            const int rest = ResultStore::fetch(handle, text, text_capacity);
            total = rest + handle;
        } else if (verb == "SENDMAIL") {
            total = mvs_sendmail(a1, a2, a3, text, text_capacity);
        } else if (verb == "OPEN") {
            total = mvs_open(a1, text, text_capacity);
        } else if (verb == "SEND") {
            total = mvs_send(handle, a1, a2, text, text_capacity);
        } else if (verb == "CMD") {
            total = mvs_cmd(handle, a1, text, text_capacity);
        } else if (verb == "CLOSE") {
            total = mvs_close(handle, text, text_capacity);
        } else if (verb == "VERIFY") {
            total = mvs_verify(a1, a2, text, text_capacity);
        } else if (verb == "QUEUE") {
            total = mvs_queue(a1, a2, text, text_capacity);
        } else {
            total = ResultStore::publish(mvsmtp::gci::encode_failure(ErrorCode::BadArgument,
                                                                     "unknown operation " + verb.substr(0, 40)),
                                         text, text_capacity);
        }
        if (total < 0) return total;
        // The 10-digit header goes in front without a NUL of its own (the text starts at out+10).
        char digits[16];
        std::snprintf(digits, sizeof digits, "%010d", total);
        std::memcpy(out, digits, 10);
        return total;
    } catch (...) {
        return kMisuse;
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
