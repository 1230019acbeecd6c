// resolver.cpp — c-ares lookups with one deadline; see resolver.hpp.
#include "resolver.hpp"

#include <ares.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <mutex>

#include "mvsmtp/error.hpp"

namespace mvsmtp {
namespace {

using Clock = std::chrono::steady_clock;

struct Lookup {
    bool done = false;
    int status = ARES_ETIMEOUT;
    std::vector<Poco::Net::IPAddress> addresses;
    std::string canonical;
};

void on_result(void* arg, int status, int /*timeouts*/, struct ares_addrinfo* result) {
    auto* lookup = static_cast<Lookup*>(arg);
    lookup->done = true;
    lookup->status = status;
    if (!result) return;
    try {
        if (result->name) {
            lookup->canonical = result->name;  // set for ARES_AI_CANONNAME
        } else {
            for (const ares_addrinfo_cname* c = result->cnames; c; c = c->next)
                if (c->name) lookup->canonical = c->name;  // the end of the CNAME chain
        }
        for (const ares_addrinfo_node* n = result->nodes; n; n = n->ai_next) {
            Poco::Net::IPAddress ip;
            if (n->ai_family == AF_INET)
                ip = Poco::Net::IPAddress(&reinterpret_cast<const sockaddr_in*>(n->ai_addr)->sin_addr, sizeof(in_addr));
            else if (n->ai_family == AF_INET6)
                ip = Poco::Net::IPAddress(&reinterpret_cast<const sockaddr_in6*>(n->ai_addr)->sin6_addr, sizeof(in6_addr),
                                          reinterpret_cast<const sockaddr_in6*>(n->ai_addr)->sin6_scope_id);
            else
                continue;
            bool seen = false;
            for (const auto& a : lookup->addresses) seen = seen || a == ip;
            if (!seen) lookup->addresses.push_back(ip);
        }
    } catch (...) {
        lookup->status = ARES_ENOMEM;
    }
    ares_freeaddrinfo(result);
}

// c-ares's sockets must not leak into commands the host process starts (EXECUTE SH).
int close_on_exec(ares_socket_t fd, int /*type*/, void* /*data*/) {
    const int flags = fcntl(fd, F_GETFD);
    if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    return ARES_SUCCESS;
}

class Channel {
public:
    Channel() {
        static std::once_flag once;
        static int init_status = ARES_SUCCESS;
        std::call_once(once, [] { init_status = ares_library_init(ARES_LIB_INIT_ALL); });
        if (init_status != ARES_SUCCESS) {
            status_ = init_status;
            return;
        }
        ares_options options{};
        char lookups[] = "fb";  // hosts file, then DNS (what nsswitch "files dns" does)
        options.lookups = lookups;
        status_ = ares_init_options(&channel_, &options, ARES_OPT_LOOKUPS);
        if (status_ != ARES_SUCCESS) return;
        ares_set_socket_callback(channel_, close_on_exec, nullptr);
        // Tests only: a DNS server on loopback instead of resolv.conf's (see resolver.hpp).
        if (const char* server = std::getenv("MVSMTP_TEST_DNS_SERVER"); server && *server)
            status_ = ares_set_servers_ports_csv(channel_, server);
    }
    ~Channel() {
        if (channel_) ares_destroy(channel_);  // cancels what is still running
    }
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;
    int status() const { return status_; }

    // Runs the lookup until it answers or the deadline passes (then ARES_ETIMEOUT).
    void run(const std::string& host, int flags, Lookup& lookup, Clock::time_point deadline) {
        ares_addrinfo_hints hints{};
        hints.ai_family = AF_UNSPEC;  // A and AAAA
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = flags;
        ares_getaddrinfo(channel_, host.c_str(), nullptr, &hints, on_result, &lookup);
        while (!lookup.done) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            if (left <= 0) break;
            ares_socket_t socks[ARES_GETSOCK_MAXNUM];
            const int bits = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
            pollfd fds[ARES_GETSOCK_MAXNUM];
            nfds_t count = 0;
            for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
                short events = 0;
                if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
                if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
                if (!events) continue;
                fds[count].fd = socks[i];
                fds[count].events = events;
                fds[count].revents = 0;
                ++count;
            }
            // c-ares's own retry timer, capped by what is left of our deadline.
            timeval cap{static_cast<time_t>(left / 1000), static_cast<suseconds_t>((left % 1000) * 1000)};
            timeval next{};
            const timeval* t = ares_timeout(channel_, &cap, &next);
            const int wait_ms = static_cast<int>(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
            const int ready = poll(fds, count, wait_ms);
            if (ready < 0 && errno != EINTR) break;
            if (ready <= 0) {
                ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timers only
                continue;
            }
            for (nfds_t i = 0; i < count; ++i) {
                if (!fds[i].revents) continue;
                const bool readable = fds[i].revents & (POLLIN | POLLERR | POLLHUP);
                const bool writable = fds[i].revents & (POLLOUT | POLLERR);
                ares_process_fd(channel_, readable ? fds[i].fd : ARES_SOCKET_BAD,
                                writable ? fds[i].fd : ARES_SOCKET_BAD);
            }
        }
        if (!lookup.done) {
            ares_cancel(channel_);  // calls on_result with ARES_ECANCELLED
            lookup.status = ARES_ETIMEOUT;
            lookup.done = true;
        }
    }

private:
    ares_channel channel_ = nullptr;
    int status_ = ARES_SUCCESS;
};

std::string seconds_text(int ms) {
    const int tenths = (ms + 50) / 100;
    return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") + " s";
}

}  // namespace

std::vector<Poco::Net::IPAddress> resolve_host(const std::string& host, int timeout_ms, const std::string& what) {
    Poco::Net::IPAddress literal;
    if (Poco::Net::IPAddress::tryParse(host, literal)) return {literal};
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 1);
    Lookup lookup;
    {
        Channel channel;
        if (channel.status() != ARES_SUCCESS)
            throw Error(ErrorCode::DnsFailed, "cannot resolve " + what + " " + host + ": resolver: " +
                                                  ares_strerror(channel.status()));
        channel.run(host, 0, lookup, deadline);
    }
    if (lookup.status == ARES_ETIMEOUT || lookup.status == ARES_ECANCELLED)
        throw Error(ErrorCode::DnsFailed, "cannot resolve " + what + " " + host + ": no answer from the DNS within " +
                                              seconds_text(timeout_ms));
    if (lookup.status != ARES_SUCCESS)
        throw Error(ErrorCode::DnsFailed, "cannot resolve " + what + " " + host + ": " + ares_strerror(lookup.status));
    if (lookup.addresses.empty()) throw Error(ErrorCode::DnsFailed, "no address for " + what + " " + host);
    return lookup.addresses;
}

bool canonical_name(const std::string& host, int timeout_ms, std::string& canonical) noexcept {
    try {
        const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 1);
        Lookup lookup;
        {
            Channel channel;
            if (channel.status() != ARES_SUCCESS) return false;
            channel.run(host, ARES_AI_CANONNAME, lookup, deadline);
        }
        if (lookup.status != ARES_SUCCESS || lookup.canonical.empty()) return false;
        canonical = lookup.canonical;
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace mvsmtp
