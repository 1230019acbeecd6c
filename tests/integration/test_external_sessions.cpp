// Out-of-process mode as BASIC uses it (gci/cli/machine.cpp): `mvsmtp machine --hex --remove
// --spool ROOT --next call FILE` with request files in a private per-user folder, and SMTP
// sessions that live in a session process across runs — one SMTP connection from OPEN to
// CLOSE, ended by CLOSE, by idleness or when its owner goes, never holding the caller's
// captured stdout. Every test makes its own spool root (mode 0700) under the testbed folder.
#include <boost/test/unit_test.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "sendmail_fixture.hpp"
#include "support/counting_proxy.hpp"
#include "support/fake_server.hpp"

extern char** environ;

using namespace sendmail_test;

namespace {

namespace fs = std::filesystem;
const std::string kCli = MVSMTP_CLI_PATH;

std::string hex(const std::string& bytes) {
    static const char digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

std::string unhex(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i + 1 < text.size(); i += 2) out += static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16));
    return out;
}

bool is_upper_hex(const std::string& s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
    return true;
}

// One run of the CLI in --hex mode, its stdout taken apart (and its shape checked).
struct CliOut {
    int status = -1;
    std::string result, next, session, raw, err;
};

CliOut parse(const testbed::CommandResult& r) {
    CliOut o;
    o.status = r.status;
    o.raw = r.out;
    o.err = r.err;
    BOOST_TEST((!r.out.empty() && r.out.back() == '\n'), "stdout must end with a line break: [" << r.out << "]");
    std::istringstream in(r.out);
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
        if (first) {
            BOOST_TEST(is_upper_hex(line), "line 1 is not uppercase hex: " << line);
            o.result = unhex(line);
            first = false;
        } else if (line.rfind("NEXT ", 0) == 0) {
            o.next = line.substr(5);
        } else if (line.rfind("SESSION ", 0) == 0) {
            o.session = line.substr(8);
        } else {
            BOOST_ERROR("unexpected output line: " << line);
        }
    }
    return o;
}

CliOut run_cli(const std::vector<std::string>& args) {
    std::vector<std::string> argv{kCli};
    argv.insert(argv.end(), args.begin(), args.end());
    return parse(testbed::run(argv));
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

bool wait_until(const std::function<bool()>& done, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

// Writes into an existing file, as BASIC's OPENSEQ/WRITESEQ does (never creates one).
void write_existing(const std::string& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW);
    BOOST_REQUIRE_MESSAGE(fd >= 0, "cannot open " << path);
    BOOST_REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fd);
}

// The pid of the process listening on a unix socket path (/proc/net/unix, then /proc/*/fd).
pid_t pid_listening_on(const std::string& path) {
    std::ifstream net("/proc/net/unix");
    std::string line, inode;
    while (std::getline(net, line)) {
        std::istringstream in(line);
        std::vector<std::string> cols;
        for (std::string c; in >> c;) cols.push_back(c);
        if (cols.size() >= 8 && cols[7] == path) inode = cols[6];
    }
    if (inode.empty()) return 0;
    const std::string want = "socket:[" + inode + "]";
    for (const auto& proc : fs::directory_iterator("/proc")) {
        const std::string name = proc.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::error_code ec;
        for (fs::directory_iterator fd(proc.path() / "fd", ec), end; !ec && fd != end; fd.increment(ec)) {
            std::error_code ec2;
            if (fs::read_symlink(fd->path(), ec2).string() == want) return std::stoi(name);
        }
    }
    return 0;
}

// Gone, or a zombie nobody reaps yet (the session process is re-parented away from us).
bool exited(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) return true;
    const auto close = stat.rfind(')');
    return close == std::string::npos || stat.substr(close + 2, 1) == "Z";
}

std::vector<std::string> fd_targets(pid_t pid) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator fd("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && fd != end; fd.increment(ec)) {
        std::error_code ec2;
        out.push_back(fd->path().filename().string() + " -> " + fs::read_symlink(fd->path(), ec2).string());
    }
    return out;
}

// A private spool root for one test (mode 0700, like an installer's single-user root).
struct Spool {
    std::string root = testbed::dir() + "/sp-" + testbed::unique_token("x");
    Spool() { BOOST_REQUIRE(::mkdir(root.c_str(), 0700) == 0); }
    ~Spool() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
    std::string folder() const { return root + "/" + std::to_string(::geteuid()); }
    std::string sock(const std::string& token) const { return folder() + "/" + token + ".sock"; }

