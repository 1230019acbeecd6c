/*
 * mvsmtp_jbase.c — jBASE DEFC glue: the whole RESULT straight into a jBASE VAR.
 *
 * BASIC (basic/platform/jbase/MVSMTP.NATIVE):
 *     DEFC VAR MVSJ_CALL(VAR, VAR, VAR, VAR, VAR)
 *     RAW = MVSJ_CALL(OP, HANDLE, X1, X2, X3)
 *
 * OP is SENDMAIL, OPEN, SEND, CMD, CLOSE, VERIFY or QUEUE (any operation mvs_shim_call knows);
 * HANDLE a number; X1..X3 the arguments with ASCII 30/29/28 marks (MVSMTP.CALL translated them).
 * The result is copied with STORE_VBS,
 * so any length works without pre-sized buffers (docs/platforms.md, jBASE DEFC). Build:
 *     jcompile -c mvsmtp_jbase.c -I<mvsmtp>/include ; link with -lmvsmtp (install/ does it)
 * Needs jsystem.h, so it is compiled only where jBASE is installed. It never throws (it is
 * C) and never keeps a pointer to a VAR.
 */
#include <jsystem.h>
#include <stdlib.h>
#include <string.h>

#include "mvsmtp.h"

/* The full RESULT through mvs_shim_call, which routes by operation name: a new operation in
 * the library (address verification, queue control) needs no change here. */
static char* whole_result(const char* op, int handle, const char* a1, const char* a2, const char* a3) {
    char chunk[MVS_SHIM_CAPACITY];
    char* all = NULL;
    int total, have = 0;
    total = mvs_shim_call(op, handle, a1, a2, a3, chunk);
    if (total < 0) return NULL;
    all = (char*)malloc((size_t)total + 1);
    if (!all) return NULL;
    all[0] = '\0';
    for (;;) {
        const size_t part = strlen(chunk + 10);
        memcpy(all + have, chunk + 10, part);
        have += (int)part;
        all[have] = '\0';
        if (have >= total || part == 0) break;
        if (mvs_shim_call("FETCH", have, "", "", "", chunk) < 0) break;
    }
    return all;
}

VAR* MVSJ_CALL(VAR* result, DPSTRUCT* dp, VAR* op, VAR* handle, VAR* a1, VAR* a2, VAR* a3) {
    char* all = whole_result((const char*)CONV_SFB(op), (int)CONV_IB(handle), (const char*)CONV_SFB(a1),
                             (const char*)CONV_SFB(a2), (const char*)CONV_SFB(a3));
    /* A failure of the glue itself is still a RESULT: S.FAILED and INTERNAL. */
    STORE_VBS(result, all ? all : "3\036" "99\036INTERNAL\036the library could not be called (out of memory?)");
    free(all);
    (void)dp;
    return result;
}
