// attachment_file.cpp — see attachment_file.hpp.
#include "attachment_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mvsmtp/error.hpp"

namespace mvsmtp::mime_detail {
namespace {

// What a non-regular file is, for the message.
const char* kind_of(mode_t mode) {
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
    throw Error(ErrorCode::AttachmentUnreadable, "attachment " + shown_path(path) + " " + why);
}

void refuse_unless_regular(const std::string& path, mode_t mode) {
    if (!S_ISREG(mode))
        refuse(path, std::string("is ") + kind_of(mode) + ": only regular files can be attached");
}

}  // namespace

std::string shown_path(const std::string& path) {
    std::string out = path.substr(0, 200);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 32 || c == 127) c = '?';
    return out;
}

AttachmentFile::AttachmentFile(const std::string& path) : path_(path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) refuse(path, std::string("cannot be read: ") + std::strerror(errno));
    refuse_unless_regular(path, st.st_mode);
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd_ < 0) refuse(path, std::string("cannot be read: ") + std::strerror(errno));
    if (::fstat(fd_, &st) != 0) refuse(path, std::string("cannot be read: ") + std::strerror(errno));
    refuse_unless_regular(path, st.st_mode);  // replaced between stat() and open()
    // A regular file never blocks; clear the flag so reads behave the usual way.
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0) ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
    size_ = static_cast<std::uint64_t>(st.st_size);
}

AttachmentFile::~AttachmentFile() {
    if (fd_ >= 0) ::close(fd_);
}

std::size_t AttachmentFile::read(char* buffer, std::size_t n) {
    for (;;) {
        const ssize_t got = ::read(fd_, buffer, n);
        if (got >= 0) return static_cast<std::size_t>(got);
        if (errno == EINTR) continue;
        refuse(path_, std::string("could not be read to the end: ") + std::strerror(errno));
    }
}

}  // namespace mvsmtp::mime_detail
