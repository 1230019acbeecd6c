// Rate limits: the N/PERIOD syntax, sliding windows on a simulated clock, and the wait a
// caller is told; the retry schedule's doubling, cap and jitter.
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include "mvsmtp/error.hpp"
#include "mvsmtp/queue.hpp"
#include "mvsmtp/rate_limit.hpp"
#include "platform.hpp"
#include "support/error_code_of.hpp"
#include "support/temp_dir.hpp"

using namespace mvsmtp;

BOOST_AUTO_TEST_SUITE(test_rate_limit)

BOOST_AUTO_TEST_CASE(rate_syntax) {
    BOOST_TEST(parse_rate("30/minute").count == 30);
    BOOST_TEST(parse_rate("30/minute").seconds == 60.0);
    BOOST_TEST(parse_rate("10000/day").seconds == 86400.0);
    BOOST_TEST(parse_rate("10/2s").seconds == 2.0);
    BOOST_TEST(parse_rate(" 5 / h ").seconds == 3600.0);
    BOOST_TEST(!parse_rate("").enabled());
    BOOST_TEST(!parse_rate("none").enabled());
    for (const char* bad : {"30", "x/minute", "30/fortnight", "-1/s", "0/s", "30/0s", "/s"})
        BOOST_TEST((testsupport::error_code_of([&] { parse_rate(bad); }) == ErrorCode::BadOption), bad);
}

BOOST_AUTO_TEST_CASE(thirty_a_minute_makes_a_hundred_take_three_minutes_of_simulated_clock) {
    testsupport::TempDir d;
    RateGate gate({parse_rate("30/minute"), {}}, d.path + "/rate.state");
    double clock = 1'000'000;
    int sent = 0;
    const double start = clock;
    while (sent < 100) {
        const double wait = gate.try_take(1, clock);
        if (wait > 0) {
            clock += wait;  // a paced flusher sleeps exactly this long
            continue;
        }
        ++sent;
    }
    // 30 at once, 30 after 62 s, 30 after 124 s, the last 10 after 186 s (windows kept 2 s
    // longer than a minute: the provider counts on arrival).
    BOOST_TEST(clock - start >= 180.0);
    BOOST_TEST(clock - start < 187.0);
}

BOOST_AUTO_TEST_CASE(two_gates_on_one_state_file_share_the_limit) {
    testsupport::TempDir d;
    RateGate a({parse_rate("10/minute"), {}}, d.path + "/rate.state");
    RateGate b({parse_rate("10/minute"), {}}, d.path + "/rate.state");
    int taken = 0;
    for (int i = 0; i < 20; ++i) taken += (i % 2 ? a : b).try_take(1, 5000.0 + i) == 0 ? 1 : 0;
    BOOST_TEST(taken == 10);
}

BOOST_AUTO_TEST_CASE(recipients_per_day) {
    testsupport::TempDir d;
    RateGate gate({{}, parse_rate("100/day")}, d.path + "/rate.state");
    BOOST_TEST(gate.try_take(60, 10000) == 0.0);
    const double wait = gate.try_take(60, 10010);
    BOOST_TEST(wait > 86000.0);  // the first 60 leave the window a day after they went
    BOOST_TEST(gate.try_take(40, 10020) == 0.0);
    BOOST_TEST(gate.try_take(1, 10000 + 86403) == 0.0);
}

BOOST_AUTO_TEST_CASE(retry_schedule_doubles_caps_and_jitters) {
    QueueSettings s;
    s.retry_first_seconds = 60;
    s.retry_max_seconds = 3600;
    for (int i = 0; i < 20; ++i) {
        const int first = retry_delay_seconds(s, 1);
        BOOST_TEST((first >= 48 && first <= 72), first);
        const int third = retry_delay_seconds(s, 3);
        BOOST_TEST((third >= 192 && third <= 288), third);
        const int late = retry_delay_seconds(s, 30);
        BOOST_TEST((late >= 2880 && late <= 4320), late);
    }
}

// Every wait has a deadline, locks too: a lock someone keeps is given up on, not waited for.
BOOST_AUTO_TEST_CASE(a_lock_held_elsewhere_is_given_up_after_its_deadline) {
    testsupport::TempDir d;
    const std::string path = d.write("x.lock", "");
    const int held = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    const int other = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    BOOST_TEST_REQUIRE(mvsmtp::platform::lock_exclusive(held, 0));
    const auto start = std::chrono::steady_clock::now();
    BOOST_TEST(!mvsmtp::platform::lock_exclusive(other, 200));
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    BOOST_TEST((took >= 0.19 && took < 2.0), took);
    ::close(held);  // closing drops the lock: now it is free at once
    BOOST_TEST(mvsmtp::platform::lock_exclusive(other, 0));
    ::close(other);
}

BOOST_AUTO_TEST_SUITE_END()
