// resolver.cpp — c-ares lookups with one deadline; see resolver.hpp.
#include "resolver.hpp"

#include <ares.h>
#include <arpa/nameser.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <mutex>

#include "mvsmtp/error.hpp"

namespace mvsmtp {
namespace {

using Clock = DnsClock;

struct Lookup {
    bool done = false;
    int status = ARES_ETIMEOUT;
    std::vector<Poco::Net::IPAddress> addresses;
    std::string canonical;
    std::vector<MxRecord> mx;
    std::vector<std::string> txt;
};

void on_addresses(void* arg, int status, int /*timeouts*/, struct ares_addrinfo* result) {
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

// An answer to ares_query: `parse` turns it into c-ares's reply list (freed here), each entry
// of which `take` adds to the lookup. Allocation failures become ARES_ENOMEM, never an
// exception through c-ares's C frames.
template <typename Reply, typename Parse, typename Take>
void take_answer(void* arg, int status, unsigned char* answer, int length, Parse parse, Take take) {
    auto* lookup = static_cast<Lookup*>(arg);
    lookup->done = true;
    lookup->status = status;
    if (status != ARES_SUCCESS || !answer) return;
    Reply* replies = nullptr;
    lookup->status = parse(answer, length, &replies);
    try {
        for (const Reply* r = replies; r; r = r->next) take(*lookup, *r);
    } catch (...) {
        lookup->status = ARES_ENOMEM;
    }
    if (replies) ares_free_data(replies);
}

void on_mx(void* arg, int status, int /*timeouts*/, unsigned char* answer, int length) {
    take_answer<ares_mx_reply>(arg, status, answer, length, ares_parse_mx_reply,
                               [](Lookup& lookup, const ares_mx_reply& r) {
                                   std::string host = r.host ? r.host : "";
                                   if (host == ".") host.clear();
                                   if (!host.empty() && host.back() == '.') host.pop_back();
                                   lookup.mx.push_back({r.priority, host});
                               });
}

void on_txt(void* arg, int status, int /*timeouts*/, unsigned char* answer, int length) {
    // c-ares lists every character-string; record_start marks the first of each record.
    take_answer<ares_txt_ext>(arg, status, answer, length, ares_parse_txt_reply_ext,
                              [](Lookup& lookup, const ares_txt_ext& r) {
                                  if (r.record_start || lookup.txt.empty()) lookup.txt.emplace_back();
                                  if (r.txt) lookup.txt.back().append(reinterpret_cast<const char*>(r.txt), r.length);
                              });
}

// c-ares's sockets must not leak into commands the host process starts (EXECUTE SH).
int close_on_exec(ares_socket_t fd, int /*type*/, void* /*data*/) {
    const int flags = fcntl(fd, F_GETFD);
    if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    return ARES_SUCCESS;
}

std::string configured_servers(const std::string& servers) {
    if (!servers.empty()) return servers;
    // Tests only: a DNS server on loopback instead of resolv.conf's (see resolver.hpp).
    const char* test = std::getenv("MVSMTP_TEST_DNS_SERVER");
    return test ? test : "";
}

class Channel {
public:
    explicit Channel(const std::string& servers) {
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
        const std::string use = configured_servers(servers);
        if (!use.empty()) status_ = ares_set_servers_ports_csv(channel_, use.c_str());
    }
    ~Channel() {
        if (channel_) ares_destroy(channel_);  // cancels what is still running
    }
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;
    int status() const { return status_; }

    void addresses(const std::string& host, int flags, Lookup& lookup, Clock::time_point deadline) {
        ares_addrinfo_hints hints{};
        hints.ai_family = AF_UNSPEC;  // A and AAAA
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = flags;
        ares_getaddrinfo(channel_, host.c_str(), nullptr, &hints, on_addresses, &lookup);
        wait(lookup, deadline);
    }

    void mx(const std::string& domain, Lookup& lookup, Clock::time_point deadline) {
        ares_query(channel_, domain.c_str(), ns_c_in, ns_t_mx, on_mx, &lookup);
        wait(lookup, deadline);
    }

    void txt(const std::string& name, Lookup& lookup, Clock::time_point deadline) {
        ares_query(channel_, name.c_str(), ns_c_in, ns_t_txt, on_txt, &lookup);
        wait(lookup, deadline);
    }

private:
    // Drives the channel until the lookup answers or the deadline passes (then ARES_ETIMEOUT).
    void wait(Lookup& lookup, Clock::time_point deadline) {
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
            ares_cancel(channel_);  // calls the callback with ARES_ECANCELLED
            lookup.status = ARES_ETIMEOUT;
            lookup.done = true;
        }
    }

    ares_channel channel_ = nullptr;
    int status_ = ARES_SUCCESS;
};

std::string seconds_text(int ms) {
    const int tenths = (ms + 50) / 100;
    return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") + " s";
}

// c-ares's status as what it says about the domain.
DnsStatus status_of(int ares_status) {
    switch (ares_status) {
        case ARES_SUCCESS: return DnsStatus::Ok;
        case ARES_ENODATA: return DnsStatus::NoData;
        case ARES_ENOTFOUND: return DnsStatus::NoDomain;
        default: return DnsStatus::Unavailable;  // ESERVFAIL, EREFUSED, ECONNREFUSED, ETIMEOUT, ...
    }
}

std::string word_for(int ares_status) {
    switch (ares_status) {
        case ARES_ENODATA: return "no record";
        case ARES_ENOTFOUND: return "NXDOMAIN";
        case ARES_ESERVFAIL: return "SERVFAIL";
        case ARES_EREFUSED: return "REFUSED";
        case ARES_ETIMEOUT:
        case ARES_ECANCELLED: return "no answer in time";
        // c-ares gives up on a server that answers SERVFAIL or REFUSED and, when every retry
        // of every server failed that way or could not be reached, reports ECONNREFUSED.
        case ARES_ECONNREFUSED: return "SERVFAIL, REFUSED or no DNS server reachable";
        default: return ares_strerror(ares_status);
    }
}

template <typename T>
DnsAnswer<T> answer_of(int channel_status, const Lookup& lookup, std::vector<T> records) {
    DnsAnswer<T> a;
    const int status = channel_status != ARES_SUCCESS ? channel_status : lookup.status;
    a.status = channel_status != ARES_SUCCESS ? DnsStatus::Unavailable : status_of(status);
    if (a.status == DnsStatus::Ok && records.empty()) a.status = DnsStatus::NoData;
    a.text = channel_status != ARES_SUCCESS ? std::string("resolver: ") + ares_strerror(channel_status) : word_for(status);
    a.records = std::move(records);
    return a;
}

// One question on a channel of its own, closed (every query finished or cancelled) before the
// answer is read; the channel's status (a resolver that could not be set up at all).
template <typename Question>
int ask(const std::string& servers, Question question) {
    Channel channel(servers);
    const int status = channel.status();
    if (status == ARES_SUCCESS) question(channel);
    return status;
}

}  // namespace

std::string resolver_in_use(const std::string& servers) {
    const std::string use = configured_servers(servers);
    return use.empty() ? "/etc/resolv.conf" : use;
}

DnsAnswer<Poco::Net::IPAddress> query_addresses(const std::string& host, const std::string& servers,
                                                Clock::time_point deadline) {
    Lookup lookup;
    const int channel_status = ask(servers, [&](Channel& channel) { channel.addresses(host, 0, lookup, deadline); });
    return answer_of(channel_status, lookup, std::move(lookup.addresses));
}

DnsAnswer<MxRecord> query_mx(const std::string& domain, const std::string& servers, Clock::time_point deadline) {
    Lookup lookup;
    const int channel_status = ask(servers, [&](Channel& channel) { channel.mx(domain, lookup, deadline); });
    return answer_of(channel_status, lookup, std::move(lookup.mx));
}

DnsAnswer<std::string> query_txt(const std::string& name, const std::string& servers, Clock::time_point deadline) {
    Lookup lookup;
    const int channel_status = ask(servers, [&](Channel& channel) { channel.txt(name, lookup, deadline); });
    return answer_of(channel_status, lookup, std::move(lookup.txt));
}

std::vector<Poco::Net::IPAddress> resolve_host(const std::string& host, int timeout_ms, const std::string& what) {
    Poco::Net::IPAddress literal;
    if (Poco::Net::IPAddress::tryParse(host, literal)) return {literal};
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 1);
    const DnsAnswer<Poco::Net::IPAddress> a = query_addresses(host, "", deadline);
    if (a.status == DnsStatus::Ok) return a.records;
    if (a.text == "no answer in time")
        throw Error(ErrorCode::DnsFailed, "cannot resolve " + what + " " + host + ": no answer from the DNS within " +
                                              seconds_text(timeout_ms));
    if (a.status == DnsStatus::NoData) throw Error(ErrorCode::DnsFailed, "no address for " + what + " " + host);
    throw Error(ErrorCode::DnsFailed, "cannot resolve " + what + " " + host + ": " +
                                          (a.status == DnsStatus::NoDomain ? std::string("Domain name not found") : a.text));
}

bool canonical_name(const std::string& host, int timeout_ms, std::string& canonical) noexcept {
    try {
        const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 1);
        Lookup lookup;
        {
            Channel channel("");
            if (channel.status() != ARES_SUCCESS) return false;
            channel.addresses(host, ARES_AI_CANONNAME, lookup, deadline);
        }
        if (lookup.status != ARES_SUCCESS || lookup.canonical.empty()) return false;
        canonical = lookup.canonical;
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace mvsmtp