    CliOut prepare() const { return run_cli({"machine", "--hex", "--spool", root, "--next", "prepare"}); }

    // One BASIC call: the request goes (hex) into the NEXT file of the previous run.
    std::string next;
    CliOut call(const std::string& request) {
        if (next.empty()) next = prepare().next;
        BOOST_REQUIRE(!next.empty());
        const std::string file = next;
        write_existing(file, hex(request));
        CliOut out = run_cli({"machine", "--hex", "--remove", "--spool", root, "--next", "call", file});
        BOOST_TEST(!exists(file), "request file left behind: " << file);
        BOOST_TEST(!out.next.empty());
        next = out.next;
        return out;
    }
};

std::string rig_options(int port, const std::string& idle = "") {
    std::string o = options(Server{"smtp://127.0.0.1:" + std::to_string(port), "required"});
    return idle.empty() ? o : with_field(o, O::SESSION_IDLE, idle);
}

std::string req(std::initializer_list<std::string> parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "\x1F") + p;
    return out;
}

void expect_failure(const CliOut& o, int code, const std::string& name) {
    BOOST_TEST(o.status == code, o.raw);
    BOOST_TEST(field(o.result, R::STATUS) == "3");
    BOOST_TEST(field(o.result, R::ERROR) == std::to_string(code));
    BOOST_TEST(field(o.result, R::ERROR_NAME) == name);
    BOOST_TEST(!field(o.result, R::MESSAGE).empty());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_external_sessions)

BOOST_AUTO_TEST_CASE(prepare_makes_a_private_folder_and_an_empty_0600_request_file) {
    Spool spool;
    const CliOut o = spool.prepare();
    BOOST_TEST(o.status == 0, o.raw);
    BOOST_TEST(field(o.result, R::STATUS) == "0");
    BOOST_TEST(field(o.result, R::ERROR) == "0");
    BOOST_TEST(mode_of(spool.folder()) == 0700u);
    BOOST_TEST(fs::is_directory(fs::symlink_status(spool.folder())));
    BOOST_TEST(fs::path(o.next).parent_path().string() == spool.folder());
    const std::string name = fs::path(o.next).filename().string();
    BOOST_TEST(name.size() == 36u);
    BOOST_TEST(name.substr(32) == ".req");
    BOOST_TEST(name.substr(0, 32).find_first_not_of("0123456789abcdef") == std::string::npos, name);
    BOOST_TEST(mode_of(o.next) == 0600u);
    BOOST_TEST(fs::file_size(o.next) == 0u);
    BOOST_TEST(o.session.empty());
    // Unpredictable: another run gives another name.
    BOOST_TEST(spool.prepare().next != o.next);
}

BOOST_AUTO_TEST_CASE(prepare_refuses_a_user_folder_that_is_a_symlink) {
    Spool spool;
    const std::string elsewhere = spool.root + "/elsewhere";
    BOOST_REQUIRE(::mkdir(elsewhere.c_str(), 0700) == 0);
    BOOST_REQUIRE(::symlink(elsewhere.c_str(), spool.folder().c_str()) == 0);
    const CliOut o = spool.prepare();
    expect_failure(o, 66, "BAD.OPTION");
    BOOST_TEST(field(o.result, R::MESSAGE).find(spool.folder()) != std::string::npos, field(o.result, R::MESSAGE));
    BOOST_TEST(field(o.result, R::MESSAGE).find("symbolic link") != std::string::npos);
    BOOST_TEST(o.next.empty());
    BOOST_TEST(fs::is_empty(elsewhere));
}

BOOST_AUTO_TEST_CASE(prepare_refuses_a_user_folder_owned_by_another_uid) {
    if (::geteuid() != 0) {
        BOOST_TEST_MESSAGE("skipped: needs root to give a folder to uid 65534");
        return;
    }
    Spool spool;
    BOOST_REQUIRE(::mkdir(spool.folder().c_str(), 0700) == 0);
    BOOST_REQUIRE(::chown(spool.folder().c_str(), 65534, 65534) == 0);
    const CliOut o = spool.prepare();
    expect_failure(o, 66, "BAD.OPTION");
    BOOST_TEST(field(o.result, R::MESSAGE).find("owned by uid 65534") != std::string::npos, field(o.result, R::MESSAGE));
    BOOST_TEST(o.next.empty());
}

