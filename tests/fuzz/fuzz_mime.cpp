// fuzz_mime.cpp — libFuzzer target for the MIME writer (core/include/mvsmtp/mime.hpp) and the
// DKIM signer (dkim.hpp): messages written from fuzzed fields, most of them signed, checked in
// process, and optionally kept for a round trip through Python's email parser and python3-dkim
// (tests/fuzz/check_mime.py).
//
//   scripts/fuzz.sh mime             (runs check_mime.py on the kept messages afterwards)
//   MVSMTP_FUZZ_MIME_OUT=dir build-fuzz/tests/fuzz/fuzz_mime NEW_DIR tests/fuzz/corpus/mime
//
// Fields from the input (FuzzedDataProvider): From name and address, 1-3 To, subject, text,
// html, 0-2 attachments from data (name, type, bytes), 0-2 extra headers, priority, 8BITMIME,
// and the signing (kSignings: unsigned, or Ed25519 / RSA with one of the canonicalisations;
// h= the default list, or that and the extra header names; one key of each type per process).
// validate()/write_message() may refuse with mvsmtp::Error; anything else escaping is a
// finding. Every written message must keep the wire rules:
//   1. CRLF line ends only (no bare CR or LF), no NUL, no line over 998 octets, ends in CRLF;
//   2. headers are 7-bit unless an address needs SMTPUTF8; the body only when 8BITMIME is on;
//   3. the top-level header block holds only well-formed fields, each one we expect (no field
//      injected through a value: a fuzzed "\r\nBcc: x" would show up as a "Bcc" field);
//   4. every multipart boundary is used, closed once, and no other line starts with it;
//   5. signed: the first field is DKIM-Signature, the only one (a caller's header aside), and
//      what follows it is byte for byte the message written unsigned (the signer hashes one
//      rendering and the writer sends another: they must agree); unsigned: no such field.
// With MVSMTP_FUZZ_MIME_OUT set, up to 1,000 messages whose fields are valid UTF-8 (and whose
// header texts hold no control character) are saved as N.eml beside N.fields (the inputs, hex,
// and "dkim" with the signer's description, empty when unsigned) for check_mime.py to parse,
// compare and verify; up to 500 other signed ones are saved for the verification alone (their
// N.fields: "dkim-only" and "dkim"); the key records go once to dkim-<selector>.txt (the TXT text).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "mvsmtp/dkim.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/mime.hpp"
#include "mvsmtp/text.hpp"

