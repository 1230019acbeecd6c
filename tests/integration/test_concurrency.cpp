// The handle table under concurrent use, as jBASE (threads in one process) would drive it:
// threads on their own handles run in parallel; threads sharing a handle are serialised,
// and every message is accounted for exactly once.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "session_fixture.hpp"

using namespace sendmail_test;

namespace {

std::string sink_options() {
    DynArrayBuilder o;
    o.set(O::SERVER, "smtp://127.0.0.1:2500");
    o.set(O::TLS, "off");
    o.set(O::HELO, "client.example.test");
    return o.str();
}

// The library keeps each thread's last result apart (mvs_fetch is per thread), so each
// thread needs its own AbiSessions buffer (freed when the thread ends: LeakSanitizer).
thread_local std::unique_ptr<AbiSessions> per_thread;
AbiSessions& mine() {
    if (!per_thread) per_thread = std::make_unique<AbiSessions>();
    return *per_thread;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_concurrency)

BOOST_AUTO_TEST_CASE(threads_with_their_own_handles) {
    std::atomic<int> sent{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            const int h = AbiSessions::handle_of(mine().open(sink_options()));
            if (h <= 0) { failed += 50; return; }
            for (int i = 0; i < 50; ++i) {
                const std::string r = mine().send(h, simple_message("t" + std::to_string(t), {"x@example.test"}), "body");
                (field(r, R::STATUS) == "0" ? sent : failed)++;
            }
            mine().close(h);
        });
    }
    for (auto& th : threads) th.join();
    BOOST_TEST(sent.load() == 200);
    BOOST_TEST(failed.load() == 0);
}

BOOST_AUTO_TEST_CASE(threads_sharing_one_handle_are_serialised) {
    const int h = AbiSessions::handle_of(sessions().open(sink_options()));
    BOOST_REQUIRE(h > 0);
    std::atomic<int> sent{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 40; ++i) {
                const std::string r = mine().send(h, simple_message("shared", {"x@example.test"}), "body");
                (field(r, R::STATUS) == "0" ? sent : failed)++;
            }
        });
    }
    for (auto& th : threads) th.join();
    BOOST_TEST(sent.load() == 120);
    BOOST_TEST(failed.load() == 0);
    BOOST_TEST(field(sessions().close(h), R::STATUS) == "0");
}

// Regression: 8 threads × SENDMAIL into one outbox failed 1 call in ~120,000 with
// OUTBOX.FAILED, and a message reported STORED could be overwritten by another thread's.
// Every STORED path must exist, be distinct and hold its own message.
BOOST_AUTO_TEST_CASE(threads_storing_into_one_outbox) {
    const std::string outbox = testbed::dir() + "/" + testbed::unique_token("outbox-threads");
    DynArrayBuilder o;
    o.set(O::OUTBOX, outbox);
    o.set(O::CONFIG, "");
    const std::string options = o.str();
    std::mutex lock;
    std::vector<std::pair<std::string, std::string>> stored;
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 500; ++i) {
                const std::string token = "ob-" + std::to_string(t) + "-" + std::to_string(i);
                const std::string r = mvsmtp_library().sendmail(simple_message(token, {"x@example.test"}), "body", options);
                if (field(r, R::STATUS) != "2") { ++failed; continue; }
                std::lock_guard<std::mutex> g(lock);
                stored.emplace_back(field(r, R::OUTBOX_FILE), token);
            }
        });
    for (auto& th : threads) th.join();
    BOOST_TEST(failed.load() == 0);
    std::set<std::string> distinct;
    for (const auto& [path, token] : stored) {
        distinct.insert(path);
        std::ifstream in(path, std::ios::binary);
        const std::string text((std::istreambuf_iterator<char>(in)), {});
        BOOST_TEST_REQUIRE(text.find(token + "\r\n") != std::string::npos, path);
    }
    BOOST_TEST(distinct.size() == 4000u);
    std::filesystem::remove_all(outbox);
}

BOOST_AUTO_TEST_SUITE_END()