BOOST_AUTO_TEST_CASE(prepare_refuses_a_user_folder_open_to_others) {
    Spool spool;
    BOOST_REQUIRE(::mkdir(spool.folder().c_str(), 0700) == 0);
    BOOST_REQUIRE(::chmod(spool.folder().c_str(), 0755) == 0);
    const CliOut o = spool.prepare();
    expect_failure(o, 66, "BAD.OPTION");
    BOOST_TEST(field(o.result, R::MESSAGE).find("0755") != std::string::npos, field(o.result, R::MESSAGE));
    BOOST_TEST(field(o.result, R::MESSAGE).find(spool.folder()) != std::string::npos);
    BOOST_TEST(o.next.empty());
}

BOOST_AUTO_TEST_CASE(a_shared_root_needs_the_sticky_bit) {
    Spool spool;
    BOOST_REQUIRE(::chmod(spool.root.c_str(), 0777) == 0);
    const CliOut o = spool.prepare();
    expect_failure(o, 66, "BAD.OPTION");
    BOOST_TEST(field(o.result, R::MESSAGE).find("sticky") != std::string::npos, field(o.result, R::MESSAGE));
    BOOST_REQUIRE(::chmod(spool.root.c_str(), 01733) == 0);
    const CliOut ok = spool.prepare();
    BOOST_TEST(ok.status == 0, ok.raw);
    BOOST_TEST(!ok.next.empty());
}

BOOST_AUTO_TEST_CASE(sweep_drops_request_files_older_than_an_hour) {
    Spool spool;
    const std::string old_req = spool.prepare().next, fresh_req = spool.prepare().next;
    const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
    fs::last_write_time(old_req, two_hours_ago);
    BOOST_TEST(spool.prepare().status == 0);
    BOOST_TEST(!exists(old_req));
    BOOST_TEST(exists(fresh_req));
}

BOOST_AUTO_TEST_CASE(sweep_drops_dead_session_sockets_and_keeps_live_ones) {
    Spool spool;
    BOOST_REQUIRE(spool.prepare().status == 0);
    const std::string dead = spool.sock(std::string(32, 'd'));
    BOOST_REQUIRE(testbed::run({testbed::python(), "-c",
                                "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", dead})
                      .status == 0);
    const CliOut open = spool.call(req({"OPEN", rig_options(2525)}));
    BOOST_REQUIRE_MESSAGE(open.status == 0, field(open.result, R::MESSAGE));
    const std::string live = spool.sock(open.session);
    const auto old = fs::file_time_type::clock::now() - std::chrono::minutes(2);
    fs::last_write_time(dead, old);
    fs::last_write_time(live, old);
    BOOST_TEST(spool.prepare().status == 0);
    BOOST_TEST(!exists(dead));  // nobody listening: a session process killed without cleanup
    BOOST_TEST(exists(live));
    BOOST_TEST(field(spool.call(req({"CMD", open.session, "NOOP"})).result, R::REPLY_CODE) == "250");
    BOOST_TEST(spool.call(req({"CLOSE", open.session})).status == 0);
}

BOOST_AUTO_TEST_CASE(request_file_open_to_others_is_refused_unread_and_removed) {
    Spool spool;
    const std::string token = testbed::unique_token("ext0644");
    const std::string file = spool.prepare().next;
    write_existing(file, hex(req({"SENDMAIL", simple_message(token, {kUser}), "body", rig_options(2525)})));
    BOOST_REQUIRE(::chmod(file.c_str(), 0644) == 0);
    const CliOut o = run_cli({"machine", "--hex", "--remove", "--spool", spool.root, "--next", "call", file});
    expect_failure(o, 66, "BAD.OPTION");
    BOOST_TEST(field(o.result, R::MESSAGE).find("0644") != std::string::npos, field(o.result, R::MESSAGE));
    BOOST_TEST(!exists(file));      // ours: removed all the same (it may hold a password)
    BOOST_TEST(!o.next.empty());    // the caller can carry on with a fresh file
    BOOST_TEST(testbed::wait_for_message(kUser, token, 2000).empty());  // never acted on
}

