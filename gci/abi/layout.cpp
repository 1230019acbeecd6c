// layout.cpp — the field table as data; see layout.hpp.
#include "layout.hpp"

#include <algorithm>

namespace mvsmtp::gci {

const std::vector<FieldInfo>& field_table() {
    static const std::vector<FieldInfo> table = [] {
        std::vector<FieldInfo> t = {
#define MVSMTP_FIELD(group, prefix, name, number, meaning) {#group, std::string(prefix) + #name, number, meaning},
#include "layout.def"
#undef MVSMTP_FIELD
        };
        for (auto& f : t) std::replace(f.basic_name.begin(), f.basic_name.end(), '_', '.');
        return t;
    }();
    return table;
}

}  // namespace mvsmtp::gci
