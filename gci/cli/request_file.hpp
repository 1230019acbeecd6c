// request_file.hpp — reading machine mode's ARGFILE.
//
//   std::string bytes = read_request_file(path, /*remove=*/true, /*strict=*/true);
//
// strict (machine call, and any run with --spool): opened with O_NOFOLLOW (a symbolic link is
// refused), then fstat'd: a regular file, owned by the caller, no group/other permission bits;
// anything else is refused with MachineError(BAD.OPTION) before a byte is read.
// Not strict (the older sendmail/session forms without --spool): any readable file.
// remove (--remove): the file is unlinked right after it was opened, before it is parsed, and
// also when a check fails — but never a symbolic link and never a file another user owns
// (lstat, and the same inode as the one opened). At most 64 MiB is read; a larger file is
// BAD.ARGUMENT.
#pragma once
#include <string>

namespace mvsmtp::cli {

constexpr long long kMaxRequestBytes = 64LL * 1024 * 1024;

std::string read_request_file(const std::string& path, bool remove, bool strict);

}  // namespace mvsmtp::cli