BOOST_AUTO_TEST_CASE(request_file_symlink_is_refused_and_left_alone) {
    Spool spool;
    const std::string token = testbed::unique_token("extlink");
    const std::string target = spool.prepare().next;
    write_existing(target, hex(req({"SENDMAIL", simple_message(token, {kUser}), "body", rig_options(2525)})));
    const std::string link = spool.folder() + "/link.req";
    BOOST_REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
    const CliOut o = run_cli({"machine", "--hex", "--remove", "--spool", spool.root, "--next", "call", link});
    expect_failure(o, 66, "BAD.OPTION");
    BOOST_TEST(field(o.result, R::MESSAGE).find("symbolic link") != std::string::npos, field(o.result, R::MESSAGE));
    BOOST_TEST(fs::is_symlink(fs::symlink_status(link)));  // a link is never unlinked
    BOOST_TEST(fs::file_size(target) > 0u);                 // nor its target
    BOOST_TEST(testbed::wait_for_message(kUser, token, 2000).empty());
}

BOOST_AUTO_TEST_CASE(request_file_of_another_user_is_refused_and_kept) {
    if (::geteuid() != 0) {
        BOOST_TEST_MESSAGE("skipped: needs root to give a file to uid 65534");
        return;
    }
    Spool spool;
    const std::string file = spool.prepare().next;
    write_existing(file, hex(req({"CMD", std::string(32, 'a'), "NOOP"})));
    BOOST_REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
    const CliOut o = run_cli({"machine", "--hex", "--remove", "--spool", spool.root, "call", file});
    expect_failure(o, 66, "BAD.OPTION");
    BOOST_TEST(field(o.result, R::MESSAGE).find("uid 65534") != std::string::npos, field(o.result, R::MESSAGE));
    BOOST_TEST(exists(file));
}

BOOST_AUTO_TEST_CASE(remove_leaves_no_file_even_when_the_request_is_malformed) {
    Spool spool;
    for (const std::string& content : {std::string("not hex at all"), std::string("ABC"), hex("FROBNICATE\x1Fx"),
                                       hex(req({"SEND", "only-a-token"})), std::string()}) {
        const std::string file = spool.prepare().next;
        write_existing(file, content);
        const CliOut o = run_cli({"machine", "--hex", "--remove", "--spool", spool.root, "--next", "call", file});
        expect_failure(o, 60, "BAD.ARGUMENT");
        BOOST_TEST(!exists(file), "left behind for content [" << content << "]");
        BOOST_TEST(!o.next.empty());
    }
    // The older form too.
    const std::string file = spool.prepare().next;
    write_existing(file, "zz");
    const auto legacy = testbed::run({kCli, "machine", "--hex", "--remove", "sendmail", file});
    BOOST_TEST(legacy.status == 60);
    BOOST_TEST(field(unhex(legacy.out), R::ERROR_NAME) == "BAD.ARGUMENT");
    BOOST_TEST(!exists(file));
}

BOOST_AUTO_TEST_CASE(hex_usage_errors_print_a_failed_result) {
    Spool spool;
    const std::vector<std::vector<std::string>> cases = {
        {"machine", "--hex", "--bogus"},
        {"machine", "--hex"},
        {"machine", "--hex", "--next", "prepare"},                       // --next without --spool
        {"machine", "--hex", "--spool", spool.root, "call"},            // no ARGFILE
        {"machine", "--hex", "--spool", spool.root, "frobnicate", "x"},
        {"machine", "--hex", "--spool", spool.root, "call", spool.root + "/missing.req"},
    };
    for (const auto& args : cases) {
        const CliOut o = run_cli(args);
        BOOST_TEST(field(o.result, R::STATUS) == "3", o.raw);
        BOOST_TEST(o.status == std::atoi(field(o.result, R::ERROR).c_str()));
        BOOST_TEST((o.status == 60 || o.status == 66), o.raw);
        BOOST_TEST(!field(o.result, R::MESSAGE).empty());
        BOOST_TEST(o.next.empty());
    }
    // Without --hex a usage error stays a stderr message, as before.
    const auto plain = testbed::run({kCli, "machine", "--bogus"});
    BOOST_TEST(plain.status == 60);
    BOOST_TEST(plain.out.empty());
}

