// secret_file.hpp (private) — files that hold a secret: passwords, client secrets, tokens,
// private keys. Each must be owner-only; a file other users can read is refused with the
// chmod that fixes it, never used.
//
//   std::string pw = read_secret_line(path, ErrorCode::PasswordFile, "password file");
//   refuse_if_shared(path, "configuration file");
#pragma once
#include <string>

#include "mvsmtp/error.hpp"

namespace mvsmtp {

// Error(ConfigInsecure) when other users can read `path`.
void refuse_if_shared(const std::string& path, const std::string& what);

// The first line of an owner-only file (CR stripped). Error(missing) when it is absent,
// unreadable or empty; Error(ConfigInsecure) when others can read it.
std::string read_secret_line(const std::string& path, ErrorCode missing, const std::string& what);

// The whole of an owner-only file (a PEM key), at most 64 KiB.
std::string read_secret_file(const std::string& path, ErrorCode missing, const std::string& what);

}  // namespace mvsmtp