namespace {

const char* const kAddresses[] = {"billing@example.com", "anne.smith@example.org", "zoë@exämple.test",
                                  "\"quoted local\"@example.net", "x@[192.0.2.1]", "a@b.c"};
const char* const kTypes[] = {"", "application/pdf", "text/csv", "text/plain", "image/png", "message/rfc822"};
const char* const kHeaderNames[] = {"X-Invoice", "X-Mailer-Test", "Comments", "Keywords"};

// The signing an input picks (the low three bits of one byte): unsigned in 2 of 8, Ed25519
// with each of the four canonicalisations, RSA with the two common ones. An RSA-2048
// signature takes about 0.3 ms (Ed25519 0.04 ms; openssl speed), half an average execution,
// so RSA gets a quarter of the inputs, not half.
struct Signing {
    const char* selector;  // nullptr: unsigned
    mvsmtp::DkimKeyType type;
    const char* canon;
};
const Signing kSignings[8] = {{nullptr, mvsmtp::DkimKeyType::Ed25519, ""},
                              {"fuzz-ed25519", mvsmtp::DkimKeyType::Ed25519, "relaxed/relaxed"},
                              {"fuzz-ed25519", mvsmtp::DkimKeyType::Ed25519, "simple/simple"},
                              {"fuzz-ed25519", mvsmtp::DkimKeyType::Ed25519, "relaxed/simple"},
                              {"fuzz-ed25519", mvsmtp::DkimKeyType::Ed25519, "simple/relaxed"},
                              {"fuzz-rsa", mvsmtp::DkimKeyType::Rsa, "relaxed/relaxed"},
                              {"fuzz-rsa", mvsmtp::DkimKeyType::Rsa, "simple/simple"},
                              {nullptr, mvsmtp::DkimKeyType::Ed25519, ""}};
const char* const kDkimDomain = "example.com";

// One key per type for the whole process: generating one per input would cost far more than
// the rest of an execution (RSA-2048: about 0.2 s here).
const mvsmtp::DkimKey& dkim_key(mvsmtp::DkimKeyType type) {
    static const mvsmtp::DkimKey ed25519 = mvsmtp::DkimKey::generate(mvsmtp::DkimKeyType::Ed25519);
    static const mvsmtp::DkimKey rsa = mvsmtp::DkimKey::generate(mvsmtp::DkimKeyType::Rsa, 2048);
    return type == mvsmtp::DkimKeyType::Rsa ? rsa : ed25519;
}

// The signers of kSignings, made once (nullptr for the unsigned entries): pick % 8 chooses the
// entry, bit 3 whether h= also names the extra headers kHeaderNames offers, so that a name the
// message has twice is signed twice, taken from the bottom up (RFC 6376 §5.4.2).
std::shared_ptr<const mvsmtp::DkimSigner> signer(unsigned pick) {
    static const auto all = [] {
        std::vector<std::shared_ptr<const mvsmtp::DkimSigner>> v;
        for (const bool extra_headers : {false, true}) {
            for (const Signing& s : kSignings) {
                if (!s.selector) {
                    v.push_back(nullptr);
                    continue;
                }
                mvsmtp::DkimSettings settings;
                settings.domain = kDkimDomain;
                settings.selector = s.selector;
                mvsmtp::parse_canonicalization(s.canon, settings);
                if (extra_headers) {
                    settings.headers = mvsmtp::default_signed_headers();
                    settings.headers.insert(settings.headers.end(), std::begin(kHeaderNames), std::end(kHeaderNames));
                }
                v.push_back(std::make_shared<const mvsmtp::DkimSigner>(settings, dkim_key(s.type)));
            }
        }
        return v;
    }();
    return all[pick % all.size()];
}

std::uint32_t fnv1a(const std::uint8_t* data, std::size_t size) {
    std::uint32_t h = 2166136261u;
    for (std::size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 16777619u;
    return h;
}

std::string address(FuzzedDataProvider& in) {
    const auto pick = in.ConsumeIntegralInRange<unsigned>(0, 6);
    if (pick < 6) return kAddresses[pick];
    return in.ConsumeRandomLengthString(80);
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0, p;
    while ((p = s.find("\r\n", start)) != std::string::npos) {
        out.push_back(s.substr(start, p - start));
        start = p + 2;
    }
    return out;
}

// On a broken rule: the message as written (CR/LF shown as \r\n and a line break), then abort.
#define MIME_REQUIRE(cond, what)                                                        \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            std::string shown;                                                          \
            for (char c : out.substr(0, 6000)) shown += c == '\r' ? std::string("\\r") : std::string(1, c); \
            std::fprintf(stderr, "--- message as written:\n%s\n---\n", shown.c_str());   \
            FUZZ_REQUIRE(cond, what);                                                   \
        }                                                                               \
    } while (0)

