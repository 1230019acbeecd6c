// error.cpp — the code table and the Error type (see mvsmtp/error.hpp).
#include "mvsmtp/error.hpp"

namespace mvsmtp {

const std::vector<ErrorInfo>& error_table() {
    static const std::vector<ErrorInfo> table = {
#define MVSMTP_ERROR(name, number, basic, text) {ErrorCode::name, basic, text},
#include "mvsmtp/error_codes.def"
#undef MVSMTP_ERROR
    };
    return table;
}

const ErrorInfo& error_info(ErrorCode code) {
    for (const auto& info : error_table())
        if (info.code == code) return info;
    return error_info(ErrorCode::Internal);
}

bool is_transient(ErrorCode code) {
    const int n = error_number(code);
    return n >= 10 && n <= 29;
}

Error::Error(ErrorCode code, const std::string& message)
    : std::runtime_error(message), code_(code) {}

Error::Error(ErrorCode code, const std::string& message, Reply reply)
    : std::runtime_error(message), code_(code), reply_(std::move(reply)) {}

}  // namespace mvsmtp
