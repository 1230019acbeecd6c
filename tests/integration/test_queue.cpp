// The durable queue at the core level, against the test bed's Postfix (127.0.0.1:2526,
// cleartext, loopback may send without AUTH) and a port where nothing listens: transient
// failures are queued and later delivered, permanent ones never queued, accepted recipients
// never sent again, relays tried in order before deferring, rate limits queue instead of refuse.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include <Poco/Net/ServerSocket.h>

#include "mvsmtp/config.hpp"
#include "mvsmtp/delivery.hpp"
#include "mvsmtp/queue.hpp"
#include "support/temp_dir.hpp"
#include "support/test_message.hpp"
#include "support/testbed.hpp"

using namespace mvsmtp;

namespace {

// A port nothing listens on: one the kernel just gave us and we closed again (a fixed port
// could be in use by another test running at the same time, e.g. the engine test's relay).
const std::string& down_server() {
    static const std::string server = [] {
        Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
        const std::string s = "smtp://127.0.0.1:" + std::to_string(probe.address().port());
        probe.close();
        return s;
    }();
    return server;
}
const std::string kDown = down_server();
constexpr const char* kPostfix = "smtp://127.0.0.1:2526";

Profile profile_with(const std::string& server, const std::string& queue, std::map<std::string, std::string> more = {}) {
    // An empty configuration of our own: the machine's mvsmtp.ini must not change the test.
    static testsupport::TempDir config_dir;
    static const std::string config = config_dir.write("mvsmtp.ini", "", 0600);
    ProfileRequest request;
    request.config_path = config;
    request.overrides = {{"server", server}, {"tls", "off"}, {"queue", queue}, {"helo", "queue.mvsmtp.test"},
                         {"connect_timeout", "5"}, {"timeout", "10"}, {"queue_retry", "1"}};
    for (auto& [k, v] : more) request.overrides[k] = v;
    return load_profile(request);
}

Message message_to(const std::vector<std::string>& to, const std::string& token) {
    return testsupport::message_to(to, token, "queue");
}

std::size_t files_in(const std::string& folder) {
    std::size_t n = 0;
    for (const auto& f : std::filesystem::directory_iterator(folder)) n += f.is_regular_file() ? 1 : 0;
    return n;
}

// Queued messages point at the server they were queued with: rewrite it (as an operator
// would after moving the relay) so that the flush can reach Postfix.
void point_queue_at(const std::string& folder, const std::string& server) {
    for (const auto& f : std::filesystem::directory_iterator(folder)) {
        if (f.path().extension() != ".json" || f.path().filename() == "rate.json") continue;
        std::ifstream in(f.path());
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto at = text.find(kDown);
        if (at != std::string::npos) text.replace(at, kDown.size(), server);
        std::ofstream(f.path()) << text;
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_queue)

BOOST_AUTO_TEST_CASE(relay_down_queues_then_flush_delivers_once) {
    testsupport::TempDir d;
    const std::string queue = d.path + "/queue";
    const std::string token = testbed::unique_token("q");
    const DeliveryReport r = deliver(message_to({"alice@example.test"}, token), profile_with(kDown, queue));
    BOOST_TEST_REQUIRE(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Queued), r.message);
    BOOST_TEST(!r.queue_id.empty());
    BOOST_TEST(is_transient(r.error));
    BOOST_TEST_REQUIRE(r.recipients.size() == 1u);
    BOOST_TEST(r.recipients[0].queued);
    Queue q(profile_with(kDown, queue).queue);
    BOOST_TEST_REQUIRE(q.list().size() == 1u);
    BOOST_TEST(q.list()[0].id == r.queue_id);
    BOOST_TEST(q.list()[0].pending() == 1u);

    // Still down: deferred again, attempts counted, nothing lost.
    FlushReport f = q.flush({true});
    BOOST_TEST(f.deferred == 1u);
    BOOST_TEST(q.list().at(0).attempts == 2);

    point_queue_at(queue, kPostfix);
    f = q.flush({true});
    BOOST_TEST(f.delivered == 1u, (f.errors.empty() ? "" : f.errors[0]));
    BOOST_TEST(q.list().empty());
    BOOST_TEST(files_in(queue) == 0u);  // no .eml, .json, .envelope or temporary left
    BOOST_TEST(!testbed::wait_for_message("alice@example.test", token).empty());
}

BOOST_AUTO_TEST_CASE(an_accepted_recipient_is_never_sent_again) {
    testsupport::TempDir d;
    const std::string queue = d.path + "/queue";
    const std::string token = testbed::unique_token("qp");
    // Postfix answers tempfail@example.test with 450: bob is accepted, tempfail is queued.
    const DeliveryReport r = deliver(message_to({"bob@example.test", "tempfail@example.test"}, token),
                                     profile_with(kPostfix, queue));
    BOOST_TEST_REQUIRE(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Queued), r.message);
    BOOST_TEST(r.recipients.at(0).accepted);
    BOOST_TEST(!r.recipients.at(0).queued);
    BOOST_TEST(r.recipients.at(1).queued);
    Queue q(profile_with(kPostfix, queue).queue);
    const QueueEntry e = q.list().at(0);
    BOOST_TEST_REQUIRE(e.recipients.size() == 1u);  // only the deferred one is in the queue
    BOOST_TEST(e.recipients[0].address == "tempfail@example.test");
    const std::string log_before = testbed::wait_for_message("bob@example.test", token);
    BOOST_TEST(!log_before.empty());
    q.flush({true});  // tempfail is still 450: deferred again
    BOOST_TEST(q.list().size() == 1u);
    // bob got it once: no second copy in his mailbox after the flush.
    std::size_t copies = 0;
    for (const auto& f : std::filesystem::directory_iterator(testbed::dir() + "/vmail/example.test/bob/new")) {
        std::ifstream in(f.path());
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        copies += text.find(token) != std::string::npos ? 1 : 0;
    }
    BOOST_TEST(copies == 1u);
}

