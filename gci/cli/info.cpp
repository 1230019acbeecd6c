// info.cpp — `mvsmtp errors` and `mvsmtp --version`, read through the C ABI.
#include <iostream>
#include <string>

#include "commands.hpp"
#include "dynarray.hpp"
#include "mvsmtp.h"

namespace mvsmtp::cli {

int run_errors() {
    std::cout << "code  name                   meaning\n";
    for (int code = 0; code <= 99; ++code) {
        char buf[256];
        mvs_error_text(code, buf, sizeof buf);
        const std::string name = gci::extract(buf, 1), text = gci::extract(buf, 2);
        if (name == "UNKNOWN") continue;
        std::string padded = name;
        padded.resize(std::max<std::size_t>(22, name.size()), ' ');
        std::cout << (code < 10 ? "   " : "  ") << code << "  " << padded << " " << text << "\n";
    }
    return 0;
}

int run_version() {
    char buf[64];
    mvs_version(buf, sizeof buf);
    std::cout << "mvsmtp " << buf << "\n";
    return 0;
}

}  // namespace mvsmtp::cli
