// dkim.cpp — `mvsmtp dkim`: DKIM signing keys for the operator who sets signing up.
//
//   mvsmtp dkim keygen --domain example.com --selector mail2026 [--type rsa|ed25519]
//                      [--bits N] [--out PATH]
//   mvsmtp dkim check  --domain example.com [--selector mail2026]
//                      (--key PATH | --profile NAME [--config FILE])
//                      [--dns-server IP[:PORT]] [--dns-timeout SECONDS]
//
// keygen writes a new private key (0600) and prints the DNS record and profile lines; check
// looks the record up and says whether it publishes the key. Exit statuses are error-table
// numbers, as `mvsmtp mx` does: see kDkimUsage. Neither ever prints private key material.
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dkim_command.hpp"

namespace mvsmtp::cli {

const char* const kDkimUsage = R"(Usage: mvsmtp dkim keygen --domain D --selector S [--type rsa|ed25519] [--bits N]
                          [--out PATH]
       mvsmtp dkim check --domain D --selector S --key PATH | [--domain D] --profile P [--config F]
                         [--dns-server IP[:PORT]] [--dns-timeout SECONDS]

DKIM signing (RFC 6376): the profile keys dkim_domain, dkim_selector and dkim_key_file sign
mail whose From is in D with the private key; receivers check the signature with the public
key published in the DNS at S._domainkey.D.

keygen  makes a key pair: the private key (PKCS#8 PEM) goes to PATH, a new file of mode
        0600 (an existing file is never overwritten); prints the DNS record to publish, in
        zone-file form, and the profile lines that sign with it. Prints no private key.
  --type rsa|ed25519  rsa (default: rsa-sha256, which every verifier knows) or ed25519
                      (RFC 8463; not every verifier knows it yet)
  --bits N            RSA key size, 2048 (default) to 8192; fewer is refused
  --out PATH          where the private key goes (default ./S._domainkey.D.key)
check   asks the DNS for the TXT record at S._domainkey.D and says whether it publishes the
        key; prints the name asked, the record and the verdict.
  --key PATH              the private key file (chmod 600); S is required
  --profile P             the key profile P signs D's mail with (its dkim_* keys); S
                          defaults to the profile's selector; D may be a subdomain of the
                          profile's dkim_domain, and may be left out when the profile
                          has only one
  --config F              the profile file (default: as for send)
  --dns-server IP[:PORT]  DNS server(s), comma-separated (default: /etc/resolv.conf)
  --dns-timeout SECONDS   default 30

Exit status: 0 done (check: the record publishes the key); check: 90 no key record
(DKIM.RECORD.MISSING), 91 a record of another key, key type, or h=/s= that exclude it
(DKIM.RECORD.MISMATCH), 92 revoked, p= empty (DKIM.RECORD.REVOKED), 93 a record verifiers
cannot use (DKIM.RECORD.INVALID), 21 the DNS did not answer (DNS.UNAVAILABLE), 89 the key
cannot be used (DKIM.KEY), 82 the key file is readable by others (CONFIG.INSECURE);
both: 60 bad arguments or (keygen) PATH exists, 62 D is no domain name, 66 the profile has
no DKIM key for D, 80-83 the profile file.
)";

int run_dkim(const std::vector<std::string>& args) {
    if (args.empty()) throw UsageError("dkim needs a subcommand: keygen or check (try mvsmtp dkim --help)");
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::cout << kDkimUsage;
        return 0;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "keygen") return run_dkim_keygen(rest);
    if (args[0] == "check") return run_dkim_check(rest);
    throw UsageError("unknown dkim subcommand \"" + args[0] + "\" (keygen or check; try mvsmtp dkim --help)");
}

}  // namespace mvsmtp::cli
