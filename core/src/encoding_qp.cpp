// encoding_qp.cpp — quoted-printable body encoding (RFC 2045 §6.7).
#include <cstring>

#include "mvsmtp/encoding.hpp"

namespace mvsmtp {
namespace {

constexpr std::size_t kMaxLine = 76;  // §6.7 rule 5, including a soft-break '='
const char kHex[] = "0123456789ABCDEF";

// Collects output and hands the sink 64 KiB chunks.
class Staging {
public:
    explicit Staging(ByteSink& out) : out_(out) { buf_.reserve(kChunk + 8); }
    void put(const char* p, std::size_t n) {
        buf_.append(p, n);
        if (buf_.size() >= kChunk) flush();
    }
    void flush() {
        if (!buf_.empty()) out_.write(buf_.data(), buf_.size());
        buf_.clear();
    }

private:
    static constexpr std::size_t kChunk = 65536;
    ByteSink& out_;
    std::string buf_;
};

bool is_blank(unsigned char c) {
    return c == ' ' || c == '\t';
}

// Encodes one line (no CRLF inside it; a lone CR or LF is just a byte here).
void encode_line(std::string_view line, Staging& out) {
    std::size_t column = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        const bool last = (i + 1 == line.size());
        // Rule 1/2: '=' and everything outside printable ASCII is escaped; rule 3: a
        // blank is literal only when something follows it on the encoded line.
        bool escape = c == '=' || c > 126 || (c < 33 && !is_blank(c)) || (last && is_blank(c));
        std::size_t width = escape ? 3 : 1;
        // A line that ends with this character may use all 76 columns; otherwise one
        // column is kept for the soft break.
        if (column + width > (last ? kMaxLine : kMaxLine - 1)) {
            out.put("=\r\n", 3);
            column = 0;
        }
        if (c == '.' && column == 0) {  // never a line starting with '.' (see header)
            escape = true;
            width = 3;
        }
        if (escape) {
            const char triplet[3] = {'=', kHex[c >> 4], kHex[c & 0xF]};
            out.put(triplet, 3);
        } else {
            out.put(reinterpret_cast<const char*>(&line[i]), 1);
        }
        column += width;
    }
}

}  // namespace

void write_quoted_printable(std::string_view text, ByteSink& sink) {
    Staging out(sink);
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t crlf = text.find("\r\n", start);
        if (crlf == std::string_view::npos) {
            encode_line(text.substr(start), out);
            break;
        }
        encode_line(text.substr(start, crlf - start), out);
        out.put("\r\n", 2);
        start = crlf + 2;
    }
    out.flush();
}

std::string quoted_printable_encode(std::string_view text) {
    StringSink s;
    write_quoted_printable(text, s);
    return std::move(s.data);
}

}  // namespace mvsmtp
