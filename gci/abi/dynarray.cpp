// dynarray.cpp — see dynarray.hpp.
#include "dynarray.hpp"

#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace mvsmtp::gci {

std::vector<std::string_view> split(std::string_view text, char mark) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t pos = text.find(mark, start);
        if (pos == std::string_view::npos) {
            out.push_back(text.substr(start));
            return out;
        }
        out.push_back(text.substr(start, pos - start));
        start = pos + 1;
    }
}

std::string extract(std::string_view text, int attr, int value, int sub) {
    if (attr < 1) return {};
    const auto attrs = split(text, kAttributeMark);
    if (static_cast<std::size_t>(attr) > attrs.size()) return {};
    std::string_view a = attrs[attr - 1];
    if (value < 1) return std::string(a);
    const auto vals = split(a, kValueMark);
    if (static_cast<std::size_t>(value) > vals.size()) return {};
    std::string_view v = vals[value - 1];
    if (sub < 1) return std::string(v);
    const auto subs = split(v, kSubvalueMark);
    if (static_cast<std::size_t>(sub) > subs.size()) return {};
    return std::string(subs[sub - 1]);
}

std::vector<std::string> values(std::string_view text, int attr) {
    std::vector<std::string> out;
    const std::string a = extract(text, attr);
    for (auto v : split(a, kValueMark)) out.emplace_back(v);
    while (!out.empty() && out.back().empty()) out.pop_back();
    return out;
}

std::string marks_to(std::string_view text, std::string_view with) {
    if (with.size() == 1) {  // the common case (a line break): replace in place
        std::string out(text);
        const std::size_t n = out.size();
        std::size_t i = 0;
        // Skip eight bytes at a time when none is below 0x20 (marks are 28-30).
        constexpr std::uint64_t kLow = 0x2020202020202020ULL, kHigh = 0x8080808080808080ULL;
        for (; i + 8 <= n; i += 8) {
            std::uint64_t w;
            std::memcpy(&w, out.data() + i, 8);
            if (!((w - kLow) & ~w & kHigh)) continue;
            for (std::size_t k = i; k < i + 8; ++k)
                if (out[k] == kAttributeMark || out[k] == kValueMark || out[k] == kSubvalueMark) out[k] = with[0];
        }
        for (; i < n; ++i)
            if (out[i] == kAttributeMark || out[i] == kValueMark || out[i] == kSubvalueMark) out[i] = with[0];
        return out;
    }
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == kAttributeMark || c == kValueMark || c == kSubvalueMark)
            out += with;
        else
            out += c;
    }
    return out;
}

std::string clean_value(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\t') c = ' ';
        else if (u < 0x20 || u == 0x7f) c = '?';
    }
    return out;
}

namespace {

// A value may not hold a mark of its own level or above: that would add fields (an
// attribute mark in an attribute, a value mark in a value) instead of being data.
void refuse_marks(std::string_view text, bool value_level) {
    const bool bad = text.find(kAttributeMark) != std::string_view::npos ||
                     (value_level && text.find(kValueMark) != std::string_view::npos);
    if (bad)
        throw std::invalid_argument(value_level ? "a dynamic-array value may not contain an attribute or value mark"
                                                : "a dynamic-array attribute may not contain an attribute mark");
}

}  // namespace

void DynArrayBuilder::grow(int attr) {
    if (attr >= 1 && attrs_.size() < static_cast<std::size_t>(attr)) attrs_.resize(attr, {std::string()});
}

void DynArrayBuilder::set(int attr, std::string_view value) {
    if (attr < 1) return;
    refuse_marks(value, false);
    grow(attr);
    attrs_[attr - 1] = {std::string(value)};
}

void DynArrayBuilder::set(int attr, int value, std::string_view text) {
    if (attr < 1 || value < 1) return;
    refuse_marks(text, true);
    grow(attr);
    auto& vals = attrs_[attr - 1];
    if (vals.size() < static_cast<std::size_t>(value)) vals.resize(value);
    vals[value - 1] = std::string(text);
}

void DynArrayBuilder::set(int attr, const std::vector<std::string>& vals) {
    if (attr < 1) return;
    for (const auto& v : vals) refuse_marks(v, true);
    grow(attr);
    auto& slot = attrs_[attr - 1];
    slot.clear();
    for (const auto& v : vals) slot.push_back(v);
    if (slot.empty()) slot.emplace_back();
}

std::string DynArrayBuilder::str() const {
    std::string out;
    for (std::size_t a = 0; a < attrs_.size(); ++a) {
        if (a) out += kAttributeMark;
        for (std::size_t v = 0; v < attrs_[a].size(); ++v) {
            if (v) out += kValueMark;
            out += attrs_[a][v];
        }
    }
    return out;
}

}  // namespace mvsmtp::gci
