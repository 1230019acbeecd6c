// The C ABI contract: caller-owned buffers, full length returned, truncation + fetch,
// negative only for misuse, never an exception. Uses the outbox default (no server).
#include <boost/test/unit_test.hpp>

#include "support/temp_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <fstream>
#include <iterator>

#include "dynarray.hpp"
#include "layout.hpp"
#include "mvsmtp.h"

using namespace mvsmtp::gci;
namespace M = field::Message;
namespace O = field::Options;
namespace R = field::Result;

namespace {

struct Outbox {
    std::string dir;
    Outbox() {
        char tmpl[] = "/tmp/mvsmtp-abi-XXXXXX";
        dir = mkdtemp(tmpl);
        setenv("HOME", dir.c_str(), 1);  // no ~/.mvsmtp.ini of the developer's may leak in
        unsetenv("MVSMTP_CONFIG");
    }
    ~Outbox() { std::system(("rm -rf '" + dir + "'").c_str()); }
    std::string options() const {
        DynArrayBuilder o;
        o.set(O::OUTBOX, dir);
        o.set(O::CONFIG, "");
        return o.str();
    }
};

std::string message() {
    DynArrayBuilder m;
    m.set(M::FROM, "Sender <sender@example.test>");
    m.set(M::TO, std::vector<std::string>{"to1@example.test", "to2@example.test"});
    m.set(M::BCC, "secret-bcc@example.test");
    m.set(M::SUBJECT, "ABI test");
    return m.str();
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_abi)

BOOST_AUTO_TEST_CASE(stores_in_outbox_and_reports_it) {
    Outbox box;
    char buf[8192];
    const int n = mvs_sendmail(message().c_str(), "Hello\x1Eworld", box.options().c_str(), buf, sizeof buf);
    BOOST_REQUIRE(n > 0);
    BOOST_REQUIRE(n < static_cast<int>(sizeof buf));
    const std::string result(buf);
    BOOST_TEST(static_cast<int>(result.size()) == n);
    BOOST_TEST(extract(result, R::STATUS) == "2");
    BOOST_TEST(extract(result, R::ERROR) == "0");
    BOOST_TEST(extract(result, R::MESSAGE).find("stored, not sent") != std::string::npos);
    const std::string eml = extract(result, R::OUTBOX_FILE);
    BOOST_TEST(eml.rfind(box.dir, 0) == 0u);
    const std::string text = slurp(eml);
    BOOST_TEST(text.find("Subject: ABI test") != std::string::npos);
    BOOST_TEST(text.find("Hello\r\nworld") != std::string::npos);
    BOOST_TEST(text.find("secret-bcc") == std::string::npos);  // Bcc never in the message
    const std::string envelope = slurp(eml.substr(0, eml.size() - 4) + ".envelope");
    BOOST_TEST(envelope.find("RCPT TO:<secret-bcc@example.test>") != std::string::npos);
    BOOST_TEST(extract(result, R::MESSAGE_ID) != "");
    BOOST_TEST(text.find("Message-ID: " + extract(result, R::MESSAGE_ID)) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(truncates_then_fetch_returns_the_rest) {
    Outbox box;
    char full[8192];
    const int total = mvs_sendmail(message().c_str(), "x", box.options().c_str(), full, sizeof full);
    BOOST_REQUIRE(total > 40);
    const std::string expected(full);

    char small[17];
    const int n = mvs_sendmail(message().c_str(), "x", box.options().c_str(), small, sizeof small);
    BOOST_TEST(n > 16);
    BOOST_TEST(std::string(small).size() == 16u);  // capacity-1 bytes + NUL
    std::string assembled(small);
    while (static_cast<int>(assembled.size()) < n) {
        char chunk[17];
        const int rest = mvs_fetch(static_cast<int>(assembled.size()), chunk, sizeof chunk);
        BOOST_REQUIRE(rest > 0);
        BOOST_TEST(rest == n - static_cast<int>(assembled.size()));
        assembled += chunk;
    }
    BOOST_TEST(mvs_fetch(n, small, sizeof small) == 0);
    BOOST_TEST(std::string(small).empty());
    // Same shape as the untruncated call (paths and ids differ per message).
    BOOST_TEST(extract(assembled, R::STATUS) == extract(expected, R::STATUS));
    BOOST_TEST(extract(assembled, R::RCPT_ADDRESS) == extract(expected, R::RCPT_ADDRESS));
    BOOST_TEST(static_cast<int>(assembled.size()) == n);
}

BOOST_AUTO_TEST_CASE(zero_capacity_asks_for_the_length) {
    Outbox box;
    const int n = mvs_sendmail(message().c_str(), "x", box.options().c_str(), nullptr, 0);
    BOOST_TEST(n > 0);
    std::string all(static_cast<std::size_t>(n) + 1, '\0');
    BOOST_TEST(mvs_fetch(0, &all[0], n + 1) == n);
    BOOST_TEST(extract(all.c_str(), R::STATUS) == "2");
}

BOOST_AUTO_TEST_CASE(misuse_returns_negative_without_crashing) {
    char buf[64];
    BOOST_TEST(mvs_sendmail(nullptr, "", "", buf, sizeof buf) == -86);
    BOOST_TEST(mvs_sendmail("", "", "", nullptr, 10) == -86);
    BOOST_TEST(mvs_sendmail("", "", "", buf, -1) == -86);
    BOOST_TEST(mvs_fetch(-1, buf, sizeof buf) == -86);
    BOOST_TEST(mvs_verify(nullptr, "", buf, sizeof buf) == -86);
    BOOST_TEST(mvs_verify("a@example.test", nullptr, buf, sizeof buf) == -86);
    BOOST_TEST(mvs_verify("a@example.test", "", nullptr, 10) == -86);
    BOOST_TEST(mvs_queue(nullptr, "", buf, sizeof buf) == -86);
    BOOST_TEST(mvs_queue("LIST", nullptr, buf, sizeof buf) == -86);
}

// SMTP.QUEUE.CONTROL without a verb or a folder: a RESULT, never a crash; the shim agrees.
BOOST_AUTO_TEST_CASE(queue_without_verb_or_folder_fails_cleanly) {
    char buf[512];
    BOOST_TEST(mvs_queue("", "", buf, sizeof buf) > 0);
    BOOST_TEST(extract(buf, R::ERROR_NAME) == "BAD.ARGUMENT");
    testsupport::TempDir dir;
    const std::string no_config = "\x1E" + dir.write("empty.ini", "");  // OPTIONS<O.CONFIG>: no queue key
    BOOST_TEST(mvs_queue("LIST", no_config.c_str(), buf, sizeof buf) > 0);
    BOOST_TEST(extract(buf, R::ERROR_NAME) == "BAD.OPTION");
    std::string out(8000, ' ');
    BOOST_TEST(mvs_shim_call("QUEUE", 0, "LIST", no_config.c_str(), "", &out[0]) > 0);
    BOOST_TEST(extract(out.c_str() + 10, R::ERROR_NAME) == "BAD.OPTION");
}

// SMTP.VERIFY refuses what it cannot ask about before any DNS query: a RESULT, never a crash.
BOOST_AUTO_TEST_CASE(verify_with_nothing_to_ask_fails_cleanly) {
    char buf[512];
    BOOST_TEST(mvs_verify("", "", buf, sizeof buf) > 0);
    BOOST_TEST(extract(buf, R::ERROR_NAME) == "NO.RECIPIENTS");
    BOOST_TEST(mvs_verify("not an address", "", buf, sizeof buf) > 0);
    BOOST_TEST(extract(buf, R::ERROR_NAME) == "BAD.ADDRESS");
    std::string out(8000, ' ');
    BOOST_TEST(mvs_shim_call("VERIFY", 0, "", "", "", &out[0]) > 0);
    BOOST_TEST(extract(out.c_str() + 10, R::ERROR_NAME) == "NO.RECIPIENTS");
}

BOOST_AUTO_TEST_CASE(bad_input_gives_failed_result_not_a_crash) {
    Outbox box;
    char buf[4096];
    DynArrayBuilder m;
    m.set(M::TO, "a@example.test");
    m.set(M::FROM, "x@example.test");
    m.set(M::SUBJECT, "Hi\r\nBcc: injected@example.test");
    mvs_sendmail(m.str().c_str(), "", box.options().c_str(), buf, sizeof buf);
    BOOST_TEST(extract(buf, R::MESSAGE).find('\n') == std::string::npos);
    BOOST_TEST(extract(buf, R::STATUS) == "3");
    BOOST_TEST(extract(buf, R::ERROR) == "64");
    BOOST_TEST(extract(buf, R::ERROR_NAME) == "HEADER.INJECTION");

    DynArrayBuilder none;
    none.set(M::FROM, "x@example.test");
    mvs_sendmail(none.str().c_str(), "", box.options().c_str(), buf, sizeof buf);
    BOOST_TEST(extract(buf, R::ERROR) == "61");

    DynArrayBuilder o;
    o.set(O::TLS, "maybe");
    mvs_sendmail(message().c_str(), "", o.str().c_str(), buf, sizeof buf);
    BOOST_TEST(extract(buf, R::ERROR) == "66");
}

BOOST_AUTO_TEST_CASE(shim_call_gives_length_header_and_chunks) {
    // The UniVerse/UniData/D3 path: a fixed buffer, a 10-digit length, FETCH by offset.
    Outbox box;
    std::string out(MVS_SHIM_CAPACITY, ' ');
    DynArrayBuilder m;  // a RESULT longer than one buffer: many recipients
    m.set(M::FROM, "a@example.test");
    std::vector<std::string> to;
    for (int i = 0; i < 600; ++i) to.push_back("recipient" + std::to_string(i) + "@example.test");
    m.set(M::TO, to);
    const int total = mvs_shim_call("SENDMAIL", 0, m.str().c_str(), "body", box.options().c_str(), &out[0]);
    BOOST_REQUIRE(total > MVS_SHIM_CAPACITY);
    BOOST_TEST(std::stoi(out.substr(0, 10)) == total);
    std::string assembled(out.c_str() + 10);
    BOOST_TEST(static_cast<int>(assembled.size()) == MVS_SHIM_CAPACITY - 11);
    while (static_cast<int>(assembled.size()) < total) {
        std::string chunk(MVS_SHIM_CAPACITY, ' ');
        const int t = mvs_shim_call("FETCH", static_cast<int>(assembled.size()), "", "", "", &chunk[0]);
        BOOST_REQUIRE(t == total);
        BOOST_REQUIRE(std::stoi(chunk.substr(0, 10)) == total);
        const std::string part(chunk.c_str() + 10);
        BOOST_REQUIRE(!part.empty());
        assembled += part;
    }
    BOOST_TEST(static_cast<int>(assembled.size()) == total);
    BOOST_TEST(extract(assembled, R::STATUS) == "2");
    BOOST_TEST(extract(assembled, R::RCPT_ADDRESS, 600) == "recipient599@example.test");
    BOOST_TEST(mvs_shim_call("NOPE", 0, "", "", "", &out[0]) > 0);
    BOOST_TEST(extract(out.c_str() + 10, R::ERROR) == "60");
    BOOST_TEST(mvs_shim_call(nullptr, 0, "", "", "", &out[0]) == -86);
}

BOOST_AUTO_TEST_CASE(version_and_error_text) {
    char buf[128];
    const int n = mvs_version(buf, sizeof buf);
    BOOST_TEST(n == static_cast<int>(std::string(buf).size()));
    BOOST_TEST(std::string(buf).find('.') != std::string::npos);
    mvs_error_text(35, buf, sizeof buf);
    BOOST_TEST(extract(buf, 1) == "AUTH.FAILED");
    mvs_error_text(12345, buf, sizeof buf);
    BOOST_TEST(extract(buf, 1) == "UNKNOWN");
}

// Regression: an attachment path naming a FIFO blocked the database process forever in
// fopen(), and /dev/zero wrote a 2.2 GB .eml.tmp (left behind with an orphan .envelope when
// killed). Both return promptly with ATTACHMENT.UNREADABLE and leave the outbox empty.
BOOST_AUTO_TEST_CASE(special_files_are_refused_promptly_and_leave_nothing) {
    Outbox box;
    const std::string fifo = box.dir + "/pipe";
    BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const std::string outbox = box.dir + "/box";
    DynArrayBuilder o;
    o.set(O::OUTBOX, outbox);
    for (const std::string& path : {fifo, std::string("/dev/zero")}) {
        DynArrayBuilder m;
        m.set(M::FROM, "x@example.test");
        m.set(M::TO, "a@example.test");
        m.set(M::ATTACH_PATH, path);
        const std::string message = m.str(), options = o.str();
        auto call = std::async(std::launch::async, [message, options] {
            std::vector<char> buf(8192);
            mvs_sendmail(message.c_str(), "b", options.c_str(), buf.data(), static_cast<int>(buf.size()));
            return std::string(buf.data());
        });
        if (call.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
            BOOST_ERROR("SENDMAIL with " << path << " did not return");
            const int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // frees a blocked open
            if (w >= 0) ::close(w);
        }
        const std::string r = call.get();
        BOOST_TEST(extract(r, R::ERROR) == "65", path << ": " << extract(r, R::MESSAGE));
        BOOST_TEST(extract(r, R::MESSAGE).find(path) != std::string::npos, extract(r, R::MESSAGE));
        std::size_t files = 0;
        if (std::filesystem::exists(outbox))
            for (const auto& e : std::filesystem::directory_iterator(outbox)) files += e.path().empty() ? 0 : 1;
        BOOST_TEST(files == 0u);
    }
}

BOOST_AUTO_TEST_CASE(max_size_option_limits_the_message) {
    Outbox box;
    const std::string file = box.dir + "/big.bin";
    std::ofstream(file, std::ios::binary) << std::string(300 * 1024, 'q');
    const std::string outbox = box.dir + "/box";
    DynArrayBuilder m;
    m.set(M::FROM, "x@example.test");
    m.set(M::TO, "a@example.test");
    m.set(M::ATTACH_PATH, file);
    char buf[8192];
    for (const char* limit : {"200K", "350000"}) {  // under the raw size; under the base64 size
        DynArrayBuilder o;
        o.set(O::OUTBOX, outbox);
        o.set(O::MAX_SIZE, limit);
        mvs_sendmail(m.str().c_str(), "b", o.str().c_str(), buf, sizeof buf);
        BOOST_TEST(extract(buf, R::ERROR_NAME) == "MESSAGE.TOO.LARGE", limit);
        BOOST_TEST(extract(buf, R::MESSAGE).find("local limit") != std::string::npos, extract(buf, R::MESSAGE));
        BOOST_TEST(extract(buf, R::TRANSIENT) == "0");
        BOOST_TEST((!std::filesystem::exists(outbox) || std::filesystem::is_empty(outbox)));
    }
    DynArrayBuilder o;
    o.set(O::OUTBOX, outbox);
    o.set(O::MAX_SIZE, "1M");
    mvs_sendmail(m.str().c_str(), "b", o.str().c_str(), buf, sizeof buf);
    BOOST_TEST(extract(buf, R::STATUS) == "2", extract(buf, R::MESSAGE));
    o.set(O::MAX_SIZE, "lots");
    mvs_sendmail(m.str().c_str(), "b", o.str().c_str(), buf, sizeof buf);
    BOOST_TEST(extract(buf, R::ERROR_NAME) == "BAD.OPTION");
}

BOOST_AUTO_TEST_CASE(stored_eml_is_owner_only) {
    Outbox box;
    char buf[8192];
    const mode_t old = ::umask(022);
    mvs_sendmail(message().c_str(), "x", box.options().c_str(), buf, sizeof buf);
    ::umask(old);
    struct stat st {};
    BOOST_REQUIRE(::stat(extract(buf, R::OUTBOX_FILE).c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
}

BOOST_AUTO_TEST_SUITE_END()

