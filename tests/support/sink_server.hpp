// sink_server.hpp — a private Postfix smtp-sink on a free loopback port, for fault
// injection (man smtp-sink): -f CMD rejects with 5xx, -r CMD with 4xx, -q CMD drops the
// connection, -Q CMD answers 421 and drops it. Stopped when the object goes away.
//
//   SinkServer sink({"-f", "rcpt"});   ... 127.0.0.1:sink.port() ...
#pragma once
#include <Poco/Net/ServerSocket.h>
#include <Poco/Process.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/testbed.hpp"

namespace testsupport {

class SinkServer {
public:
    explicit SinkServer(const std::vector<std::string>& fault_options) {
        {
            Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
            port_ = probe.address().port();
        }
        std::vector<std::string> args = {"-u", "postfix", "-a", "-h", "sink.example.test"};
        args.insert(args.end(), fault_options.begin(), fault_options.end());
        args.push_back("127.0.0.1:" + std::to_string(port_));
        args.push_back("64");
        pid_ = fork();
        if (pid_ == 0) {
            std::vector<char*> argv;
            std::string exe = "/usr/sbin/smtp-sink";
            argv.push_back(&exe[0]);
            for (auto& a : args) argv.push_back(&a[0]);
            argv.push_back(nullptr);
            execv(exe.c_str(), argv.data());
            _exit(127);
        }
        for (int i = 0; i < 100; ++i) {
            if (testbed::port_open("127.0.0.1", port_)) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        throw std::runtime_error("smtp-sink did not start on port " + std::to_string(port_));
    }
    ~SinkServer() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
    }
    int port() const { return port_; }
    std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

private:
    int port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace testsupport
