// send.cpp — `mvsmtp send`: swaks-style flags → MESSAGE/BODY/OPTIONS → mvs_sendmail.
//
//   mvsmtp send --to a@example.com --subject Hi --body Hello [server flags] [--result|--quiet]
//
// The server flags are server_flags.hpp's (shared with test and shell); the rest fill MESSAGE.
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>

#include "abi_call.hpp"
#include "commands.hpp"
#include "dynarray.hpp"
#include "layout.hpp"
#include "server_flags.hpp"

namespace mvsmtp::cli {
namespace {

namespace M = gci::field::Message;
namespace O = gci::field::Options;
namespace R = gci::field::Result;

const char* kSendUsage = R"(Usage: mvsmtp send [options]

Message:
  --from ADDR            From ("Name <addr>" or addr); default: the profile's from
  --to ADDR              recipient (repeat, or a comma-separated list)
  --cc ADDR  --bcc ADDR  copies (Bcc is never shown in the headers)
  --reply-to ADDR
  --subject TEXT
  --body TEXT            text body           --body-file PATH   text body from a file (- = stdin)
  --html-file PATH       HTML body (with a text body: multipart/alternative)
  --attach PATH          attach a file (repeat); --attach-name NAME renames the last one
  --header "Name: value" extra header (repeat)
                         (no value may contain bytes 28-31, the dynamic-array marks)
  --priority high|normal|low
  --return-path ADDR     envelope sender, when it differs from From

)";

// After the server flags: what only `send` takes.
const char* kSendUsageTail = R"(  --outbox DIR           where messages go when no server is configured
  --max-size SIZE        largest message to send or store (e.g. 25M; default 100M)

)";

// After the direct-delivery flags.
const char* kSendUsageOutput = R"(Output:
  --result               print RESULT as a dynamic array (marks as ASCII 30/29/28)
  --quiet                print nothing; the exit status tells

Examples:
  mvsmtp send --to ops@example.com --subject "Nightly run" --body-file /tmp/report.txt
  mvsmtp send --server smtp://mail.example.com:587 --user billing --password-file ~/.pw \
              --from billing@example.com --to a@example.org --attach inv.pdf --subject Invoice
  mvsmtp send --delivery direct --from me@example.com --to a@example.org --body Hi
  mvsmtp send --profile o365 --to a@example.org --html-file mail.html --body "Text version"
)";

