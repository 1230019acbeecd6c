// oauth_server_control.hpp — the rig's test OAuth 2.0 server (tests/testbed/oauth_server.py,
// https://127.0.0.1:9443) from C++ tests: reset its clients and tokens, switch its failure
// modes, read its request counters.
//
//   oauthtest::post("/_test/reset", R"({"clients": {"app": {"secret": "s", "username": "u@x"}}})");
//   oauthtest::post("/_test/mode", R"({"fail": "unavailable"})");
//   int n = oauthtest::token_requests();
//
// Tests using it share one server: give them RESOURCE_LOCK oauth_server (tests/CMakeLists.txt).
#pragma once
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>

#include <sstream>
#include <stdexcept>
#include <string>

#include "support/testbed.hpp"

namespace oauthtest {

constexpr const char* kAuthority = "https://127.0.0.1:9443";

inline std::string request(const std::string& method, const std::string& path, const std::string& json = "") {
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", testbed::ca_file(),
                                                             Poco::Net::Context::VERIFY_RELAXED, 9, false);
    Poco::Net::HTTPSClientSession session("127.0.0.1", 9443, context);
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(json.size()));
    session.sendRequest(req) << json;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string body;
    Poco::StreamCopier::copyToString(in, body);
    if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
        throw std::runtime_error("oauth_server " + path + ": HTTP " + std::to_string(response.getStatus()) + " " + body);
    return body;
}

inline std::string post(const std::string& path, const std::string& json) { return request("POST", path, json); }

inline int token_requests() {
    Poco::JSON::Parser parser;
    const auto o = parser.parse(request("GET", "/_test/stats")).extract<Poco::JSON::Object::Ptr>();
    return o->getValue<int>("token_requests");
}

}  // namespace oauthtest
