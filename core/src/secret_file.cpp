// secret_file.cpp — owner-only secret files; see secret_file.hpp.
#include "secret_file.hpp"

#include <fstream>
#include <iterator>

#include <sys/stat.h>

#include "platform.hpp"

namespace mvsmtp {
namespace {

bool regular_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

void refuse_if_shared(const std::string& path, const std::string& what) {
    if (platform::readable_by_others(path))
        throw Error(ErrorCode::ConfigInsecure,
                    what + " " + path + " holds a secret but other users can read it (mode " +
                        platform::mode_string(path) + "); fix it with: chmod 600 " + path);
}

std::string read_secret_line(const std::string& path, ErrorCode missing, const std::string& what) {
    if (!regular_file(path)) throw Error(missing, what + " " + path + " not found");
    refuse_if_shared(path, what);
    std::ifstream in(path, std::ios::binary);
    std::string line;
    if (!in || !std::getline(in, line))
        throw Error(missing, what + " " + path + " cannot be read or is empty");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) throw Error(missing, what + " " + path + " is empty");
    return line;
}

std::string read_secret_file(const std::string& path, ErrorCode missing, const std::string& what) {
    if (!regular_file(path)) throw Error(missing, what + " " + path + " not found");
    refuse_if_shared(path, what);
    std::ifstream in(path, std::ios::binary);
    std::string text;
    char buffer[4096];
    while (in && text.size() <= 65536) {
        in.read(buffer, sizeof buffer);
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
    }
    if (text.empty()) throw Error(missing, what + " " + path + " cannot be read or is empty");
    if (text.size() > 65536) throw Error(missing, what + " " + path + " is larger than 64 KiB");
    return text;
}

}  // namespace mvsmtp
