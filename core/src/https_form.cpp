// https_form.cpp — HTTPS form POST with deadlines; see https_form.hpp.
#include "https_form.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/URI.h>

#include <cctype>
#include <algorithm>
#include <chrono>
#include <istream>
#include <ostream>

#include "mvsmtp/error.hpp"
#include "platform.hpp"
#include "tcp_tls.hpp"

namespace mvsmtp {
namespace {

constexpr std::size_t kMaxBody = 1024 * 1024;

std::string percent_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

}  // namespace

std::string form_encode(const Form& form) {
    std::string out;
    for (const auto& [k, v] : form) out += (out.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
    return out;
}

HttpAnswer post_form(const std::string& url, const Form& form, const std::string& ca_file, const Timeouts& timeouts) {
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception&) {
        throw Error(ErrorCode::BadOption, "OAuth endpoint is not a URL: " + url);
    }
    if (uri.getScheme() != "https" || uri.getHost().empty())
        throw Error(ErrorCode::BadOption, "OAuth endpoint must be an https:// URL: " + url);
    const std::string where = "OAuth token endpoint " + uri.getHost();
    platform::SigpipeGuard guard;
    std::string peer;
    Poco::Net::StreamSocket plain;
    try {
        plain = tcp_connect(uri.getHost(), uri.getPort(), timeouts, "OAuth token endpoint", peer);
    } catch (const Error& e) {
        if (e.code() == ErrorCode::BadOption) throw;
        throw Error(ErrorCode::OAuthUnavailable, std::string(e.what()));
    }
    std::unique_ptr<Poco::Net::SecureStreamSocket> secure;
    try {
        secure = tls_handshake(plain, uri.getHost(), ca_file, timeouts, peer);
    } catch (const Error& e) {
        plain.close();
        if (e.code() == ErrorCode::TlsCertificate || e.code() == ErrorCode::BadOption) throw;
        throw Error(ErrorCode::OAuthUnavailable, where + ": " + e.what());
    }
    const std::string body = form_encode(form);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeouts.io_ms);
    HttpAnswer answer;
    try {
        // HTTPClientSession, not HTTPSClientSession: Poco 1.11's HTTPSClientSession(socket)
        // refuses an already connected socket, and this one is connected and verified.
        Poco::Net::HTTPClientSession session(*secure);
        session.setTimeout(millis(timeouts.io_ms));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathEtc(),
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.setHost(uri.getHost(), uri.getPort());
        request.setContentType("application/x-www-form-urlencoded");
        request.set("Accept", "application/json");
        request.set("User-Agent", "mvsmtp");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        request.setKeepAlive(false);
        session.sendRequest(request) << body;
        // The whole answer has one deadline. A blocking TLS read that times out is retried
        // once inside Poco (measured: twice the socket timeout), so each read gets half of
        // what is left.
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        secure->setReceiveTimeout(millis(std::max<int>(50, static_cast<int>(left.count() / 2))));
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        answer.status = static_cast<int>(response.getStatus());
        char chunk[8192];
        while (in) {
            if (std::chrono::steady_clock::now() > deadline)
                throw Error(ErrorCode::OAuthUnavailable, where + " did not finish its answer in time");
            in.read(chunk, sizeof chunk);
            answer.body.append(chunk, static_cast<std::size_t>(in.gcount()));
            if (answer.body.size() > kMaxBody) throw Error(ErrorCode::OAuthUnavailable, where + " sent more than 1 MiB");
        }
        session.reset();
    } catch (const Error&) {
        throw;
    } catch (const Poco::TimeoutException&) {
        throw Error(ErrorCode::OAuthUnavailable, where + " did not answer in time");
    } catch (const Poco::Exception& e) {
        throw Error(ErrorCode::OAuthUnavailable, where + ": " + e.displayText());
    } catch (const std::exception& e) {
        throw Error(ErrorCode::OAuthUnavailable, where + ": " + e.what());
    }
    return answer;
}

}  // namespace mvsmtp
