// result_store.hpp — per-thread storage of the last result, and the copy-out convention of
// mvsmtp.h (at most capacity-1 bytes plus NUL; the full length is returned).
#pragma once
#include <string>

#include "mvsmtp/error.hpp"

namespace mvsmtp::gci {

class ResultStore {
public:
    // Keeps `result` for mvs_fetch and copies its start into out. Returns result.size().
    static int publish(std::string result, char* out, int capacity);
    // For the last-resort catch blocks: publishes a FAILED RESULT without allocating more
    // than it must; never throws.
    static int publish_noexcept(ErrorCode code, const char* text, char* out, int capacity) noexcept;
    static int fetch(int offset, char* out, int capacity);
    // Copies text into out per the convention, without keeping it.
    static int copy_out(const std::string& text, std::size_t offset, char* out, int capacity) noexcept;
};

}  // namespace mvsmtp::gci
