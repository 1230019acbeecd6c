// commands.hpp — the CLI's subcommands, one file each.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

namespace mvsmtp::cli {

// Bad command-line usage; main() prints it and exits 60 (BAD.ARGUMENT).
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

int run_send(const std::vector<std::string>& args);
int run_test(const std::vector<std::string>& args);
int run_shell(const std::vector<std::string>& args);
int run_oauth(const std::vector<std::string>& args);
int run_verify(const std::vector<std::string>& args);
int run_mx(const std::vector<std::string>& args);
int run_dkim(const std::vector<std::string>& args);
int run_queue(const std::vector<std::string>& args);
int run_machine(const std::vector<std::string>& args);
int run_errors();
int run_version();

}  // namespace mvsmtp::cli
