// Helpers for integration tests that talk to the loopback mail servers of
// tests/testbed/rig.sh (see the table at the top of that script).
//
// Header-only on purpose: any test source can include it without build-file changes.
// Needs Poco Foundation, JSON and Net (all linked by mvsmtp_core) and C++17.
//
//   testbed::dir()                  $MVSMTP_TESTBED or /tmp/mvsmtp-testbed
//   testbed::ca_file()              $MVSMTP_TEST_CA or dir()/tls/ca.crt (trust anchor of every server)
//   testbed::unique_token("x")      "x-<pid>-<counter>-<random>", to find "your" message
//   testbed::wait_for_message(mailbox, marker)   path of the delivered file containing marker
//   testbed::inspect(path)          JSON from tests/testbed/inspect_message.py
//
// Mailboxes for wait_for_message():
//   "testuser@example.test" etc.    Postfix Maildir vmail/example.test/<user>/new
//                                   (known users: testuser, alice, bob, carol, dave)
//   any other address, "catchall"   vmail/catchall/new
//   "aiosmtpd" (or "capture")       aiosmtpd-maildir/new (raw bytes as the client sent them)
// Postfix stores messages with LF line endings; only the aiosmtpd capture keeps CRLF.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace testbed {

inline std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return (v && *v) ? std::string(v) : fallback;
}

// State directory of the running rig.
inline std::string dir() { return env_or("MVSMTP_TESTBED", "/tmp/mvsmtp-testbed"); }

// CA certificate that signed every rig server certificate.
inline std::string ca_file() { return env_or("MVSMTP_TEST_CA", dir() + "/tls/ca.crt"); }

// Project source tree: $MVSMTP_SOURCE_DIR (set by CTest), else the tree this header is in.
inline std::string source_dir() {
#ifdef MVSMTP_TESTBED_SOURCE_DIR
    const std::string fallback = MVSMTP_TESTBED_SOURCE_DIR;
#else
    // <source>/tests/support/testbed.hpp -> <source>
    const std::string fallback =
        std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().string();
#endif
    return env_or("MVSMTP_SOURCE_DIR", fallback.empty() ? std::string(".") : fallback);
}

inline std::string python() { return "/usr/bin/python3"; }
inline std::string script(const std::string& name) { return source_dir() + "/tests/testbed/" + name; }

// A string no other test (or earlier run) uses: prefix-<pid>-<counter>-<random hex>.
inline std::string unique_token(const std::string& prefix) {
    static std::atomic<unsigned> counter{0};
    static std::mutex lock;
    static std::mt19937_64 rng{(static_cast<unsigned long long>(std::random_device{}()) << 32) ^
                               static_cast<unsigned long long>(
                                   std::chrono::system_clock::now().time_since_epoch().count())};
    unsigned long long r;
    {
        std::lock_guard<std::mutex> guard(lock);
        r = rng() & 0xffffffffffULL;
    }
    std::ostringstream out;
    out << prefix << '-' << ::getpid() << '-' << ++counter << '-' << std::hex << r;
    return out.str();
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("testbed::read_file: cannot open " + path);
    std::ostringstream data;
    data << in.rdbuf();
    return data.str();
}

inline std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// The Maildir "new" directory a message for `mailbox` is delivered into (see top of file).
inline std::string maildir_new(const std::string& mailbox) {
    const std::string m = lower(mailbox);
    if (m == "aiosmtpd" || m == "capture") return dir() + "/aiosmtpd-maildir/new";
    static const std::set<std::string> known = {"testuser", "alice", "bob", "carol", "dave"};
    const auto at = m.rfind('@');
    if (at != std::string::npos && m.substr(at + 1) == "example.test" &&
        known.count(m.substr(0, at)))
        return dir() + "/vmail/example.test/" + m.substr(0, at) + "/new";
    return dir() + "/vmail/catchall/new";
}

// Polls the Maildir of `mailbox` until a message whose raw bytes contain `marker` appears.
// Returns its path, or "" after timeout_ms. Put the marker where it is sent verbatim
// (an ASCII header or a 7bit/quoted-printable-safe body line), not inside base64.
inline std::string wait_for_message(const std::string& mailbox, const std::string& marker,
                                    int timeout_ms = 15000) {
    namespace fs = std::filesystem;
    const fs::path box = maildir_new(mailbox);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::set<std::string> seen;  // Maildir files never change once in new/: read each once
    for (;;) {
        std::vector<fs::path> fresh;
        std::error_code ec;
        for (fs::directory_iterator it(box, ec), end; !ec && it != end; it.increment(ec)) {
            if (!seen.count(it->path().filename().string())) fresh.push_back(it->path());
        }
        std::sort(fresh.begin(), fresh.end());
        for (const auto& p : fresh) {
            seen.insert(p.filename().string());
            try {
                if (read_file(p.string()).find(marker) != std::string::npos) return p.string();
            } catch (const std::exception&) {
                seen.erase(p.filename().string());  // moved to cur/ or not readable yet: retry
            }
        }
        if (std::chrono::steady_clock::now() >= deadline) return "";
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

struct CommandResult {
    int status = -1;  // exit status
    std::string out;  // stdout
    std::string err;  // stderr
};

// Runs argv[0] (a path) with arguments argv[1..]; collects stdout and stderr.
inline CommandResult run(const std::vector<std::string>& argv) {
    if (argv.empty()) throw std::invalid_argument("testbed::run: empty argv");
    Poco::Pipe out_pipe, err_pipe;
    Poco::Process::Args args(argv.begin() + 1, argv.end());
    Poco::ProcessHandle handle =
        Poco::Process::launch(argv[0], args, nullptr, &out_pipe, &err_pipe);
    CommandResult result;
    std::thread err_reader([&] {  // drain both pipes at once so neither can fill up
        Poco::PipeInputStream err(err_pipe);
        Poco::StreamCopier::copyToString(err, result.err);
    });
    {
        Poco::PipeInputStream out(out_pipe);
        Poco::StreamCopier::copyToString(out, result.out);
    }
    err_reader.join();
    result.status = handle.wait();
    return result;
}

inline Poco::JSON::Object::Ptr parse_json_object(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

// Independent MIME analysis of a message file (tests/testbed/inspect_message.py); fields are
// documented at the top of that script. Throws std::runtime_error if the script fails.
inline Poco::JSON::Object::Ptr inspect(const std::string& path) {
    const CommandResult r = run({python(), script("inspect_message.py"), path});
    if (r.status != 0)
        throw std::runtime_error("inspect_message.py " + path + " failed (exit " +
                                 std::to_string(r.status) + "): " + r.err);
    try {
        return parse_json_object(r.out);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("inspect_message.py " + path + ": bad JSON: " + e.displayText());
    }
}

// True if a TCP connection to host:port succeeds within one second.
inline bool port_open(const std::string& host, int port) {
    try {
        Poco::Net::StreamSocket s;
        s.connect(Poco::Net::SocketAddress(host, static_cast<Poco::UInt16>(port)),
                  Poco::Timespan(1, 0));
        s.close();
        return true;
    } catch (const Poco::Exception&) {
        return false;
    }
}

}  // namespace testbed
