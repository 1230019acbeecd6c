// dynarray.hpp — the MultiValue dynamic-array codec on the C side of the ABI.
//
//   std::string a = "x\x1Ey1\x1Dy2";           // BASIC: "x":@AM:"y1":@VM:"y2"
//   extract(a, 2, 2)           → "y2"           // a<2,2>
//   values(a, 2)               → {"y1","y2"}
//   DynArrayBuilder b; b.set(3, "z"); b.set(4, 2, "w"); b.str() → "\x1E\x1Ez\x1E\x1Dw"
//
// Marks cross the ABI as ASCII 30 (attribute), 29 (value) and 28 (subvalue): the BASIC
// wrappers translate @AM/@VM/@SM before and after each call, so nothing here depends on the
// engine's NLS or Unicode mark encoding. Positions are 1-based, as in BASIC.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace mvsmtp::gci {

constexpr char kAttributeMark = '\x1E';
constexpr char kValueMark = '\x1D';
constexpr char kSubvalueMark = '\x1C';

// Splits on one mark. An empty input is one empty element (as in BASIC, DCOUNT aside).
std::vector<std::string_view> split(std::string_view text, char mark);

// text<attr>, text<attr,value>, text<attr,value,sub>; out of range → "".
std::string extract(std::string_view text, int attr, int value = 0, int sub = 0);

// The values of one attribute, trailing empty values dropped.
std::vector<std::string> values(std::string_view text, int attr);

// Replaces every mark (30, 29, 28) with `with`.
std::string marks_to(std::string_view text, std::string_view with);

// Output text must not contain a mark or a control character that could break the array:
// those become '?'. Tabs become spaces.
std::string clean_value(std::string_view text);

// Builds a dynamic array; values are stored verbatim, except that a value can never add
// fields: set(attr, text) refuses an attribute mark in text, set(attr, value, text) and
// set(attr, values) also a value mark (std::invalid_argument). A subvalue mark is data at
// both levels. (RESULT text goes through clean_value first.)
class DynArrayBuilder {
public:
    void set(int attr, std::string_view value);                 // whole attribute
    void set(int attr, int value, std::string_view text);       // one value
    void set(int attr, const std::vector<std::string>& values); // multivalued attribute
    std::string str() const;

private:
    std::vector<std::vector<std::string>> attrs_;
    void grow(int attr);
};

}  // namespace mvsmtp::gci
