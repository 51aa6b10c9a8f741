/* Dead-lettering a rejected batch: which rows a PARTIAL verdict rejects, for a 100,000-row
 * Microsoft Advertising batch whose result file rejects many rows. "before" is the per-row
 * scan of the rejected list the dispatcher used to run (O(rows × rejected), the dispatcher
 * thread stalled meanwhile); "after" is sgx_reject_reasons' sort-and-walk. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "base/mem.h"
#include "pipeline/reject.h"

static size_t scan_before(const sgx_classification_t *c, size_t n, const char **why)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        why[i] = NULL;
        for (uint32_t k = 0; k < c->nrejected; k++) {
            if (c->rejected_idx[k] == i) {
                why[i] = c->row_reasons[k] ? c->row_reasons[k] : c->reason;
                bad++;
                break;
            }
        }
    }
    return bad;
}

void sgx_bench_reject(size_t rows, size_t rejected, int runs)
{
    sgx_classification_t c = {.verdict = SGX_CLS_PARTIAL, .reason = "msads_result",
                              .nrejected = (uint32_t)rejected};
    c.rejected_idx = sgx_malloc(rejected * sizeof *c.rejected_idx);
    c.row_reasons = sgx_malloc(rejected * sizeof *c.row_reasons);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t k = 0; k < rejected; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        c.rejected_idx[k] = (uint32_t)(x % rows); /* result files list rows in any order */
        c.row_reasons[k] = "msads_row_error code=8004 EmailMustBeHashed";
    }
    const char **why = sgx_malloc(rows * sizeof *why);
    double before[16], after[16];
    runs = runs < 1 ? 1 : runs > 16 ? 16 : runs;
    size_t b0 = 0, b1 = 0;
    for (int r = 0; r < runs; r++) {
        double t = sgx_bench_now();
        b0 = scan_before(&c, rows, why);
        before[r] = sgx_bench_now() - t;
        t = sgx_bench_now();
        b1 = sgx_reject_reasons(&c, rows, why);
        after[r] = sgx_bench_now() - t;
    }
    fprintf(stderr, "reject: %zu rows, %zu listed, %zu distinct rejected (before %zu)\n", rows,
            rejected, b1, b0);
    printf("RESULT stage=reject rows=%zu rejected=%zu before_ms=%.1f after_ms=%.2f%s\n", rows,
           rejected, sgx_bench_median(before, (size_t)runs) * 1e3,
           sgx_bench_median(after, (size_t)runs) * 1e3, b0 == b1 ? "" : " error=mismatch");
    sgx_free(why);
    sgx_free(c.rejected_idx);
    sgx_free(c.row_reasons);
}
