/* Oldest-first choice of due batches: with fewer free slots than due batches, the first slots
 * go to the batches open longest, whatever their place in the active list; with enough slots
 * the order is left alone; both the few-slots selection and the sorting path agree with a
 * reference (a full sort) on random inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/sched.h"

static void test_oldest_take_the_free_slots(void **state)
{
    (void)state;
    /* The active list order: audience 0 first, the oldest batch (audience 7, EXIT) last. */
    sgx_due_t due[] = {{.since = 500, .aud = 0, .op = 0}, {.since = 300, .aud = 3, .op = 0},
                       {.since = 900, .aud = 5, .op = 1}, {.since = 100, .aud = 7, .op = 1}};
    sgx_sched_oldest_first(due, 4, 2);
    assert_int_equal(due[0].aud, 7);
    assert_int_equal(due[0].op, 1);
    assert_int_equal(due[1].aud, 3);
}

static void test_enough_slots_keeps_the_order(void **state)
{
    (void)state;
    sgx_due_t due[] = {{.since = 500, .aud = 0}, {.since = 100, .aud = 1}};
    sgx_sched_oldest_first(due, 2, 2);
    assert_int_equal(due[0].aud, 0);
    assert_int_equal(due[1].aud, 1);
}

static void test_ties_are_deterministic(void **state)
{
    (void)state;
    sgx_due_t due[] = {{.since = 7, .aud = 4, .op = 1}, {.since = 7, .aud = 4, .op = 0},
                       {.since = 7, .aud = 2, .op = 1}};
    sgx_sched_oldest_first(due, 3, 1);
    assert_int_equal(due[0].aud, 2);
    sgx_sched_oldest_first(due + 1, 2, 1);
    assert_int_equal(due[1].aud, 4);
    assert_int_equal(due[1].op, 0); /* ENTER before EXIT of the same age */
}

static int ref_cmp(const void *a, const void *b)
{
    const sgx_due_t *x = a, *y = b;
    if (x->since != y->since) {
        return x->since < y->since ? -1 : 1;
    }
    if (x->aud != y->aud) {
        return x->aud < y->aud ? -1 : 1;
    }
    return (x->op > y->op) - (x->op < y->op);
}

/* Both paths (selection for <= 16 slots, sorting above) against a full sort. */
static void test_matches_a_full_sort(void **state)
{
    (void)state;
    enum { N = 300 };
    static sgx_due_t a[N], ref[N];
    srand(11);
    static const size_t slot_cases[] = {1, 2, 5, 16, 17, 64, N - 1};
    for (size_t c = 0; c < sizeof slot_cases / sizeof slot_cases[0]; c++) {
        for (size_t i = 0; i < N; i++) {
            a[i] = (sgx_due_t){.since = rand() % 50, .aud = (uint32_t)(i / 2),
                               .op = (uint8_t)(i % 2)};
        }
        memcpy(ref, a, sizeof a);
        qsort(ref, N, sizeof *ref, ref_cmp);
        sgx_sched_oldest_first(a, N, slot_cases[c]);
        for (size_t i = 0; i < slot_cases[c]; i++) {
            assert_int_equal(a[i].since, ref[i].since);
            assert_int_equal(a[i].aud, ref[i].aud);
            assert_int_equal(a[i].op, ref[i].op);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oldest_take_the_free_slots),
        cmocka_unit_test(test_enough_slots_keeps_the_order),
        cmocka_unit_test(test_ties_are_deterministic),
        cmocka_unit_test(test_matches_a_full_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
