// main.cpp — the mvsmtp command: the C ABI out of process, for operators and for sites that
// cannot relink their database engine.
//
//   mvsmtp send --to a@example.com --subject Hi --body "Hello"      human mode
//   mvsmtp test mail.example.com:587 --rcpt x@example.org           relay check, step by step
//   mvsmtp shell mail.example.com:587                                 type SMTP commands
//   mvsmtp verify a@example.com b@example.org                         SMTP.VERIFY, per address
//   mvsmtp mx example.com                                             a domain's exchangers
//   mvsmtp dkim keygen|check --domain D --selector S ...              DKIM keys: make, check DNS
//   mvsmtp queue list|show|flush|retry|delete|purge|run               the durable queue
//   mvsmtp machine sendmail|session [ARGFILE]                         machine mode (BASIC)
//   mvsmtp machine --hex --spool ROOT [--next] call ARGFILE|prepare   one call per run, real
//                                                                     sessions (machine.cpp)
//   mvsmtp oauth login|status|logout --profile NAME                   OAuth 2.0 tokens
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
  mvsmtp verify [options] ADDRESS...  ask each address's mail exchangers (MX) whether they
                                      would take it (up to RCPT TO; nothing is sent): one line
                                      each with its class 1-6, verdict, exchanger, reply and
                                      catch-all (see: mvsmtp verify --help)
  mvsmtp mx DOMAIN [--dns-server IP[:PORT]] [--dns-timeout S]
                                      the domain's mail exchangers as direct delivery sees
                                      them: every DNS step, then the order they are tried in
  mvsmtp dkim keygen --domain D --selector S [--type rsa|ed25519] [--bits N] [--out PATH]
                                      make a DKIM signing key: the private key to a new 0600
                                      file, and print the DNS record and profile lines
  mvsmtp dkim check --domain D --selector S --key PATH | [--domain D] --profile P [--config F]
                    [--dns-server IP[:PORT]] [--dns-timeout S]
                                      does the DNS publish the key at S._domainkey.D? prints
                                      the record and the verdict (see: mvsmtp dkim --help)
  mvsmtp queue SUBCOMMAND [--profile P] [--config F] [--queue DIR]
                                      the durable queue (messages SENDMAIL could not deliver
                                      yet): list, show ID, flush [--all], retry ID, delete ID,
                                      purge --older-than 7d, run [--interval S] (the flusher,
                                      until SIGTERM); see: mvsmtp queue --help
  mvsmtp machine sendmail [ARGFILE]   BASIC's SENDMAIL out of process: reads MESSAGE, BODY
                                      and OPTIONS separated by ASCII 31 from ARGFILE (or
                                      stdin), writes RESULT to stdout
  mvsmtp machine --hex ...            the same with input and output in hexadecimal (7-bit
                                      safe; BASIC writes it with OCONV(x, 'MX'))
  mvsmtp machine session [ARGFILE]    SMTP.OPEN/SEND/CMD/CLOSE out of process: requests
                                      (OPEN, SEND, CMD, CLOSE and their arguments, separated
                                      by ASCII 31) separated by ASCII 23; one RESULT each
  mvsmtp machine --hex [--remove] --spool ROOT [--next] call ARGFILE
                                      one BASIC call per run; ARGFILE (hex) holds one of
                                        SENDMAIL␟MESSAGE␟BODY␟OPTIONS   OPEN␟OPTIONS
                                        SEND␟TOKEN␟MESSAGE␟BODY  CMD␟TOKEN␟COMMAND  CLOSE␟TOKEN
                                        VERIFY␟ADDRESSES␟OPTIONS  QUEUE␟COMMAND␟OPTIONS
                                      (␟ = ASCII 31). OPEN starts a session process that keeps
                                      the SMTP connection for the later calls and prints
                                      "SESSION <token>"; SEND/CMD/CLOSE go to it
  mvsmtp machine --hex --spool ROOT --next prepare
                                      check/create the private folder ROOT/<uid> (0700) and
                                      print a fresh request file ("NEXT <path>", mode 0600)
  mvsmtp oauth login|status|logout --profile NAME
                                      OAuth 2.0 (Microsoft 365, Google): first sign-in on a
                                      headless server, token status, forget tokens; lists
                                      the oauth_* profile keys (see: mvsmtp oauth --help)
  mvsmtp errors                       list the error codes (= exit statuses)
  mvsmtp --version

machine flags: --hex (7-bit input and output), --remove (delete ARGFILE once opened),
--spool ROOT (private folder ROOT/<uid> for request files and session sockets; ARGFILE must
then be a 0600 regular file of the caller, not a link), --next (after the RESULT print
"NEXT <path>": an empty request file for the next call; *.req older than 1 h are swept).
With --hex the output is line 1 = RESULT in hex, then optional "NEXT <path>" and
"SESSION <token>" lines; every failure, a usage error too, is a hex S.FAILED RESULT.
Sessions: one session process per OPEN, calls served one at a time (a call waits 5 s to be
taken, 3600 s for its RESULT); it says QUIT and ends after CLOSE, after OPTIONS<22>
(O.SESSION.IDLE) idle seconds (default 600, 1..86400), or when the process that ran mvsmtp
through a shell ends (Linux /proc; elsewhere the parent). A call to an ended session is
BAD.HANDLE; a session lost during SEND is OUTCOME.UNKNOWN (never retry blindly).
(The older `machine --hex sendmail|session` without --spool/--next print the hex RESULT
without a line break, as before.)

OAuth 2.0 instead of a password (Microsoft 365, Google): profile keys oauth_grant
(client_credentials | refresh_token | static), oauth_provider, oauth_tenant, oauth_authority,
oauth_client_id, oauth_client_secret_file (or oauth_client_secret), oauth_client_certificate
+ oauth_client_key, oauth_scope, oauth_token_url, oauth_device_url, oauth_ca_file,
oauth_cache, oauth_refresh_token_file, oauth_token_file; `mvsmtp oauth --help` explains each.

send, test, shell, verify, mx, dkim, queue and oauth take --help. Exit status: 0 when the message
was sent or stored (test: every check passed; verify: every address accepted; mx: exchangers
found; dkim check: the DNS publishes the key), else the error code of RESULT (10-29 temporary,
30-59 refused, 60-79 bad input, 80-99 configuration; mx: 49 no mail server, 21 DNS
unavailable; dkim check: 90 no key record, 91 another key, 92 revoked, 93 unusable record,
21 DNS unavailable, 89 bad key file).
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
        if (command == "verify") return mvsmtp::cli::run_verify(args);
        if (command == "mx") return mvsmtp::cli::run_mx(args);
        if (command == "dkim") return mvsmtp::cli::run_dkim(args);
        if (command == "queue") return mvsmtp::cli::run_queue(args);
        if (command == "oauth") return mvsmtp::cli::run_oauth(args);
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
