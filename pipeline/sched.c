/* Oldest-first choice of due batches (sched.h). */
#include "pipeline/sched.h"

#include <stdlib.h>

static int older(const sgx_due_t *x, const sgx_due_t *y)
{
    if (x->since != y->since) {
        return x->since < y->since ? -1 : 1;
    }
    if (x->aud != y->aud) {
        return x->aud < y->aud ? -1 : 1;
    }
    return (x->op > y->op) - (x->op < y->op);
}

static int cmp(const void *a, const void *b)
{
    return older(a, b);
}

void sgx_sched_oldest_first(sgx_due_t *due, size_t n, size_t slots)
{
    if (slots >= n) {
        return;
    }
    if (slots > 16) {
        qsort(due, n, sizeof *due, cmp);
        return;
    }
    /* Few slots (the usual case: a destination with a handful of connections): selecting
     * them is O(n * slots), cheaper than sorting every due audience each time one frees. */
    for (size_t i = 0; i < slots; i++) {
        size_t best = i;
        for (size_t j = i + 1; j < n; j++) {
            if (older(&due[j], &due[best]) < 0) {
                best = j;
            }
        }
        sgx_due_t t = due[i];
        due[i] = due[best];
        due[best] = t;
    }
}
