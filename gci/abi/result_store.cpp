// result_store.cpp — see result_store.hpp.
#include "result_store.hpp"

#include <climits>
#include <cstring>

#include "marshal.hpp"

namespace mvsmtp::gci {
namespace {

thread_local std::string last_result;

}  // namespace

int ResultStore::copy_out(const std::string& text, std::size_t offset, char* out, int capacity) noexcept {
    const std::size_t remaining = offset < text.size() ? text.size() - offset : 0;
    if (capacity > 0 && out) {
        const std::size_t n = std::min(remaining, static_cast<std::size_t>(capacity - 1));
        if (n) std::memcpy(out, text.data() + offset, n);
        out[n] = '\0';
    }
    return static_cast<int>(std::min<std::size_t>(remaining, INT_MAX));
}

int ResultStore::publish(std::string result, char* out, int capacity) {
    last_result = std::move(result);
    return copy_out(last_result, 0, out, capacity);
}

int ResultStore::publish_noexcept(ErrorCode code, const char* text, char* out, int capacity) noexcept {
    try {
        return publish(encode_failure(code, text), out, capacity);
    } catch (...) {
        // Memory is exhausted: hand back the smallest RESULT that still says FAILED/INTERNAL.
        static const char kMinimal[] = "3\x1E" "99\x1E" "INTERNAL";
        const std::string minimal(kMinimal);
        try { last_result.clear(); } catch (...) {}
        return copy_out(minimal, 0, out, capacity);
    }
}

int ResultStore::fetch(int offset, char* out, int capacity) {
    return copy_out(last_result, static_cast<std::size_t>(offset), out, capacity);
}

}  // namespace mvsmtp::gci
