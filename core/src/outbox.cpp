// outbox.cpp — durable .eml storage for the no-server default.
#include "mvsmtp/outbox.hpp"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Environment.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/Random.h>

#include <cstdio>
#include <fstream>

#include "mvsmtp/error.hpp"
#include "mvsmtp/mime.hpp"
#include "platform.hpp"

namespace mvsmtp {
namespace {

class FileSink : public ByteSink {
public:
    explicit FileSink(const std::string& path) : path_(path), out_(path, std::ios::binary | std::ios::trunc) {
        if (!out_) throw Error(ErrorCode::OutboxFailed, "cannot create " + path);
    }
    void write(const char* data, std::size_t n) override {
        out_.write(data, static_cast<std::streamsize>(n));
        if (!out_) throw Error(ErrorCode::OutboxFailed, "cannot write " + path_ + " (disk full?)");
    }
    using ByteSink::write;
    void close() {
        out_.flush();
        if (!out_) throw Error(ErrorCode::OutboxFailed, "cannot write " + path_ + " (disk full?)");
        out_.close();
    }

private:
    std::string path_;
    std::ofstream out_;
};

std::string unique_stem() {
    static Poco::Random random = [] {
        Poco::Random r;
        r.seed();
        return r;
    }();
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%08x", random.next());
    return Poco::DateTimeFormatter::format(Poco::DateTime(), "%Y%m%d-%H%M%S-%i") + "-" + suffix;
}

std::string envelope_text(const Message& m) {
    std::string out = "MAIL FROM:<" + m.envelope_sender() + ">\n";
    for (const auto& r : m.envelope_recipients()) out += "RCPT TO:<" + r + ">\n";
    return out;
}

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
    const std::string base = Poco::Path(folder, unique_stem()).toString();
    const std::string eml = base + ".eml";
    try {
        platform::write_file_atomically(base + ".envelope", envelope_text(message));
    } catch (const std::exception& e) {
        throw Error(ErrorCode::OutboxFailed, std::string("cannot store the envelope: ") + e.what());
    }
    const std::string tmp = eml + ".tmp";
    try {
        FileSink sink(tmp);
        write_message(message, sink);
        sink.close();
        platform::fsync_path(tmp);
        if (std::rename(tmp.c_str(), eml.c_str()) != 0)
            throw Error(ErrorCode::OutboxFailed, "cannot rename " + tmp + " to " + eml);
        platform::fsync_path(folder);
    } catch (const Error&) {
        // Nothing half-written stays behind; the error keeps its own code (an attachment
        // that vanished is AttachmentUnreadable, a full disk OutboxFailed).
        std::remove(tmp.c_str());
        std::remove((base + ".envelope").c_str());
        throw;
    }
    return eml;
}

}  // namespace mvsmtp
