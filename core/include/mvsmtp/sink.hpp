// mvsmtp/sink.hpp — where streamed bytes go (a socket, a file, a string, a counter).
//
//   mvsmtp::StringSink s;  write_message(msg, s);  use(s.data);
//
// Writers call write() with arbitrary chunk sizes; a sink may throw mvsmtp::Error.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace mvsmtp {

class ByteSink {
public:
    virtual ~ByteSink() = default;
    virtual void write(const char* data, std::size_t size) = 0;
    void write(const std::string& s) { write(s.data(), s.size()); }
};

class StringSink : public ByteSink {
public:
    std::string data;
    void write(const char* p, std::size_t n) override { data.append(p, n); }
    using ByteSink::write;
};

class CountingSink : public ByteSink {
public:
    std::uint64_t count = 0;
    void write(const char*, std::size_t n) override { count += n; }
    using ByteSink::write;
};

}  // namespace mvsmtp
