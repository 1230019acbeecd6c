// marshal.hpp — BASIC dynamic arrays ⇄ core types, for the C ABI and the CLI.
//
//   ProfileRequest req = options_request(options);          // OPTIONS → profile request
//   Message m = decode_message(message, body, charset);      // MESSAGE + BODY → Message
//   std::string result = encode_result(report);              // DeliveryReport → RESULT
//   std::vector<std::string> a = decode_addresses(list, cs); // SMTP.VERIFY's ADDRESSES
//   extras.queue = queue_rows(queue.list());                 // SMTP.QUEUE.CONTROL LIST/SHOW
//
// Layouts are in layout.def (and basic/SMTP.H). Decoding throws mvsmtp::Error with
// BadArgument / BadAddress / BadOption naming the field at fault.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "mvsmtp/config.hpp"
#include "mvsmtp/delivery.hpp"
#include "mvsmtp/message.hpp"
#include "mvsmtp/queue.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp::gci {

// Fields of RESULT that only some operations fill.
// R.QUEUE.ID to R.QUEUE.REASON: one value per queued message, parallel (LIST, SHOW).
struct QueueRows {
    std::vector<std::string> id, created, attempts, next, pending, reason;
};

// Fields of RESULT that only some operations fill.
struct ResultExtras {
    int handle = 0;                         // SMTP.OPEN
    std::vector<std::string> transcript;    // O.TRANSCRIPT = RESULT
    TlsInfo tls;
    std::vector<std::string> capabilities;  // SMTP.OPEN
    QueueRows queue;                        // SMTP.QUEUE.CONTROL LIST / SHOW
    std::vector<std::string> queue_counts;  // FLUSH: due, delivered, deferred, failed, rate-limited
};

// "2026-11-29 22:10:05": seconds since the epoch as UTC, the form of R.QUEUE.CREATED/NEXT.
std::string utc_time(std::int64_t seconds);
// LIST/SHOW rows for these entries.
QueueRows queue_rows(const std::vector<QueueEntry>& entries);

ProfileRequest options_request(std::string_view options);
// O.MANUAL: SMTP.OPEN only connects and reads the greeting.
bool manual_mode(std::string_view options);
InputCharset charset_of(const Profile& profile);
Message decode_message(std::string_view message, std::string_view body, InputCharset charset);
// SMTP.VERIFY's ADDRESSES: one address per attribute or value, and a value may list several
// (comma- or semicolon-separated, "Name <addr>" allowed) as M.TO does; blanks are skipped.
// Throws Error(BadAddress) naming the attribute, Error(BadArgument) for a subvalue mark.
std::vector<std::string> decode_addresses(std::string_view addresses, InputCharset charset);
// MESSAGE<M.SEPARATE>: one copy per To address.
bool separate_copies_wanted(std::string_view message);
std::string encode_result(const DeliveryReport& report, const ResultExtras& extras = {});
// A RESULT for a failure that happened before any delivery was attempted.
std::string encode_failure(ErrorCode code, const std::string& message);

}  // namespace mvsmtp::gci
