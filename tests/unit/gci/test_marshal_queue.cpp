// The durable queue in the layouts: O.QUEUE becomes the profile key queue, a queued send's
// RESULT carries S.QUEUED, R.QUEUE.ID and R.RCPT.QUEUED, LIST/SHOW rows are parallel values,
// and a RESULT without anything queued keeps its old shape.
#include <boost/test/unit_test.hpp>

#include "dynarray.hpp"
#include "layout.hpp"
#include "marshal.hpp"
#include "operations.hpp"
#include "mvsmtp/config.hpp"
#include "mvsmtp/error.hpp"
#include "support/temp_dir.hpp"

using namespace mvsmtp;
using namespace mvsmtp::gci;
namespace O = field::Options;
namespace R = field::Result;

BOOST_AUTO_TEST_SUITE(test_marshal_queue)

BOOST_AUTO_TEST_CASE(o_queue_becomes_the_queue_key) {
    DynArrayBuilder o;
    o.set(O::QUEUE, " /tmp/mvsmtp-queue ");
    const ProfileRequest req = options_request(o.str());
    BOOST_TEST(req.overrides.at("queue") == "/tmp/mvsmtp-queue");
    BOOST_TEST(load_profile(req).queue.folder == "/tmp/mvsmtp-queue");
}

BOOST_AUTO_TEST_CASE(a_queued_send_has_status_4_its_id_and_the_queued_flags) {
    DeliveryReport r;
    r.status = DeliveryStatus::Queued;
    r.error = ErrorCode::ConnectFailed;
    r.queue_id = "20261129T221005-abc123";
    RecipientResult ok{"alice@example.test", true, ErrorCode::Ok, parse_reply("250 2.1.5 Ok\r\n")};
    RecipientResult later{"bob@example.test", false, ErrorCode::RecipientDeferred, parse_reply("451 4.3.0 later\r\n")};
    later.queued = true;
    r.recipients = {ok, later};
    const std::string a = encode_result(r);
    BOOST_TEST(extract(a, R::STATUS) == "4");
    BOOST_TEST(extract(a, R::QUEUE_ID) == "20261129T221005-abc123");
    BOOST_TEST(extract(a, R::RCPT_QUEUED, 1) == "");
    BOOST_TEST(extract(a, R::RCPT_QUEUED, 2) == "1");
    BOOST_TEST(extract(a, R::RCPT_STATUS, 2) == "16");  // why it was deferred
    BOOST_TEST(extract(a, R::TRANSIENT) == "0");        // the queue retries; sending again would duplicate
}

BOOST_AUTO_TEST_CASE(a_result_with_nothing_queued_keeps_its_shape) {
    DeliveryReport r;
    r.status = DeliveryStatus::Sent;
    r.recipients = {RecipientResult{"alice@example.test", true, ErrorCode::Ok, parse_reply("250 Ok\r\n")}};
    const std::string a = encode_result(r);
    BOOST_TEST(split(a, kAttributeMark).size() < static_cast<std::size_t>(R::QUEUE_ID));
}

BOOST_AUTO_TEST_CASE(list_rows_are_parallel_values_in_utc) {
    QueueEntry e1;
    e1.id = "one";
    e1.created = 86400;  // 1970-01-02 00:00:00 UTC
    e1.next_attempt = 86400 + 3661;
    e1.attempts = 2;
    e1.last_reason = "connection refused";
    e1.recipients = {{"a@example.test", RecipientState::Pending, 10, ""},
                     {"b@example.test", RecipientState::Accepted, 0, "250 ok"}};
    QueueEntry e2;
    e2.id = "two";
    e2.created = 1;
    e2.recipients = {{"c@example.test", RecipientState::Pending, 0, ""}};
    ResultExtras extras;
    extras.queue = queue_rows({e1, e2});
    DeliveryReport r;
    r.status = DeliveryStatus::Sent;
    const std::string a = encode_result(r, extras);
    BOOST_TEST(extract(a, R::QUEUE_ID, 1) == "one");
    BOOST_TEST(extract(a, R::QUEUE_ID, 2) == "two");
    BOOST_TEST(extract(a, R::QUEUE_CREATED, 1) == "1970-01-02 00:00:00");
    BOOST_TEST(extract(a, R::QUEUE_NEXT, 1) == "1970-01-02 01:01:01");
    BOOST_TEST(extract(a, R::QUEUE_NEXT, 2) == "");  // never scheduled
    BOOST_TEST(extract(a, R::QUEUE_ATTEMPTS, 1) == "2");
    BOOST_TEST(extract(a, R::QUEUE_PENDING, 1) == "1");
    BOOST_TEST(extract(a, R::QUEUE_PENDING, 2) == "1");
    BOOST_TEST(extract(a, R::QUEUE_REASON, 1) == "connection refused");
}

BOOST_AUTO_TEST_CASE(flush_counts_are_five_values) {
    ResultExtras extras;
    extras.queue_counts = {"5", "3", "1", "0", "1"};
    DeliveryReport r;
    r.status = DeliveryStatus::Sent;
    const std::string a = encode_result(r, extras);
    BOOST_TEST(values(a, R::QUEUE_COUNTS).size() == 5u);
    BOOST_TEST(extract(a, R::QUEUE_COUNTS, 2) == "3");
}

BOOST_AUTO_TEST_CASE(queue_control_without_a_folder_is_bad_option) {
    testsupport::TempDir dir;
    DynArrayBuilder o;
    o.set(O::CONFIG, dir.write("empty.ini", ""));  // a config without a queue key
    const std::string a = queue_control("LIST", o.str().c_str());
    BOOST_TEST(extract(a, R::STATUS) == "3");
    BOOST_TEST(extract(a, R::ERROR) == "66");
    BOOST_TEST(extract(a, R::MESSAGE).find("queue") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(queue_control_refuses_an_unknown_verb) {
    const std::string a = queue_control("EXPLODE", "");
    BOOST_TEST(extract(a, R::ERROR) == "60");
}

BOOST_AUTO_TEST_SUITE_END()
