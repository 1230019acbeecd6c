// M.SEPARATE: one copy per To address on one connection, each copy's content travelling
// with the next copy's envelope (one round trip per message), each with its own result.
#include <boost/test/unit_test.hpp>

#include "session_fixture.hpp"

using namespace sendmail_test;

namespace {

std::string separate_message(const std::string& token, const std::vector<std::string>& to) {
    DynArrayBuilder m;
    m.set(M::FROM, "Statements <sender@example.test>");
    m.set(M::TO, to);
    m.set(M::SUBJECT, "statement " + token);
    m.set(M::SEPARATE, "1");
    return m.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_separate_copies)

BOOST_AUTO_TEST_CASE(each_recipient_gets_an_own_copy_with_an_own_result) {
    const std::string token = testbed::unique_token("sep");
    const std::vector<std::string> to = {"testuser@example.test", "alice@example.test", "reject@example.test",
                                         "Bob <bob@example.test>"};
    const std::string r = mvsmtp_library().sendmail(separate_message(token, to), "Your statement",
                                                    with_field(options({"smtp://127.0.0.1:2525", "required"}), O::TRANSCRIPT, "RESULT"));
    BOOST_TEST(field(r, R::STATUS) == "1", field(r, R::MESSAGE));  // partial: one copy refused
    BOOST_TEST(field(r, R::ERROR) == "32");
    const char* expected[] = {"0", "0", "32", "0"};
    for (int i = 1; i <= 4; ++i) BOOST_TEST(field(r, R::RCPT_STATUS, i) == expected[i - 1], i);
    BOOST_TEST(field(r, R::RCPT_ADDRESS, 4) == "bob@example.test");
    const auto ids = mvsmtp::gci::values(r, R::MESSAGE_ID);
    BOOST_REQUIRE(ids.size() == 4u);
    BOOST_TEST(ids[0] != ids[1]);
    for (const char* user : {"testuser", "alice", "bob"}) {
        const std::string path = testbed::wait_for_message(std::string(user) + "@example.test", token);
        BOOST_REQUIRE_MESSAGE(!path.empty(), user);
        const auto msg = testbed::inspect(path);
        auto to_list = msg->getArray("to");
        BOOST_TEST(to_list->size() == 1u);  // each copy shows only its own recipient
        BOOST_TEST(to_list->getObject(0)->getValue<std::string>("address") == std::string(user) + "@example.test");
    }
    // One round trip per copy: the next copy's MAIL FROM leaves before this copy's final
    // reply has been read.
    const auto log = mvsmtp::gci::values(r, R::TRANSCRIPT);
    std::size_t first_data = 0;
    while (first_data < log.size() && log[first_data] != "S: 354 End data with <CR><LF>.<CR><LF>") ++first_data;
    BOOST_REQUIRE(first_data + 2 < log.size());
    BOOST_TEST(log[first_data + 1].rfind("C: MAIL FROM:", 0) == 0u, log[first_data + 1]);
}

BOOST_AUTO_TEST_CASE(hundred_copies_on_an_open_session) {
    std::vector<std::string> to;
    for (int i = 0; i < 100; ++i) to.push_back("user" + std::to_string(i) + "@example.test");
    DynArrayBuilder o;
    o.set(O::SERVER, "smtp://127.0.0.1:2500");
    o.set(O::TLS, "off");
    const int h = AbiSessions::handle_of(sessions().open(o.str()));
    BOOST_REQUIRE(h > 0);
    const std::string r = sessions().send(h, separate_message("sink", to), "x");
    BOOST_TEST(field(r, R::STATUS) == "0", field(r, R::MESSAGE));
    BOOST_TEST(mvsmtp::gci::values(r, R::RCPT_STATUS).size() == 100u);
    BOOST_TEST(mvsmtp::gci::values(r, R::MESSAGE_ID).size() == 100u);
    sessions().close(h);
}

BOOST_AUTO_TEST_CASE(separate_copies_refuse_cc_and_bcc) {
    DynArrayBuilder m;
    m.set(M::FROM, "a@example.test");
    m.set(M::TO, "b@example.test");
    m.set(M::CC, "c@example.test");
    m.set(M::SEPARATE, "1");
    const std::string r = mvsmtp_library().sendmail(m.str(), "x", options({"smtp://127.0.0.1:2525", "required"}));
    BOOST_TEST(field(r, R::ERROR) == "60");
}

BOOST_AUTO_TEST_SUITE_END()
