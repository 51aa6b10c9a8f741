/* Normalization stage: ns per value for each Meta key, EMAIL+PHONE rows normalized and hashed
 * per second, and a full 13-key hashed Meta row (issue target: under 1.5 us on one core).
 * Inputs are prepared up front from a pool of varied, realistic values (mixed case, padding,
 * national phone formats, accents), so only sgx_normalize and hashing are timed. */
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "codecs/hash.h"
#include "codecs/normalize.h"

#define POOL 1024
#define MAX_RUNS 64
#define VAL_MAX 64

static const sgx_key_t row_keys[] = {
    SGX_KEY_EMAIL, SGX_KEY_PHONE, SGX_KEY_FN,   SGX_KEY_LN, SGX_KEY_FI,  SGX_KEY_GEN,
    SGX_KEY_DOBY,  SGX_KEY_DOBM,  SGX_KEY_DOBD, SGX_KEY_CT, SGX_KEY_ST,  SGX_KEY_ZIP,
    SGX_KEY_COUNTRY,
};
#define ROW_KEYS (sizeof row_keys / sizeof row_keys[0])

typedef struct {
    char v[SGX_KEY__COUNT][POOL][VAL_MAX];
    size_t len[SGX_KEY__COUNT][POOL];
} pool_t;

#include <stdarg.h>

__attribute__((format(printf, 4, 5))) static void put(pool_t *p, sgx_key_t k, size_t i,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->v[k][i], VAL_MAX, fmt, ap);
    va_end(ap);
    p->len[k][i] = n > 0 ? (size_t)n : 0;
}

static void fill(pool_t *p)
{
    static const char *const fn[] = {"John", "  MARY-JANE ", "Jos\xc3\xa9", "Zo\xc3\xab"};
    static const char *const ct[] = {"New York", "San Francisco", "St. Louis", "M\xc3\xbcnchen"};
    static const char *const st[] = {"California", "NY", "Texas", "new york"};
    static const char *const gen[] = {"M", "female", "f", "Male"};
    for (size_t i = 0; i < POOL; i++) {
        put(p, SGX_KEY_EMAIL, i, " User.%zu+tag%zu@Example.COM ", i, i % 7);
        put(p, SGX_KEY_PHONE, i, "(415) 555-%02zu%02zu", i % 100, i / 100);
        put(p, SGX_KEY_FN, i, "%s", fn[i % 4]);
        put(p, SGX_KEY_LN, i, "%s", (i & 1) ? "O'Brien" : "M\xc3\xbcller");
        put(p, SGX_KEY_FI, i, "%s", fn[i % 4]);
        put(p, SGX_KEY_GEN, i, "%s", gen[i % 4]);
        put(p, SGX_KEY_DOBY, i, "19%02zu-07-%02zu", 50 + i % 50, 1 + i % 28);
        memcpy(p->v[SGX_KEY_DOBM][i], p->v[SGX_KEY_DOBY][i], VAL_MAX);
        memcpy(p->v[SGX_KEY_DOBD][i], p->v[SGX_KEY_DOBY][i], VAL_MAX);
        p->len[SGX_KEY_DOBM][i] = p->len[SGX_KEY_DOBD][i] = p->len[SGX_KEY_DOBY][i];
        put(p, SGX_KEY_CT, i, "%s", ct[i % 4]);
        put(p, SGX_KEY_ST, i, "%s", st[i % 4]);
        put(p, SGX_KEY_ZIP, i, "9%04zu-%04zu", i, i);
        put(p, SGX_KEY_COUNTRY, i, "%s", (i & 1) ? "United States" : "US");
        put(p, SGX_KEY_MADID, i, "AEBE52E7-03EE-455A-B3C4-E572839%05zu", i);
        put(p, SGX_KEY_EXTERN_ID, i, " user-%zu ", i);
    }
}

static const sgx_norm_ctx_t ctx = {"us", 2, "us"};

/* Normalizes (and, when hasher is set, hashes) keys[0..nkeys) of row i, as rowbuild does with
 * a whole row: every key normalized into its own buffer, then the hashed ones digested together
 * (sgx_hasher_sha256_many interleaves two digests at a time). Returns a checksum so the work
 * cannot be optimized away. */
