// mvsmtp/mime.hpp — the streaming RFC 5322 / MIME writer.
//
//   mvsmtp::prepare(msg, "example.com");   // assigns Message-ID and Date when missing
//   mvsmtp::validate(msg);                 // throws Error before anything is sent
//   mvsmtp::write_message(msg, sink);      // CRLF lines, none over 998 octets, 7-bit clean
//
// The output is the message exactly as it should be stored in an .eml file; SMTP
// dot-stuffing is NOT applied here (the DATA writer in session does that).
#pragma once
#include <string>
#include <string_view>

#include "mvsmtp/dkim.hpp"
#include "mvsmtp/message.hpp"
#include "mvsmtp/sink.hpp"

namespace mvsmtp {

// Fills message_id ("<random@domain>") and date (now) when they are empty/zero.
void prepare(Message& message, const std::string& message_id_domain);

// Refuses, with mvsmtp::Error, everything that must never reach a server:
//   HeaderInjection  CR, LF or NUL in any header value, display name, subject, filename
//   BadAddress       an address that is not local@domain
//   NoSender         empty From
//   NoRecipients     no To/Cc/Bcc
//   AttachmentUnreadable  a file attachment that cannot be opened for reading
//   BadArgument      a custom header name that is not a valid field name, or one that
//                    the writer owns (From, To, Cc, Bcc, Subject, Date, Message-ID, MIME-Version,
//                    Content-*, DKIM-Signature)
void validate(const Message& message);

// Streams the whole message; attachment files are read in chunks (never loaded whole).
// With message.dkim, the message starts with its DKIM-Signature field (dkim.hpp).
// Throws AttachmentUnreadable if a file vanishes or fails mid-read.
// (Runs validate() first. Without prepare(), a fresh Message-ID and the current time are
// used for this write only. Layout and encoding choices: see mime_headers.cpp and
// mime_body.cpp.)
struct WriteOptions {
    // Text parts may use Content-Transfer-Encoding 8bit (only for a server that offers
    // 8BITMIME; the .eml in the outbox stays 7-bit).
    bool allow_8bit = false;
    // DKIM (Message::dkim): false writes the message unsigned (the signer's hashing pass).
    bool sign = true;
    // A DKIM-Signature field already computed for this message with these options, written
    // as it is instead of signing again (the session signs once per transaction).
    std::string signature;
};
void write_message(const Message& message, ByteSink& out, const WriteOptions& options = {});

// The DKIM-Signature field write_message starts with for these options ("" when the message
// is not signed: no signer, or a prepared file, which is sent as it was stored).
std::string dkim_field(const Message& message, const WriteOptions& options);

// The Content-Type for a file name, from its extension (case-insensitive): pdf csv txt
// html htm xml json zip gz png jpg jpeg gif xlsx xls docx doc; application/octet-stream
// for anything else.
std::string guess_content_type(std::string_view filename);

// True when some address of the message (From, Reply-To, To, Cc, Bcc, return path) is
// not ASCII: the message can only go to a server offering SMTPUTF8 (RFC 6531). Such
// addresses are the one thing write_message writes as raw UTF-8 in a header.
bool needs_smtputf8(const Message& message);

}  // namespace mvsmtp
