// outbox.cpp — durable .eml storage for the no-server default.
//
// Many threads (and processes) may store into one folder at once, so every name is taken
// exclusively and nothing is ever replaced:
//   1. NAME.eml.tmp is created with O_EXCL, mode 0600 (NAME: time + 64 random bits from the
//      OS), and the message is streamed into it and fsynced;
//   2. NAME.envelope is written to its own temporary and published without replacing;
//   3. NAME.eml.tmp is published as NAME.eml without replacing, and the folder fsynced.
// A name that is taken at step 1 is drawn again; one taken at 2 or 3 (which no mvsmtp writer
// can cause) fails the call rather than overwrite. Any failure removes what this call made,
// so no .eml.tmp and no orphan .envelope remain; a process killed mid-write leaves only its
// NAME.eml.tmp, never an .envelope without its .eml.
#include "mvsmtp/outbox.hpp"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Environment.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "mvsmtp/error.hpp"
#include "mvsmtp/mime.hpp"
#include "platform.hpp"

namespace mvsmtp {
namespace {

// Buffers the writer's small chunks into 64 KB writes to one file descriptor.
class FileSink : public ByteSink {
public:
    FileSink(int fd, const std::string& path) : fd_(fd), path_(path), buffer_(new char[kSize]) {}
    ~FileSink() override {
        if (fd_ >= 0) ::close(fd_);
    }
    void write(const char* data, std::size_t n) override {
        if (used_ + n > kSize) flush();
        if (n >= kSize) {
            write_all(data, n);
            return;
        }
        std::memcpy(buffer_.get() + used_, data, n);
        used_ += n;
    }
    using ByteSink::write;
    // Everything on disk (fsync) and the descriptor closed.
    void finish() {
        flush();
        const int fd = fd_;
        fd_ = -1;
        if (::fsync(fd) != 0 || ::close(fd) != 0)
            throw Error(ErrorCode::OutboxFailed, "cannot write " + path_ + ": " + std::strerror(errno));
    }

private:
    static constexpr std::size_t kSize = 64 * 1024;
    void flush() {
        write_all(buffer_.get(), used_);
        used_ = 0;
    }
    void write_all(const char* p, std::size_t n) {
        while (n > 0) {
            const ssize_t done = ::write(fd_, p, n);
            if (done < 0 && errno == EINTR) continue;
            if (done <= 0)
                throw Error(ErrorCode::OutboxFailed, "cannot write " + path_ + ": " + std::strerror(errno) + " (disk full?)");
            p += done;
            n -= static_cast<std::size_t>(done);
        }
    }
    int fd_;
    std::string path_;
    std::unique_ptr<char[]> buffer_;
    std::size_t used_ = 0;
};

// "20240305-090400-123-" + 16 hex digits from the OS's random source (thread-safe, unlike
// a shared generator: two threads in one millisecond once drew the same name).
std::string unique_stem() {
    unsigned char bytes[8];
    platform::random_bytes(bytes, sizeof bytes);
    static const char hex[] = "0123456789abcdef";
    std::string suffix;
    for (unsigned char b : bytes) {
        suffix += hex[b >> 4];
        suffix += hex[b & 15];
    }
    return Poco::DateTimeFormatter::format(Poco::DateTime(), "%Y%m%d-%H%M%S-%i") + "-" + suffix;
}

std::string envelope_text(const Message& m) {
    std::string out = "MAIL FROM:<" + m.envelope_sender() + ">\n";
    for (const auto& r : m.envelope_recipients()) out += "RCPT TO:<" + r + ">\n";
    return out;
}

// Removes the files of a store that did not finish.
struct Leftovers {
    std::string tmp, envelope;
    bool done = false;
    ~Leftovers() {
        if (done) return;
        if (!tmp.empty()) ::unlink(tmp.c_str());
        if (!envelope.empty()) ::unlink(envelope.c_str());
    }
};

}  // namespace

std::string default_outbox_folder() {
    const std::string env = Poco::Environment::get("MVSMTP_OUTBOX", "");
    return env.empty() ? std::string("mvsmtp-outbox") : env;
}

std::string store_in_outbox(const Message& message, const std::string& folder_in) {
    const std::string folder = Poco::Path(folder_in.empty() ? default_outbox_folder() : folder_in)
                                   .makeAbsolute().toString(Poco::Path::PATH_NATIVE);
    try {
        Poco::File(folder).createDirectories();
    } catch (const Poco::Exception& e) {
        throw Error(ErrorCode::OutboxFailed, "cannot create outbox folder " + folder + ": " + e.displayText());
    }
    Leftovers left;
    try {
        std::string base;
        int fd = -1;
        for (int attempt = 0; fd < 0; ++attempt) {
            base = Poco::Path(folder, unique_stem()).toString();
            fd = platform::create_new_file(base + ".eml.tmp");
            if (fd < 0 && (errno != EEXIST || attempt >= 8))
                throw Error(ErrorCode::OutboxFailed, "cannot create " + base + ".eml.tmp: " + std::strerror(errno));
        }
        left.tmp = base + ".eml.tmp";
        const std::string eml = base + ".eml";
        FileSink sink(fd, left.tmp);
        write_message(message, sink);
        sink.finish();
        try {
            if (!platform::write_new_file(base + ".envelope", envelope_text(message)))
                throw Error(ErrorCode::OutboxFailed, base + ".envelope already exists; nothing was replaced");
        } catch (const std::runtime_error& e) {
            if (dynamic_cast<const Error*>(&e)) throw;
            throw Error(ErrorCode::OutboxFailed, std::string("cannot store the envelope: ") + e.what());
        }
        left.envelope = base + ".envelope";
        if (!platform::publish_new(left.tmp, eml))
            throw Error(ErrorCode::OutboxFailed, eml + " already exists; nothing was replaced");
        left.tmp.clear();
        platform::fsync_path(folder);
        left.done = true;
        return eml;
    } catch (const Error&) {
        // The error keeps its own code (an attachment that vanished is AttachmentUnreadable,
        // one over the size limit MessageTooLarge, a full disk OutboxFailed).
        throw;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(ErrorCode::OutboxFailed, std::string("cannot store the message: ") + e.what());
    }
}

}  // namespace mvsmtp