BOOST_AUTO_TEST_CASE(permanent_failures_are_never_queued) {
    testsupport::TempDir d;
    const std::string queue = d.path + "/queue";
    const DeliveryReport r = deliver(message_to({"reject@example.test"}, testbed::unique_token("qn")),
                                     profile_with(kPostfix, queue));
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Failed), r.message);
    BOOST_TEST(r.queue_id.empty());
    BOOST_TEST(!is_transient(r.error));
    BOOST_TEST((!std::filesystem::exists(queue) || Queue(profile_with(kPostfix, queue).queue).list().empty()));
}

BOOST_AUTO_TEST_CASE(the_next_relay_is_tried_before_deferring) {
    testsupport::TempDir d;
    const std::string token = testbed::unique_token("qr");
    const DeliveryReport r = deliver(message_to({"carol@example.test"}, token),
                                     profile_with(std::string(kDown) + ", " + kPostfix, d.path + "/queue"));
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Sent), r.message);
    BOOST_TEST(!testbed::wait_for_message("carol@example.test", token).empty());
}

BOOST_AUTO_TEST_CASE(over_the_rate_limit_a_message_is_queued_not_refused) {
    testsupport::TempDir d;
    const std::string queue = d.path + "/queue";
    const Profile p = profile_with(kPostfix, queue, {{"rate_limit", "2/minute"}});
    std::vector<DeliveryStatus> statuses;
    for (int i = 0; i < 3; ++i) statuses.push_back(deliver(message_to({"dave@example.test"}, testbed::unique_token("qrl")), p).status);
    BOOST_TEST(static_cast<int>(statuses[0]) == static_cast<int>(DeliveryStatus::Sent));
    BOOST_TEST(static_cast<int>(statuses[1]) == static_cast<int>(DeliveryStatus::Sent));
    BOOST_TEST(static_cast<int>(statuses[2]) == static_cast<int>(DeliveryStatus::Queued));
    const auto entries = Queue(p.queue).list();
    BOOST_TEST_REQUIRE(entries.size() == 1u);
    BOOST_TEST(entries[0].last_error == static_cast<int>(ErrorCode::RateLimited));
    // Without pacing, a flush leaves it for later (the limit is still used up).
    const FlushReport f = Queue(p.queue).flush({true});
    BOOST_TEST(f.rate_limited == 1u);
}

BOOST_AUTO_TEST_CASE(direct_delivery_queues_the_inconclusive_classes_only) {
    testsupport::TempDir d;
    const std::string queue = d.path + "/queue";
    const std::string token = testbed::unique_token("qd");
    const Profile p = profile_with("", queue, {{"delivery", "direct"}, {"dns_server", "127.0.0.1:5353"}, {"mx_port", "25"},
                                               {"tls", "opportunistic"}, {"ca_file", testbed::ca_file()}});
    const DeliveryReport r = deliver(message_to({"alice@example.test", "x@dnsdown.example.test", "x@nullmx.example.test"}, token), p);
    BOOST_TEST_REQUIRE(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Queued), r.message);
    BOOST_TEST(r.recipients.at(0).accepted);   // class 6
    BOOST_TEST(r.recipients.at(1).queued);     // class 1: may succeed later
    BOOST_TEST(!r.recipients.at(2).queued);    // class 3: terminal
    BOOST_TEST((r.error == ErrorCode::NoMailServer));  // the terminal failure is the error, so nobody retries it
    const auto entries = Queue(p.queue).list();
    BOOST_TEST_REQUIRE(entries.size() == 1u);
    BOOST_TEST_REQUIRE(entries[0].recipients.size() == 1u);
    BOOST_TEST(entries[0].recipients[0].address == "x@dnsdown.example.test");
    BOOST_TEST(entries[0].profile.overrides.at("delivery") == "direct");  // retried the same way
}

BOOST_AUTO_TEST_CASE(an_expired_message_moves_to_failed_with_its_reason_and_a_notice) {
    testsupport::TempDir d;
    const std::string queue = d.path + "/queue";
    const std::string token = testbed::unique_token("qx");
    const DeliveryReport r = deliver(message_to({"bob@example.test"}, token), profile_with(kDown, queue));
    BOOST_TEST_REQUIRE(static_cast<int>(r.status) == static_cast<int>(DeliveryStatus::Queued), r.message);
    point_queue_at(queue, kPostfix);  // the notice goes out through the message's own relay
    QueueSettings s = profile_with(kDown, queue).queue;
    s.max_age_seconds = 1;
    s.notify = "carol@example.test";
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    const FlushReport f = Queue(s).flush({true});
    BOOST_TEST(f.failed == 1u);
    BOOST_TEST(f.delivered == 0u);  // expired: not tried again
    Queue q(s);
    BOOST_TEST(q.list().empty());
    const auto failed = q.failed();
    BOOST_TEST_REQUIRE(failed.size() == 1u);
    BOOST_TEST(failed[0].id == r.queue_id);
    BOOST_TEST(failed[0].last_reason.find("not delivered within 1 s") != std::string::npos, failed[0].last_reason);
    BOOST_TEST(std::filesystem::exists(queue + "/failed/" + r.queue_id + ".eml"));
    BOOST_TEST(files_in(queue) <= 2u);  // only the rate state files may stay; no .eml/.json left
    BOOST_TEST(!testbed::wait_for_message("carol@example.test", r.queue_id).empty());  // the notice names it
}

BOOST_AUTO_TEST_SUITE_END()
