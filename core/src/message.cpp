// message.cpp — the small amount of behaviour on Message and Attachment (see message.hpp).
#include "mvsmtp/message.hpp"

#include <unordered_set>

#include "mvsmtp/mime.hpp"
#include "mvsmtp/text.hpp"

namespace mvsmtp {
namespace {

// The last path component; both separators count, since BASIC programs on Windows hosts
// pass "C:\reports\x.csv" and a '\' in a Unix file name is too rare to matter.
std::string base_name(const std::string& path) {
    const std::size_t slash = path.find_last_of("/\\");
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Attachment Attachment::from_file(std::string path, std::string filename, std::string content_type) {
    Attachment a;
    a.filename = filename.empty() ? base_name(path) : std::move(filename);
    a.content_type =
        content_type.empty() ? guess_content_type(a.filename) : std::move(content_type);
    a.path = std::move(path);
    return a;
}

Attachment Attachment::from_data(std::string data, std::string filename, std::string content_type) {
    Attachment a;
    a.content_type = content_type.empty() ? guess_content_type(filename) : std::move(content_type);
    a.filename = std::move(filename);
    a.data = std::move(data);
    return a;
}

std::vector<std::string> Message::envelope_recipients() const {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;  // lower-cased addresses
    for (const auto* list : {&to, &cc, &bcc}) {
        for (const Mailbox& m : *list) {
            if (seen.insert(ascii_lower(m.address)).second) out.push_back(m.address);
        }
    }
    return out;
}

}  // namespace mvsmtp
