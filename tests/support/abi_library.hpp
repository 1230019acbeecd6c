// abi_library.hpp — loads libmvsmtp.so with dlopen and calls it exactly as a MultiValue
// engine would: pre-sized output buffer, full length returned, mvs_fetch for the rest.
//
//   AbiLibrary lib;                                   // MVSMTP_LIBRARY_PATH
//   std::string result = lib.sendmail(message, body, options, 1024);
#pragma once
#include <dlfcn.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace testsupport {

class AbiLibrary {
public:
    using SendmailFn = int (*)(const char*, const char*, const char*, char*, int);
    using FetchFn = int (*)(int, char*, int);

    explicit AbiLibrary(const std::string& path = MVSMTP_LIBRARY_PATH) {
        handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle_) throw std::runtime_error(std::string("dlopen: ") + dlerror());
        sendmail_ = reinterpret_cast<SendmailFn>(dlsym(handle_, "mvs_sendmail"));
        fetch_ = reinterpret_cast<FetchFn>(dlsym(handle_, "mvs_fetch"));
        if (!sendmail_ || !fetch_) throw std::runtime_error("libmvsmtp.so lacks mvs_sendmail/mvs_fetch");
    }
    ~AbiLibrary() = default;  // never dlclose: the process keeps it, as an engine would

    // Returns the whole RESULT, assembled from a `capacity`-sized buffer plus fetches.
    std::string sendmail(const std::string& message, const std::string& body, const std::string& options,
                         int capacity = 4096) const {
        std::vector<char> buf(static_cast<std::size_t>(capacity));
        const int total = sendmail_(message.c_str(), body.c_str(), options.c_str(), buf.data(), capacity);
        if (total < 0) throw std::runtime_error("mvs_sendmail returned " + std::to_string(total));
        std::string out(buf.data());
        while (static_cast<int>(out.size()) < total) {
            const int rest = fetch_(static_cast<int>(out.size()), buf.data(), capacity);
            if (rest <= 0) throw std::runtime_error("mvs_fetch ended early");
            out += buf.data();
        }
        return out;
    }

private:
    void* handle_ = nullptr;
    SendmailFn sendmail_ = nullptr;
    FetchFn fetch_ = nullptr;
};

}  // namespace testsupport
