// silent_dns.hpp — a DNS server on loopback that never answers, and the (test-only) variable
// that points the library's resolver at it.
//
//   testsupport::SilentDns dns;                       // UDP 127.0.0.1:<port>, swallows queries
//   testsupport::TestDnsServer use(dns.address());    // MVSMTP_TEST_DNS_SERVER while alive
//   ... a lookup must end with DNS.FAILED within the connect timeout ...
//   dns.queries()                                     // how many it swallowed
#pragma once
#include <Poco/Net/DatagramSocket.h>
#include <stdlib.h>

#include <atomic>
#include <string>
#include <thread>

namespace testsupport {

class SilentDns {
public:
    SilentDns() {
        socket_.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true);
        thread_ = std::thread([this] {
            char buf[1500];
            while (!stop_) {
                try {
                    if (!socket_.poll(Poco::Timespan(0, 50000), Poco::Net::Socket::SELECT_READ)) continue;
                    Poco::Net::SocketAddress from;
                    if (socket_.receiveFrom(buf, sizeof buf, from) > 0) ++queries_;
                } catch (...) {
                }
            }
        });
    }
    ~SilentDns() {
        stop_ = true;
        thread_.join();
    }
    SilentDns(const SilentDns&) = delete;
    SilentDns& operator=(const SilentDns&) = delete;
    std::string address() const { return "127.0.0.1:" + std::to_string(socket_.address().port()); }
    int queries() const { return queries_; }

private:
    Poco::Net::DatagramSocket socket_;
    std::atomic<bool> stop_{false};
    std::atomic<int> queries_{0};
    std::thread thread_;
};

// Points the library's resolver at `server` for the life of the object (child processes
// started meanwhile inherit it).
struct TestDnsServer {
    explicit TestDnsServer(const std::string& server) { setenv("MVSMTP_TEST_DNS_SERVER", server.c_str(), 1); }
    ~TestDnsServer() { unsetenv("MVSMTP_TEST_DNS_SERVER"); }
    TestDnsServer(const TestDnsServer&) = delete;
    TestDnsServer& operator=(const TestDnsServer&) = delete;
};

}  // namespace testsupport