static size_t do_row(const pool_t *p, const sgx_key_t *keys, size_t nkeys, size_t i,
                     sgx_hasher_t *hasher)
{
    char out[SGX_KEY__COUNT][SGX_NORM_MAX + 1];
    const void *data[SGX_KEY__COUNT];
    size_t len[SGX_KEY__COUNT], nhash = 0, sum = 0;
    unsigned char md[SGX_KEY__COUNT][SGX_SHA256_LEN];
    for (size_t k = 0; k < nkeys; k++) {
        size_t n = 0;
        bool pre;
        sgx_key_t key = keys[k];
        if (sgx_normalize(SGX_DEST_FACEBOOK, key, p->v[key][i % POOL], p->len[key][i % POOL],
                          &ctx, out[k], sizeof out[k], &n, &pre) != SGX_DROP_NONE) {
            continue;
        }
        sum += n;
        if (hasher && !pre && sgx_key_hashed(SGX_DEST_FACEBOOK, key)) {
            data[nhash] = out[k];
            len[nhash++] = n;
        }
    }
    if (nhash > 0 && sgx_hasher_sha256_many(hasher, nhash, data, len, md) == SGX_OK) {
        sum += md[0][0] + md[nhash - 1][0];
    }
    return sum;
}

/* Median seconds per row over runs. */
static double time_rows(const pool_t *p, const sgx_key_t *keys, size_t nkeys, size_t n, int runs,
                        sgx_hasher_t *hasher, size_t *sink)
{
    double t[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        double t0 = sgx_bench_now();
        for (size_t i = 0; i < n; i++) {
            *sink += do_row(p, keys, nkeys, i, hasher);
        }
        t[r] = (sgx_bench_now() - t0) / (double)n;
    }
    return sgx_bench_median(t, (size_t)runs);
}

void sgx_bench_normalize(size_t n, int runs)
{
    static pool_t pool; /* 1 MiB of inputs: too big for the stack, read-only once filled */
    static const sgx_key_t email_phone[] = {SGX_KEY_EMAIL, SGX_KEY_PHONE};
    sgx_hasher_t *hasher = NULL;
    size_t sink = 0;
    runs = runs < 1 ? 1 : runs > MAX_RUNS ? MAX_RUNS : runs;
    n = n ? n : 1;
    fill(&pool);
    if (sgx_hasher_new(&hasher) != SGX_OK) {
        printf("RESULT stage=normalize error=no_sha256\n");
        return;
    }
    for (int k = 0; k < SGX_KEY__COUNT; k++) {
        if (!sgx_key_accepted(SGX_DEST_FACEBOOK, (sgx_key_t)k)) {
            continue;
        }
        sgx_key_t key = (sgx_key_t)k;
        double s = time_rows(&pool, &key, 1, n, runs, NULL, &sink);
        printf("RESULT stage=normalize_%s ns_per_value=%.1f\n", sgx_key_name(key), s * 1e9);
    }
    double s = time_rows(&pool, email_phone, 2, n, runs, hasher, &sink);
    printf("RESULT stage=normalize_hash events_per_s=%.0f\n", 1.0 / s);
    s = time_rows(&pool, row_keys, ROW_KEYS, n, runs, hasher, &sink);
    printf("RESULT stage=meta_row_13 ns_per_row=%.1f\n", s * 1e9);
    s = time_rows(&pool, row_keys, ROW_KEYS, n, runs, NULL, &sink);
    printf("RESULT stage=meta_row_13_normalize ns_per_row=%.1f\n", s * 1e9);
    if (sgx_hasher_accel(hasher, false) != true) { /* the portable (EVP) path, for comparison */
        s = time_rows(&pool, row_keys, ROW_KEYS, n, runs, hasher, &sink);
        printf("RESULT stage=meta_row_13_evp ns_per_row=%.1f\n", s * 1e9);
    }
    fprintf(stderr, "(checksum %zu)\n", sink);
    sgx_hasher_destroy(hasher);
}
