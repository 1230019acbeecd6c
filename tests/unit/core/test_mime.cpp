// test_mime.cpp — the streaming MIME writer (mime.hpp): headers, structure, encodings,
// refusals, streaming of large file attachments, and a parse by Python's email package.
#include <boost/test/unit_test.hpp>

#include "support/error_code_of.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <regex>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/mime.hpp"
#include "mvsmtp/text.hpp"

using namespace mvsmtp;
namespace fs = std::filesystem;

namespace {

Message sample() {
    Message m;
    m.from = {"Accounts", "billing@example.com"};
    m.to = {{"Anne Smith", "anne@example.org"}};
    m.cc = {{"", "cc@example.org"}};
    m.bcc = {{"Hidden Person", "secret-bcc@example.net"}};
    m.subject = "Invoice 1042";
    m.text = "Please find the invoice attached.\n";
    m.date = 1709629440;  // 2024-03-05 09:04:00 UTC
    m.message_id = "<0123456789abcdef0123456789abcdef@example.com>";
    return m;
}

std::string write(const Message& m) {
    StringSink s;
    write_message(m, s);
    return s.data;
}

std::string headers_of(const std::string& msg) {
    return msg.substr(0, msg.find("\r\n\r\n") + 2);
}

// The unfolded value of the first top-level header called name, or "<absent>".
std::string header(const std::string& msg, const std::string& name) {
    const std::string h = "\r\n" + headers_of(msg);
    const std::size_t p = h.find("\r\n" + name + ": ");
    if (p == std::string::npos) return "<absent>";
    std::string v;
    std::size_t i = p + 2 + name.size() + 2;
    while (true) {
        const std::size_t e = h.find("\r\n", i);
        v += h.substr(i, e - i);
        if (e + 2 >= h.size() || (h[e + 2] != ' ' && h[e + 2] != '\t')) break;
        i = e + 2;
    }
    return v;
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0, p;
    while ((p = s.find("\r\n", start)) != std::string::npos) {
        out.push_back(s.substr(start, p - start));
        start = p + 2;
    }
    if (start < s.size()) out.push_back(s.substr(start));
    return out;
}

// The invariants every output must keep (mime.hpp).
void check_wire_rules(const std::string& msg) {
    BOOST_REQUIRE(msg.size() >= 2);
    BOOST_TEST(msg.compare(msg.size() - 2, 2, "\r\n") == 0);
    for (std::size_t i = 0; i < msg.size(); ++i) {
        const auto c = static_cast<unsigned char>(msg[i]);
        BOOST_REQUIRE_MESSAGE(c < 0x80 && c != 0,
                              "byte " << int(c) << " at " << i << " is not 7-bit");
        if (c == '\r')
            BOOST_REQUIRE_MESSAGE(i + 1 < msg.size() && msg[i + 1] == '\n', "bare CR at " << i);
        if (c == '\n') BOOST_REQUIRE_MESSAGE(i > 0 && msg[i - 1] == '\r', "bare LF at " << i);
    }
    for (const std::string& line : lines_of(msg)) BOOST_REQUIRE_LE(line.size(), 998u);
}

// The body of the part whose headers contain marker (up to the next delimiter).
std::string part_body(const std::string& msg, const std::string& marker) {
    const std::size_t h = msg.find(marker);
    BOOST_REQUIRE_MESSAGE(h != std::string::npos, "no part with " << marker);
    const std::size_t start = msg.find("\r\n\r\n", h) + 4;
    const std::size_t end = msg.find("\r\n--=_mvsmtp_", start);
    return msg.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

ErrorCode code_of(const std::function<void()>& f) { return testsupport::error_code_of(f); }

std::string temp_path(const std::string& name) {
    return (fs::temp_directory_path() / ("mvsmtp_test_" + std::to_string(::getpid()) + "_" + name))
        .string();
}

// Writes size pseudo-random bytes to path in chunks (never the whole file in memory).
void make_file(const std::string& path, std::size_t size, unsigned seed) {
    std::mt19937 rng(seed);
    std::ofstream f(path, std::ios::binary);
    std::string chunk(1 << 16, '\0');
    for (std::size_t done = 0; done < size; done += chunk.size()) {
        for (char& c : chunk) c = static_cast<char>(rng());
        f.write(chunk.data(), static_cast<std::streamsize>(std::min(chunk.size(), size - done)));
    }
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

// Resident set size now (not the peak), from /proc; 0 where unavailable.
std::size_t rss_bytes() {
    std::ifstream f("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    if (!(f >> pages >> resident)) return 0;
    return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// Counts bytes and samples the process's resident memory while the writer streams.
class MemoryWatchSink : public CountingSink {
public:
    std::size_t max_rss = 0;
    std::size_t largest_write = 0;
    void write(const char* p, std::size_t n) override {
        CountingSink::write(p, n);
        largest_write = std::max(largest_write, n);
        if (++calls_ % 32 == 0) max_rss = std::max(max_rss, rss_bytes());
    }
    using ByteSink::write;

private:
    std::size_t calls_ = 0;
};

struct TempFile {
    std::string path;
    explicit TempFile(std::string p) : path(std::move(p)) {}
    ~TempFile() { std::remove(path.c_str()); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(test_mime)

BOOST_AUTO_TEST_CASE(standard_headers) {
    const std::string msg = write(sample());
    check_wire_rules(msg);
    BOOST_TEST(header(msg, "Date") == "Tue, 05 Mar 2024 09:04:00 +0000");
    BOOST_TEST(header(msg, "From") == "Accounts <billing@example.com>");
    BOOST_TEST(header(msg, "To") == "Anne Smith <anne@example.org>");
    BOOST_TEST(header(msg, "Cc") == "cc@example.org");
    BOOST_TEST(header(msg, "Subject") == "Invoice 1042");
    BOOST_TEST(header(msg, "Message-ID") == "<0123456789abcdef0123456789abcdef@example.com>");
    BOOST_TEST(header(msg, "MIME-Version") == "1.0");
    BOOST_TEST(header(msg, "Content-Type") == "text/plain; charset=utf-8");
    BOOST_TEST(header(msg, "Content-Transfer-Encoding") == "7bit");
    BOOST_TEST(header(msg, "X-Priority") == "<absent>");
    // Bcc: neither the header nor any trace of the address or name.
    BOOST_TEST(header(msg, "Bcc") == "<absent>");
    BOOST_TEST(msg.find("secret-bcc") == std::string::npos);
    BOOST_TEST(msg.find("Hidden Person") == std::string::npos);
    BOOST_TEST(msg.substr(msg.find("\r\n\r\n") + 4) == "Please find the invoice attached.\r\n");
}

BOOST_AUTO_TEST_CASE(only_bcc_gets_undisclosed_recipients) {
    Message m = sample();
    m.to.clear();
    m.cc.clear();
    BOOST_TEST(header(write(m), "To") == "undisclosed-recipients:;");
}

BOOST_AUTO_TEST_CASE(prepare_assigns_id_and_date) {
    Message m = sample();
    m.message_id.clear();
    m.date = 0;
    prepare(m, "mx.example.net");
    BOOST_TEST(std::regex_match(m.message_id, std::regex("<[0-9a-f]{32}@mx\\.example\\.net>")));
    BOOST_TEST(m.date > 1700000000);
    Message n = sample();
    n.message_id.clear();
    prepare(n, "");  // falls back to the From domain
    BOOST_TEST(std::regex_match(n.message_id, std::regex("<[0-9a-f]{32}@example\\.com>")));
    Message o = sample();
    o.message_id.clear();
    prepare(o, "");
    BOOST_TEST(o.message_id != n.message_id);
    const std::string kept = m.message_id;
    prepare(m, "other.example");
    BOOST_TEST(m.message_id == kept);  // never replaced once set
}

BOOST_AUTO_TEST_CASE(priority_and_custom_headers) {
    Message m = sample();
    m.priority = Priority::High;
    m.headers = {{"X-Invoice-Number", "1042"},
                 {"X-Note",
                  "Gr\xC3\xBC\xC3\x9F"
                  "e aus K\xC3\xB6ln"}};
    m.reply_to = {{"Support", "support@example.com"}};
    const std::string msg = write(m);
    BOOST_TEST(header(msg, "X-Priority") == "1 (Highest)");
    BOOST_TEST(header(msg, "Importance") == "high");
    BOOST_TEST(header(msg, "X-Invoice-Number") == "1042");
    BOOST_TEST(header(msg, "X-Note") ==
               "=?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=");  // B is shorter here
    BOOST_TEST(header(msg, "Reply-To") == "Support <support@example.com>");
    // Custom headers come after the standard ones, before the Content-* lines.
    BOOST_TEST(msg.find("MIME-Version") < msg.find("X-Invoice-Number"));
    BOOST_TEST(msg.find("X-Note") < msg.find("Content-Type"));
}

BOOST_AUTO_TEST_CASE(non_ascii_subject_is_encoded_and_folded) {
    Message m = sample();
    m.subject =
        "Rechnung f\xC3\xBCr M\xC3\xA4rz \xE2\x80\x94 \xE6\xBC\xA2\xE5\xAD\x97 "
        "\xF0\x9F\x98\x80 and a long tail so that it needs several encoded words";
    const std::string msg = write(m);
    check_wire_rules(msg);
    const std::string h = headers_of(msg);
    const std::size_t s = h.find("Subject: ");
    const std::size_t e = h.find("\r\nMessage-ID");
    BOOST_REQUIRE(s != std::string::npos && e != std::string::npos);
    const auto lines = lines_of(h.substr(s, e - s + 2));
    BOOST_TEST(lines.size() > 1u);
    for (const std::string& l : lines) BOOST_TEST(l.size() <= 78u);
}

BOOST_AUTO_TEST_CASE(header_injection_is_refused_everywhere) {
    const std::string bad[] = {"x\r\nBcc: evil@example.com", "x\rBcc: y", "x\nBcc: y",
                               std::string("x\0y", 3)};
    using Mutate = std::function<void(Message&, const std::string&)>;
    const std::pair<const char*, Mutate> places[] = {
        {"subject", [](Message& m, const std::string& v) { m.subject = v; }},
        {"from name", [](Message& m, const std::string& v) { m.from.display_name = v; }},
        {"to name", [](Message& m, const std::string& v) { m.to[0].display_name = v; }},
        {"reply-to name",
         [](Message& m, const std::string& v) {
             m.reply_to = {{v, "r@example.com"}};
         }},
        {"custom header",
         [](Message& m, const std::string& v) {
             m.headers = {{"X-Custom", v}};
         }},
        {"filename",
         [](Message& m, const std::string& v) {
             m.attachments = {Attachment::from_data("d", v, "text/plain")};
         }},
        {"content type",
         [](Message& m, const std::string& v) {
             m.attachments = {Attachment::from_data("d", "a.txt", "text/plain" + v)};
         }},
        {"message id", [](Message& m, const std::string& v) { m.message_id = "<a" + v + "@b>"; }},
    };
    for (const auto& place : places) {
        for (const std::string& v : bad) {
            Message m = sample();
            place.second(m, v);
            BOOST_TEST((code_of([&] { validate(m); }) == ErrorCode::HeaderInjection), place.first);
            StringSink out;
            BOOST_TEST((code_of([&] { write_message(m, out); }) == ErrorCode::HeaderInjection),
                       place.first);
            BOOST_TEST(out.data.empty());  // nothing written before the refusal
        }
    }
    // The error names the header, not the value.
    Message m = sample();
    m.headers = {{"X-Custom", "a\r\nb"}};
    try {
        validate(m);
        BOOST_ERROR("accepted");
    } catch (const Error& e) {
        BOOST_TEST(std::string(e.what()).find("X-Custom") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(validate_refusals) {
    Message m = sample();
    m.from.address.clear();
    BOOST_TEST((code_of([&] { validate(m); }) == ErrorCode::NoSender));
    m = sample();
    m.to.clear();
    m.cc.clear();
    m.bcc.clear();
    BOOST_TEST((code_of([&] { validate(m); }) == ErrorCode::NoRecipients));
    m = sample();
    m.bcc[0].address = "not an address";
    BOOST_TEST((code_of([&] { validate(m); }) == ErrorCode::BadAddress));
    m = sample();
    m.return_path = "bounce@@example.com";
    BOOST_TEST((code_of([&] { validate(m); }) == ErrorCode::BadAddress));
    for (const char* name : {"X Bad", "X:Bad", "", "X-\xC3\xA9"}) {
        m = sample();
        m.headers = {{name, "v"}};
        BOOST_TEST((code_of([&] { validate(m); }) == ErrorCode::BadArgument), name);
    }
    for (const char* name : {"bcc", "To", "Content-Type", "content-transfer-encoding", "Message-Id",
                             "MIME-Version", "Date", "Subject", "From", "Cc"}) {
        m = sample();
        m.headers = {{name, "v"}};
        BOOST_TEST((code_of([&] { validate(m); }) == ErrorCode::BadArgument), name);
    }
    m = sample();
    m.headers = {{"Reply-To", "x@example.com"}};  // fine while the Message sets none
    BOOST_TEST((code_of([&] { validate(m); }) == ErrorCode::Ok));
    m.reply_to = {{"", "y@example.com"}};
    BOOST_TEST((code_of([&] { validate(m); }) == ErrorCode::BadArgument));
    m = sample();
    m.attachments = {Attachment::from_file("/nonexistent/dir/file.pdf")};
    BOOST_TEST((code_of([&] { validate(m); }) == ErrorCode::AttachmentUnreadable));
    m.attachments = {Attachment::from_file(fs::temp_directory_path().string())};  // a directory
    BOOST_TEST((code_of([&] { validate(m); }) == ErrorCode::AttachmentUnreadable));
    m = sample();
    m.message_id = "no-at-sign";
    BOOST_TEST((code_of([&] { validate(m); }) == ErrorCode::BadArgument));
    m = sample();
    m.attachments = {Attachment::from_data("x", "a.bin", "nonsense")};
    BOOST_TEST((code_of([&] { validate(m); }) == ErrorCode::BadArgument));
}

BOOST_AUTO_TEST_CASE(structure_text_html_alternative_mixed) {
    Message m = sample();
    m.text.clear();
    m.html = "<p>Hi</p>";
    std::string msg = write(m);
    BOOST_TEST(header(msg, "Content-Type") == "text/html; charset=utf-8");

    m.text = "Hi";
    msg = write(m);
    check_wire_rules(msg);
    const std::string ct = header(msg, "Content-Type");
    const std::string prefix = "multipart/alternative; boundary=\"=_mvsmtp_";
    BOOST_TEST(ct.compare(0, prefix.size(), prefix) == 0);
    const std::string b = ct.substr(ct.find('"') + 1, ct.size() - ct.find('"') - 2);
    BOOST_TEST(msg.find("\r\n--" + b + "\r\nContent-Type: text/plain; charset=utf-8") !=
               std::string::npos);
    BOOST_TEST(msg.find("text/plain") < msg.find("text/html"));  // RFC 2046 §5.1.4 order
    BOOST_TEST(msg.find("\r\n--" + b + "--\r\n") != std::string::npos);
    BOOST_TEST(part_body(msg, "text/plain") == "Hi");
    BOOST_TEST(part_body(msg, "text/html") == "<p>Hi</p>");

    m.attachments = {Attachment::from_data("a,b\n1,2\n", "report.csv")};
    msg = write(m);
    check_wire_rules(msg);
    BOOST_TEST(header(msg, "Content-Type").compare(0, 16, "multipart/mixed;") == 0);
    const std::size_t alt = msg.find("Content-Type: multipart/alternative");
    const std::size_t att = msg.find("Content-Type: text/csv; name=\"report.csv\"");
    BOOST_TEST(alt != std::string::npos);
    BOOST_TEST(att != std::string::npos);
    BOOST_TEST(alt < att);
    BOOST_TEST(msg.find("Content-Disposition: attachment; filename=\"report.csv\"") !=
               std::string::npos);
    BOOST_TEST(base64_decode(part_body(msg, "filename=\"report.csv\"")) ==
               "a,b\n1,2\n");  // bytes kept, LF included

    m.text.clear();
    m.html.clear();
    msg = write(m);  // attachments only
    BOOST_TEST(header(msg, "Content-Type").compare(0, 16, "multipart/mixed;") == 0);
    BOOST_TEST(msg.find("text/plain") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(transfer_encoding_follows_content) {
    Message m = sample();
    m.text = "plain ascii\nline two\n.leading dot stays: the SMTP layer stuffs dots\n";
    std::string msg = write(m);
    BOOST_TEST(header(msg, "Content-Transfer-Encoding") == "7bit");
    BOOST_TEST(msg.find("\r\n.leading dot") != std::string::npos);  // not dot-stuffed here
    BOOST_TEST(msg.find("\r\n..leading") == std::string::npos);

    m.text = "mostly ASCII with one caf\xC3\xA9 in it\n";
    msg = write(m);
    BOOST_TEST(header(msg, "Content-Transfer-Encoding") == "quoted-printable");
    BOOST_TEST(msg.find("caf=C3=A9") != std::string::npos);

    m.text = "\xE6\xBC\xA2\xE5\xAD\x97\xE6\xBC\xA2\xE5\xAD\x97\xE6\xBC\xA2\xE5\xAD\x97 ok";
    msg = write(m);
    BOOST_TEST(header(msg, "Content-Transfer-Encoding") == "base64");
    BOOST_TEST(base64_decode(msg.substr(msg.find("\r\n\r\n") + 4)) == m.text);

    m.text = "trailing blanks  \nand tab\t\nend  ";
    msg = write(m);  // pure ASCII: 7bit, blanks kept as they are
    BOOST_TEST(header(msg, "Content-Transfer-Encoding") == "7bit");
    m.text += "\xC3\xA9";
    m.text += "  ";
    msg = write(m);
    BOOST_TEST(header(msg, "Content-Transfer-Encoding") == "quoted-printable");
    BOOST_TEST(msg.find("trailing blanks =20\r\n") !=
               std::string::npos);  // QP keeps trailing blanks
    BOOST_TEST(msg.find("and tab=09\r\n") != std::string::npos);
    BOOST_TEST(msg.find("end  =C3=A9 =20\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(line_endings_and_long_lines) {
    Message m = sample();
    m.text = "a\nb\rc\r\nd";
    std::string msg = write(m);
    check_wire_rules(msg);
    BOOST_TEST(msg.substr(msg.find("\r\n\r\n") + 4) == "a\r\nb\r\nc\r\nd\r\n");

    m.text = std::string(5000, 'x') + "\n";
    m.html = "<p>" + std::string(5000, 'y') + "</p>";
    m.attachments = {Attachment::from_data(std::string(5000, 'z'), "long.txt")};
    msg = write(m);
    check_wire_rules(msg);  // includes: no line over 998 octets
    for (const std::string& line : lines_of(msg)) BOOST_TEST_REQUIRE(line.size() <= 78u);
    BOOST_TEST(msg.find("Content-Transfer-Encoding: quoted-printable") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(attachment_names_and_types) {
    BOOST_TEST(guess_content_type("x.PDF") == "application/pdf");
    BOOST_TEST(guess_content_type("data.csv") == "text/csv");
    BOOST_TEST(guess_content_type("a.jpeg") == "image/jpeg");
    BOOST_TEST(guess_content_type("book.xlsx") ==
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    BOOST_TEST(guess_content_type("archive.tar.gz") == "application/gzip");
    BOOST_TEST(guess_content_type("noext") == "application/octet-stream");
    BOOST_TEST(guess_content_type("dir.pdf/file") == "application/octet-stream");

    const Attachment f = Attachment::from_file("/var/reports/Q1 report.xlsx");
    BOOST_TEST(f.filename == "Q1 report.xlsx");
    BOOST_TEST(f.content_type ==
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    BOOST_TEST(Attachment::from_file("C:\\reports\\x.csv").filename == "x.csv");

    Message m = sample();
    m.attachments = {Attachment::from_data("x",
                                           "\xC3\x9C"
                                           "berweisung M\xC3\xA4rz.pdf"),
                     Attachment::from_data("y", "say \"hi\".txt")};
    const std::string msg = write(m);
    check_wire_rules(msg);
    BOOST_TEST(msg.find("filename*=UTF-8''%C3%9Cberweisung%20M%C3%A4rz.pdf") != std::string::npos);
    BOOST_TEST(msg.find("Content-Type: application/pdf;") != std::string::npos);
    BOOST_TEST(msg.find("filename=\"say \\\"hi\\\".txt\"") != std::string::npos);
    BOOST_TEST(msg.find("name=\"say \\\"hi\\\".txt\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(envelope_recipients_dedupe) {
    Message m = sample();
    m.to.push_back({"", "ANNE@example.org"});
    m.bcc.push_back({"", "cc@EXAMPLE.org"});
    const auto r = m.envelope_recipients();
    BOOST_TEST((r == std::vector<std::string>{"anne@example.org", "cc@example.org",
                                              "secret-bcc@example.net"}));
    BOOST_TEST(m.envelope_sender() == "billing@example.com");
    BOOST_TEST(!needs_smtputf8(m));
    m.bcc.push_back({"", "jos\xC3\xA9@example.com"});
    BOOST_TEST(needs_smtputf8(m));
}

BOOST_AUTO_TEST_CASE(large_file_is_streamed_and_rewritable) {
    const std::size_t size = 20u << 20;
    TempFile file(temp_path("big.bin"));
    make_file(file.path, size, 1234);
    Message m = sample();
    m.attachments = {Attachment::from_file(file.path, "big.bin")};

    // 1. Streaming: resident memory may not grow by anything like the file's size.
    MemoryWatchSink watch;
    const std::size_t before = rss_bytes();
    write_message(m, watch);
    BOOST_TEST(watch.count > size * 4 / 3);
    BOOST_TEST(watch.largest_write <= 128u * 1024u);  // handed over in small chunks
    if (before > 0)
        BOOST_TEST(watch.max_rss < before + 8u * 1024 * 1024,
                   "RSS grew from " << before << " to " << watch.max_rss);

    // 2. Byte-exact round trip, and the same bytes counted.
    StringSink s;
    write_message(m, s);
    BOOST_TEST(s.data.size() == watch.count);
    const std::string body = part_body(s.data, "filename=\"big.bin\"");
    BOOST_TEST((base64_decode(body) == read_file(file.path)));
    for (const std::string& line : lines_of(body)) BOOST_TEST_REQUIRE(line.size() <= 76u);

    // 3. Writing again (outbox copy, then the send) gives identical bytes.
    StringSink again;
    write_message(m, again);
    BOOST_TEST((again.data == s.data));

    // 4. A file that disappears before the write is reported, not half-sent silently.
    std::remove(file.path.c_str());
    CountingSink c;
    BOOST_TEST((code_of([&] { write_message(m, c); }) == ErrorCode::AttachmentUnreadable));
}

BOOST_AUTO_TEST_CASE(python_email_parses_what_we_write) {
    if (!fs::exists("/usr/bin/python3")) {
        BOOST_TEST_MESSAGE("no /usr/bin/python3; skipped");
        return;
    }
    TempFile data(temp_path("data.bin"));
    make_file(data.path, 100000, 99);
    TempFile eml(temp_path("msg.eml"));
    TempFile expect(temp_path("expect.txt"));
    TempFile script(temp_path("check.py"));

    Message m = sample();
    m.from = {"Zo\xC3\xAB \"Q\" Smith", "zoe@example.com"};
    m.to = {{"Smith, Anne", "anne@example.org"},
            {"\xE5\xB1\xB1\xE7\x94\xB0 \xE5\xA4\xAA\xE9\x83\x8E", "taro@example.jp"}};
    m.subject =
        "Gr\xC3\xBC\xC3\x9F"
        "e \xE2\x80\x94 \xE6\xBC\xA2\xE5\xAD\x97 \xF0\x9F\x98\x80 " +
        std::string("and a subject long enough to need folding across lines");
    m.text = "Line one caf\xC3\xA9\nLine two  \n";
    m.html = "<p>Hello \xE6\xBC\xA2\xE5\xAD\x97</p>";
    m.attachments = {Attachment::from_file(data.path,
                                           "\xC3\x9C"
                                           "berweisung M\xC3\xA4rz 2024 mit einem "
                                           "recht langen Namen.bin"),
                     Attachment::from_data(std::string("\0\x01\xFF\r\n\n\r", 7), "raw.dat")};
    {
        std::ofstream f(eml.path, std::ios::binary);
        f << write(m);
    }
    auto hex = [](const std::string& s) {
        static const char d[] = "0123456789abcdef";
        std::string out;
        for (unsigned char c : s) out += std::string{d[c >> 4], d[c & 15]};
        return out + "\n";
    };
    {
        std::ofstream f(expect.path, std::ios::binary);
        f << hex(m.subject) << hex(m.from.display_name) << hex(m.to[0].display_name)
          << hex(m.to[1].display_name) << hex(m.attachments[0].filename) << hex(data.path)
          << hex(std::string("\0\x01\xFF\r\n\n\r", 7)) << hex("Line one caf\xC3\xA9\nLine two  \n");
    }
    {
        std::ofstream f(script.path);
        f << R"PY(
import sys, email, email.policy
eml, exp = sys.argv[1], sys.argv[2]
e = [bytes.fromhex(l.strip()) for l in open(exp)]
subject, from_name, to0, to1, fname, data_path, raw, text = [x.decode('utf-8') for x in e[:6]] + [e[6], e[7].decode()]
m = email.message_from_binary_file(open(eml, 'rb'), policy=email.policy.default)
errs = []
def check(what, got, want):
    if got != want: errs.append('%s: got %r want %r' % (what, got, want))
check('subject', str(m['subject']), subject)
check('from', m['from'].addresses[0].display_name, from_name)
check('to0', m['to'].addresses[0].display_name, to0)
check('to1', m['to'].addresses[1].display_name, to1)
check('bcc', m['bcc'], None)
check('text', m.get_body(('plain',)).get_content().replace('\r\n', '\n'), text)
atts = list(m.iter_attachments())
check('count', len(atts), 2)
check('filename', atts[0].get_filename(), fname)
check('bytes0', atts[0].get_content(), open(data_path, 'rb').read())
check('bytes1', atts[1].get_content(), raw)
for part in m.walk():
    if part.defects: errs.append('defects %r' % part.defects)
    for k, v in part.items():
        # name="=?...?=" on Content-Type is the de-facto form Outlook reads (see mime_body.cpp)
        d = [x for x in getattr(v, 'defects', ()) if 'quoted string' not in str(x) and 'encoded-word' not in str(x)]
        if d and k.lower() != 'content-type': errs.append('%s: %r' % (k, d))
print('OK' if not errs else '\n'.join(errs))
)PY";
    }
    const std::string cmd =
        "/usr/bin/python3 " + script.path + " " + eml.path + " " + expect.path + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    BOOST_REQUIRE(p);
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    const int rc = ::pclose(p);
    BOOST_TEST(rc == 0);
    BOOST_TEST(out == "OK\n", "python says: " << out);
}

// Regression: an attachment path naming a FIFO blocked fopen() forever (in the database
// process and in the CLI), and /dev/zero streamed without end. Only regular files are
// attached; the refusal is prompt and names the path and why.
BOOST_AUTO_TEST_CASE(attachments_must_be_regular_files) {
    const std::string fifo = temp_path("attach.fifo");
    std::remove(fifo.c_str());
    BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    TempFile cleanup(fifo);
    const std::pair<std::string, std::string> cases[] = {
        {fifo, "FIFO"}, {"/dev/zero", "character device"}, {fs::temp_directory_path().string(), "directory"}};
    for (const auto& [path, why] : cases) {
        Message m = sample();
        m.attachments = {Attachment::from_file(path, "x.bin")};
        // A blocked open would hang the test: run it aside and free it if it blocks.
        auto outcome = std::async(std::launch::async, [m] {
            try {
                CountingSink c;
                write_message(m, c);
                return std::string("accepted");
            } catch (const Error& e) {
                return std::to_string(static_cast<int>(e.code())) + " " + e.what();
            }
        });
        if (outcome.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
            BOOST_ERROR("attaching " << path << " blocked");
            const int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // lets a blocked open return
            if (w >= 0) ::close(w);
        }
        const std::string got = outcome.get();
        BOOST_TEST(got.rfind("65 ", 0) == 0u, path << ": " << got);  // AttachmentUnreadable
        BOOST_TEST(got.find(path) != std::string::npos, got);
        BOOST_TEST(got.find(why) != std::string::npos, got);
    }
}

BOOST_AUTO_TEST_CASE(size_limit_is_enforced_while_writing) {
    Message m = sample();
    m.text = std::string(5000, 'a');
    StringSink unlimited;
    write_message(m, unlimited);
    m.size_limit = unlimited.data.size();  // exactly the size: fine
    BOOST_TEST((code_of([&] { CountingSink c; write_message(m, c); }) == ErrorCode::Ok));
    m.size_limit = unlimited.data.size() - 1;  // one octet less: refused while writing
    StringSink partial;
    BOOST_TEST((code_of([&] { write_message(m, partial); }) == ErrorCode::MessageTooLarge));
    BOOST_TEST(partial.data.size() < unlimited.data.size());
    // An attachment whose raw size alone passes the limit is refused before any byte is written.
    TempFile file(temp_path("limit.bin"));
    std::ofstream(file.path, std::ios::binary) << std::string(20000, 'b');
    m = sample();
    m.attachments = {Attachment::from_file(file.path)};
    m.size_limit = 10000;
    StringSink none;
    try {
        write_message(m, none);
        BOOST_ERROR("accepted");
    } catch (const Error& e) {
        BOOST_TEST((e.code() == ErrorCode::MessageTooLarge));
        BOOST_TEST(std::string(e.what()).find("local limit of 10000 octets") != std::string::npos, e.what());
    }
    BOOST_TEST(none.data.empty());
}

// Found by tests/fuzz/fuzz_mime + check_mime.py: a message/rfc822 attachment written as
// base64 is not MIME (RFC 2046 §5.2.1): Python parsed the base64 text as a message.
BOOST_AUTO_TEST_CASE(composite_attachment_types_go_as_octet_stream) {
    for (const char* type : {"message/rfc822", "Multipart/Mixed", "MESSAGE/partial"}) {
        Message m = sample();
        m.attachments = {Attachment::from_data("Subject: hi\r\n\r\nbody\r\n", "fwd.eml", type)};
        const std::string out = write(m);
        BOOST_TEST(out.find("Content-Type: application/octet-stream; name=\"fwd.eml\"") != std::string::npos, out);
        BOOST_TEST(out.find(type) == std::string::npos, type);
    }
}

BOOST_AUTO_TEST_SUITE_END()

