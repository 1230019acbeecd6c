// https_form.hpp (private) — one HTTPS POST of an HTML form (application/x-www-form-urlencoded),
// as OAuth 2.0 token endpoints want it (RFC 6749 §4.4.2, RFC 8628 §3.1).
//
//   HttpAnswer a = post_form("https://login.example/token", {{"grant_type", "client_credentials"}, ...},
//                            ca_file, timeouts);
//   a.status;  a.body;                    // body read up to 1 MiB
//
// The certificate is verified against the URL's host (system CA store, or ca_file). The
// connection, the handshake and the whole answer each have a deadline. Transport failures
// are Error(OAuthUnavailable) (a certificate problem: Error(TlsCertificate)); the form holds
// secrets and is never part of a message.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "mvsmtp/connection.hpp"

namespace mvsmtp {

struct HttpAnswer {
    int status = 0;
    std::string body;
};

using Form = std::vector<std::pair<std::string, std::string>>;

HttpAnswer post_form(const std::string& url, const Form& form, const std::string& ca_file, const Timeouts& timeouts);

// application/x-www-form-urlencoded
std::string form_encode(const Form& form);

}  // namespace mvsmtp
