// fake_server.hpp — a scripted SMTP peer on loopback for fault cases real servers will not
// produce on demand (after Poco's DialogServer): queue what to send, read what came back.
//
//   FakeServer s({"220 hi", "250-x\r\n250 SIZE"});       // each entry: bytes to send after
//   ... connect to 127.0.0.1:s.port() ...                 // reading one line
//   s.join();  s.received();                              // lines the client sent
//   FakeServer r(FakeServer::Connections{{first, second}}); // successive connections
//
// Script semantics: entry 0 is sent on accept; entry i (i ≥ 1) is sent after the i-th line
// from the client. "<close>" closes the connection; "text<close>" sends text, then closes;
// "<silent>" sends nothing and waits. After a step that sends a 354 reply (also written
// "<data>354 ..." in the replay fixtures) the server reads message content: every line up to
// the final "." is recorded but only the "." line takes the next step (so a script needs no
// entry per body line, nor knows the message's size).
#pragma once
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace testsupport {

class FakeServer {
public:
    using Script = std::vector<std::string>;
    struct Connections {
        std::vector<Script> scripts;
    };
    explicit FakeServer(Script script) : FakeServer(Connections{{std::move(script)}}) {}
    explicit FakeServer(Connections connections) : scripts_(std::move(connections.scripts)) {
        server_.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true);
        server_.listen(4);
        thread_ = std::thread([this] {
            for (const auto& script : scripts_) run(script);
        });
    }
    ~FakeServer() { join(); }
    int port() const { return server_.address().port(); }
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    std::vector<std::string> received() {
        std::lock_guard<std::mutex> lock(mutex_);
        return received_;
    }

private:
    void send_step(Poco::Net::StreamSocket& s, std::string step, bool& open) {
        if (step == "<silent>") return;
        static const std::string kData = "<data>";
        if (step.compare(0, kData.size(), kData) == 0) step.erase(0, kData.size());
        if (step.rfind("354", 0) == 0) in_data_ = true;
        static const std::string kClose = "<close>";
        const bool then_close = step.size() >= kClose.size() &&
                                step.compare(step.size() - kClose.size(), kClose.size(), kClose) == 0;
        std::string wire = then_close ? step.substr(0, step.size() - kClose.size()) : step;
        if (wire.empty() && then_close) { s.close(); open = false; return; }
        if (wire.size() < 2 || wire.compare(wire.size() - 2, 2, "\r\n") != 0) wire += "\r\n";
        s.sendBytes(wire.data(), static_cast<int>(wire.size()));
        if (then_close) { s.close(); open = false; }
    }
    void run(const Script& script) {
        try {
            if (!server_.poll(Poco::Timespan(15, 0), Poco::Net::Socket::SELECT_READ)) return;
            Poco::Net::StreamSocket s = server_.acceptConnection();
            s.setReceiveTimeout(Poco::Timespan(10, 0));
            bool open = true;
            in_data_ = false;
            if (!script.empty()) send_step(s, script[0], open);
            std::string buffer;
            std::size_t step = 1;
            char chunk[4096];
            while (open) {
                const int n = s.receiveBytes(chunk, sizeof chunk);
                if (n <= 0) break;
                buffer.append(chunk, static_cast<std::size_t>(n));
                std::size_t eol;
                while (open && (eol = buffer.find("\r\n")) != std::string::npos) {
                    const std::string line = buffer.substr(0, eol);
                    {
                        std::lock_guard<std::mutex> lock(mutex_);
                        received_.push_back(line);
                    }
                    const bool body_line = in_data_ && line != ".";
                    if (in_data_ && !body_line) in_data_ = false;
                    buffer.erase(0, eol + 2);
                    if (body_line) continue;
                    if (step < script.size()) send_step(s, script[step], open);
                    ++step;
                }
            }
        } catch (...) {
            // The client under test may drop the connection at any point.
        }
    }

    Poco::Net::ServerSocket server_;
    std::vector<Script> scripts_;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<std::string> received_;
    bool in_data_ = false;  // between a 354 and the final "." (server thread only)
};

}  // namespace testsupport