BOOST_AUTO_TEST_CASE(call_sendmail_sends_one_message) {
    Spool spool;
    const std::string token = testbed::unique_token("extsendmail");
    const CliOut o = spool.call(req({"SENDMAIL", simple_message(token, {kUser}), "body", rig_options(2525)}));
    BOOST_TEST(o.status == 0, field(o.result, R::MESSAGE));
    BOOST_TEST(field(o.result, R::STATUS) == "0");
    BOOST_TEST(o.session.empty());
    BOOST_TEST(!testbed::wait_for_message(kUser, token).empty());
}

BOOST_AUTO_TEST_CASE(open_three_sends_noop_and_close_use_one_smtp_connection) {
    Spool spool;
    testsupport::CountingProxy proxy(2525);
    const std::string token = testbed::unique_token("extsess");
    const CliOut open = spool.call(req({"OPEN", rig_options(proxy.port())}));
    BOOST_REQUIRE_MESSAGE(open.status == 0, field(open.result, R::MESSAGE));
    BOOST_TEST(std::atoi(field(open.result, R::HANDLE).c_str()) > 0);
    BOOST_REQUIRE(open.session.size() == 32u);
    BOOST_TEST(open.session.find_first_not_of("0123456789abcdef") == std::string::npos);
    BOOST_TEST(mode_of(spool.sock(open.session)) == 0600u);
    const pid_t session_pid = pid_listening_on(spool.sock(open.session));
    BOOST_REQUIRE(session_pid > 0);
    BOOST_TEST(session_pid != ::getpid());

    for (int i = 1; i <= 3; ++i) {
        const CliOut sent = spool.call(req({"SEND", open.session, simple_message(token + "-" + std::to_string(i), {kUser}), "body"}));
        BOOST_TEST(sent.status == 0, field(sent.result, R::MESSAGE));
        BOOST_TEST(field(sent.result, R::STATUS) == "0");
        BOOST_TEST(field(sent.result, R::REPLY_CODE) == "250");
        BOOST_TEST(sent.session.empty());
    }
    const CliOut noop = spool.call(req({"CMD", open.session, "NOOP"}));
    BOOST_TEST(noop.status == 0);
    BOOST_TEST(field(noop.result, R::REPLY_CODE) == "250");
    const CliOut close = spool.call(req({"CLOSE", open.session}));
    BOOST_TEST(close.status == 0);
    BOOST_TEST(field(close.result, R::REPLY_CODE) == "221");

    BOOST_TEST(proxy.connections() == 1);
    BOOST_TEST(!exists(spool.sock(open.session)));
    BOOST_TEST(wait_until([&] { return exited(session_pid); }, 3000), "session process " << session_pid << " still running");
    for (int i = 1; i <= 3; ++i) BOOST_TEST(!testbed::wait_for_message(kUser, token + "-" + std::to_string(i)).empty());

    // The session is gone: a call to it sends nothing and says so.
    const CliOut after = spool.call(req({"SEND", open.session, simple_message(token + "-late", {kUser}), "body"}));
    expect_failure(after, 67, "BAD.HANDLE");
    BOOST_TEST(field(after.result, R::TRANSIENT) == "0");
    BOOST_TEST(field(after.result, R::MESSAGE).find("session has ended") != std::string::npos);
    BOOST_TEST(proxy.connections() == 1);
}

BOOST_AUTO_TEST_CASE(a_failed_open_leaves_no_session_behind) {
    Spool spool;
    int closed_port = 0;
    {
        testsupport::CountingProxy probe(1);  // a free port, closed again at once
        closed_port = probe.port();
    }
    const CliOut o = spool.call(req({"OPEN", rig_options(closed_port)}));
    BOOST_TEST(o.status == 10, o.raw);
    BOOST_TEST(field(o.result, R::ERROR_NAME) == "CONNECT.FAILED");
    BOOST_TEST(o.session.empty());
    for (const auto& e : fs::directory_iterator(spool.folder()))
        BOOST_TEST(e.path().extension() != ".sock", e.path());
}

BOOST_AUTO_TEST_CASE(a_malformed_token_is_bad_handle) {
    Spool spool;
    for (const std::string& token : {std::string("nope"), std::string(32, 'g'), std::string("../../etc/x")}) {
        const CliOut o = spool.call(req({"CMD", token, "NOOP"}));
        expect_failure(o, 67, "BAD.HANDLE");
    }
}

