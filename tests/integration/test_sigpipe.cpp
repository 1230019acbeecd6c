// A peer that disappears while we write must never deliver SIGPIPE to the host process (a
// database engine would die). Plain sockets use MSG_NOSIGNAL; TLS writes go through
// OpenSSL's write(2), so the library blocks and consumes SIGPIPE around them. This test runs
// with SIGPIPE at its default action: if the guard fails, the test process is killed.
#include <boost/test/unit_test.hpp>

#include <Poco/Net/Context.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <signal.h>

#include <cstdio>
#include <thread>

#include "mvsmtp/session.hpp"
#include "support/testbed.hpp"

using namespace mvsmtp;

namespace {

// An implicit-TLS SMTP peer that accepts one message's envelope, says 354, then closes.
class VanishingTlsServer {
public:
    VanishingTlsServer() {
        Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
            Poco::Net::Context::TLS_SERVER_USE, testbed::dir() + "/tls/server.key",
            testbed::dir() + "/tls/server.crt", "", Poco::Net::Context::VERIFY_NONE);
        server_ = std::make_unique<Poco::Net::SecureServerSocket>(Poco::Net::SocketAddress("127.0.0.1", 0), 4, ctx);
        thread_ = std::thread([this] { run(); });
    }
    ~VanishingTlsServer() {
        if (thread_.joinable()) thread_.join();
    }
    int port() const { return server_->address().port(); }

private:
    void say(Poco::Net::StreamSocket& s, const std::string& line) {
        const std::string wire = line + "\r\n";
        s.sendBytes(wire.data(), static_cast<int>(wire.size()));
    }
    bool read_line(Poco::Net::StreamSocket& s, std::string& buffer) {
        char c[512];
        while (buffer.find("\r\n") == std::string::npos) {
            const int n = s.receiveBytes(c, sizeof c);
            if (n <= 0) return false;
            buffer.append(c, static_cast<std::size_t>(n));
        }
        buffer.erase(0, buffer.find("\r\n") + 2);
        return true;
    }
    void run() {
        try {
            Poco::Net::StreamSocket s = server_->acceptConnection();
            s.setReceiveTimeout(Poco::Timespan(10, 0));
            std::string buffer;
            say(s, "220 vanishing ESMTP");
            for (const char* reply : {"250 vanishing", "250 ok", "250 ok", "354 go ahead"}) {
                if (!read_line(s, buffer)) return;
                say(s, reply);
            }
            s.close();  // gone, while the client is streaming megabytes of DATA
        } catch (...) {
        }
    }
    std::unique_ptr<Poco::Net::SecureServerSocket> server_;
    std::thread thread_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(test_sigpipe)

BOOST_AUTO_TEST_CASE(tls_peer_vanishing_during_data_raises_no_sigpipe) {
    struct sigaction dfl {}, old {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, &old);

    VanishingTlsServer server;
    SessionSettings s;
    s.host = "127.0.0.1";
    s.port = server.port();
    s.tls.mode = TlsMode::Implicit;
    s.tls.ca_file = testbed::ca_file();
    s.timeouts = {3000, 3000};
    Message m;
    m.from = {"", "a@example.test"};
    m.to = {{"", "b@example.test"}};
    m.text = std::string(32u * 1024 * 1024, 'z');  // far more than any socket buffer
    m.message_id = "<sigpipe@example.test>";
    m.date = 1;

    ErrorCode code = ErrorCode::Ok;
    Session session(s);
    session.open();
    try {
        code = session.send(m).error;
    } catch (const Error& e) {
        code = e.code();
    }
    // Part of the message reached the server: the outcome is unknown, not "try again".
    BOOST_TEST((code == ErrorCode::OutcomeUnknown));
    BOOST_TEST(session.broken());
    sigset_t pending;
    sigpending(&pending);
    BOOST_TEST(sigismember(&pending, SIGPIPE) == 0);  // none left pending for the host either
    sigaction(SIGPIPE, &old, nullptr);
}

namespace {

// Runs the C probe (tests/support/sigmask_probe.c): a fresh process, no Poco loaded yet,
// that dlopens libmvsmtp.so. Returns its report, e.g. "before 0\nafter 0\nchild 0\n".
std::string probe_load(const std::string& mode) {
    const std::string command = std::string(MVSMTP_SIGMASK_PROBE_PATH) + " " + MVSMTP_LIBRARY_PATH + " " + mode;
    std::string out;
    if (FILE* p = popen(command.c_str(), "r")) {
        char buf[256];
        while (fgets(buf, sizeof buf, p)) out += buf;
        pclose(p);
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(loading_the_library_leaves_the_signal_mask_alone) {
    // Poco Foundation's static initialiser blocks SIGPIPE in the loading thread; everything
    // that thread starts afterwards (EXECUTE SH, system()) would inherit it.
    BOOST_TEST(probe_load("") == "before 0\nafter 0\nchild 0\n");
    // A caller that blocked SIGPIPE itself keeps it blocked.
    BOOST_TEST(probe_load("block") == "before 1\nafter 1\nchild 1\n");
}

BOOST_AUTO_TEST_SUITE_END()
