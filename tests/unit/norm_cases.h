/* Table-driven helper shared by the test_normalize_*.c files (header-only: each test is its
 * own executable). Inputs are string literals so embedded NULs keep their length (B()). */
#ifndef SGX_TEST_NORM_CASES_H
#define SGX_TEST_NORM_CASES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "codecs/normalize.h"

#define B(s) s, sizeof(s) - 1

typedef struct {
    sgx_dest_kind_t dest;
    sgx_key_t key;
    const char *in;
    size_t len;
    const char *country;         /* profile country as given, or NULL */
    const char *default_country; /* destination default, or NULL */
    sgx_drop_t want;
    const char *out; /* expected output when want == SGX_DROP_NONE */
    int prehashed;   /* expected *prehashed */
} norm_case_t;

/* Runs every case and reports all mismatches before failing, by table index (test inputs are
 * synthetic, so printing the expectation is fine). */
static inline void norm_run_cases(const norm_case_t *c, size_t n, const char *table)
{
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        char out[SGX_NORM_MAX + 1];
        size_t out_len = 0;
        bool pre = false;
        sgx_norm_ctx_t ctx = {c[i].country, c[i].country ? strlen(c[i].country) : 0,
                              c[i].default_country};
        sgx_drop_t r = sgx_normalize(c[i].dest, c[i].key, c[i].in, c[i].len, &ctx, out,
                                     sizeof out, &out_len, &pre);
        bool ok = r == c[i].want;
        if (ok && r == SGX_DROP_NONE) {
            ok = out_len == strlen(c[i].out) && memcmp(out, c[i].out, out_len) == 0 &&
                 out[out_len] == '\0' && pre == (c[i].prehashed != 0);
        }
        if (!ok) {
            failures++;
            fprintf(stderr, "%s[%zu] key=%s: want %s \"%s\" pre=%d, got %s \"%s\" pre=%d\n",
                    table, i, sgx_key_name(c[i].key), sgx_drop_str(c[i].want),
                    c[i].out ? c[i].out : "", c[i].prehashed, sgx_drop_str(r),
                    r == SGX_DROP_NONE ? out : "", (int)pre);
        }
    }
    if (failures) {
        fail_msg("%s: %d of %zu cases failed", table, failures, n);
    }
}

#define RUN_TABLE(t) norm_run_cases(t, sizeof(t) / sizeof((t)[0]), #t)

#endif
