// main.cpp — the mvsmtp command: the C ABI out of process, for operators and for sites that
// cannot relink their database engine.
//
//   mvsmtp send --to a@example.com --subject Hi --body "Hello"      human mode
//   mvsmtp test mail.example.com:587 --rcpt x@example.org           relay check, step by step
//   mvsmtp shell mail.example.com:587                                 type SMTP commands
//   mvsmtp machine sendmail|session [ARGFILE]                         machine mode (BASIC)
//   mvsmtp errors                                                     the error-code table
//   mvsmtp --help | --version
//
// One top-level handler: every failure becomes a message on stderr and an exit status from
// the error table (the same numbers as RESULT<R.ERROR>).
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"

namespace {

const char* kUsage = R"(mvsmtp — e-mail for MultiValue databases

Usage:
  mvsmtp send [options]               send one message (see: mvsmtp send --help)
  mvsmtp test HOST[:PORT] [options]   check a relay: connect, greeting, EHLO, TLS, AUTH and
                                      (with --rcpt) "may I relay?"; nothing is sent
  mvsmtp shell HOST[:PORT] [options]  type SMTP commands into a session, like telnet but
                                      with STARTTLS, .auth and certificate checks
  mvsmtp machine sendmail [ARGFILE]   BASIC's SENDMAIL out of process: reads MESSAGE, BODY
                                      and OPTIONS separated by ASCII 31 from ARGFILE (or
                                      stdin), writes RESULT to stdout
  mvsmtp machine --hex ...            the same with input and output in hexadecimal (7-bit
                                      safe; BASIC writes it with OCONV(x, 'MX'))
  mvsmtp machine session [ARGFILE]    SMTP.OPEN/SEND/CMD/CLOSE out of process: requests
                                      (OPEN, SEND, CMD, CLOSE and their arguments, separated
                                      by ASCII 31) separated by ASCII 23; one RESULT each
  mvsmtp errors                       list the error codes (= exit statuses)
  mvsmtp --version

send, test and shell take --help. Exit status: 0 when the message was sent or stored (test:
every check passed), else the error code of RESULT (10-29 temporary, 30-59 refused,
60-79 bad input, 80-99 configuration).
)";

}  // namespace

int main(int argc, char** argv) {
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
            std::cout << kUsage;
            return args.empty() ? 64 : 0;
        }
        const std::string command = args[0];
        args.erase(args.begin());
        if (command == "--version" || command == "version") return mvsmtp::cli::run_version();
        if (command == "send") return mvsmtp::cli::run_send(args);
        if (command == "test") return mvsmtp::cli::run_test(args);
        if (command == "shell") return mvsmtp::cli::run_shell(args);
        if (command == "machine") return mvsmtp::cli::run_machine(args);
        if (command == "errors") return mvsmtp::cli::run_errors();
        std::cerr << "mvsmtp: unknown command \"" << command << "\" (try mvsmtp --help)\n";
        return 64;
    } catch (const mvsmtp::cli::UsageError& e) {
        std::cerr << "mvsmtp: " << e.what() << "\n";
        return 60;
    } catch (const std::exception& e) {
        std::cerr << "mvsmtp: " << e.what() << "\n";
        return 99;
    }
}
