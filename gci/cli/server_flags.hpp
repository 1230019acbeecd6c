// server_flags.hpp — the flags that say which server to use and how to talk to it, shared by
// `mvsmtp send`, `mvsmtp test` and `mvsmtp shell`. Each flag fills one OPTIONS field, so a
// flag means exactly what the same field means to BASIC.
//
//   ArgReader args(argv);
//   gci::DynArrayBuilder options;
//   while (args.next()) {
//       if (take_server_flag(args, options) || take_server_target(args, options)) continue;
//       if (args.flag() == "--verbose") { ... continue; }
//       throw UsageError("unknown option " + args.flag());
//   }
//
// Passwords are never accepted on the command line (other users see it in `ps`): --password
// is refused with a UsageError that names --password-file and profiles instead.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "dynarray.hpp"

namespace mvsmtp::cli {

// The "Server" block of every usage text that takes these flags.
extern const char* const kServerFlagsUsage;

// Walks the arguments of one subcommand, flag by flag.
class ArgReader {
public:
    explicit ArgReader(const std::vector<std::string>& args) : args_(args) {}
    // Moves to the next argument; false when there is none.
    bool next() { return ++pos_ < args_.size(); }
    const std::string& flag() const { return args_[pos_]; }
    // The current flag's value (the following argument); UsageError when there is none, or
    // when it holds a byte 28-31: each CLI value fills exactly one field, and a mark inside
    // it would add fields (a Subject that attaches a file, a hidden Bcc).
    std::string value();

private:
    const std::vector<std::string>& args_;
    std::size_t pos_ = static_cast<std::size_t>(-1);
};

// UsageError (exit 60) when `text` holds a byte 28-31; `what` names it (never the text).
void refuse_marks(const std::string& what, const std::string& text);

// When the current argument is a server flag: stores it (and its value) in `options` and
// returns true. Throws UsageError for --password.
bool take_server_flag(ArgReader& args, gci::DynArrayBuilder& options);

// The flags of direct delivery (mvsmtp send) and verification (mvsmtp verify): --dns-server,
// --dns-timeout, --mx-port, and with `with_delivery` --delivery relay|direct. Same contract as
// take_server_flag.
extern const char* const kDirectFlagsUsage;
bool take_direct_flag(ArgReader& args, gci::DynArrayBuilder& options, bool with_delivery);

// --dns-timeout SECONDS of the commands that ask the DNS themselves (mx, dkim check): 1..3600
// seconds, in milliseconds; UsageError otherwise.
int dns_timeout_ms(const std::string& seconds);

// When the current argument is not a flag: it is HOST[:PORT] or a URL, stored as O.SERVER
// (`mvsmtp test mail.example.com:587`). Returns false for anything starting with '-'.
bool take_server_target(ArgReader& args, gci::DynArrayBuilder& options);

}  // namespace mvsmtp::cli
