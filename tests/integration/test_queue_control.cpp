// SMTP.QUEUE.CONTROL and `mvsmtp queue`: a send to a relay that is down is queued (S.QUEUED,
// R.QUEUE.ID, R.RCPT.QUEUED); LIST and SHOW see it; when the relay comes back on the same
// address (a CountingProxy in front of the rig's Postfix 127.0.0.1:2526, cleartext) FLUSH
// delivers it into the Maildir. mvs_queue, the shim's QUEUE and `machine call` QUEUE give one
// RESULT; the CLI's list/show/flush/retry/delete/purge/run have the documented lines and exits.
#include <boost/test/unit_test.hpp>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "sendmail_fixture.hpp"
#include "support/counting_proxy.hpp"
#include "support/temp_dir.hpp"

using namespace sendmail_test;

namespace {

const std::string kCli = MVSMTP_CLI_PATH;

// mvs_queue with a small buffer and mvs_fetch for the rest, as a BASIC wrapper does.
std::string abi_queue(const std::string& command, const std::string& options) {
    return mvsmtp_library().call2("mvs_queue", command, options, 256);
}

// The shim as UniVerse/UniData/D3 call it: SPACE(8000), 10 digits, FETCH rounds.
std::string shim_queue(const std::string& command, const std::string& options) {
    return mvsmtp_library().shim("QUEUE", 0, command, options);
}

std::string cmd(const std::string& verb, const std::string& argument = "") {
    DynArrayBuilder c;
    c.set(1, verb);
    c.set(2, argument);
    return c.str();
}

// A loopback port where nothing listens (bound once by us, then released).
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

// A queue folder and a relay address that is down until up() puts a proxy to Postfix there.
struct QueueBed {
    testsupport::TempDir dir;
    std::string folder = dir.path + "/queue";
    // An empty INI: no site or user mvsmtp.ini may change what is tested.
    std::string config = dir.write("mvsmtp.ini", "");
    int port = free_port();
    std::unique_ptr<testsupport::CountingProxy> relay;

    std::string options() const {
        DynArrayBuilder o;
        o.set(O::CONFIG, config);
        o.set(O::SERVER, "smtp://127.0.0.1:" + std::to_string(port));
        o.set(O::TLS, "off");
        o.set(O::HELO, "client.example.test");
        o.set(O::CONNECT_TIMEOUT, "3");
        o.set(O::TIMEOUT, "20");
        o.set(O::QUEUE, folder);
        return o.str();
    }
    // Only what LIST, SHOW & co. need: the folder (and no config file).
    std::string control_options() const {
        DynArrayBuilder o;
        o.set(O::CONFIG, config);
        o.set(O::QUEUE, folder);
        return o.str();
    }
    std::vector<std::string> cli(std::vector<std::string> args) const {
        args.insert(args.begin(), {kCli, "queue"});
        args.insert(args.end(), {"--config", config, "--queue", folder});
        return args;
    }
    void up() { relay = std::make_unique<testsupport::CountingProxy>(2526, port); }
    void down() { relay.reset(); }

    // SENDMAIL while the relay is down: queued. Returns the queue id.
    std::string queue_one(const std::string& token, const std::vector<std::string>& to = {kUser}) {
        const std::string r = mvsmtp_library().sendmail(simple_message(token, to), "body of " + token, options());
        BOOST_TEST_REQUIRE(field(r, R::STATUS) == "4", field(r, R::ERROR_NAME) << ": " << field(r, R::MESSAGE));
        BOOST_TEST(!field(r, R::QUEUE_ID).empty());
        for (std::size_t i = 1; i <= to.size(); ++i) BOOST_TEST(field(r, R::RCPT_QUEUED, static_cast<int>(i)) == "1");
        BOOST_TEST(field(r, R::TRANSIENT) == "0");  // queued: nothing for the caller to retry
        BOOST_TEST(field(r, R::ERROR) == "10");     // why: the relay refused the connection
        return field(r, R::QUEUE_ID);
    }
};

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_queue_control)

