// temp_dir.hpp — a private temporary folder for a test, removed with everything in it.
//
//   testsupport::TempDir d;                            // /tmp/mvsmtp-test-XXXXXX, mode 0700
//   std::string p = d.write("mvsmtp.ini", "[x]\n...", 0600);
#pragma once
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace testsupport {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/mvsmtp-test-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) const {
        const std::string p = path + "/" + name;
        std::ofstream(p) << content;
        chmod(p.c_str(), mode);
        return p;
    }
};

}  // namespace testsupport
