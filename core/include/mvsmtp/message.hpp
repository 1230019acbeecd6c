// mvsmtp/message.hpp — what a caller wants sent, as plain typed C++ (no MIME, no wire format).
//
//   mvsmtp::Message m;
//   m.from = {"Accounts", "billing@example.com"};
//   m.to.push_back({"", "customer@example.org"});
//   m.subject = "Invoice 1042";
//   m.text = "Please find the invoice attached.\n";
//   m.attachments.push_back(mvsmtp::Attachment::from_file("/tmp/inv1042.pdf"));
//
// All strings are UTF-8 (gci/ converts other input before it gets here). Line endings in text
// and html may be LF, CRLF or CR: the MIME writer normalises them to CRLF. Bcc recipients
// are part of the envelope only and are never written into a header.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mvsmtp {

class DkimSigner;

struct Mailbox {
    std::string display_name;  // may be empty; any UTF-8
    std::string address;       // local@domain, no angle brackets
};

struct Attachment {
    std::string filename;      // name shown to the recipient (UTF-8); from path when empty
    std::string content_type;  // e.g. "application/pdf"; guessed from filename when empty
    std::string path;          // OS file, streamed in chunks at send time; empty → data
    std::string data;          // in-memory content (any bytes) when path is empty

    static Attachment from_file(std::string path, std::string filename = {},
                                std::string content_type = {});
    static Attachment from_data(std::string data, std::string filename,
                                std::string content_type = {});
};

struct Header {
    std::string name;   // e.g. "X-Invoice-Number"; must be a valid field name (RFC 5322 §3.6.8)
    std::string value;  // UTF-8; encoded as RFC 2047 words when not ASCII
};

enum class Priority : int { None = 0, High = 1, Normal = 3, Low = 5 };

// Delivery status notification request (RFC 3461). Empty = the server's default.
struct DsnRequest {
    std::string notify;  // "NEVER" or a comma list of SUCCESS, FAILURE, DELAY
    std::string ret;     // "FULL" or "HDRS"
    std::string envid;   // printable ASCII, echoed in the DSN
    bool requested() const { return !notify.empty() || !ret.empty() || !envid.empty(); }
};

struct Message {
    Mailbox from;
    std::vector<Mailbox> to, cc, bcc, reply_to;
    std::string return_path;        // envelope sender (MAIL FROM); from.address when empty
    std::string subject;
    std::string text;               // text/plain body
    std::string html;               // text/html body; with text → multipart/alternative
    std::vector<Attachment> attachments;
    std::vector<Header> headers;    // extra headers, written after the standard ones
    Priority priority = Priority::None;
    std::string message_id;         // "<unique@domain>"; assigned by prepare() when empty
    std::int64_t date = 0;          // seconds since the epoch; now when 0 (set by prepare())
    DsnRequest dsn;
    // The largest message, in octets, that may be written (the profile's max_size, set by
    // ready_for_sending): write_message and validate refuse a bigger one with
    // MessageTooLarge. 0 = no limit.
    std::uint64_t size_limit = 0;
    // A message already written (a queued ID.eml): sent byte for byte as it is, never
    // rendered again; the fields above then only describe its envelope (return_path, to, dsn).
    std::string prepared_file;
    // Signs the message as it is written (DKIM, dkim.hpp); set by ready_for_sending from the
    // profile's key for the From domain. Null = unsigned.
    std::shared_ptr<const DkimSigner> dkim;

    std::string envelope_sender() const { return return_path.empty() ? from.address : return_path; }
    // to + cc + bcc, in that order, duplicates (case-insensitive) removed.
    std::vector<std::string> envelope_recipients() const;
};

}  // namespace mvsmtp
