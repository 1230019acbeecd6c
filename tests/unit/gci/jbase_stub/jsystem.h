/* jsystem.h — a TEST STUB of the few jBASE macros mvsmtp_jbase.c uses (CONV_SFB, CONV_IB,
 * STORE_VBS), so the glue's logic is compiled and exercised without a jBASE installation.
 * The real header comes with jBASE; nothing here is jBASE's code. */
#ifndef MVSMTP_TEST_JSYSTEM_H
#define MVSMTP_TEST_JSYSTEM_H
#ifdef __cplusplus
extern "C" {
#endif
typedef struct VAR {
    char* text;   /* owned; NUL-terminated */
    long number;
} VAR;
typedef struct DPSTRUCT DPSTRUCT;
void jbase_stub_store(VAR* var, const char* text);
#define CONV_SFB(v) ((v)->text)
#define CONV_IB(v) ((v)->number)
#define STORE_VBS(v, s) jbase_stub_store((v), (s))
#ifdef __cplusplus
}
#endif
#endif