BOOST_AUTO_TEST_CASE(session_idle_must_be_1_to_86400) {
    Spool spool;
    for (const std::string idle : {"0", "86401", "ten", "-5"}) {
        const CliOut o = spool.call(req({"OPEN", rig_options(2525, idle)}));
        expect_failure(o, 66, "BAD.OPTION");
        BOOST_TEST(field(o.result, R::MESSAGE).find("O.SESSION.IDLE") != std::string::npos);
        BOOST_TEST(o.session.empty());
    }
    for (const auto& e : fs::directory_iterator(spool.folder()))
        BOOST_TEST(e.path().extension() != ".sock", e.path());
}

BOOST_AUTO_TEST_CASE(an_idle_session_ends_by_itself) {
    Spool spool;
    testsupport::CountingProxy proxy(2525);
    const CliOut open = spool.call(req({"OPEN", rig_options(proxy.port(), "2")}));
    BOOST_REQUIRE_MESSAGE(open.status == 0, field(open.result, R::MESSAGE));
    const pid_t pid = pid_listening_on(spool.sock(open.session));
    BOOST_REQUIRE(pid > 0);
    std::this_thread::sleep_for(std::chrono::seconds(4));
    BOOST_TEST(!exists(spool.sock(open.session)));
    BOOST_TEST(exited(pid));
    const CliOut o = spool.call(req({"SEND", open.session, simple_message("idle", {kUser}), "body"}));
    expect_failure(o, 67, "BAD.HANDLE");
    BOOST_TEST(proxy.connections() == 1);  // no reconnect behind our back
}

BOOST_AUTO_TEST_CASE(a_session_ends_when_its_owner_ends) {
    // The owner is the first non-shell ancestor of mvsmtp: here a python3 process that runs
    // the client (through sh, which is skipped) and exits.
    Spool spool;
    const std::string file = spool.prepare().next;
    write_existing(file, hex(req({"OPEN", rig_options(2525)})));
    const std::string cmd = "'" + kCli + "' machine --hex --remove --spool '" + spool.root + "' call '" + file + "'";
    const auto r = testbed::run({testbed::python(), "-c",
                                 "import subprocess, sys; sys.stdout.write(subprocess.run(sys.argv[1], shell=True, "
                                 "stdout=subprocess.PIPE, text=True).stdout)",
                                 cmd});
    const CliOut open = parse(r);
    BOOST_REQUIRE_MESSAGE(open.session.size() == 32u, field(open.result, R::MESSAGE));
    // python3 has exited by now; the session process notices within about a second.
    const std::string sock = spool.sock(open.session);
    BOOST_TEST(wait_until([&] { return !exists(sock); }, 3500), "session socket still there");
    const CliOut o = spool.call(req({"CMD", open.session, "NOOP"}));
    expect_failure(o, 67, "BAD.HANDLE");
}

