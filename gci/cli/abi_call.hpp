// abi_call.hpp — the CLI's only way into the product: the same C ABI BASIC uses.
//
//   std::string result = call_sendmail(message, body, options);
//   std::string r = call_open(options); int h = handle_of(r);   // SMTP.OPEN
//   call_cmd(h, "NOOP"); call_close(h);                         // SMTP.CMD, SMTP.CLOSE
//   std::string v = call_verify(addresses, options);            // SMTP.VERIFY
//   std::string q = call_queue(command, options);               // SMTP.QUEUE.CONTROL
//
// Reads the whole result with the pre-sized buffer + mvs_fetch pattern the BASIC wrappers
// use, so the CLI exercises exactly that path.
#pragma once
#include <string>
#include <vector>

namespace mvsmtp::cli {

std::string call_sendmail(const std::string& message, const std::string& body, const std::string& options);
std::string call_open(const std::string& options);
std::string call_send(int handle, const std::string& message, const std::string& body);
std::string call_cmd(int handle, const std::string& command);
std::string call_close(int handle);
std::string call_verify(const std::string& addresses, const std::string& options);  // SMTP.VERIFY
std::string call_queue(const std::string& command, const std::string& options);     // SMTP.QUEUE.CONTROL
// RESULT<R.HANDLE> of an mvs_open result (0 when the open failed).
int handle_of(const std::string& result);
// True when RESULT<R.STATUS> is S.FAILED.
bool failed(const std::string& result);
// The deciding reply in one line: "554 5.7.1 <x@y>: Relay access denied" (lines joined by " / ").
std::string reply_line(const std::string& result);
// R.TLS as lines: "TLSv1.3 TLS_AES_256_GCM_SHA384", "subject: ...", "issuer:  ...",
// "expires: ..."; none when the connection is not encrypted.
std::vector<std::string> tls_description(const std::string& result);
// "AUTH.FAILED: authentication failed ..." (RESULT<R.ERROR.NAME> and RESULT<R.MESSAGE>).
std::string error_line(const std::string& result);
// Exit status for a RESULT: its error code (0 when sent or stored).
int exit_status(const std::string& result);

}  // namespace mvsmtp::cli