void check_wire(const mvsmtp::Message& m, const std::string& out, bool allow_8bit,
                const std::set<std::string>& custom_names, const std::string& unsigned_out) {
    MIME_REQUIRE(out.size() >= 2 && out.compare(out.size() - 2, 2, "\r\n") == 0, "output does not end in CRLF");
    const std::size_t header_end = out.find("\r\n\r\n");
    MIME_REQUIRE(header_end != std::string::npos, "no empty line after the headers");
    std::size_t line_len = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const char c = out[i];
        const auto u = static_cast<unsigned char>(c);
        MIME_REQUIRE(c != '\0', "NUL in the output");
        if (c == '\r') MIME_REQUIRE(i + 1 < out.size() && out[i + 1] == '\n', "bare CR in the output");
        if (c == '\n') {
            MIME_REQUIRE(i > 0 && out[i - 1] == '\r', "bare LF in the output");
            line_len = 0;
            continue;
        }
        if (c != '\r' && ++line_len > 998) MIME_REQUIRE(false, "line over 998 octets");
        if (u >= 0x80) {
            if (i < header_end) MIME_REQUIRE(mvsmtp::needs_smtputf8(m), "8-bit header without an SMTPUTF8 address");
            else MIME_REQUIRE(allow_8bit, "8-bit body without 8BITMIME");
        }
    }

    // 3. the top-level fields
    static const std::set<std::string> kKnown = {"date", "from", "to", "cc", "reply-to", "subject",
                                                 "message-id", "mime-version", "x-priority", "importance",
                                                 "content-type", "content-transfer-encoding",
                                                 "content-disposition"};
    const auto lines = split_lines(out);
    const bool custom_dkim = custom_names.count("dkim-signature") > 0;
    std::size_t dkim_fields = 0;
    std::size_t i = 0;
    for (; i < lines.size() && !lines[i].empty(); ++i) {
        const std::string& l = lines[i];
        if (l[0] == ' ' || l[0] == '\t') {
            MIME_REQUIRE(i > 0, "continuation line first");
            continue;
        }
        const std::size_t colon = l.find(':');
        MIME_REQUIRE(colon != std::string::npos && colon > 0, "header line without a field name");
        for (std::size_t k = 0; k < colon; ++k)
            MIME_REQUIRE(l[k] > 32 && l[k] < 127, "field name with a blank or control byte");
        const std::string name = lower(l.substr(0, colon));
        if (name == "dkim-signature") {
            ++dkim_fields;
            continue;  // judged below (5)
        }
        if (!kKnown.count(name) && !custom_names.count(name)) {
            std::fprintf(stderr, "unexpected field: [%s]\n", l.c_str());
            MIME_REQUIRE(false, "a field the message did not ask for (header injection)");
        }
    }

    // 4. boundaries: the boundary parameter of every Content-Type field in a header block (the
    //    message's, or a part's: the lines after a delimiter up to the empty line), read as
    //    parameters (';'-separated, quotes and backslash escapes respected), never from content
    std::vector<std::string> boundaries;
    auto take_boundary = [&boundaries](const std::string& content_type) {
        std::vector<std::string> params(1);
        bool quoted = false;
        for (std::size_t k = 0; k < content_type.size(); ++k) {
            const char c = content_type[k];
            if (quoted && c == '\\' && k + 1 < content_type.size()) { params.back() += content_type[++k]; continue; }
            if (c == '"') { quoted = !quoted; continue; }
            if (c == ';' && !quoted) { params.emplace_back(); continue; }
            params.back() += c;
        }
        for (auto& prm : params) {
            const std::size_t b = prm.find_first_not_of(" \t");
            if (b != std::string::npos && lower(prm.substr(b, 9)) == "boundary=") boundaries.push_back(prm.substr(b + 9));
        }
    };
    bool in_headers = true;
    std::string field, content_type;   // the field a header line belongs to; Content-Type unfolded
    for (const auto& l : lines) {
        const bool delimiter = std::any_of(boundaries.begin(), boundaries.end(),
                                           [&l](const std::string& b) { return l == "--" + b; });
        if (l.empty() || delimiter) {
            if (!content_type.empty()) take_boundary(content_type);
            content_type.clear();
            field.clear();
            in_headers = delimiter;
            continue;
        }
        if (!in_headers) continue;
        if (l[0] != ' ' && l[0] != '\t') {
            if (!content_type.empty()) take_boundary(content_type);
            content_type.clear();
            field = lower(l.substr(0, l.find(':')));
            if (field == "content-type") content_type = l.substr(l.find(':') + 1);
        } else if (field == "content-type") {
            content_type += l;
        }
    }
    for (const auto& b : boundaries) {
        MIME_REQUIRE(!b.empty() && b.size() <= 70, "boundary empty or over 70 characters (RFC 2046 5.1.1)");
        std::size_t opens = 0, closes = 0;
        for (const auto& l : lines) {
            if (l.compare(0, b.size() + 2, "--" + b) != 0) continue;
            if (l == "--" + b) ++opens;
            else if (l == "--" + b + "--") ++closes;
            else MIME_REQUIRE(false, "a line starts with a boundary delimiter but is not one");
        }
        MIME_REQUIRE(opens >= 1 && closes == 1, "boundary not opened or not closed exactly once");
    }

    // 5. the signature: first, once, and in front of exactly the unsigned message (a caller's
    //    own DKIM-Signature header, which validate() lets through, is one more field of that
    //    name further down)
    if (m.dkim) {
        MIME_REQUIRE(out.compare(0, 16, "DKIM-Signature: ") == 0, "a signed message does not start with DKIM-Signature");
        MIME_REQUIRE(dkim_fields == (custom_dkim ? 2u : 1u), "DKIM-Signature fields: not the signer's one (plus the caller's)");
        MIME_REQUIRE(out.size() > unsigned_out.size() &&
                         out.compare(out.size() - unsigned_out.size(), unsigned_out.size(), unsigned_out) == 0,
                     "the signed message is not its signature field followed by the unsigned message");
        // what is in front is one field: CRLF-terminated, every inner line break a fold
        const std::string field = out.substr(0, out.size() - unsigned_out.size());
        MIME_REQUIRE(field.size() >= 2 && field.compare(field.size() - 2, 2, "\r\n") == 0,
                     "the signature field does not end in CRLF");
        for (std::size_t p = field.find("\r\n"); p + 2 < field.size(); p = field.find("\r\n", p + 2))
            MIME_REQUIRE(field[p + 2] == ' ' || field[p + 2] == '\t', "the text in front of the unsigned message is not one field");
    } else {
        MIME_REQUIRE(dkim_fields == (custom_dkim ? 1u : 0u), "a DKIM-Signature field on an unsigned message");
    }
}

