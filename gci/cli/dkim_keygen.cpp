// dkim_keygen.cpp — `mvsmtp dkim keygen`: a new DKIM key pair, the private half in a new
// owner-only file, the public half as the DNS record to publish.
//
//   mvsmtp dkim keygen --domain example.com --selector mail2026 [--type rsa|ed25519]
//                      [--bits N] [--out PATH]
//
// The file is written by DkimKey::save_new: never over an existing key (replacing a key that is
// in use breaks every signature until the DNS catches up), mode 0600 as DkimKey::load demands,
// complete or not at all.
// The private key is written to that file only: stdout gets the record and profile lines.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dkim_command.hpp"
#include "mvsmtp/address.hpp"
#include "mvsmtp/dkim.hpp"
#include "mvsmtp/dkim_dns.hpp"
#include "mvsmtp/error.hpp"
#include "mvsmtp/text.hpp"
#include "server_flags.hpp"

namespace mvsmtp::cli {
namespace {

struct KeygenArgs {
    std::string domain, selector, out;
    DkimKeyType type = DkimKeyType::Rsa;
    int bits = 2048;
    std::string bits_text;  // as given, for the message that refuses it
};

KeygenArgs parse(const std::vector<std::string>& args) {
    KeygenArgs a;
    ArgReader reader(args);
    while (reader.next()) {
        const std::string& flag = reader.flag();
        if (flag == "--domain") a.domain = reader.value();
        else if (flag == "--selector") a.selector = reader.value();
        else if (flag == "--out") a.out = reader.value();
        else if (flag == "--type") {
            const std::string t = ascii_lower(reader.value());
            if (t == "rsa") a.type = DkimKeyType::Rsa;
            else if (t == "ed25519") a.type = DkimKeyType::Ed25519;
            else throw UsageError("--type is rsa or ed25519 (got \"" + t + "\")");
        } else if (flag == "--bits") {
            const std::string v = a.bits_text = reader.value();
            try {
                std::size_t used = 0;
                a.bits = std::stoi(v, &used);
                if (used != v.size()) a.bits = 0;
            } catch (const std::exception&) {
                a.bits = 0;
            }
        } else {
            throw UsageError("unknown dkim keygen option " + flag + " (try mvsmtp dkim --help)");
        }
    }
    if (a.domain.empty() || a.selector.empty()) throw UsageError("dkim keygen needs --domain and --selector (try mvsmtp dkim --help)");
    if (!a.bits_text.empty() && a.type != DkimKeyType::Rsa) throw UsageError("--bits is for RSA keys (an Ed25519 key has no size to choose)");
    // RFC 8301 §3.2: signers MUST use 1024 bits or more, and receivers ask for 2048.
    if (a.bits < 2048 || a.bits > 8192)
        throw UsageError("--bits must be 2048..8192 (got \"" + a.bits_text + "\"); mvsmtp's signer refuses RSA keys under 2048 bits, as many receivers do");
    return a;
}

void print_instructions(const KeygenArgs& a, const std::string& domain, const std::string& name, const DkimKey& key) {
    std::error_code ec;
    const std::string absolute = std::filesystem::absolute(a.out, ec).lexically_normal().string();
    const std::string key_file = ec ? a.out : absolute;
    std::cout << "Private key written to " << a.out << " ("
              << (key.type() == DkimKeyType::Rsa ? "RSA " + std::to_string(key.bits()) + " bits" : std::string("Ed25519"))
              << ", mode 0600). Keep it secret: only the user that sends mail needs to read it.\n\n"
              << "1. Publish this TXT record in the DNS of " << domain << ":\n\n"
              << zone_file_record(name, key.dns_record()) << "\n"
              << "   (as one value, for a DNS provider's form: " << key.dns_record() << ")\n\n"
              << "2. Add to the profile that sends " << domain << "'s mail:\n\n"
              << "dkim_domain   = " << domain << "\n"
              << "dkim_selector = " << a.selector << "\n"
              << "dkim_key_file = " << key_file << "\n\n"
              << "3. Once the record is published, check it:\n\n"
              << "mvsmtp dkim check --domain " << domain << " --selector " << a.selector << " --key " << key_file << "\n";
}

}  // namespace

int run_dkim_keygen(const std::vector<std::string>& args) {
    for (const std::string& arg : args)
        if (arg == "--help" || arg == "-h") {
            std::cout << kDkimUsage;
            return 0;
        }
    KeygenArgs a = parse(args);
    try {
        const std::string name = dkim_key_name(a.selector, a.domain);  // checks both
        const std::string domain = name.substr(a.selector.size() + std::string("._domainkey.").size());
        if (a.out.empty()) a.out = "./" + name + ".key";
        // Said before the key is made (an RSA 8192 key takes a while); save_new decides.
        if (::access(a.out.c_str(), F_OK) == 0)
            throw Error(ErrorCode::BadArgument, a.out + " already exists: not overwritten (a key in use would be lost); "
                                                        "give another --out, or move the old key away first");
        const DkimKey key = DkimKey::generate(a.type, a.bits);
        key.save_new(a.out);
        print_instructions(a, domain, name, key);
        return 0;
    } catch (const Error& e) {
        std::cerr << "mvsmtp: " << e.what() << "\n";
        return error_number(e.code());
    }
}

}  // namespace mvsmtp::cli
