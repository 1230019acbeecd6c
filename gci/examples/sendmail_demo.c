/*
 * sendmail_demo.c — SENDMAIL through the C ABI, the way a MultiValue engine calls it:
 * dynamic arrays with ASCII 30/29/28 marks, a pre-sized caller-owned buffer, the full
 * length returned, and mvs_fetch for the rest of a long RESULT.
 *
 *   build/gci/sendmail_demo        (run by scripts/demo.sh)
 *
 * With no mail server configured, the library stores the message in ./mvsmtp-outbox and
 * says so in RESULT; this program then prints RESULT and the stored message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvsmtp.h"

#define AM "\x1E"
#define VM "\x1D"

/* RESULT<n> of a dynamic array, into out. */
static void field(const char* array, int n, char* out, size_t cap) {
    const char* p = array;
    for (int i = 1; i < n && p; ++i) {
        p = strchr(p, 0x1E);
        if (p) ++p;
    }
    size_t len = 0;
    if (p) {
        const char* end = strchr(p, 0x1E);
        len = end ? (size_t)(end - p) : strlen(p);
    }
    if (len >= cap) len = cap - 1;
    if (p) memcpy(out, p, len);
    out[len] = '\0';
}

int main(void) {
    /* MESSAGE: <1> From, <2> To (multivalued), <3> Cc, <4> Bcc, <5> Subject ... (basic/SMTP.H) */
    const char* message = "Accounts <accounts@example.com>" AM
                          "customer@example.org" VM "Zoë Müller <zoe@example.org>" AM
                          AM
                          "archive@example.com" AM
                          "Statement for November — Grüße";
    /* BODY: every attribute or value mark is a line break, as in captured report output. */
    const char* body = "Dear customer," AM AM "Your balance is 1,042.00 EUR." AM
                       ".lines that begin with a dot arrive intact" AM AM "Accounts";
    const char* options = ""; /* nothing configured: the embedded default applies */

    char result[64]; /* deliberately small: the rest comes through mvs_fetch */
    int total = mvs_sendmail(message, body, options, result, (int)sizeof result);
    if (total < 0) {
        fprintf(stderr, "mvs_sendmail: ABI misuse (%d)\n", total);
        return 1;
    }
    char* all = malloc((size_t)total + 1);
    if (!all) return 1;
    strcpy(all, result);
    int have = (int)strlen(all);
    while (have < total) {
        int rest = mvs_fetch(have, all + have, total - have + 1);
        if (rest <= 0) break;
        have += (int)strlen(all + have);
    }

    char status[16], error[16], text[512], file[1024], id[256];
    field(all, 1, status, sizeof status);
    field(all, 2, error, sizeof error);
    field(all, 4, text, sizeof text);
    field(all, 13, id, sizeof id);
    field(all, 14, file, sizeof file);
    printf("mvs_sendmail returned %d bytes of RESULT (read with a %zu-byte buffer + mvs_fetch)\n",
           total, sizeof result);
    printf("RESULT<R.STATUS>      = %s  (0 sent, 1 partial, 2 stored, 3 failed)\n", status);
    printf("RESULT<R.ERROR>       = %s\n", error);
    printf("RESULT<R.MESSAGE>     = %s\n", text);
    printf("RESULT<R.MESSAGE.ID>  = %s\n", id);
    printf("RESULT<R.OUTBOX.FILE> = %s\n", file);
    free(all);
    if (strcmp(status, "2") != 0 || !file[0]) return 2;

    printf("\n----- %s -----\n", file);
    FILE* f = fopen(file, "rb");
    if (!f) return 3;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}
