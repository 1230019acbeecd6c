// mvsmtp/capabilities.hpp — what the server said it can do (EHLO reply, RFC 5321 §4.1.1.1).
//
//   Capabilities caps = Capabilities::from_ehlo(reply);
//   if (caps.has("STARTTLS")) ...;   caps.auth_mechanisms;   caps.size_limit;
//
// Keywords are compared case-insensitively (stored upper-case). "AUTH=LOGIN PLAIN", the
// pre-RFC 4954 form some servers still send, counts as AUTH too.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "mvsmtp/reply.hpp"

namespace mvsmtp {

struct Capabilities {
    bool esmtp = false;                        // false after a HELO fallback
    std::string server_name;                   // first word of the EHLO/HELO reply
    std::set<std::string> keywords;            // "STARTTLS", "PIPELINING", "8BITMIME" ...
    std::vector<std::string> auth_mechanisms;  // upper-case, in the server's order
    std::uint64_t size_limit = 0;              // SIZE n (RFC 1870); 0 = none declared
    std::vector<std::string> lines;            // the keyword lines as the server sent them

    bool has(const std::string& keyword) const;
    bool offers_auth(const std::string& mechanism) const;

    static Capabilities from_ehlo(const Reply& reply);
    static Capabilities from_helo(const Reply& reply);
};

}  // namespace mvsmtp
