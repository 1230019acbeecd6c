// mvsmtp/outbox.hpp — the embedded default: with no server configured, a message is stored
// as a complete .eml file in a folder instead of being sent.
//
//   std::string path = store_in_outbox(message, "/u2/accounts/AR/mvsmtp-outbox");
//
// Two files per message, both owner-only (0600), written to a temporary name created
// exclusively, fsynced and published under their final name without ever replacing a file,
// so a crash never leaves a half message and no writer (thread or process) can overwrite
// another's: NAME.envelope (the SMTP envelope: MAIL FROM and every RCPT TO, including Bcc,
// which the .eml must not show) is published first, then NAME.eml. A reader that sees the
// .eml can rely on the envelope being there. NAME = time + 64 random bits from the OS.
#pragma once
#include <string>

#include "mvsmtp/message.hpp"

namespace mvsmtp {

// The folder used when neither OPTIONS nor the profile name one: $MVSMTP_OUTBOX, else
// "mvsmtp-outbox" in the current directory (on a MultiValue server, the account).
std::string default_outbox_folder();

// Writes the message; returns the absolute path of the .eml. Throws Error(OutboxFailed), or
// the message's own error (AttachmentUnreadable, MessageTooLarge over message.size_limit);
// on any failure nothing this call created remains in the folder.
std::string store_in_outbox(const Message& message, const std::string& folder);

}  // namespace mvsmtp
