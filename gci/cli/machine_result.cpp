// machine_result.cpp — see machine_result.hpp.
#include "machine_result.hpp"

#include <vector>

#include "dynarray.hpp"
#include "layout.hpp"
#include "mvsmtp.h"

namespace mvsmtp::cli {
namespace {

namespace R = gci::field::Result;

std::string error_name(int error) {
    std::vector<char> buf(256);
    if (mvs_error_text(error, buf.data(), static_cast<int>(buf.size())) < 0) return "UNKNOWN";
    return gci::extract(buf.data(), 1);
}

std::string result(int status, int error, const std::string& name, const std::string& message, bool transient) {
    gci::DynArrayBuilder b;
    b.set(R::STATUS, std::to_string(status));
    b.set(R::ERROR, std::to_string(error));
    b.set(R::ERROR_NAME, name);
    b.set(R::MESSAGE, gci::clean_value(message));
    b.set(R::TRANSIENT, transient ? "1" : "0");
    b.set(R::CAPABILITIES, "");  // every field present, as the library's RESULT has them
    return b.str();
}

}  // namespace

std::string failure_result(int error, const std::string& message) {
    return failure_result(error, message, error >= 10 && error <= 29);
}

std::string failure_result(int error, const std::string& message, bool transient) {
    return result(3, error, error_name(error), message, transient);
}

std::string ok_result(const std::string& message) { return result(0, 0, "", message, false); }

}  // namespace mvsmtp::cli
