// Transcript files: created owner-only; a file others can read is left alone and RESULT says so.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "support/temp_dir.hpp"
#include "transcript.hpp"

using mvsmtp::Direction;
using mvsmtp::gci::Transcript;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_transcript)

BOOST_AUTO_TEST_CASE(new_file_is_created_0600_whatever_the_umask) {
    testsupport::TempDir dir;
    const mode_t old = umask(0);
    const std::string path = dir.path + "/t.log";
    Transcript t = Transcript::from_setting(path);
    auto hook = t.hook();
    hook(Direction::Sent, "EHLO client.example.test");
    hook(Direction::Received, "250 ok");
    umask(old);
    struct stat st {};
    BOOST_REQUIRE(stat(path.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    const std::string text = slurp(path);
    BOOST_TEST(text.find("C: EHLO client.example.test\n") != std::string::npos, text);
    BOOST_TEST(text.find("S: 250 ok\n") != std::string::npos, text);
    BOOST_TEST(t.take_lines().empty());
}

BOOST_AUTO_TEST_CASE(file_readable_by_others_is_not_written) {
    testsupport::TempDir dir;
    const std::string path = dir.write("open.log", "", 0644);
    Transcript t = Transcript::from_setting(path);
    auto hook = t.hook();
    hook(Direction::Sent, "EHLO client.example.test");
    hook(Direction::Sent, "NOOP");
    BOOST_TEST(slurp(path).empty());
    const auto lines = t.take_lines();
    BOOST_REQUIRE(lines.size() == 1u);  // said once
    BOOST_TEST(lines[0].find("readable by others") != std::string::npos, lines[0]);
}

BOOST_AUTO_TEST_SUITE_END()
