// layout.hpp — field positions of the BASIC dynamic arrays, generated from layout.def.
//
//   extract(message, field::Message::SUBJECT)     // BASIC: MESSAGE<M.SUBJECT>
//
// Enumerator names are the BASIC EQUATE names without the prefix and with '.' as '_'.
#pragma once
#include <string>
#include <vector>

namespace mvsmtp::gci {
namespace field {
#define MVSMTP_FIELD(group, prefix, name, number, meaning) namespace group { constexpr int name = number; }
#include "layout.def"
#undef MVSMTP_FIELD
}  // namespace field

struct FieldInfo {
    std::string group;
    std::string basic_name;  // "M.REPLY.TO"
    int number;
    std::string meaning;
};

// Every row of layout.def, in order (for the BASIC include check and the docs).
const std::vector<FieldInfo>& field_table();

}  // namespace mvsmtp::gci
