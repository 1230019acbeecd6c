// capabilities.cpp — EHLO reply → Capabilities.
#include "mvsmtp/capabilities.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

void add_mechanisms(Capabilities& caps, const std::vector<std::string>& ws, std::size_t from) {
    for (std::size_t i = from; i < ws.size(); ++i) {
        std::string m = ascii_upper(ws[i]);
        if (std::find(caps.auth_mechanisms.begin(), caps.auth_mechanisms.end(), m) ==
            caps.auth_mechanisms.end())
            caps.auth_mechanisms.push_back(m);
    }
}

}  // namespace

bool Capabilities::has(const std::string& keyword) const { return keywords.count(ascii_upper(keyword)) > 0; }

bool Capabilities::offers_auth(const std::string& mechanism) const {
    const std::string m = ascii_upper(mechanism);
    return std::find(auth_mechanisms.begin(), auth_mechanisms.end(), m) != auth_mechanisms.end();
}

Capabilities Capabilities::from_helo(const Reply& reply) {
    Capabilities caps;
    if (!reply.lines.empty()) {
        auto ws = words(reply.lines.front());
        if (!ws.empty()) caps.server_name = ws.front();
    }
    return caps;
}

Capabilities Capabilities::from_ehlo(const Reply& reply) {
    Capabilities caps = from_helo(reply);
    caps.esmtp = true;
    // The first line is the greeting; every following line is "KEYWORD [params]".
    for (std::size_t i = 1; i < reply.lines.size(); ++i) {
        const auto ws = words(reply.lines[i]);
        if (ws.empty()) continue;
        caps.lines.push_back(reply.lines[i]);
        std::string keyword = ascii_upper(ws.front());
        if (keyword.rfind("AUTH=", 0) == 0) {  // obsolete "AUTH=LOGIN PLAIN"
            std::vector<std::string> rest{keyword.substr(5)};
            rest.insert(rest.end(), ws.begin() + 1, ws.end());
            add_mechanisms(caps, rest, 0);
            caps.keywords.insert("AUTH");
            continue;
        }
        caps.keywords.insert(keyword);
        if (keyword == "AUTH") add_mechanisms(caps, ws, 1);
        if (keyword == "SIZE" && ws.size() > 1) {
            try {
                caps.size_limit = std::stoull(ws[1]);
            } catch (...) {
                caps.size_limit = 0;  // a nonsense SIZE value means "no limit declared"
            }
        }
    }
    return caps;
}

}  // namespace mvsmtp
