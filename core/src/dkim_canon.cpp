// dkim_canon.cpp — RFC 6376 §3.4 canonicalisation; see dkim_canon.hpp.
#include "dkim_canon.hpp"

#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

bool wsp(char c) { return c == ' ' || c == '\t'; }

constexpr std::size_t kMaxHeaderBlock = 1024 * 1024;

}  // namespace

std::vector<HeaderField> split_header_block(std::string_view block) {
    std::vector<HeaderField> fields;
    std::size_t pos = 0;
    while (pos < block.size()) {
        std::size_t end = block.find("\r\n", pos);
        if (end == std::string_view::npos) end = block.size();
        const std::string_view line = block.substr(pos, end - pos);
        const bool continuation = !line.empty() && wsp(line.front());
        if (continuation && !fields.empty()) {
            fields.back().raw.append("\r\n").append(line);
        } else if (!line.empty()) {
            const std::size_t colon = line.find(':');
            if (colon != std::string_view::npos) fields.push_back({std::string(line.substr(0, colon)), std::string(line)});
        }
        pos = end + 2;
    }
    return fields;
}

std::string canonical_header(DkimCanon canon, std::string_view raw) {
    if (canon == DkimCanon::Simple) return std::string(raw);
    const std::size_t colon = raw.find(':');
    if (colon == std::string_view::npos) return std::string(raw);
    std::string name(raw.substr(0, colon));
    while (!name.empty() && wsp(name.back())) name.pop_back();
    std::string out = ascii_lower(name) + ":";
    // Unfold (CRLF before WSP goes), then every run of WSP is one SP; none leading or trailing.
    bool space = false;
    bool started = false;
    for (std::size_t i = colon + 1; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c == '\r' || c == '\n') continue;
        if (wsp(c)) {
            space = started;
            continue;
        }
        if (space) out += ' ';
        space = false;
        started = true;
        out += c;
    }
    return out;
}

DkimBodyHash::DkimBodyHash(DkimCanon canon) : canon_(canon), sha_(EVP_MD_CTX_new()) {
    if (!sha_ || EVP_DigestInit_ex(sha_.get(), EVP_sha256(), nullptr) != 1)
        throw Error(ErrorCode::Internal, "DKIM: SHA-256 is not available");
}

void DkimBodyHash::emit(const char* p, std::size_t n) {
    if (used_ + n > sizeof buffer_) {
        EVP_DigestUpdate(sha_.get(), buffer_, used_);
        used_ = 0;
        if (n > sizeof buffer_) {
            EVP_DigestUpdate(sha_.get(), p, n);
            return;
        }
    }
    std::copy(p, p + n, buffer_ + used_);
    used_ += n;
}

void DkimBodyHash::emit_pending_lines() {
    for (; empty_lines_ > 0; --empty_lines_) emit("\r\n", 2);
}

void DkimBodyHash::content(char c) {
    if (!line_has_content_) {
        // Empty lines held back were inside the body after all.
        emit_pending_lines();
        line_has_content_ = true;
        anything_ = true;
    }
    if (pending_space_) emit(" ", 1);
    pending_space_ = false;
    emit(&c, 1);
}

void DkimBodyHash::end_line() {
    pending_space_ = false;  // relaxed: whitespace at the end of a line is dropped
    if (line_has_content_) {
        emit("\r\n", 2);
        line_has_content_ = false;
    } else {
        ++empty_lines_;
    }
}

void DkimBodyHash::write(const char* p, std::size_t n) {
    const bool relaxed = canon_ == DkimCanon::Relaxed;
    for (std::size_t i = 0; i < n; ++i) {
        // Inside a line with nothing held back, the run up to the next CR (or WSP, relaxed)
        // passes unchanged: hashed as one piece instead of byte by byte (base64 lines are
        // nearly the whole of a large message).
        if (line_has_content_ && !pending_cr_ && !pending_space_) {
            std::size_t end = i;
            while (end < n && p[end] != '\r' && !(relaxed && wsp(p[end]))) ++end;
            if (end > i) {
                emit(p + i, end - i);
                i = end - 1;
                continue;
            }
        }
        const char c = p[i];
        if (pending_cr_) {
            pending_cr_ = false;
            if (c == '\n') {
                end_line();
                continue;
            }
            content('\r');  // a bare CR is data (the MIME writer never makes one)
        }
        if (c == '\r') {
            pending_cr_ = true;
        } else if (relaxed && wsp(c)) {
            // A run of WSP is one SP if more of the line follows, nothing otherwise (so a
            // line of only whitespace is an empty line).
            pending_space_ = true;
        } else {
            content(c);
        }
    }
}

std::string DkimBodyHash::finish() {
    if (pending_cr_) content('\r');
    pending_cr_ = false;
    // A last line without CRLF gets one; trailing empty lines are dropped (§3.4.3, §3.4.4).
    if (line_has_content_) end_line();
    // simple: an empty body is one CRLF; relaxed: the empty string (RFC 6376 erratum 3133).
    if (!anything_ && canon_ == DkimCanon::Simple) emit("\r\n", 2);
    EVP_DigestUpdate(sha_.get(), buffer_, used_);
    used_ = 0;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(sha_.get(), digest, &size) != 1) throw Error(ErrorCode::Internal, "DKIM: SHA-256 failed");
    return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

void DkimMessageHash::write(const char* p, std::size_t n) {
    if (in_body_) return body_.write(p, n);
    const std::size_t before = header_.size();
    header_.append(p, n);
    const std::size_t from = before >= 3 ? before - 3 : 0;
    const std::size_t end = header_.find("\r\n\r\n", from);
    if (end == std::string::npos) {
        if (header_.size() > kMaxHeaderBlock)
            throw Error(ErrorCode::BadArgument, "the header block is over 1 MiB: it cannot be DKIM-signed");
        return;
    }
    in_body_ = true;
    const std::string rest = header_.substr(end + 4);
    header_.resize(end + 2);
    body_.write(rest.data(), rest.size());
}

}  // namespace mvsmtp
