// mvsmtp/address.hpp — e-mail addresses: parsing user text, validation, header rendering.
//
//   Mailbox m = mvsmtp::parse_mailbox("\"Smith, Anne\" <anne@example.com>");
//   std::vector<Mailbox> to = mvsmtp::parse_mailbox_list("a@x.com; Bob <b@y.org>, c@z.net");
//   mvsmtp::validate_address("anne@example.com");              // throws Error(BadAddress)
//   std::string h = mvsmtp::format_mailbox_header(m);           // "\"Smith, Anne\" <anne@...>"
//   mvsmtp::smtp_path("user@bücher.example");                   // "user@xn--bcher-kva.example"
//
// Accepted forms for one mailbox: a@b, <a@b>, Name <a@b>, "Quoted, Name" <a@b>.
// Addresses follow RFC 5321 §4.1.2: a dot-atom or quoted-string local part, '@', then
// domain labels or an address literal ([192.0.2.1], [IPv6:2001:db8::1]). A quoted local
// part may hold spaces ("john smith"@example.com) and is sent exactly so.
// Internationalised domains (UTF-8 U-labels) are converted to A-labels (IDNA 2008, RFC 5891,
// with UTS #46 non-transitional mapping, by libidn2) wherever an address leaves the
// library: user@bücher.example travels as user@xn--bcher-kva.example and needs nothing of
// the server. Only a non-ASCII local part needs SMTPUTF8 (RFC 6531): ask needs_smtputf8().
// Refused with Error(BadAddress), naming the address: CR, LF, NUL, other control
// characters, '<' or '>', spaces outside a quoted local part, invalid UTF-8, a domain that
// is not a valid IDN, and the RFC 5321 §4.5.3.1 size limits (local part 64, domain 255,
// whole address 254 octets, the domain counted in A-labels).
// A display name containing CR, LF or NUL is refused with Error(HeaderInjection).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "mvsmtp/message.hpp"

namespace mvsmtp {

// Parses one mailbox (surrounding blanks ignored). Quoted display names lose their quotes
// and backslash escapes; unquoted names are kept as written (inner blanks collapsed).
Mailbox parse_mailbox(std::string_view text);

// Parses a list separated by ',' or ';' (separators inside quotes or <...> do not count).
// Empty items are skipped, so "a@x;" and "a@x, ,b@y" are fine. An unquoted comma inside a
// name ("Smith, Anne <a@x>") makes "Smith" an item of its own, which is refused as a bad
// address rather than silently mis-split.
std::vector<Mailbox> parse_mailbox_list(std::string_view text);

// Throws Error(BadAddress, "...<address>...") when address is not local@domain as above.
void validate_address(std::string_view address);
bool is_valid_address(std::string_view address) noexcept;

// True when the local part contains non-ASCII characters (needs SMTPUTF8, RFC 6531 §3.2).
// A non-ASCII domain does not: it is sent in A-labels.
bool needs_smtputf8(std::string_view address);

// A domain in A-labels: "bücher.example" → "xn--bcher-kva.example" (idn2_to_ascii_8z with
// IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT). ASCII domains and address literals come back
// unchanged. Throws Error(BadAddress) naming the domain when it is not a valid IDN.
std::string domain_to_ascii(std::string_view domain);

// The address with its domain in A-labels (the local part untouched). Throws as above.
std::string address_to_ascii_domain(std::string_view address);

// The address as it goes between '<' and '>' in MAIL FROM / RCPT TO (RFC 5321 §4.1.2): the
// domain in A-labels, a quoted local part as written. Throws Error(BadAddress) for what
// cannot stand there: CR, LF, NUL, '<', '>', a blank outside a quoted local part, an
// invalid IDN. "" stays "" (the null reverse-path).
std::string smtp_path(std::string_view address);

// The domain part (after the last '@'); empty when there is none.
std::string address_domain(std::string_view address);

// Renders a mailbox for a From/To/Cc/Reply-To header (RFC 5322 §3.4):
//   no name                 → a@b
//   atoms ("Anne Smith")    → Anne Smith <a@b>
//   other ASCII ("Smith, A")→ "Smith, A" <a@b>        ('"' and '\' backslash-escaped)
//   non-ASCII ("Zoë")       → =?UTF-8?Q?Zo=C3=AB?= <a@b>  (RFC 2047 §5(3), never quoted)
// The result may contain blanks where the header folder may break the line.
std::string format_mailbox_header(const Mailbox& mailbox);

// format_mailbox_header of each, joined with ", ".
std::string format_mailbox_list_header(const std::vector<Mailbox>& mailboxes);

}  // namespace mvsmtp
