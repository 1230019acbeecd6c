// attachment_file.hpp (private) — an attachment's OS file, opened only if it is a regular file.
//
//   AttachmentFile f(path);               // throws Error(AttachmentUnreadable) naming why
//   char buf[4096]; while (std::size_t n = f.read(buf, sizeof buf)) use(buf, n);
//
// A FIFO blocks open() (and then read()) until some writer appears, which may be never; a
// device such as /dev/zero never ends; a directory cannot be read. All are refused before
// anything is read: the path is checked with stat() (a device is never even opened), then
// opened with O_NONBLOCK (so a FIFO swapped in meanwhile cannot block) and checked again
// with fstat() on what was actually opened.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace mvsmtp::mime_detail {

class AttachmentFile {
public:
    explicit AttachmentFile(const std::string& path);
    ~AttachmentFile();
    AttachmentFile(const AttachmentFile&) = delete;
    AttachmentFile& operator=(const AttachmentFile&) = delete;

    // The file's size when it was opened.
    std::uint64_t size() const { return size_; }
    // Up to n bytes; 0 at the end. Throws Error(AttachmentUnreadable) on a read error.
    std::size_t read(char* buffer, std::size_t n);

private:
    int fd_ = -1;
    std::string path_;
    std::uint64_t size_ = 0;
};

// A caller's path for an error message: control characters become '?', at most 200 bytes.
std::string shown_path(const std::string& path);

}  // namespace mvsmtp::mime_detail
