// machine_call.hpp — `mvsmtp machine ... call ARGFILE`: one BASIC call per run.
//
//   CallReply r = run_call(request, folder);   // request = decoded ARGFILE; folder = <ROOT>/<uid>
//                                              // ("" without --spool: SENDMAIL, VERIFY, QUEUE only)
// The request is an operation and its arguments separated by ASCII 31:
//   SENDMAIL␟MESSAGE␟BODY␟OPTIONS    in this process (= machine sendmail)
//   VERIFY␟ADDRESSES␟OPTIONS         in this process (SMTP.VERIFY = mvs_verify)
//   QUEUE␟COMMAND␟OPTIONS            in this process (SMTP.QUEUE.CONTROL = mvs_queue)
//   OPEN␟OPTIONS                     starts a session process; r.token names it
//   SEND␟TOKEN␟MESSAGE␟BODY          handed to that session process
//   CMD␟TOKEN␟COMMAND                 (session_client.hpp)
//   CLOSE␟TOKEN
// A malformed request throws UsageError (→ BAD.ARGUMENT); refusals are MachineError.
#pragma once
#include <string>

namespace mvsmtp::cli {

struct CallReply {
    std::string result;
    std::string token;  // OPEN only: the new session's token ("" when OPEN failed)
};

CallReply run_call(const std::string& request, const std::string& folder);

}  // namespace mvsmtp::cli