std::string hex(const std::string& s) {
    static const char* d = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) { out += d[c >> 4]; out += d[c & 15]; }
    return out;
}

// Whether Python's email parser can take the message for the round trip: its fields are valid
// UTF-8 and its header texts hold no control character (such text is written inside RFC 2047
// words as is; a strict parser flags that, NonPrintableDefect).
bool round_trip_fit(const mvsmtp::Message& m, const std::vector<std::pair<std::string, std::string>>& fields) {
    for (const auto& f : fields)
        if (!mvsmtp::valid_utf8(f.second) || !mvsmtp::valid_utf8(f.first)) return false;
    std::vector<std::string> header_texts = {m.subject, m.from.display_name};
    for (const auto& t : m.to) header_texts.push_back(t.display_name);
    for (const auto& c : m.cc) header_texts.push_back(c.display_name);
    for (const auto& a : m.attachments) header_texts.push_back(a.filename);
    for (const auto& h : m.headers) header_texts.push_back(h.value);
    for (const auto& t : header_texts)
        for (unsigned char c : t)
            if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    return true;
}

// The first 200 offered, then every 64th, up to limit: early inputs are the seeds, later ones
// what fuzzing found.
struct Sample {
    unsigned limit, seen = 0, kept = 0;
    bool take() {
        if (kept >= limit) return false;
        ++seen;
        if (kept >= 200 && seen % 64 != 0) return false;
        ++kept;
        return true;
    }
};

