// abi_library.hpp — loads libmvsmtp.so with dlopen and calls it exactly as a MultiValue
// engine would: pre-sized output buffer, full length returned, mvs_fetch for the rest.
//
//   AbiLibrary lib;                                   // MVSMTP_LIBRARY_PATH
//   std::string result = lib.sendmail(message, body, options, 1024);
//   std::string v = lib.call2("mvs_verify", addresses, options, 512);   // mvs_verify, mvs_queue
//   std::string q = lib.shim("QUEUE", 0, command, options);             // SPACE(8000) + FETCH rounds
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
    using TwoArgumentFn = int (*)(const char*, const char*, char*, int);
    using ShimFn = int (*)(const char*, int, const char*, const char*, const char*, char*);

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
        return assemble(sendmail_(message.c_str(), body.c_str(), options.c_str(), buf.data(), capacity), buf);
    }

    // An entry point taking two strings (mvs_verify, mvs_queue), called the same way.
    std::string call2(const char* symbol, const std::string& a1, const std::string& a2, int capacity = 4096) const {
        auto fn = reinterpret_cast<TwoArgumentFn>(dlsym(handle_, symbol));
        if (!fn) throw std::runtime_error(std::string("libmvsmtp.so lacks ") + symbol);
        std::vector<char> buf(static_cast<std::size_t>(capacity));
        return assemble(fn(a1.c_str(), a2.c_str(), buf.data(), capacity), buf);
    }

    // mvs_shim_call as UniVerse, UniData and D3 use it: an 8000-byte buffer that starts with
    // the total length in 10 digits, then FETCH rounds until the whole RESULT is there.
    std::string shim(const char* op, int handle, const std::string& a1, const std::string& a2 = "",
                     const std::string& a3 = "") const {
        auto fn = reinterpret_cast<ShimFn>(dlsym(handle_, "mvs_shim_call"));
        if (!fn) throw std::runtime_error("libmvsmtp.so lacks mvs_shim_call");
        std::string raw, buf(8000, ' ');
        fn(op, handle, a1.c_str(), a2.c_str(), a3.c_str(), &buf[0]);
        for (;;) {
            const int total = std::stoi(buf.substr(0, 10));
            const std::string part = buf.substr(10, buf.find('\0', 10) - 10);
            raw += part;
            if (static_cast<int>(raw.size()) >= total || part.empty()) return raw;
            buf.assign(8000, ' ');
            fn("FETCH", static_cast<int>(raw.size()), "", "", "", &buf[0]);
        }
    }

private:
    std::string assemble(int total, std::vector<char>& buf) const {
        if (total < 0) throw std::runtime_error("the call returned " + std::to_string(total));
        const int capacity = static_cast<int>(buf.size());
        std::string out(buf.data());
        while (static_cast<int>(out.size()) < total) {
            const int rest = fetch_(static_cast<int>(out.size()), buf.data(), capacity);
            if (rest <= 0) throw std::runtime_error("mvs_fetch ended early");
            out += buf.data();
        }
        return out;
    }

    void* handle_ = nullptr;
    SendmailFn sendmail_ = nullptr;
    FetchFn fetch_ = nullptr;
};

}  // namespace testsupport
