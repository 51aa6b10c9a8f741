#include "pipeline/reject.h"

#include <stdlib.h>

#include "base/mem.h"

typedef struct {
    uint32_t row;
    uint32_t k; /* position in rejected_idx: the first listing wins */
} listed_t;

static int cmp_listed(const void *a, const void *b)
{
    const listed_t *x = a, *y = b;
    if (x->row != y->row) {
        return x->row < y->row ? -1 : 1;
    }
    return x->k < y->k ? -1 : x->k > y->k;
}

static const char *reason_of(const sgx_classification_t *c, uint32_t k)
{
    return c->row_reasons && c->row_reasons[k] ? c->row_reasons[k] : c->reason;
}

size_t sgx_reject_reasons(const sgx_classification_t *c, size_t nrows, const char **why)
{
    if (c->verdict == SGX_CLS_REJECTED) {
        for (size_t i = 0; i < nrows; i++) {
            why[i] = c->reason;
        }
        return nrows;
    }
    for (size_t i = 0; i < nrows; i++) {
        why[i] = NULL;
    }
    if (c->nrejected == 0 || !c->rejected_idx) {
        return 0;
    }
    /* Sort the listings once, then one walk: each row is visited at most once. */
    listed_t *l = sgx_malloc(c->nrejected * sizeof *l);
    for (uint32_t k = 0; k < c->nrejected; k++) {
        l[k] = (listed_t){.row = c->rejected_idx[k], .k = k};
    }
    qsort(l, c->nrejected, sizeof *l, cmp_listed);
    size_t bad = 0;
    for (uint32_t k = 0; k < c->nrejected && l[k].row < nrows; k++) {
        if (k > 0 && l[k].row == l[k - 1].row) {
            continue; /* listed again: the first listing's reason stands */
        }
        why[l[k].row] = reason_of(c, l[k].k);
        bad++;
    }
    sgx_free(l);
    return bad;
}