std::string read_file(const std::string& path) {
    if (path == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError("cannot read " + path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Text for M.HTML: one value per line (the "every mark is a line break" convention of
// M.HTML and BODY). A mark byte inside the file is a line break too, so file content can
// never reach another field.
std::vector<std::string> lines_as_values(const std::string& text) {
    std::vector<std::string> out(1);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        if (c == '\r' || c == '\n' || c == gci::kAttributeMark || c == gci::kValueMark || c == gci::kSubvalueMark)
            out.emplace_back();
        else
            out.back() += c;
    }
    return out;
}

void print_human(const std::string& r) {
    using gci::extract;
    static const char* kStatus[] = {"SENT", "PARTIAL", "STORED (not sent)", "FAILED",
                                     "QUEUED (not sent yet: retried by mvsmtp queue run)"};
    const int status = std::atoi(extract(r, R::STATUS).c_str());
    std::cout << "Status:     " << (status >= 0 && status <= 4 ? kStatus[status] : "?") << "\n";
    if (extract(r, R::ERROR) != "0")
        std::cout << "Error:      " << extract(r, R::ERROR) << " " << extract(r, R::ERROR_NAME)
                  << (extract(r, R::TRANSIENT) == "1" ? " (temporary)" : "") << "\n";
    std::cout << "Message:    " << extract(r, R::MESSAGE) << "\n";
    if (!extract(r, R::REPLY_CODE).empty())
        std::cout << "Reply:      " << reply_line(r) << "\n";
    if (!extract(r, R::MESSAGE_ID).empty()) std::cout << "Message-ID: " << extract(r, R::MESSAGE_ID) << "\n";
    if (!extract(r, R::OUTBOX_FILE).empty()) std::cout << "Stored in:  " << extract(r, R::OUTBOX_FILE) << "\n";
    if (!extract(r, R::QUEUE_ID).empty()) std::cout << "Queue ID:   " << extract(r, R::QUEUE_ID) << "\n";
    if (!extract(r, R::DKIM).empty()) std::cout << "DKIM:       " << extract(r, R::DKIM) << "\n";
    const auto addrs = gci::values(r, R::RCPT_ADDRESS);
    for (std::size_t i = 0; i < addrs.size(); ++i) {
        const int v = static_cast<int>(i) + 1;
        const std::string st = extract(r, R::RCPT_STATUS, v);
        std::cout << "  " << addrs[i] << ": "
                  << (st.empty()                              ? "stored"
                      : st == "0"                             ? "accepted"
                      : extract(r, R::RCPT_QUEUED, v) == "1" ? "queued (" + st + ")"
                                                              : "refused (" + st + ")");
        if (!extract(r, R::RCPT_CODE, v).empty())
            std::cout << " — " << extract(r, R::RCPT_CODE, v) << " " << extract(r, R::RCPT_ENHANCED, v) << " "
                      << extract(r, R::RCPT_TEXT, v);
        std::cout << "\n";
    }
}

}  // namespace

int run_send(const std::vector<std::string>& args) {
    gci::DynArrayBuilder message, options;
    std::map<int, std::vector<std::string>> multi;  // multivalued MESSAGE fields
    std::string body;
    bool raw_result = false, quiet = false;

    const std::map<std::string, int> message_single = {
        {"--from", M::FROM}, {"--subject", M::SUBJECT}, {"--priority", M::PRIORITY},
        {"--return-path", M::RETURN_PATH}};
    const std::map<std::string, int> message_multi = {
        {"--to", M::TO}, {"--cc", M::CC}, {"--bcc", M::BCC}, {"--reply-to", M::REPLY_TO}};
    ArgReader reader(args);
    while (reader.next()) {
        const std::string& flag = reader.flag();
        auto value = [&] { return reader.value(); };
        if (flag == "--help" || flag == "-h") {
            std::cout << kSendUsage << kServerFlagsUsage << kSendUsageTail << kDirectFlagsUsage << "\n"
                      << kSendUsageOutput;
            return 0;
        }
        if (take_server_flag(reader, options) || take_direct_flag(reader, options, true)) continue;
        if (flag == "--outbox") { options.set(O::OUTBOX, value()); continue; }
        if (flag == "--max-size") { options.set(O::MAX_SIZE, value()); continue; }
        if (flag == "--result") { raw_result = true; continue; }
        if (flag == "--quiet" || flag == "-q") { quiet = true; continue; }
        if (auto it = message_single.find(flag); it != message_single.end()) { message.set(it->second, value()); continue; }
        if (auto it = message_multi.find(flag); it != message_multi.end()) { multi[it->second].push_back(value()); continue; }
        if (flag == "--body") { body = value(); continue; }
        if (flag == "--body-file") { body = read_file(value()); continue; }
        if (flag == "--html-file") { message.set(M::HTML, lines_as_values(read_file(value()))); continue; }
        if (flag == "--attach") {
            multi[M::ATTACH_PATH].push_back(value());
            multi[M::ATTACH_NAME].resize(multi[M::ATTACH_PATH].size());
            continue;
        }
        if (flag == "--attach-name") {
            if (multi[M::ATTACH_PATH].empty()) throw UsageError("--attach-name must follow --attach");
            multi[M::ATTACH_NAME].back() = value();
            continue;
        }
        if (flag == "--header") {
            const std::string h = value();
            const auto colon = h.find(':');
            if (colon == std::string::npos) throw UsageError("--header needs \"Name: value\"");
            multi[M::HEADER_NAME].push_back(h.substr(0, colon));
            std::string v = h.substr(colon + 1);
            if (!v.empty() && v.front() == ' ') v.erase(0, 1);
            multi[M::HEADER_VALUE].push_back(v);
            continue;
        }
        throw UsageError("unknown option " + flag + " (try mvsmtp send --help)");
    }
    for (const auto& [field, vals] : multi) message.set(field, vals);

    // BODY: line breaks become attribute marks, exactly as a BASIC program passes captured
    // output; the library turns every mark back into a line break.
    std::string body_array;
    for (char c : body) body_array += c == '\n' ? gci::kAttributeMark : c;
    const std::string result = call_sendmail(message.str(), body_array, options.str());
    if (raw_result) std::cout << result;
    else if (!quiet) print_human(result);
    return exit_status(result);
}

}  // namespace mvsmtp::cli
