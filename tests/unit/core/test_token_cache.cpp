// The token cache: owner-only files replaced atomically, refusal of shared files and folders,
// damaged files read as empty, the renewal margin, and a lock that times out.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "mvsmtp/error.hpp"
#include "mvsmtp/token_cache.hpp"
#include "support/error_code_of.hpp"
#include "support/temp_dir.hpp"

using namespace mvsmtp;

namespace {

using testsupport::TempDir;

mode_t mode_of(const std::string& p) {
    struct stat st {};
    stat(p.c_str(), &st);
    return st.st_mode & 07777;
}

CachedToken sample() {
    CachedToken t;
    t.access_token = "access-abc";
    t.refresh_token = "refresh-def";
    t.scope = "SMTP.Send";
    t.grant = "refresh_token";
    t.obtained_at = 1000;
    t.expires_at = 4600;
    return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_token_cache)

BOOST_AUTO_TEST_CASE(store_and_load_owner_only) {
    TempDir d;
    const TokenCache cache(d.path + "/new/tokens/p.json");
    BOOST_TEST(!cache.load().has_value());
    cache.store(sample());
    BOOST_TEST(mode_of(cache.path()) == 0600u);
    BOOST_TEST(mode_of(d.path + "/new/tokens") == 0700u);
    const auto t = cache.load();
    BOOST_REQUIRE(t.has_value());
    BOOST_TEST(t->access_token == "access-abc");
    BOOST_TEST(t->refresh_token == "refresh-def");
    BOOST_TEST(t->expires_at == 4600);
    // replace: no temporary left behind
    CachedToken u = sample();
    u.access_token = "access-xyz";
    cache.store(u);
    BOOST_TEST(cache.load()->access_token == "access-xyz");
    BOOST_TEST(std::system(("test $(ls -A '" + d.path + "/new/tokens' | grep -vc '\\.lock$') -eq 1").c_str()) == 0);
    cache.remove();
    BOOST_TEST(!cache.load().has_value());
}

BOOST_AUTO_TEST_CASE(shared_file_or_folder_is_refused) {
    TempDir d;
    const TokenCache cache(d.path + "/t/p.json");
    cache.store(sample());
    chmod(cache.path().c_str(), 0644);
    BOOST_TEST((testsupport::error_code_of([&] { cache.load(); }) == ErrorCode::ConfigInsecure));
    chmod(cache.path().c_str(), 0600);
    chmod((d.path + "/t").c_str(), 0777);
    BOOST_TEST((testsupport::error_code_of([&] { cache.store(sample()); }) == ErrorCode::ConfigInsecure));
}

BOOST_AUTO_TEST_CASE(damaged_file_reads_as_empty_and_links_are_refused) {
    TempDir d;
    const TokenCache cache(d.path + "/p.json");
    std::ofstream(cache.path()) << "{not json";
    chmod(cache.path().c_str(), 0600);
    BOOST_TEST(!cache.load().has_value());
    const TokenCache linked(d.path + "/link.json");
    BOOST_REQUIRE(symlink(cache.path().c_str(), linked.path().c_str()) == 0);
    BOOST_TEST((testsupport::error_code_of([&] { linked.load(); }) != ErrorCode::Ok));
}

BOOST_AUTO_TEST_CASE(renewal_margin) {
    CachedToken t = sample();  // obtained 1000, expires 4600: margin 60 s
    BOOST_TEST(t.access_valid(4539));
    BOOST_TEST(!t.access_valid(4540));
    t.obtained_at = 1000;
    t.expires_at = 1008;  // an 8-second token: margin 2 s
    BOOST_TEST(t.access_valid(1005));
    BOOST_TEST(!t.access_valid(1006));
    t.access_token.clear();
    BOOST_TEST(!t.access_valid(1000));
}

BOOST_AUTO_TEST_CASE(lock_is_exclusive_and_bounded) {
    TempDir d;
    const TokenCache cache(d.path + "/p.json");
    auto held = cache.lock(1000);
    const auto start = std::chrono::steady_clock::now();
    BOOST_TEST((testsupport::error_code_of([&] { cache.lock(300); }) == ErrorCode::OAuthUnavailable));
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    BOOST_TEST(waited >= 0.29);
    BOOST_TEST(waited < 2.0);
}

BOOST_AUTO_TEST_SUITE_END()
