// config_dkim.hpp (private) — the dkim_* keys of a profile.
//
//   dkim_domain           = example.com, example.org   ; d= of each key (From domain or a parent)
//   dkim_selector         = mail2026                   ; one for all, or one per domain
//   dkim_key_file         = /etc/mvsmtp/dkim/%d.key    ; one per domain, or one; %d = the domain
//   dkim_canonicalization = relaxed/relaxed            ; or simple/simple, relaxed/simple, ...
//   dkim_headers          = From:To:Subject:...        ; empty = the default list (dkim.hpp)
//
// Keys are read when a message is signed (DkimKey::load), not here: a profile with a broken
// key still loads for the queue and verify tools, and a send says DKIM.KEY.
#pragma once
#include <string>
#include <vector>

#include "mvsmtp/dkim.hpp"

namespace mvsmtp {

struct DkimKeys {
    std::string domains, selectors, key_files, canonicalization, headers;
};

// Takes `key` when it is one of the dkim_* keys (false otherwise).
bool apply_dkim(DkimKeys& keys, const std::string& key, const std::string& value);

// One DkimSettings per domain; Error(BadOption) for lists that do not line up, a domain or
// selector that is not one, or a domain without a key file.
std::vector<DkimSettings> dkim_settings(const DkimKeys& keys);

}  // namespace mvsmtp