BOOST_AUTO_TEST_CASE(captured_stdout_reaches_eof_when_the_client_exits) {
    // EXECUTE ... CAPTURING reads the command's stdout pipe until EOF: the session process
    // must hold neither that pipe nor any other file the caller had open.
    Spool spool;
    const std::string file = spool.prepare().next;
    write_existing(file, hex(req({"OPEN", rig_options(2525, "30")})));
    const std::string engine_file = spool.root + "/engine-data";
    std::ofstream(engine_file) << "x";
    int out[2];
    BOOST_REQUIRE(::pipe(out) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addopen(&actions, 9, engine_file.c_str(), O_RDONLY, 0);  // an "engine" file, inherited
    std::vector<std::string> args{kCli, "machine", "--hex", "--remove", "--spool", spool.root, "call", file};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(&a[0]);
    argv.push_back(nullptr);
    pid_t child = 0;
    BOOST_REQUIRE(posix_spawn(&child, kCli.c_str(), &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    int status = 0;
    ::waitpid(child, &status, 0);
    BOOST_TEST(WEXITSTATUS(status) == 0);
    const auto exited_at = std::chrono::steady_clock::now();
    std::string captured;
    bool eof = false;
    while (!eof) {
        pollfd p{out[0], POLLIN, 0};
        if (::poll(&p, 1, 3000) <= 0) break;
        char buf[4096];
        const ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) eof = true;
        else captured.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    BOOST_TEST(eof, "the pipe stayed open after the client exited");
    const auto eof_after = std::chrono::steady_clock::now() - exited_at;
    BOOST_TEST((eof_after < std::chrono::seconds(2)), "EOF came late");
    const CliOut open = parse({WEXITSTATUS(status), captured, ""});
    BOOST_REQUIRE(open.session.size() == 32u);
    const pid_t pid = pid_listening_on(spool.sock(open.session));
    BOOST_REQUIRE(pid > 0);
    for (const std::string& fd : fd_targets(pid)) {
        BOOST_TEST(fd.find("pipe:") == std::string::npos, fd);
        BOOST_TEST(fd.find(engine_file) == std::string::npos, fd);
        if (fd.rfind("0 ", 0) == 0 || fd.rfind("1 ", 0) == 0 || fd.rfind("2 ", 0) == 0)
            BOOST_TEST(fd.find("/dev/null") != std::string::npos, fd);
    }
    BOOST_TEST(spool.call(req({"CLOSE", open.session})).status == 0);
}

BOOST_AUTO_TEST_CASE(a_session_lost_during_send_is_outcome_unknown) {
    // The server takes the message and never answers the final "."; the session process dies
    // meanwhile. The message may have been accepted: OUTCOME.UNKNOWN, never transient.
    using testsupport::FakeServer;
    FakeServer server({"220 fake ESMTP", "250 fake", "250 ok", "250 ok", "354 go ahead"});
    Spool spool;
    const std::string opts = options(Server{"smtp://127.0.0.1:" + std::to_string(server.port()), "off", ""});
    const CliOut open = spool.call(req({"OPEN", opts}));
    BOOST_REQUIRE_MESSAGE(open.status == 0, field(open.result, R::MESSAGE));
    const pid_t pid = pid_listening_on(spool.sock(open.session));
    BOOST_REQUIRE(pid > 0);
    CliOut sent;
    std::thread sender([&] { sent = spool.call(req({"SEND", open.session, simple_message("lost", {kUser}), "body"})); });
    const bool dot_seen = wait_until([&] {
        for (const auto& line : server.received())
            if (line == ".") return true;
        return false;
    }, 10000);
    ::kill(pid, SIGKILL);
    sender.join();
    BOOST_TEST(dot_seen);
    expect_failure(sent, 44, "OUTCOME.UNKNOWN");
    BOOST_TEST(field(sent.result, R::TRANSIENT) == "0");
    BOOST_TEST(field(sent.result, R::MESSAGE).find("may or may not") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_socket_served_by_another_user_is_refused) {
    if (::geteuid() != 0) {
        BOOST_TEST_MESSAGE("skipped: needs root to listen as uid 65534");
        return;
    }
    Spool spool;
    BOOST_REQUIRE(spool.prepare().status == 0);
    const std::string token(32, 'e');
    const std::string sock = spool.sock(token);
    // Markers outside our 0700 folder: the impostor cannot write there once it is uid 65534.
    const std::string marker = "/tmp/mvsmtp-impostor-" + testbed::unique_token("m");
    std::thread impostor([&] {
        testbed::run({testbed::python(), "-c",
                      "import os, socket, sys\n"
                      "s = socket.socket(socket.AF_UNIX)\n"
                      "s.bind(sys.argv[1]); os.setuid(65534); s.listen(1)\n"
                      "open(sys.argv[2] + '.ready', 'w').close()\n"
                      "s.settimeout(4)\n"
                      "try:\n"
                      "    c, _ = s.accept(); c.settimeout(2); data = c.recv(100)\n"
                      "    if data: open(sys.argv[2] + '.got', 'w').close()\n"
                      "except Exception: pass\n",
                      sock, marker});
    });
    BOOST_TEST(wait_until([&] { return exists(marker + ".ready"); }, 5000));
    const CliOut o = spool.call(req({"CMD", token, "NOOP"}));
    impostor.join();
    expect_failure(o, 67, "BAD.HANDLE");
    BOOST_TEST(field(o.result, R::MESSAGE).find("not served by this user") != std::string::npos, field(o.result, R::MESSAGE));
    BOOST_TEST(!exists(marker + ".got"));  // the request was never written to it
    ::unlink((marker + ".ready").c_str());
    ::unlink((marker + ".got").c_str());
}

BOOST_AUTO_TEST_SUITE_END()
