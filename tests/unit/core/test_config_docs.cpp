// test_config_docs.cpp — every documented example profile parses: each ```ini block of
// README.md and docs/*.md is written to a file and every profile in it is loaded with
// load_profile. The files read at test time come from $MVSMTP_SOURCE_DIR (ctest sets it; the
// source tree this file is in otherwise). Secret and certificate files the examples name
// (/etc/mvsmtp/...) are created on the fly under a temporary folder, and the paths rewritten
// to point there, so a profile is checked whole (OAuth settings included), not just up to the
// first missing file.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>

#include "mvsmtp/config.hpp"
#include "mvsmtp/error.hpp"
#include "support/temp_dir.hpp"

using namespace mvsmtp;
namespace fs = std::filesystem;

namespace {

fs::path source_dir() {
    const char* env = std::getenv("MVSMTP_SOURCE_DIR");
    if (env && *env) return env;
    return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The ```ini blocks of a Markdown file.
std::vector<std::string> ini_blocks(const std::string& markdown) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while ((pos = markdown.find("```ini\n", pos)) != std::string::npos) {
        const std::size_t start = pos + 7;
        const std::size_t end = markdown.find("\n```", start);
        if (end == std::string::npos) break;
        out.push_back(markdown.substr(start, end - start + 1));
        pos = end + 4;
    }
    return out;
}

// Keys whose value names a file the profile reads when it is loaded or used.
bool names_a_file(const std::string& key) {
    return key.size() > 5 && key.compare(key.size() - 5, 5, "_file") == 0 && key != "transcript";
}

// Rewrites file paths into `root` and creates those files (0600); folders (oauth_cache,
// outbox) are only moved into root.
std::string with_local_files(const std::string& block, const std::string& root) {
    static const std::regex line(R"(^(\s*)([A-Za-z_]+)(\s*=\s*)(/[^\s;#]*)(.*)$)");
    std::string out, text;
    std::istringstream in(block);
    while (std::getline(in, text)) {
        std::smatch m;
        if (std::regex_match(text, m, line)) {
            const std::string key = m[2], path = root + m[4].str();
            fs::create_directories(fs::path(path).parent_path());
            if (names_a_file(key) || key == "oauth_client_certificate" || key == "oauth_client_key" || key == "ca_file") {
                std::ofstream(path) << "example-secret-value\n";
                fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
            }
            text = m[1].str() + key + m[3].str() + path + m[5].str();
        }
        out += text + "\n";
    }
    return out;
}

std::vector<std::string> sections(const std::string& block) {
    std::vector<std::string> out;
    static const std::regex header(R"(^\s*\[([^\]]+)\])");
    std::istringstream in(block);
    std::string text;
    while (std::getline(in, text)) {
        std::smatch m;
        if (std::regex_search(text, m, header)) out.push_back(m[1]);
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_config_docs)

BOOST_AUTO_TEST_CASE(every_documented_ini_example_loads) {
    const fs::path root = source_dir();
    BOOST_TEST_REQUIRE(fs::exists(root / "README.md"), "no README.md under " << root << ": set MVSMTP_SOURCE_DIR");
    std::vector<fs::path> files = {root / "README.md"};
    for (const auto& e : fs::directory_iterator(root / "docs"))
        if (e.path().extension() == ".md") files.push_back(e.path());
    int profiles = 0;
    for (const auto& file : files) {
        const auto blocks = ini_blocks(slurp(file));
        for (std::size_t b = 0; b < blocks.size(); ++b) {
            testsupport::TempDir d;
            ProfileRequest req;
            req.config_path = d.write("example.ini", with_local_files(blocks[b], d.path), 0600);
            for (const std::string& section : sections(blocks[b])) {
                req.profile = section;
                const std::string where = file.filename().string() + " block " + std::to_string(b + 1) + " [" + section + "]";
                try {
                    const Profile p = load_profile(req);
                    BOOST_TEST(p.name == section, where);
                    ++profiles;
                } catch (const Error& e) {
                    BOOST_ERROR(where << ": " << error_info(e.code()).basic_name << ": " << e.what());
                }
            }
        }
    }
    BOOST_TEST(profiles >= 6);  // README (2 blocks), the OAuth guides: something was checked
}

BOOST_AUTO_TEST_SUITE_END()
