// mvsmtp/outbox.hpp — the embedded default: with no server configured, a message is stored
// as a complete .eml file in a folder instead of being sent.
//
//   std::string path = store_in_outbox(message, "/u2/accounts/AR/mvsmtp-outbox");
//
// Two files per message, both written to a temporary name, fsynced and renamed, so a crash
// never leaves a half message: NAME.envelope (the SMTP envelope: MAIL FROM and every RCPT TO,
// including Bcc, which the .eml must not show) first, then NAME.eml. A reader that sees
// the .eml can rely on the envelope being there.
#pragma once
#include <string>

#include "mvsmtp/message.hpp"

namespace mvsmtp {

// The folder used when neither OPTIONS nor the profile name one: $MVSMTP_OUTBOX, else
// "mvsmtp-outbox" in the current directory (on a MultiValue server, the account).
std::string default_outbox_folder();

// Writes the message; returns the absolute path of the .eml. Throws Error(OutboxFailed).
std::string store_in_outbox(const Message& message, const std::string& folder);

}  // namespace mvsmtp