// Keeps a sample of written messages (and their inputs) for tests/fuzz/check_mime.py: up to
// 1,000 the email round trip can take, and up to 500 signed ones it cannot, for the DKIM
// verification alone (N.fields then holds "dkim" and "dkim-only"): arbitrary bytes, 8-bit
// text and control characters are where canonicalisation would go wrong, and the round-trip
// sample has none of them.
void keep(const mvsmtp::Message& m, const std::string& out) {
    static const char* dir = std::getenv("MVSMTP_FUZZ_MIME_OUT");
    static Sample round_trip{1000}, dkim_only{500};
    static unsigned files = 0;
    if (!dir) return;
    std::vector<std::pair<std::string, std::string>> fields = {{"subject", m.subject}, {"text", m.text}, {"html", m.html}};
    for (const auto& a : m.attachments) {
        fields.push_back({"attachment-name", a.filename});
        fields.push_back({"attachment-data", a.data});
    }
    for (const auto& h : m.headers) fields.push_back({"header:" + h.name, h.value});
    if (round_trip_fit(m, fields)) {
        if (!round_trip.take()) return;
    } else {
        if (!m.dkim || !dkim_only.take()) return;
        fields = {{"dkim-only", ""}};
    }
    // The key records, once: check_mime.py answers its verifier's DNS questions from them.
    static const bool records_written = [] {
        for (const auto type : {mvsmtp::DkimKeyType::Ed25519, mvsmtp::DkimKeyType::Rsa})
            std::ofstream(std::string(dir) + "/dkim-" + (type == mvsmtp::DkimKeyType::Rsa ? "fuzz-rsa" : "fuzz-ed25519") +
                              ".txt",
                          std::ios::binary)
                << dkim_key(type).dns_record();
        return true;
    }();
    (void)records_written;
    fields.push_back({"dkim", m.dkim ? m.dkim->description() : std::string()});
    const std::string base = std::string(dir) + "/" + std::to_string(++files);
    std::ofstream(base + ".eml", std::ios::binary) << out;
    std::ofstream f(base + ".fields", std::ios::binary);
    for (const auto& [k, v] : fields) f << k << ' ' << hex(v) << '\n';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    mvsmtp::Message m;
    m.from = {in.ConsumeRandomLengthString(40), address(in)};
    const unsigned n_to = in.ConsumeIntegralInRange<unsigned>(1, 3);
    for (unsigned i = 0; i < n_to; ++i) m.to.push_back({in.ConsumeRandomLengthString(40), address(in)});
    if (in.ConsumeBool()) m.cc.push_back({in.ConsumeRandomLengthString(20), address(in)});
    if (in.ConsumeBool()) m.bcc.push_back({"", address(in)});
    m.subject = in.ConsumeRandomLengthString(300);
    const unsigned n_att = in.ConsumeIntegralInRange<unsigned>(0, 2);
    const unsigned n_hdr = in.ConsumeIntegralInRange<unsigned>(0, 2);
    for (unsigned i = 0; i < n_hdr; ++i) {
        const auto pick = in.ConsumeIntegralInRange<unsigned>(0, 4);
        const std::string name = pick < 4 ? kHeaderNames[pick] : in.ConsumeRandomLengthString(20);
        m.headers.push_back({name, in.ConsumeRandomLengthString(200)});
    }
    for (unsigned i = 0; i < n_att; ++i) {
        std::string name = in.ConsumeRandomLengthString(60);
        std::string type = kTypes[in.ConsumeIntegralInRange<unsigned>(0, 5)];
        m.attachments.push_back(mvsmtp::Attachment::from_data(in.ConsumeRandomLengthString(2000), name, type));
    }
    m.priority = static_cast<mvsmtp::Priority>(std::vector<int>{0, 1, 3, 5}[in.ConsumeIntegralInRange<unsigned>(0, 3)]);
    const bool allow_8bit = in.ConsumeBool();
    m.date = 1709629440;
    m.message_id = "<fuzz.0123456789@example.com>";
    const bool has_html = in.ConsumeBool();
    // Taken here, from the end of the data like the choices above, so that inputs found before
    // signing existed lose one byte of their last body and keep every other choice. An input
    // used up by now would always get 0 (what an empty FuzzedDataProvider answers), and those
    // short inputs are most of the valid-UTF-8 sample keep() saves: they are spread over the
    // signings by a hash of the input instead (still the same choice on every run).
    m.dkim = signer(in.remaining_bytes() > 0 ? in.ConsumeIntegral<std::uint8_t>() : fnv1a(data, size));
    m.text = in.ConsumeRandomLengthString(4000);
    if (has_html) m.html = in.ConsumeRemainingBytesAsString();

    std::set<std::string> custom;
    for (const auto& h : m.headers) custom.insert(lower(h.name));
    mvsmtp::WriteOptions options;
    options.allow_8bit = allow_8bit;
    mvsmtp::StringSink out;
    try {
        mvsmtp::write_message(m, out, options);
    } catch (const mvsmtp::Error&) {
        return 0;
    }
    // The same message unsigned, for rule 5 (write_message succeeded, so this one does too).
    std::string unsigned_out;
    if (m.dkim) {
        mvsmtp::StringSink plain;
        mvsmtp::WriteOptions plain_options = options;
        plain_options.sign = false;
        mvsmtp::write_message(m, plain, plain_options);
        unsigned_out = std::move(plain.data);
    }
    check_wire(m, out.data, allow_8bit, custom, unsigned_out);
    keep(m, out.data);
    return 0;
}
