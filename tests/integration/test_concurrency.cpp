// The handle table under concurrent use, as jBASE (threads in one process) would drive it:
// threads on their own handles run in parallel; threads sharing a handle are serialised,
// and every message is accounted for exactly once.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <memory>
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

BOOST_AUTO_TEST_SUITE_END()
