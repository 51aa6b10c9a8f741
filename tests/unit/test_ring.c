/* Ring: single-threaded edge cases, then two-thread stress tests checking a strict sequence.
 * The stress tests run under TSan too (the build defines __SANITIZE_THREAD__), where they use
 * fewer items so that the suite stays fast. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/ring.h"

#if defined(__SANITIZE_THREAD__)
#define STRESS_N ((uintptr_t)1000000)
#else
#define STRESS_N ((uintptr_t)5000000)
#endif

#define P(i) ((void *)(uintptr_t)(i))
#define U(p) ((uintptr_t)(p))

static void test_capacity_rounding(void **state)
{
    (void)state;
    static const size_t cases[][2] = {{1, 1}, {2, 2}, {3, 4}, {5, 8}, {1000, 1024}, {1024, 1024},
                                      {1025, 2048}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sgx_ring_t *r = NULL;
        assert_int_equal(sgx_ring_new(cases[i][0], &r), SGX_OK);
        assert_int_equal(sgx_ring_capacity(r), cases[i][1]);
        assert_int_equal(sgx_ring_count(r), 0);
        sgx_ring_destroy(r);
    }
    sgx_ring_t *r = NULL;
    assert_int_equal(sgx_ring_new(0, &r), SGX_ERR_INVALID);
    assert_int_equal(sgx_ring_new(SGX_RING_MAX_CAPACITY + 1, &r), SGX_ERR_INVALID);
    assert_null(r);
    sgx_ring_destroy(NULL);
}

static void test_fifo_full_empty(void **state)
{
    (void)state;
    sgx_ring_t *r = NULL;
    assert_int_equal(sgx_ring_new(5, &r), SGX_OK); /* 8 slots, all usable */
    void *item = P(0xdead);
    assert_int_equal(sgx_ring_pop(r, &item), SGX_ERR_EMPTY);
    assert_ptr_equal(item, P(0xdead)); /* untouched when empty */
    for (uintptr_t i = 1; i <= 8; i++) {
        assert_int_equal(sgx_ring_push(r, P(i)), SGX_OK);
        assert_int_equal(sgx_ring_count(r), i);
    }
    assert_int_equal(sgx_ring_push(r, P(9)), SGX_ERR_FULL);
    assert_int_equal(sgx_ring_count(r), 8);
    for (uintptr_t i = 1; i <= 8; i++) {
        assert_int_equal(sgx_ring_pop(r, &item), SGX_OK);
        assert_int_equal(U(item), i);
    }
    assert_int_equal(sgx_ring_pop(r, &item), SGX_ERR_EMPTY);
    assert_int_equal(sgx_ring_count(r), 0);
    /* NULL is a valid item. */
    assert_int_equal(sgx_ring_push(r, NULL), SGX_OK);
    assert_int_equal(sgx_ring_pop(r, &item), SGX_OK);
    assert_null(item);
    sgx_ring_destroy(r);
}

/* Many laps with an odd stride so that every slot index and the wrap are exercised. */
static void test_wraparound(void **state)
{
    (void)state;
    sgx_ring_t *r = NULL;
    assert_int_equal(sgx_ring_new(4, &r), SGX_OK);
    uintptr_t in = 1, out = 1;
    for (int lap = 0; lap < 1000; lap++) {
        for (int k = 0; k < 3; k++) {
            assert_int_equal(sgx_ring_push(r, P(in++)), SGX_OK);
        }
        for (int k = 0; k < 3; k++) {
            void *item;
            assert_int_equal(sgx_ring_pop(r, &item), SGX_OK);
            assert_int_equal(U(item), out++);
        }
    }
    sgx_ring_destroy(r);
}

