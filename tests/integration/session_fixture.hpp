// session_fixture.hpp — calling SMTP.OPEN / SEND / CMD / CLOSE through the dlopen'd ABI.
#pragma once
#include "sendmail_fixture.hpp"

namespace sendmail_test {

class AbiSessions {
public:
    AbiSessions() : handle_(dlopen(MVSMTP_LIBRARY_PATH, RTLD_NOW | RTLD_LOCAL)) {
        if (!handle_) throw std::runtime_error(dlerror());
        open_ = reinterpret_cast<int (*)(const char*, char*, int)>(dlsym(handle_, "mvs_open"));
        send_ = reinterpret_cast<int (*)(int, const char*, const char*, char*, int)>(dlsym(handle_, "mvs_send"));
        cmd_ = reinterpret_cast<int (*)(int, const char*, char*, int)>(dlsym(handle_, "mvs_cmd"));
        close_ = reinterpret_cast<int (*)(int, char*, int)>(dlsym(handle_, "mvs_close"));
        fetch_ = reinterpret_cast<int (*)(int, char*, int)>(dlsym(handle_, "mvs_fetch"));
        if (!open_ || !send_ || !cmd_ || !close_ || !fetch_) throw std::runtime_error("session entry points missing");
    }
    std::string open(const std::string& options) { return collect(open_(options.c_str(), buf_, kCap)); }
    std::string send(int h, const std::string& message, const std::string& body) {
        return collect(send_(h, message.c_str(), body.c_str(), buf_, kCap));
    }
    std::string cmd(int h, const std::string& line) { return collect(cmd_(h, line.c_str(), buf_, kCap)); }
    std::string close(int h) { return collect(close_(h, buf_, kCap)); }
    static int handle_of(const std::string& result) { return std::atoi(extract(result, R::HANDLE).c_str()); }

private:
    static constexpr int kCap = 512;  // small on purpose: long RESULTs come through mvs_fetch
    std::string collect(int total) {
        if (total < 0) throw std::runtime_error("ABI misuse " + std::to_string(total));
        std::string out(buf_);
        while (static_cast<int>(out.size()) < total) {
            char more[kCap];
            if (fetch_(static_cast<int>(out.size()), more, kCap) <= 0) break;
            out += more;
        }
        return out;
    }
    void* handle_;
    int (*open_)(const char*, char*, int);
    int (*send_)(int, const char*, const char*, char*, int);
    int (*cmd_)(int, const char*, char*, int);
    int (*close_)(int, char*, int);
    int (*fetch_)(int, char*, int);
    char buf_[kCap];
};

inline AbiSessions& sessions() {
    static AbiSessions s;
    return s;
}

}  // namespace sendmail_test
