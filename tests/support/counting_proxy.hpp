// counting_proxy.hpp — a transparent TCP relay on a free loopback port that counts the
// connections it accepts, to prove how many SMTP connections a client really made (TLS
// passes through untouched: the client still talks to the real server's certificate).
//
//   testsupport::CountingProxy proxy(2525);          // relays 127.0.0.1:<port()> → 127.0.0.1:2525
//   ... client uses "smtp://127.0.0.1:" + std::to_string(proxy.port()) ...
//   BOOST_TEST(proxy.connections() == 1);
//   testsupport::CountingProxy back(2526, port);     // listens on 127.0.0.1:<port> exactly
//
// One thread accepts; one thread per connection copies both ways until either side closes.
// Stopped (and every relayed connection cut) when the object goes away.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace testsupport {

class CountingProxy {
public:
    // listen_port 0: a free port; else that one (a relay that "comes back" on the address a
    // client already used, e.g. for the durable queue's tests).
    explicit CountingProxy(int target_port, int listen_port = 0) : target_port_(target_port) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a = loopback(listen_port);
        const int one = 1;
        if (listener_ >= 0) ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_, 16) != 0)
            throw std::runtime_error("CountingProxy: cannot listen");
        socklen_t len = sizeof a;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    ~CountingProxy() {
        stop_ = true;
        acceptor_.join();
        ::close(listener_);
        {
            std::lock_guard<std::mutex> g(lock_);
            for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
        }
        for (auto& t : relays_) t.join();
        for (int fd : open_) ::close(fd);
    }
    int port() const { return port_; }
    int connections() const { return count_; }

private:
    static sockaddr_in loopback(int port) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return a;
    }
    void accept_loop() {
        while (!stop_) {
            pollfd p{listener_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) continue;
            ++count_;
            const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in t = loopback(target_port_);
            if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&t), sizeof t) != 0) {
                ::close(client);
                if (server >= 0) ::close(server);
                continue;
            }
            std::lock_guard<std::mutex> g(lock_);
            open_.push_back(client);
            open_.push_back(server);
            relays_.emplace_back([client, server] { relay(client, server); });
        }
    }
    static void relay(int a, int b) {
        char buf[16384];
        for (;;) {
            pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
            if (::poll(p, 2, -1) < 0) break;
            bool done = false;
            for (int i = 0; i < 2 && !done; ++i) {
                if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                const ssize_t n = ::recv(p[i].fd, buf, sizeof buf, 0);
                if (n <= 0 || ::send(p[1 - i].fd, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) done = true;
            }
            if (done) break;
        }
        ::shutdown(a, SHUT_RDWR);
        ::shutdown(b, SHUT_RDWR);
    }

    int target_port_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> count_{0};
    std::thread acceptor_;
    std::mutex lock_;
    std::vector<int> open_;  // both ends of every relay: shut down, then closed, at the end
    std::vector<std::thread> relays_;
};

}  // namespace testsupport
