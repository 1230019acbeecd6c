/*
 * mvsmtp.h — the C ABI of libmvsmtp.so: the only public header.
 *
 * Every MultiValue platform calls these the same way (UniVerse GCI, UniData CALLC, D3 %
 * functions, jBASE DEFCE): int and char* only, at most 6 arguments, NUL-terminated inputs,
 * outputs into buffers the CALLER owns. No function ever throws, prints, keeps a pointer
 * to an argument, or returns a pointer.
 *
 * Dynamic arrays cross this boundary with ASCII marks: attribute = 30, value = 29,
 * subvalue = 28 (the BASIC wrappers CONVERT @AM/@VM/@SM before and after the call).
 *
 * Output convention: `out` receives at most capacity-1 bytes and a terminating NUL; the
 * return value is the FULL length of the result (so `len > capacity-1` means truncated:
 * call mvs_fetch for the rest). A negative return is -(error code), only for misuse of the
 * ABI itself (e.g. a NULL input): -86 = ABI.MISUSE. Results of the last call are kept per
 * thread until the next call on that thread.
 *
 * BASIC (via the catalogued wrapper):
 *   CALL SENDMAIL(MESSAGE, BODY, OPTIONS, RESULT)
 * C:
 *   char buf[4096];
 *   int n = mvs_sendmail(message, body, options, buf, sizeof buf);
 *   if (n >= (int)sizeof buf) { ... mvs_fetch(sizeof buf - 1, more, cap) ... }
 */
#ifndef MVSMTP_H
#define MVSMTP_H

#if defined(_WIN32)
#define MVSMTP_API __declspec(dllexport)
#else
#define MVSMTP_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* SENDMAIL(MESSAGE, BODY, OPTIONS, RESULT): send one message (or store it in the outbox
 * folder when no server is configured). RESULT is always filled; its STATUS and ERROR
 * fields say what happened. Returns the length of RESULT. */
MVSMTP_API int mvs_sendmail(const char* message, const char* body, const char* options,
                            char* result, int capacity);

/* SMTP.OPEN(HANDLE, OPTIONS, RESULT): connect, EHLO, STARTTLS or implicit TLS, AUTH, as
 * OPTIONS and the profile say (with O.MANUAL = 1: connect and read the greeting only).
 * On success RESULT<R.STATUS> = S.OK and RESULT<R.HANDLE> is the handle (1..64); the
 * session lives until mvs_close or the end of the process. */
MVSMTP_API int mvs_open(const char* options, char* result, int capacity);

/* SMTP.SEND(HANDLE, MESSAGE, BODY, RESULT): one message on an open session; same layouts as
 * SENDMAIL. Reconnects transparently when the server has dropped an idle connection. */
MVSMTP_API int mvs_send(int handle, const char* message, const char* body, char* result, int capacity);

/* SMTP.CMD(HANDLE, COMMAND, REPLY): one raw command line, the reply in RESULT layout
 * (R.REPLY.CODE, R.REPLY.ENHANCED, R.REPLY.TEXT one value per line). After a 354 reply to
 * DATA, each call sends one body line (dot-stuffed, no reply) until a line holding only ".".
 * STARTTLS upgrades the connection when the server answers 220; AUTH lines are redacted. */
MVSMTP_API int mvs_cmd(int handle, const char* command, char* reply, int capacity);

/* SMTP.CLOSE(HANDLE, RESULT): QUIT and release the handle. */
MVSMTP_API int mvs_close(int handle, char* result, int capacity);

/* SMTP.VERIFY(ADDRESSES, OPTIONS, RESULT): ask each address's mail exchangers whether they
 * would take it, up to RCPT TO (then RSET, QUIT: nothing is ever sent). ADDRESSES holds one
 * address per attribute or value (a value may also list several, comma- or
 * semicolon-separated, as M.TO); OPTIONS as for SENDMAIL (O.DNS.SERVER, O.DNS.TIMEOUT,
 * O.MX.PORT, O.FROM for MAIL FROM — else the null sender <>, O.TRANSCRIPT, ...). RESULT in
 * SENDMAIL's layout: R.STATUS S.SENT when every address was accepted, S.PARTIAL when some
 * were, else S.FAILED; per address RCPT.STATUS, CODE, ENHANCED, TEXT and RCPT.CLASS (C.
 * values 1-6), RCPT.EXCHANGER, RCPT.CATCHALL. Same buffer convention as mvs_sendmail. */
MVSMTP_API int mvs_verify(const char* addresses, const char* options, char* result, int capacity);

/* SMTP.QUEUE.CONTROL(COMMAND, OPTIONS, RESULT): the durable queue that SENDMAIL fills when a
 * send fails for a transient reason and a queue folder is set (O.QUEUE or the profile's
 * queue key; none: BAD.OPTION). COMMAND<1> is the verb, COMMAND<2> its argument:
 *   LIST            R.QUEUE.ID, CREATED, ATTEMPTS, NEXT, PENDING, REASON: one value each
 *   SHOW id         the same for one message, and its recipients in R.RCPT.ADDRESS, STATUS
 *                   (last error code), TEXT (last reply), RCPT.QUEUED (1 = still pending)
 *   FLUSH [ALL]     one delivery pass over the due messages (ALL: every message); never
 *                   waits for a rate-limit slot; R.QUEUE.COUNTS = due, delivered, deferred,
 *                   failed, left by the rate limit; R.MESSAGE one line
 *   RETRY id        make it due now        DELETE id   remove it, undelivered
 *   PURGE seconds   remove every message queued longer ago; the count in R.MESSAGE
 * An unknown id is BAD.ARGUMENT. Same buffer convention as mvs_sendmail. */
MVSMTP_API int mvs_queue(const char* command, const char* options, char* result, int capacity);

/* The rest of this thread's last result, starting at byte `offset` (0-based). Returns the
 * number of bytes from offset to the end (0 when nothing is left). */
MVSMTP_API int mvs_fetch(int offset, char* out, int capacity);

/* One entry point for engines whose C interface cannot be relied on to deliver a return
 * value or an output length (UniVerse GCI, UniData CALLC, D3 %functions; see
 * docs/platforms.md). `op` is SENDMAIL (a1 MESSAGE, a2 BODY, a3 OPTIONS), OPEN (a1
 * OPTIONS), SEND (a1 MESSAGE, a2 BODY), CMD (a1 COMMAND), CLOSE, VERIFY (a1 ADDRESSES,
 * a2 OPTIONS; a3 unused), QUEUE (a1 COMMAND, a2 OPTIONS; a3 unused), or FETCH (`handle` is then the offset into the last result).
 * `out` must hold MVS_SHIM_CAPACITY bytes; it receives
 * the total RESULT length as 10 decimal digits, then as much of the RESULT (from the start,
 * or from the FETCH offset) as fits, NUL-terminated. Returns the total length too. */
#define MVS_SHIM_CAPACITY 8000
MVSMTP_API int mvs_shim_call(const char* op, int handle, const char* a1, const char* a2, const char* a3,
                             char* out);

/* The library version, e.g. "0.1.0". */
MVSMTP_API int mvs_version(char* out, int capacity);

/* Name and text of an error code: "AUTH.FAILED" ATTR-MARK "authentication failed ...". */
MVSMTP_API int mvs_error_text(int code, char* out, int capacity);

#ifdef __cplusplus
}
#endif

#endif /* MVSMTP_H */
