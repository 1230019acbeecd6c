// encoding_fold.cpp — header folding (RFC 5322 §2.2.3): "Name: value" split into lines of
// at most 78 octets where whitespace allows, never more than 998 (§2.1.1).
#include "mvsmtp/encoding.hpp"
#include "mvsmtp/error.hpp"

namespace mvsmtp {
namespace {

constexpr std::size_t kSoft = 78;
constexpr std::size_t kHard = 998;

bool blank(char c) {
    return c == ' ' || c == '\t';
}

}  // namespace

std::string fold_header(std::string_view name, std::string_view value) {
    std::string line;
    line.reserve(name.size() + 2 + value.size());
    line.append(name).append(": ").append(value);

    // Candidate fold points: the first blank of each run of blanks inside the value,
    // provided something other than blanks follows (a continuation line must not be all
    // whitespace, §3.2.2) and the value has begun (no empty first line). Points inside a
    // quoted-string are legal (§3.2.4 allows FWS there) but only used when nothing
    // outside quotes will do: some readers cope badly with a folded filename="...".
    struct Point {
        std::size_t pos;
        bool quoted;
    };
    std::vector<Point> points;
    const std::size_t value_start = name.size() + 2;
    std::size_t last_text = std::string::npos;  // last non-blank position
    for (std::size_t i = line.size(); i-- > value_start;)
        if (!blank(line[i])) {
            last_text = i;
            break;
        }
    bool seen_text = false, in_quotes = false;
    for (std::size_t i = value_start; i < line.size(); ++i) {
        const char c = line[i];
        if (!blank(c)) {
            seen_text = true;
            if (in_quotes && c == '\\')
                ++i;
            else if (c == '"')
                in_quotes = !in_quotes;
        } else if (seen_text && !blank(line[i - 1]) && last_text != std::string::npos &&
                   i < last_text) {
            points.push_back({i, in_quotes});
        }
    }

    std::string out;
    out.reserve(line.size() + line.size() / 30 + 2);
    std::size_t start = 0;
    std::size_t first = 0;  // points before this index lie on lines already written
    while (line.size() - start > kSoft) {
        // Within 78 octets: the last point outside quotes, else the last inside; else the
        // first point beyond (a long token stays whole: the line is longer but legal).
        std::size_t outside = std::string::npos, inside = std::string::npos;
        std::size_t beyond = std::string::npos;
        while (first < points.size() && points[first].pos <= start) ++first;
        for (std::size_t k = first; k < points.size(); ++k) {
            const Point& p = points[k];
            if (p.pos - start > kSoft) {
                beyond = p.pos;
                break;
            }
            (p.quoted ? inside : outside) = p.pos;
        }
        std::size_t chosen = outside != std::string::npos  ? outside
                             : inside != std::string::npos ? inside
                                                           : beyond;
        if (chosen == std::string::npos || chosen - start > kHard) break;
        out.append(line, start, chosen - start).append("\r\n");
        start = chosen;
    }
    if (line.size() - start > kHard)
        throw Error(ErrorCode::BadArgument,
                    "header " + std::string(name) + " has a line longer than 998 octets");
    out.append(line, start, std::string::npos).append("\r\n");
    return out;
}

}  // namespace mvsmtp
