/* sgx_reject_reasons: hand-written cases (whole rejection, per-row reasons, duplicates, indexes
 * out of range), then random classifications checked against the naive per-row scan the
 * dispatcher used before (the reference model: for each row, the first listing of it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pipeline/reject.h"

/* The reference: O(rows × listed), obviously right. */
static size_t naive(const sgx_classification_t *c, size_t n, const char **why)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        bool rejected = c->verdict == SGX_CLS_REJECTED;
        why[i] = rejected ? c->reason : NULL;
        for (uint32_t k = 0; !rejected && k < c->nrejected; k++) {
            rejected = c->rejected_idx[k] == i;
            if (rejected) {
                why[i] = c->row_reasons && c->row_reasons[k] ? c->row_reasons[k] : c->reason;
            }
        }
        bad += rejected;
    }
    return bad;
}

static void test_whole_batch(void **state)
{
    (void)state;
    uint32_t idx[] = {1};
    char *rr[] = {"row"};
    sgx_classification_t c = {.verdict = SGX_CLS_REJECTED, .reason = "all", .nrejected = 1,
                              .rejected_idx = idx, .row_reasons = rr};
    const char *why[4];
    assert_int_equal(sgx_reject_reasons(&c, 4, why), 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(why[i], "all");
    }
}

static void test_partial_reasons(void **state)
{
    (void)state;
    /* unsorted, a duplicate (first listing wins), one past the end, a NULL reason */
    uint32_t idx[] = {4, 0, 9, 4, 2};
    char *rr[] = {"r4", NULL, "r9", "r4-again", "r2"};
    sgx_classification_t c = {.verdict = SGX_CLS_PARTIAL, .reason = "batch", .nrejected = 5,
                              .rejected_idx = idx, .row_reasons = rr};
    const char *why[6];
    assert_int_equal(sgx_reject_reasons(&c, 6, why), 3);
    assert_string_equal(why[0], "batch");
    assert_null(why[1]);
    assert_string_equal(why[2], "r2");
    assert_null(why[3]);
    assert_string_equal(why[4], "r4");
    assert_null(why[5]);
    c.row_reasons = NULL;
    assert_int_equal(sgx_reject_reasons(&c, 6, why), 3);
    assert_string_equal(why[4], "batch");
    c.nrejected = 0;
    assert_int_equal(sgx_reject_reasons(&c, 6, why), 0);
    for (int i = 0; i < 6; i++) {
        assert_null(why[i]);
    }
}

static void test_random_against_naive(void **state)
{
    (void)state;
    srand(42);
    static char names[64][8];
    for (int i = 0; i < 64; i++) {
        snprintf(names[i], sizeof names[i], "r%d", i);
    }
    for (int round = 0; round < 500; round++) {
        size_t n = (size_t)(rand() % 300);
        uint32_t k = (uint32_t)(rand() % 200);
        uint32_t *idx = malloc((k ? k : 1) * sizeof *idx);
        char **rr = malloc((k ? k : 1) * sizeof *rr);
        for (uint32_t j = 0; j < k; j++) {
            idx[j] = (uint32_t)(rand() % (int)(n + 5)); /* some out of range, some repeated */
            rr[j] = rand() % 4 ? names[rand() % 64] : NULL;
        }
        sgx_classification_t c = {.verdict = rand() % 10 ? SGX_CLS_PARTIAL : SGX_CLS_REJECTED,
                                  .reason = "batch", .nrejected = k, .rejected_idx = idx,
                                  .row_reasons = rand() % 5 ? rr : NULL};
        const char **got = malloc((n ? n : 1) * sizeof *got);
        const char **want = malloc((n ? n : 1) * sizeof *want);
        assert_int_equal(sgx_reject_reasons(&c, n, got), naive(&c, n, want));
        for (size_t i = 0; i < n; i++) {
            assert_ptr_equal(got[i], want[i]);
        }
        free(got);
        free(want);
        free(idx);
        free(rr);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_batch),
        cmocka_unit_test(test_partial_reasons),
        cmocka_unit_test(test_random_against_naive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
