/*
 * mvsmtp_jbase.c — jBASE DEFC glue: the whole RESULT straight into a jBASE VAR.
 *
 * BASIC (basic/platform/jbase/MVSMTP.NATIVE):
 *     DEFC VAR MVSJ_CALL(VAR, VAR, VAR, VAR, VAR)
 *     RAW = MVSJ_CALL(OP, HANDLE, X1, X2, X3)
 *
 * OP is SENDMAIL, OPEN, SEND, CMD or CLOSE; HANDLE a number; X1..X3 the arguments with
 * ASCII 30/29/28 marks (MVSMTP.CALL translated them). The result is copied with STORE_VBS,
 * so any length works without pre-sized buffers (docs/platforms.md, jBASE DEFC). Build:
 *     jcompile -c mvsmtp_jbase.c -I<mvsmtp>/include ; link with -lmvsmtp (install/ does it)
 * Needs jsystem.h, so it is compiled only where jBASE is installed. It never throws (it is
 * C) and never keeps a pointer to a VAR.
 */
#include <jsystem.h>
#include <stdlib.h>
#include <string.h>

#include "mvsmtp.h"

enum { kFirstChunk = 4096 };

/* The full RESULT of one library call: the first part, then mvs_fetch for the rest. */
static char* whole_result(int total, const char* first) {
    char* all;
    int have;
    if (total < 0) return NULL;
    all = (char*)malloc((size_t)total + 1);
    if (!all) return NULL;
    strcpy(all, first);
    have = (int)strlen(all);
    while (have < total) {
        int rest = mvs_fetch(have, all + have, total - have + 1);
        if (rest <= 0) break;
        have += (int)strlen(all + have);
    }
    return all;
}

VAR* MVSJ_CALL(VAR* result, DPSTRUCT* dp, VAR* op, VAR* handle, VAR* a1, VAR* a2, VAR* a3) {
    char first[kFirstChunk];
    const char* verb = (const char*)CONV_SFB(op);
    const char* s1 = (const char*)CONV_SFB(a1);
    const char* s2 = (const char*)CONV_SFB(a2);
    const char* s3 = (const char*)CONV_SFB(a3);
    const int h = (int)CONV_IB(handle);
    int total;
    char* all;
    first[0] = '\0';
    if (strcmp(verb, "SENDMAIL") == 0) total = mvs_sendmail(s1, s2, s3, first, kFirstChunk);
    else if (strcmp(verb, "OPEN") == 0) total = mvs_open(s1, first, kFirstChunk);
    else if (strcmp(verb, "SEND") == 0) total = mvs_send(h, s1, s2, first, kFirstChunk);
    else if (strcmp(verb, "CMD") == 0) total = mvs_cmd(h, s1, first, kFirstChunk);
    else if (strcmp(verb, "CLOSE") == 0) total = mvs_close(h, first, kFirstChunk);
    else total = -60;
    all = whole_result(total, first);
    /* A failure of the glue itself is still a RESULT: S.FAILED, BAD.ARGUMENT or INTERNAL. */
    STORE_VBS(result, all ? all : (total == -60 ? "3\036" "60\036BAD.ARGUMENT\036unknown operation"
                                                : "3\036" "99\036INTERNAL\036out of memory"));
    free(all);
    (void)dp;
    return result;
}
