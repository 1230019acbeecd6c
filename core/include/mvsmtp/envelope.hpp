// mvsmtp/envelope.hpp — the ESMTP parameters of MAIL FROM and RCPT TO for one message,
// chosen from what the server offers (SIZE RFC 1870, 8BITMIME RFC 6152, SMTPUTF8 RFC 6531,
// DSN RFC 3461).
//
//   EnvelopePlan plan = plan_envelope(message, recipients, caps, size);
//   command::mail_from(sender, plan.mail_parameters);
//   command::rcpt_to(recipients[i], plan.rcpt_parameters[i]);
//
// Refuses locally, before anything is sent: a message larger than the server's SIZE
// (MessageTooLarge), a non-ASCII local part without SMTPUTF8 (Smtputf8Unsupported; a
// non-ASCII domain needs nothing: it is sent in A-labels), and any MAIL FROM / RCPT TO line
// the renderer would refuse (BadAddress, BadArgument): every command of the envelope is
// rendered once here, so a session never stops halfway through an envelope.
// A DSN request to a server without DSN is sent without the parameters and noted.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mvsmtp/capabilities.hpp"
#include "mvsmtp/command.hpp"
#include "mvsmtp/message.hpp"

namespace mvsmtp {

struct EnvelopePlan {
    std::vector<MailParameter> mail_parameters;
    std::vector<std::vector<RcptParameter>> rcpt_parameters;  // one list per recipient
    std::vector<std::string> notes;                          // things the caller should know
};

EnvelopePlan plan_envelope(const Message& message, const std::vector<std::string>& recipients,
                           const Capabilities& caps, std::uint64_t size);

// Throws Error(BadArgument) for NOTIFY/RET/ENVID values RFC 3461 does not allow.
void validate_dsn(const DsnRequest& dsn);

}  // namespace mvsmtp
