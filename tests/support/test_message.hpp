// test_message.hpp — the plain message the core integration tests deliver to the rig.
//
//   deliver(testsupport::message_to({"alice@example.test"}, token, "queue"), profile);
//
// From testuser@example.test (a rig user), the token in the subject and the text so that
// testbed::wait_for_message can find the delivered copy.
#pragma once
#include <string>
#include <vector>

#include "mvsmtp/message.hpp"

namespace testsupport {

inline mvsmtp::Message message_to(const std::vector<std::string>& to, const std::string& token,
                                  const std::string& label) {
    mvsmtp::Message m;
    m.from = {"mvsmtp " + label + " test", "testuser@example.test"};
    for (const auto& a : to) m.to.push_back({"", a});
    m.subject = label + " " + token;
    m.text = label + " test " + token + "\n";
    return m;
}

}  // namespace testsupport
