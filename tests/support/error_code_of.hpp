// error_code_of.hpp — the mvsmtp::Error code a callable throws, or Ok when it returns.
//
//   BOOST_TEST((error_code_of([&] { load_profile(req); }) == ErrorCode::ConfigInsecure));
#pragma once
#include "mvsmtp/error.hpp"

namespace testsupport {

template <class F>
mvsmtp::ErrorCode error_code_of(F&& f) {
    try {
        f();
    } catch (const mvsmtp::Error& e) {
        return e.code();
    }
    return mvsmtp::ErrorCode::Ok;
}

}  // namespace testsupport