BOOST_AUTO_TEST_CASE(queued_while_down_listed_shown_then_flushed_when_back) {
    QueueBed bed;
    const std::string token = testbed::unique_token("queued");
    const std::string id = bed.queue_one(token, {kUser, "alice@example.test"});

    const std::string list = abi_queue(cmd("LIST"), bed.control_options());
    BOOST_TEST(field(list, R::STATUS) == "0", field(list, R::MESSAGE));
    BOOST_TEST(contains(mvsmtp::gci::values(list, R::QUEUE_ID), id));
    BOOST_TEST(field(list, R::QUEUE_PENDING, 1) == "2");
    BOOST_TEST(std::regex_match(field(list, R::QUEUE_CREATED, 1), std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")));
    BOOST_TEST(!field(list, R::QUEUE_REASON, 1).empty());

    const std::string show = abi_queue(cmd("SHOW", id), bed.control_options());
    BOOST_TEST(field(show, R::QUEUE_ID) == id);
    BOOST_TEST(mvsmtp::gci::values(show, R::RCPT_ADDRESS).size() == 2u);
    BOOST_TEST(field(show, R::RCPT_ADDRESS, 2) == "alice@example.test");
    BOOST_TEST(field(show, R::RCPT_QUEUED, 1) == "1");
    BOOST_TEST(field(show, R::RCPT_QUEUED, 2) == "1");
    BOOST_TEST(!field(show, R::MESSAGE_ID).empty());

    // Not due yet (the first retry is a minute away): FLUSH alone leaves it, FLUSH ALL sends it.
    bed.up();
    const std::string not_due = abi_queue(cmd("FLUSH"), bed.control_options());
    BOOST_TEST(field(not_due, R::QUEUE_COUNTS, 1) == "0");
    const std::string flushed = abi_queue(cmd("FLUSH", "ALL"), bed.control_options());
    BOOST_TEST(field(flushed, R::STATUS) == "0", field(flushed, R::MESSAGE));
    BOOST_TEST(mvsmtp::gci::values(flushed, R::QUEUE_COUNTS) ==
               (std::vector<std::string>{"1", "1", "0", "0", "0"}), field(flushed, R::MESSAGE));
    BOOST_TEST(field(flushed, R::MESSAGE).find("1 delivered") != std::string::npos);
    BOOST_TEST(!testbed::wait_for_message(kUser, token).empty());
    BOOST_TEST(!testbed::wait_for_message("alice@example.test", token).empty());
    BOOST_TEST(bed.relay->connections() == 1);
    BOOST_TEST(mvsmtp::gci::values(abi_queue(cmd("LIST"), bed.control_options()), R::QUEUE_ID).empty());
}

BOOST_AUTO_TEST_CASE(retry_delete_purge_and_unknown_ids) {
    QueueBed bed;
    const std::string id = bed.queue_one(testbed::unique_token("ctl"));
    BOOST_TEST(field(abi_queue(cmd("RETRY", id), bed.control_options()), R::STATUS) == "0");
    const std::string unknown = abi_queue(cmd("RETRY", "no-such-id"), bed.control_options());
    BOOST_TEST(field(unknown, R::ERROR_NAME) == "BAD.ARGUMENT");
    BOOST_TEST(field(unknown, R::MESSAGE) == "no queued message no-such-id");
    BOOST_TEST(field(abi_queue(cmd("SHOW", "no-such-id"), bed.control_options()), R::ERROR) == "60");
    BOOST_TEST(field(abi_queue(cmd("DELETE", id), bed.control_options()), R::STATUS) == "0");
    BOOST_TEST(field(abi_queue(cmd("DELETE", id), bed.control_options()), R::ERROR) == "60");
    bed.queue_one(testbed::unique_token("purge"));
    BOOST_TEST(field(abi_queue(cmd("PURGE", "86400"), bed.control_options()), R::MESSAGE) == "0 message(s) purged");
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    BOOST_TEST(field(abi_queue(cmd("PURGE", "1"), bed.control_options()), R::MESSAGE) == "1 message(s) purged");
    BOOST_TEST(field(abi_queue(cmd("PURGE", "soon"), bed.control_options()), R::ERROR) == "60");
    // No folder anywhere: BAD.OPTION, with the way out in the message.
    DynArrayBuilder none;
    none.set(O::CONFIG, bed.config);
    const std::string no_folder = abi_queue(cmd("LIST"), none.str());
    BOOST_TEST(field(no_folder, R::ERROR_NAME) == "BAD.OPTION");
    BOOST_TEST(field(no_folder, R::MESSAGE).find("O.QUEUE") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(shim_and_machine_call_queue_equal_mvs_queue) {
    QueueBed bed;
    const std::string id = bed.queue_one(testbed::unique_token("machine"));
    const std::string expected = abi_queue(cmd("SHOW", id), bed.control_options());
    BOOST_TEST(shim_queue(cmd("SHOW", id), bed.control_options()) == expected);

    const std::string root = bed.dir.path + "/spool";
    BOOST_REQUIRE(::mkdir(root.c_str(), 0700) == 0);
    const auto prepared = testbed::run({kCli, "machine", "--hex", "--spool", root, "--next", "prepare"});
    const auto nl = prepared.out.find("NEXT ");
    BOOST_REQUIRE(nl != std::string::npos);
    std::string file = prepared.out.substr(nl + 5);
    file = file.substr(0, file.find('\n'));
    const std::string request = "QUEUE\x1F" + cmd("SHOW", id) + "\x1F" + bed.control_options();
    std::string hex;
    for (unsigned char c : request) {
        static const char* d = "0123456789ABCDEF";
        hex += d[c >> 4];
        hex += d[c & 15];
    }
    std::ofstream(file, std::ios::binary | std::ios::trunc) << hex;
    const auto out = testbed::run({kCli, "machine", "--hex", "--remove", "--spool", root, "call", file});
    const std::string line = out.out.substr(0, out.out.find('\n'));
    std::string result;
    for (std::size_t i = 0; i + 1 < line.size(); i += 2) result += static_cast<char>(std::stoi(line.substr(i, 2), nullptr, 16));
    BOOST_TEST(out.status == 0, out.err);
    BOOST_TEST(result == expected);
}

BOOST_AUTO_TEST_CASE(cli_list_show_retry_delete_purge) {
    QueueBed bed;
    const std::string id = bed.queue_one(testbed::unique_token("cli"), {kUser, "bob@example.test"});
    const auto list = testbed::run(bed.cli({"list"}));
    BOOST_TEST(list.status == 0, list.err);
    BOOST_TEST(std::regex_search(list.out, std::regex("^" + id + R"(  created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  attempts \d+  next .* UTC  pending 2/2  .+\n)")),
               list.out);
    BOOST_TEST(list.out.find("1 message(s) queued in " + bed.folder) != std::string::npos, list.out);

    const auto show = testbed::run(bed.cli({"show", id}));
    BOOST_TEST(show.status == 0, show.err);
    BOOST_TEST(show.out.find("id:            " + id + "\n") != std::string::npos, show.out);
    BOOST_TEST(show.out.find("\n  pending   testuser@example.test  ") != std::string::npos, show.out);
    BOOST_TEST(show.out.find("  pending   bob@example.test") != std::string::npos, show.out);
    const auto unknown = testbed::run(bed.cli({"show", "no-such-id"}));
    BOOST_TEST(unknown.status == 60);
    BOOST_TEST(unknown.err.find("no queued message no-such-id") != std::string::npos, unknown.err);

    const auto retry = testbed::run(bed.cli({"retry", id}));
    BOOST_TEST(retry.status == 0, retry.err);
    BOOST_TEST(testbed::run(bed.cli({"retry", "no-such-id"})).status == 60);
    const auto purge_none = testbed::run(bed.cli({"purge", "--older-than", "7d"}));
    BOOST_TEST(purge_none.status == 0);
    BOOST_TEST(purge_none.out == "0 message(s) purged\n");
    BOOST_TEST(testbed::run(bed.cli({"purge", "--older-than", "7 days"})).status == 60);
    BOOST_TEST(testbed::run(bed.cli({"purge"})).status == 60);
    const auto del = testbed::run(bed.cli({"delete", id}));
    BOOST_TEST(del.status == 0, del.err);
    BOOST_TEST(testbed::run(bed.cli({"delete", id})).status == 60);
    BOOST_TEST(testbed::run(bed.cli({"list"})).out == "0 message(s) queued in " + bed.folder + "\n");
    // No folder: BAD.OPTION (66), from the ABI's RESULT and from flush's own check alike.
    BOOST_TEST(testbed::run({kCli, "queue", "list", "--config", bed.config}).status == 66);
    BOOST_TEST(testbed::run({kCli, "queue", "flush", "--config", bed.config}).status == 66);
    BOOST_TEST(testbed::run({kCli, "queue", "frobnicate", "--queue", bed.folder}).status == 60);
    const auto help = testbed::run({kCli, "queue", "--help"});
    BOOST_TEST(help.status == 0);
    BOOST_TEST(help.out.find("purge --older-than DURATION") != std::string::npos);
    BOOST_TEST(testbed::run({kCli, "--help"}).out.find("mvsmtp queue SUBCOMMAND") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(cli_flush_prints_one_summary_line_off_a_terminal) {
    QueueBed bed;
    const std::string token = testbed::unique_token("cliflush");
    bed.queue_one(token);
    const auto early = testbed::run(bed.cli({"flush"}));  // not due yet
    BOOST_TEST(early.status == 0, early.err);
    BOOST_TEST(std::regex_match(early.out, std::regex(R"(flushed 0: 0 delivered, 0 deferred, 0 failed, 0 left by the rate limit, in \d+\.\d s\n)")),
               early.out);
    bed.up();
    const auto r = testbed::run(bed.cli({"flush", "--all"}));
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(std::regex_match(r.out, std::regex(R"(flushed 1: 1 delivered, 0 deferred, 0 failed, 0 left by the rate limit, in \d+\.\d s\n)")),
               r.out);
    BOOST_TEST(!testbed::wait_for_message(kUser, token).empty());
}

BOOST_AUTO_TEST_CASE(cli_run_flushes_due_messages_until_sigterm) {
    QueueBed bed;
    const std::string token = testbed::unique_token("clirun");
    const std::string id = bed.queue_one(token);
    bed.up();
    BOOST_TEST(testbed::run(bed.cli({"retry", id})).status == 0);  // due now
    Poco::Pipe out_pipe;
    const auto argv = bed.cli({"run", "--interval", "1"});
    Poco::ProcessHandle run = Poco::Process::launch(argv[0], std::vector<std::string>(argv.begin() + 1, argv.end()),
                                                    nullptr, &out_pipe, nullptr);
    BOOST_TEST(!testbed::wait_for_message(kUser, token).empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(run.id(), SIGTERM);
    std::string out;
    Poco::PipeInputStream stream(out_pipe);
    Poco::StreamCopier::copyToString(stream, out);
    BOOST_TEST(run.wait() == 0);
    BOOST_TEST(out.find("flushed 1: 1 delivered, 0 deferred, 0 failed, 0 left by the rate limit") != std::string::npos, out);
    BOOST_TEST(out.find("mvsmtp queue run: stopped") != std::string::npos, out);
}

// Over the profile's rate limit SENDMAIL queues (RATE.LIMITED, 23); mvs_queue FLUSH then never
// sleeps for a slot inside the caller's process: it returns at once, counting what the limit
// held back in R.QUEUE.COUNTS<5>.
BOOST_AUTO_TEST_CASE(abi_flush_never_waits_for_a_rate_limit_slot) {
    testsupport::TempDir dir;
    const std::string folder = dir.path + "/queue";
    const std::string ini = dir.write("mvsmtp.ini", "[default]\nserver = smtp://127.0.0.1:2526\ntls = off\n"
                                                    "helo = client.example.test\nrate_limit = 1/minute\nqueue = " +
                                                        folder + "\n");
    DynArrayBuilder o;
    o.set(O::CONFIG, ini);
    const std::string first = mvsmtp_library().sendmail(simple_message(testbed::unique_token("rl"), {kUser}), "x", o.str());
    BOOST_TEST(field(first, R::STATUS) == "0", field(first, R::MESSAGE));
    const std::string second = mvsmtp_library().sendmail(simple_message(testbed::unique_token("rl"), {kUser}), "x", o.str());
    BOOST_TEST(field(second, R::STATUS) == "4", field(second, R::MESSAGE));
    BOOST_TEST(field(second, R::ERROR_NAME) == "RATE.LIMITED");
    const auto start = std::chrono::steady_clock::now();
    const std::string flushed = abi_queue(cmd("FLUSH", "ALL"), o.str());
    BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(3)));
    BOOST_TEST(mvsmtp::gci::values(flushed, R::QUEUE_COUNTS) ==
               (std::vector<std::string>{"1", "0", "0", "0", "1"}), field(flushed, R::MESSAGE));
    BOOST_TEST(mvsmtp::gci::values(abi_queue(cmd("LIST"), o.str()), R::QUEUE_ID).size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
