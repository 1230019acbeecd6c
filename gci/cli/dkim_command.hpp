// dkim_command.hpp — `mvsmtp dkim`'s two subcommands, one file each: keygen (dkim_keygen.cpp)
// makes a key and says how to publish it; check (dkim_check.cpp) asks the DNS whether it is.
// dkim.cpp holds the usage text and picks the subcommand.
#pragma once
#include <string>
#include <vector>

namespace mvsmtp::cli {

extern const char* const kDkimUsage;

// Both take the arguments after the subcommand's name and return the exit status.
int run_dkim_keygen(const std::vector<std::string>& args);
int run_dkim_check(const std::vector<std::string>& args);

}  // namespace mvsmtp::cli