static void test_many_partial(void **state)
{
    (void)state;
    sgx_ring_t *r = NULL;
    assert_int_equal(sgx_ring_new(8, &r), SGX_OK);
    void *items[16], *got[16];
    for (uintptr_t i = 0; i < 16; i++) {
        items[i] = P(i + 1);
    }
    assert_int_equal(sgx_ring_push_many(r, items, 0), 0);
    assert_int_equal(sgx_ring_push_many(r, items, 6), 6);
    assert_int_equal(sgx_ring_pop_many(r, got, 4), 4); /* indices now 4..6 */
    for (uintptr_t i = 0; i < 4; i++) {
        assert_int_equal(U(got[i]), i + 1);
    }
    /* Room for 6 more, across the end of the array: only the prefix items[6..12) goes in. */
    assert_int_equal(sgx_ring_push_many(r, items + 6, 10), 6);
    assert_int_equal(sgx_ring_count(r), 8);
    assert_int_equal(sgx_ring_push_many(r, items, 1), 0);
    assert_int_equal(sgx_ring_pop_many(r, got, 16), 8);
    for (uintptr_t i = 0; i < 8; i++) {
        assert_int_equal(U(got[i]), i + 5);
    }
    assert_int_equal(sgx_ring_pop_many(r, got, 16), 0);
    /* Mixed single and bulk calls keep one order. */
    assert_int_equal(sgx_ring_push(r, P(100)), SGX_OK);
    assert_int_equal(sgx_ring_push_many(r, items, 3), 3);
    void *one;
    assert_int_equal(sgx_ring_pop(r, &one), SGX_OK);
    assert_int_equal(U(one), 100);
    assert_int_equal(sgx_ring_pop_many(r, got, 2), 2);
    assert_int_equal(U(got[0]), 1);
    assert_int_equal(U(got[1]), 2);
    assert_int_equal(sgx_ring_pop(r, &one), SGX_OK);
    assert_int_equal(U(one), 3);
    sgx_ring_destroy(r);
}

struct stress {
    sgx_ring_t *r;
    uintptr_t n;
    int batch; /* 0: single push/pop; else bulk calls of varying sizes up to batch */
};

static void *producer(void *arg)
{
    struct stress *s = arg;
    void *buf[64];
    uintptr_t next = 1;
    while (next <= s->n) {
        if (!s->batch) {
            if (sgx_ring_push(s->r, P(next)) == SGX_OK) {
                next++;
            } else {
                sched_yield();
            }
            continue;
        }
        size_t want = 1 + (size_t)(next % (uintptr_t)s->batch);
        if (want > s->n - next + 1) {
            want = (size_t)(s->n - next + 1);
        }
        for (size_t i = 0; i < want; i++) {
            buf[i] = P(next + i);
        }
        size_t k = sgx_ring_push_many(s->r, buf, want);
        next += k;
        if (k == 0) {
            sched_yield();
        }
    }
    return NULL;
}

/* Returns the first out-of-sequence item seen (0 if none); asserting here would be unsafe. */
static uintptr_t consume(struct stress *s)
{
    void *buf[64];
    uintptr_t expect = 1;
    while (expect <= s->n) {
        size_t k;
        if (!s->batch) {
            k = sgx_ring_pop(s->r, &buf[0]) == SGX_OK;
        } else {
            k = sgx_ring_pop_many(s->r, buf, 1 + (size_t)(expect % 37));
        }
        if (k == 0) {
            sched_yield();
        }
        for (size_t i = 0; i < k; i++, expect++) {
            if (U(buf[i]) != expect) {
                return U(buf[i]) ? U(buf[i]) : UINTPTR_MAX;
            }
        }
    }
    return 0;
}

static void run_stress(size_t capacity, int batch)
{
    struct stress s = {.n = STRESS_N, .batch = batch};
    assert_int_equal(sgx_ring_new(capacity, &s.r), SGX_OK);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, producer, &s), 0);
    uintptr_t bad = consume(&s);
    pthread_join(th, NULL);
    assert_int_equal(bad, 0);
    void *item;
    assert_int_equal(sgx_ring_pop(s.r, &item), SGX_ERR_EMPTY);
    sgx_ring_destroy(s.r);
}

static void test_stress_single(void **state)
{
    (void)state;
    run_stress(1024, 0);
}

/* A tiny ring keeps both sides hitting full and empty. */
static void test_stress_bulk_small(void **state)
{
    (void)state;
    run_stress(16, 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_rounding), cmocka_unit_test(test_fifo_full_empty),
        cmocka_unit_test(test_wraparound),        cmocka_unit_test(test_many_partial),
        cmocka_unit_test(test_stress_single),     cmocka_unit_test(test_stress_bulk_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
