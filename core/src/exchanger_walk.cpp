// exchanger_walk.cpp — see exchanger_walk.hpp.
#include "exchanger_walk.hpp"

namespace mvsmtp {

SessionSettings exchanger_settings(const Profile& profile, const Exchanger& exchanger, const std::string& address) {
    SessionSettings s;
    s.host = exchanger.name;
    s.connect_address = address;
    s.port = profile.mx_port;
    s.tls.mode = profile.tls;
    s.tls.ca_file = profile.ca_file;
    s.tls.accept_unverified = profile.tls == TlsMode::Opportunistic;
    s.client_name = profile.helo;
    s.timeouts = profile.timeouts;
    s.pipelining = profile.pipelining;
    return s;  // never credentials: exchangers take mail for their domains without AUTH
}

WalkResult walk_exchangers(const MxLookup& mx, const Profile& profile, const TranscriptHook& transcript,
                           const ExchangerUse& use) {
    WalkResult walk;
    for (const Exchanger& exchanger : mx.exchangers) {
        for (const std::string& address : exchanger.addresses) {
            const std::string who = exchanger.name + " [" + address + "]";
            SessionSettings settings = exchanger_settings(profile, exchanger, address);
            settings.transcript = transcript;
            Session session(settings);
            try {
                session.open();
                const TlsInfo tls = session.tls_info();
                const std::optional<Reply> refusal = use(session, who);
                session.quit();
                if (!refusal) {
                    walk.decided = true;
                    walk.exchanger = who;
                    walk.tls = tls;
                    return walk;
                }
                walk.failures.push_back(who + ": " + refusal->summary());
                walk.last_reply = refusal;
            } catch (const Error& e) {
                // Nothing of the message reached this exchanger: the next one may take it.
                walk.failures.push_back(who + ": " + e.what());
                if (e.reply()) walk.last_reply = e.reply();
            }
        }
    }
    return walk;
}

}  // namespace mvsmtp
