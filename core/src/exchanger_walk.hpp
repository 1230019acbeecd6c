// exchanger_walk.hpp (private) — one domain's mail exchangers, tried in turn until one of
// them decides: the part direct delivery and SMTP.VERIFY share.
//
//   WalkResult w = walk_exchangers(mx, profile, transcript,
//       [&](Session& s, const std::string& who) -> std::optional<Reply> {
//           SendResult r = s.send_to(message, recipients);
//           if (r.error == ErrorCode::SenderDeferred) return r.last_reply;  // the next exchanger
//           return std::nullopt;                                            // decided
//       });
//   if (!w.decided) ...  // class 2: w.failures says what each exchanger did
//
// Each address of each exchanger, in the lookup's order: port profile.mx_port, no AUTH, the
// profile's EHLO name and TLS mode (opportunistic: an unverifiable certificate is accepted and
// reported, RFC 7435; required: no STARTTLS or a bad certificate is that exchanger's failure).
// A refused or timed-out connection, a greeting or EHLO that is not 2xx, a TLS failure, a
// connection lost before DATA, or `use` returning a (temporary) refusal moves on to the next one.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mvsmtp/config.hpp"
#include "mvsmtp/mx_lookup.hpp"
#include "mvsmtp/session.hpp"

namespace mvsmtp {

struct WalkResult {
    bool decided = false;               // `use` decided on some exchanger
    std::string exchanger;              // who decided: "mx1.example.com [192.0.2.25]"
    TlsInfo tls;                        // that exchanger's TLS
    std::vector<std::string> failures;  // "mx.example.com [192.0.2.9]: connection refused", in order
    std::optional<Reply> last_reply;    // the last SMTP reply among the failures (e.g. a 4xx)
};

// nullopt: the exchanger decided; a reply: it refused for now (e.g. 4xx to MAIL), try the next.
using ExchangerUse = std::function<std::optional<Reply>(Session& session, const std::string& exchanger)>;

WalkResult walk_exchangers(const MxLookup& mx, const Profile& profile, const TranscriptHook& transcript,
                           const ExchangerUse& use);

// The session settings for one address of one exchanger.
SessionSettings exchanger_settings(const Profile& profile, const Exchanger& exchanger, const std::string& address);

}  // namespace mvsmtp
