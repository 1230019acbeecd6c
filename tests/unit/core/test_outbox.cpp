// test_outbox.cpp — the outbox (mvsmtp/outbox.hpp): names never collide between threads, a
// stored message is never replaced by another, files are owner-only, and no failure leaves
// a partial file behind.
//
// Regression cases: 8 threads × SENDMAIL into one outbox once failed 1 call in ~120,000
// with OUTBOX.FAILED (a shared, unlocked Poco::Random; O_TRUNC temporaries; renames that
// overwrite), and a message reported STORED could be overwritten and lost.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <thread>

#include "mvsmtp/error.hpp"
#include "mvsmtp/outbox.hpp"
#include "platform.hpp"
#include "support/error_code_of.hpp"
#include "support/temp_dir.hpp"

using namespace mvsmtp;
namespace fs = std::filesystem;

namespace {

using testsupport::TempDir;

Message message_with(const std::string& token) {
    Message m;
    m.from = {"", "sender@example.test"};
    m.to = {{"", "to@example.test"}};
    m.bcc = {{"", "bcc@example.test"}};
    m.subject = "outbox " + token;
    m.text = "body " + token + "\n";
    return m;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

unsigned mode_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 07777;
    return st.st_mode & 07777;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_outbox)

BOOST_AUTO_TEST_CASE(threads_storing_into_one_outbox_never_collide) {
    TempDir d;
    constexpr int kThreads = 8, kEach = 1500;
    std::mutex lock;
    std::vector<std::pair<std::string, std::string>> stored;  // path, token
    std::vector<std::string> failures;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                const std::string token = std::to_string(t) + "-" + std::to_string(i);
                try {
                    const std::string path = store_in_outbox(message_with(token), d.path);
                    std::lock_guard<std::mutex> g(lock);
                    stored.emplace_back(path, token);
                } catch (const std::exception& e) {
                    std::lock_guard<std::mutex> g(lock);
                    failures.push_back(e.what());
                }
            }
        });
    for (auto& th : threads) th.join();
    BOOST_TEST(failures.empty(), failures.size() << " failures, first: " << (failures.empty() ? "" : failures[0]));
    BOOST_TEST(stored.size() == static_cast<std::size_t>(kThreads * kEach));
    std::set<std::string> distinct;
    for (const auto& [path, token] : stored) {
        distinct.insert(path);
        // Intact: the file behind each STORED path is that message, not another thread's.
        const std::string eml = slurp(path);
        BOOST_TEST_REQUIRE(eml.find("Subject: outbox " + token + "\r\n") != std::string::npos, path);
        const std::string envelope = slurp(path.substr(0, path.size() - 4) + ".envelope");
        BOOST_TEST_REQUIRE(envelope.find("RCPT TO:<bcc@example.test>") != std::string::npos, path);
    }
    BOOST_TEST(distinct.size() == stored.size());
    // Exactly two files per message, nothing temporary left.
    BOOST_TEST(names_in(d.path).size() == 2 * stored.size());
}

BOOST_AUTO_TEST_CASE(publish_onto_an_existing_name_fails_instead_of_replacing) {
    TempDir d;
    const std::string existing = d.write("a.eml", "first message", 0600);
    const std::string tmp = d.write("b.eml.tmp", "second message", 0600);
    BOOST_TEST(!platform::publish_new(tmp, existing));
    BOOST_TEST(slurp(existing) == "first message");
    BOOST_TEST(slurp(tmp) == "second message");  // the caller decides what to do with it
    const std::string fresh = d.path + "/c.eml";
    BOOST_TEST(platform::publish_new(tmp, fresh));
    BOOST_TEST(slurp(fresh) == "second message");
    BOOST_TEST(!fs::exists(tmp));
}

BOOST_AUTO_TEST_CASE(write_new_file_never_replaces) {
    TempDir d;
    const std::string existing = d.write("x.envelope", "theirs", 0600);
    BOOST_TEST(!platform::write_new_file(existing, "ours"));
    BOOST_TEST(slurp(existing) == "theirs");
    BOOST_TEST(names_in(d.path) == std::vector<std::string>{"x.envelope"});  // no temporary left
    BOOST_TEST(platform::write_new_file(d.path + "/y.envelope", "ours"));
    BOOST_TEST(slurp(d.path + "/y.envelope") == "ours");
    BOOST_TEST(mode_of(d.path + "/y.envelope") == 0600u);
}

BOOST_AUTO_TEST_CASE(stored_files_are_owner_only) {
    // An .eml holds the whole message (attachments included): like the .envelope, only its
    // owner may read it, whatever the umask.
    TempDir d;
    const mode_t old = ::umask(022);
    const std::string eml = store_in_outbox(message_with("mode"), d.path);
    ::umask(old);
    BOOST_TEST(mode_of(eml) == 0600u);
    BOOST_TEST(mode_of(eml.substr(0, eml.size() - 4) + ".envelope") == 0600u);
}

BOOST_AUTO_TEST_CASE(failures_leave_nothing_behind) {
    TempDir d;
    // An attachment that vanishes between validate() and the write: no .eml.tmp and no
    // orphan .envelope may stay.
    const std::string att = d.write("a.bin", "x", 0600);
    Message m = message_with("vanish");
    m.attachments.push_back(Attachment::from_file(att));
    const std::string box = d.path + "/box";
    fs::create_directory(box);
    store_in_outbox(m, box);  // works while the file is there
    fs::remove_all(box);
    fs::create_directory(box);
    fs::remove(att);
    BOOST_TEST((testsupport::error_code_of([&] { store_in_outbox(m, box); }) == ErrorCode::AttachmentUnreadable));
    BOOST_TEST(names_in(box).empty());

    // Over the size limit: MessageTooLarge, nothing left.
    const std::string big = d.write("big.bin", std::string(64 * 1024, 'z'), 0600);
    Message large = message_with("large");
    large.attachments.push_back(Attachment::from_file(big));
    large.size_limit = 10 * 1024;
    BOOST_TEST((testsupport::error_code_of([&] { store_in_outbox(large, box); }) == ErrorCode::MessageTooLarge));
    BOOST_TEST(names_in(box).empty());
    // The limit also holds when only the encoded size passes it (48 KB of data, 64 KB base64).
    const std::string mid = d.write("mid.bin", std::string(48 * 1024, 'y'), 0600);
    Message middle = message_with("middle");
    middle.attachments.push_back(Attachment::from_file(mid));
    middle.size_limit = 60 * 1024;
    BOOST_TEST((testsupport::error_code_of([&] { store_in_outbox(middle, box); }) == ErrorCode::MessageTooLarge));
    BOOST_TEST(names_in(box).empty());
}

BOOST_AUTO_TEST_SUITE_END()
