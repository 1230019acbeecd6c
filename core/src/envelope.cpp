// envelope.cpp — ESMTP parameters for MAIL/RCPT; see mvsmtp/envelope.hpp.
#include "mvsmtp/envelope.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "mvsmtp/address.hpp"
#include "mvsmtp/command.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/mime.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

// "success, failure" → "SUCCESS,FAILURE"; validated per RFC 3461 §4.1.
std::string normalised_notify(const std::string& notify) {
    std::string out;
    bool never = false;
    std::stringstream in(ascii_upper(notify));
    for (std::string word; std::getline(in, word, ',');) {
        const auto b = word.find_first_not_of(" \t");
        if (b == std::string::npos) continue;
        word = word.substr(b, word.find_last_not_of(" \t") - b + 1);
        if (word != "NEVER" && word != "SUCCESS" && word != "FAILURE" && word != "DELAY")
            throw Error(ErrorCode::BadArgument, "DSN NOTIFY must be NEVER or SUCCESS, FAILURE, DELAY (got \"" + notify + "\")");
        never = never || word == "NEVER";
        if (out.find(word) == std::string::npos) out += (out.empty() ? "" : ",") + word;
    }
    if (never && out != "NEVER")
        throw Error(ErrorCode::BadArgument, "DSN NOTIFY=NEVER cannot be combined with other values");
    return out;
}

// Renders MAIL FROM and every RCPT TO once, here, before anything is sent: an address or a
// parameter the renderer refuses must not come to light after MAIL and some RCPTs are
// already on their way (the session could not finish that envelope). ORCPT is optional
// (RFC 3461 §4.2): where it would push an RCPT line past 512 octets it is left out.
void check_renderable(EnvelopePlan& plan, const Message& message, const std::vector<std::string>& recipients) {
    command::mail_from(message.envelope_sender(), plan.mail_parameters);
    bool orcpt_dropped = false;
    for (std::size_t i = 0; i < recipients.size(); ++i) {
        auto& params = plan.rcpt_parameters[i];
        try {
            command::rcpt_to(recipients[i], params);
        } catch (const Error& e) {
            const auto orcpt = std::find_if(params.begin(), params.end(),
                                            [](const RcptParameter& p) { return p.keyword == "ORCPT"; });
            if (e.code() != ErrorCode::BadArgument || orcpt == params.end()) throw;
            params.erase(orcpt);
            command::rcpt_to(recipients[i], params);
            orcpt_dropped = true;
        }
    }
    if (orcpt_dropped)
        plan.notes.push_back("ORCPT left out where it would make an RCPT TO line longer than the line limit (512 octets + 500 for DSN)");
}

}  // namespace

void validate_dsn(const DsnRequest& dsn) {
    if (!dsn.notify.empty()) normalised_notify(dsn.notify);
    if (!dsn.ret.empty() && ascii_upper(dsn.ret) != "FULL" && ascii_upper(dsn.ret) != "HDRS")
        throw Error(ErrorCode::BadArgument, "DSN RET must be FULL or HDRS (got \"" + dsn.ret + "\")");
    if (dsn.envid.size() > 100)
        throw Error(ErrorCode::BadArgument, "DSN ENVID is longer than 100 characters");
    for (char c : dsn.envid)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
            throw Error(ErrorCode::BadArgument, "DSN ENVID must be printable ASCII");
}

EnvelopePlan plan_envelope(const Message& message, const std::vector<std::string>& recipients,
                           const Capabilities& caps, std::uint64_t size) {
    EnvelopePlan plan;
    plan.rcpt_parameters.resize(recipients.size());

    if (caps.has("SIZE")) {
        if (caps.size_limit > 0 && size > caps.size_limit)
            throw Error(ErrorCode::MessageTooLarge,
                        "the message is " + std::to_string(size) + " octets; the server accepts at most " +
                            std::to_string(caps.size_limit) + " (nothing was sent)");
        plan.mail_parameters.push_back(MailParameter::size(size));
    }

    bool utf8 = needs_smtputf8(message.envelope_sender());
    for (const auto& r : recipients) utf8 = utf8 || needs_smtputf8(r);
    utf8 = utf8 || needs_smtputf8(message);
    if (utf8) {
        if (!caps.has("SMTPUTF8"))
            throw Error(ErrorCode::Smtputf8Unsupported,
                        "the message has an address with a non-ASCII local part but the server does not offer SMTPUTF8 (nothing was sent)");
        plan.mail_parameters.push_back(MailParameter::smtputf8());
    }
    // With 8BITMIME the writer may send UTF-8 text as 8bit (RFC 6152); SMTPUTF8 headers
    // are 8-bit content too (RFC 6531 §3.4).
    if (caps.has("8BITMIME")) plan.mail_parameters.push_back(MailParameter::body_8bitmime());

    if (message.dsn.requested()) {
        validate_dsn(message.dsn);
        if (!caps.has("DSN")) {
            plan.notes.push_back("the server does not offer DSN: sent without delivery notifications");
        } else {
            if (!message.dsn.ret.empty()) plan.mail_parameters.push_back(MailParameter::ret(ascii_upper(message.dsn.ret)));
            if (!message.dsn.envid.empty()) plan.mail_parameters.push_back(MailParameter::envid(message.dsn.envid));
            const std::string notify = message.dsn.notify.empty() ? "" : normalised_notify(message.dsn.notify);
            for (std::size_t i = 0; i < recipients.size(); ++i) {
                if (!notify.empty()) plan.rcpt_parameters[i].push_back(RcptParameter::notify(notify));
                // ORCPT keeps the address as it was sent (RFC 3461 §4.2), its domain in
                // A-labels. A non-ASCII local part would need RFC 6533's utf-8-addr-xtext; we
                // leave ORCPT out instead.
                if (!needs_smtputf8(recipients[i]))
                    plan.rcpt_parameters[i].push_back(RcptParameter::orcpt(address_to_ascii_domain(recipients[i])));
            }
        }
    }
    check_renderable(plan, message, recipients);
    return plan;
}

}  // namespace mvsmtp
