// fuzz_ini.cpp — libFuzzer target for profile loading (core/include/mvsmtp/config.hpp): the INI
// file as Poco's IniFileConfiguration reads it plus mvsmtp's key handling (comments after
// values, server URLs, ports, TLS modes, mechanisms, timeouts, oauth_* keys).
//
//   scripts/fuzz.sh ini   (or: build-fuzz/tests/fuzz/fuzz_ini NEW_DIR tests/fuzz/corpus/ini — new inputs go to the first folder)
//
// Each input is written to one private temporary file (0600, so a password key is not refused
// for its mode) and loaded as profile [default] and as the profile named on the input's first
// "[...]" line. Refusals are mvsmtp::Error; anything else escaping is a finding. A loaded profile
// must be usable: port 1-65535, a host without blanks or '/', timeouts above zero.
// A fuzzed password_file= may name any file: the target only reads it, as load_profile does.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

#include "fuzz_check.hpp"
#include "mvsmtp/config.hpp"
#include "mvsmtp/error.hpp"

namespace {

// One file per process, removed at exit. A char array, not a std::string: the atexit handler
// runs after static objects are destroyed.
const char* temp_path() {
    static char name[] = "/tmp/mvsmtp-fuzz-ini-XXXXXX";
    static const bool made = [] {
        const int fd = mkstemp(name);
        FUZZ_REQUIRE(fd >= 0, "mkstemp");
        close(fd);
        std::atexit([] { unlink(name); });
        return true;
    }();
    (void)made;
    return name;
}

void write_file(const std::string& path, std::string_view text) {
    const int fd = open(path.c_str(), O_WRONLY | O_TRUNC | O_CREAT, 0600);
    FUZZ_REQUIRE(fd >= 0, "open the temporary INI file");
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = write(fd, text.data() + done, text.size() - done);
        FUZZ_REQUIRE(n > 0, "write the temporary INI file");
        done += static_cast<std::size_t>(n);
    }
    close(fd);
}

void load(const std::string& path, const std::string& section) {
    mvsmtp::ProfileRequest req;
    req.config_path = path;
    req.profile = section;
    try {
        const mvsmtp::Profile p = mvsmtp::load_profile(req);
        FUZZ_REQUIRE(p.port >= 1 && p.port <= 65535, "port out of range");
        for (char c : p.host)
            FUZZ_REQUIRE(static_cast<unsigned char>(c) > 0x20 && c != '/', "host with a blank, control or '/'");
        FUZZ_REQUIRE(p.timeouts.connect_ms > 0 && p.timeouts.io_ms > 0, "timeout not above zero");
    } catch (const mvsmtp::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::string path = temp_path();
    write_file(path, text);
    load(path, "");
    const std::size_t open = text.find('[');
    if (open != std::string_view::npos) {
        const std::size_t close = text.find(']', open);
        if (close != std::string_view::npos && close - open < 64)
            load(path, std::string(text.substr(open + 1, close - open - 1)));
    }
    return 0;
}
