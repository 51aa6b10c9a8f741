/* Backoff: bounds and cap over many attempts, the window really doubling, jitter really
 * spread, and the generator deterministic per seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/backoff.h"

static int64_t expected_window(int attempt, int64_t base, int64_t cap)
{
    int64_t w = base;
    for (int i = 0; i < attempt && w < cap; i++) {
        w = w > cap / 2 ? cap : w * 2;
    }
    return w < cap ? w : cap;
}

static void test_bounds_and_cap(void **state)
{
    (void)state;
    uint64_t s = 42;
    static const int64_t bases[] = {1, 100, 250, 1000};
    static const int64_t caps[] = {1, 1000, 60000, INT64_MAX};
    for (size_t b = 0; b < 4; b++) {
        for (size_t c = 0; c < 4; c++) {
            for (int a = 0; a <= 100; a++) {
                int64_t w = expected_window(a, bases[b], caps[c]);
                int64_t max_seen = 0;
                for (int k = 0; k < 200; k++) {
                    int64_t d = sgx_backoff_ms(a, bases[b], caps[c], &s);
                    assert_true(d >= 0);
                    assert_true(d <= w);
                    max_seen = d > max_seen ? d : max_seen;
                }
                /* The draw uses the whole window: the max of 200 draws is near its top. */
                assert_true(max_seen >= w - w / 10 - 1);
            }
        }
    }
}

static void test_huge_attempts_and_degenerate_inputs(void **state)
{
    (void)state;
    uint64_t s = 7;
    static const int attempts[] = {62, 63, 64, 65, 200, 1000, 1 << 30};
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        for (int k = 0; k < 100; k++) {
            int64_t d = sgx_backoff_ms(attempts[i], 500, 30000, &s);
            assert_true(d >= 0 && d <= 30000);
            d = sgx_backoff_ms(attempts[i], INT64_MAX, INT64_MAX, &s);
            assert_true(d >= 0);
        }
    }
    assert_int_equal(sgx_backoff_ms(5, 0, 1000, &s), 0);
    assert_int_equal(sgx_backoff_ms(5, -3, 1000, &s), 0);
    assert_int_equal(sgx_backoff_ms(5, 100, 0, &s), 0);
    assert_int_equal(sgx_backoff_ms(5, 100, -1, &s), 0);
    int seen[3] = {0, 0, 0}; /* the window's top is included: [0, 2] for base 1, attempt 1 */
    for (int k = 0; k < 300; k++) {
        int64_t d = sgx_backoff_ms(1, 1, 1000, &s);
        assert_in_range(d, 0, 2);
        seen[d]++;
    }
    assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
    for (int k = 0; k < 100; k++) { /* negative attempt behaves like attempt 0 */
        int64_t d = sgx_backoff_ms(-4, 100, 1000, &s);
        assert_true(d >= 0 && d <= 100);
    }
}

/* Mean of many draws is about half the window, per attempt: checks both the doubling and that
 * the values are spread rather than constant. */
static void test_distribution(void **state)
{
    (void)state;
    uint64_t s = 0; /* seed 0 must work */
    for (int a = 0; a <= 8; a++) {
        const int n = 20000;
        int64_t w = expected_window(a, 100, 20000);
        double sum = 0;
        int64_t lo = INT64_MAX, hi = 0;
        int below_half = 0;
        for (int k = 0; k < n; k++) {
            int64_t d = sgx_backoff_ms(a, 100, 20000, &s);
            sum += (double)d;
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
            below_half += d * 2 < w;
        }
        double mean = sum / n;
        assert_true(mean > 0.45 * (double)w && mean < 0.55 * (double)w);
        assert_true(lo <= w / 50);
        assert_true(hi >= w - w / 50);
        assert_in_range(below_half, n * 45 / 100, n * 55 / 100);
    }
}

static void test_rng_deterministic_and_varied(void **state)
{
    (void)state;
    uint64_t a = 12345, b = 12345, c = 12346;
    bool differs = false;
    uint64_t prev = sgx_rand_next(&a);
    assert_int_equal(prev, sgx_rand_next(&b));
    int repeats = 0, ones = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t x = sgx_rand_next(&a);
        assert_int_equal(x, sgx_rand_next(&b));
        differs |= x != sgx_rand_next(&c);
        repeats += x == prev;
        ones += __builtin_popcountll(x);
        prev = x;
    }
    assert_true(differs);
    assert_int_equal(repeats, 0);
    assert_in_range(ones, 10000 * 31, 10000 * 33); /* about half the bits set */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds_and_cap),
        cmocka_unit_test(test_huge_attempts_and_degenerate_inputs),
        cmocka_unit_test(test_distribution),
        cmocka_unit_test(test_rng_deterministic_and_varied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
