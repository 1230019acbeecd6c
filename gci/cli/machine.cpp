// machine.cpp — `mvsmtp machine sendmail [ARGFILE]`: the out-of-process form of the C ABI.
//
// Input (ARGFILE or stdin): MESSAGE, BODY and OPTIONS, each a dynamic array with ASCII
// 30/29/28 marks, separated by ASCII 31. Output: RESULT on stdout, nothing else; the exit
// status is RESULT<R.ERROR> (0 when sent or stored). No user data is ever taken from the
// command line, so nothing can be injected through a shell.
#include <fstream>
#include <iostream>
#include <iterator>

#include "abi_call.hpp"
#include "commands.hpp"
#include "dynarray.hpp"

namespace mvsmtp::cli {

constexpr char kArgumentSeparator = '\x1F';

int run_machine(const std::vector<std::string>& args) {
    if (args.empty() || args[0] != "sendmail")
        throw UsageError("usage: mvsmtp machine sendmail [ARGFILE]");
    std::string input;
    if (args.size() > 1) {
        std::ifstream in(args[1], std::ios::binary);
        if (!in) throw UsageError("cannot read " + args[1]);
        input.assign(std::istreambuf_iterator<char>(in), {});
    } else {
        input.assign(std::istreambuf_iterator<char>(std::cin), {});
    }
    const auto parts = gci::split(input, kArgumentSeparator);
    if (parts.size() != 3)
        throw UsageError("machine sendmail expects MESSAGE, BODY and OPTIONS separated by ASCII 31 (got " +
                         std::to_string(parts.size()) + " parts)");
    const std::string result = call_sendmail(std::string(parts[0]), std::string(parts[1]), std::string(parts[2]));
    std::cout << result << std::flush;
    return exit_status(result);
}

}  // namespace mvsmtp::cli
