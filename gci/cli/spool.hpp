// spool.hpp — the per-user private folder of out-of-process mode: <ROOT>/<uid>.
//
//   std::string folder = ensure_user_folder("/opt/mvsmtp/spool");   // "/opt/mvsmtp/spool/1000"
//   std::string req = new_request_file(folder);   // ".../1000/<32 hex>.req", empty, mode 0600
//   sweep_user_folder(folder);                    // drops leftovers of crashed runs
//   socket_path(folder, token)                    // ".../1000/<token>.sock" (a session process)
//
// ROOT (made by the installer: mode 1733 owned by root, or 0700 owned by the engine user) must
// be an existing directory, not a symbolic link, owned by root or by the caller, and when group
// or others may write to it it must have the sticky bit. The user folder is created 0700 when
// missing and must then be a real directory owned by the caller with no group/other
// permission. Anything else: MachineError(BAD.OPTION) naming the folder and the problem.
// Request files are created with O_CREAT|O_EXCL|O_NOFOLLOW (never an existing file or a link)
// and closed empty; BASIC then writes the hex request into that existing file.
// The sweep deletes *.req files of ours older than one hour, and *.sock files older than a
// minute that nobody listens on (a session process killed with SIGKILL).
#pragma once
#include <string>

namespace mvsmtp::cli {

std::string ensure_user_folder(const std::string& root);
std::string new_request_file(const std::string& folder);
void sweep_user_folder(const std::string& folder);
std::string socket_path(const std::string& folder, const std::string& token);

}  // namespace mvsmtp::cli
