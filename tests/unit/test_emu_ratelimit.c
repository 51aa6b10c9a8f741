/* The emulators' sliding-window limit (emulators/ratelimit.c), on a clock the test drives:
 * the limit holds in every window, refused calls do not count, calls come back one by one as
 * the oldest leave the window, and usage/regain report what a client reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "emulators/ratelimit.h"

static void test_limit_and_roll(void **state)
{
    (void)state;
    sgx_emu_rl_t rl;
    sgx_emu_rl_init(&rl, 3, 1000);
    assert_true(sgx_emu_rl_take(&rl, 0));
    assert_true(sgx_emu_rl_take(&rl, 100));
    assert_int_equal(sgx_emu_rl_pct(&rl, 100), 66);
    assert_true(sgx_emu_rl_take(&rl, 200));
    assert_int_equal(sgx_emu_rl_pct(&rl, 200), 100);
    assert_false(sgx_emu_rl_take(&rl, 500));       /* full: refused, not counted */
    assert_int_equal(sgx_emu_rl_used(&rl, 500), 3);
    assert_int_equal(sgx_emu_rl_regain_ms(&rl, 500), 500); /* the call at 0 leaves at 1000 */
    assert_false(sgx_emu_rl_take(&rl, 999));
    assert_true(sgx_emu_rl_take(&rl, 1000));        /* rolling: one slot back, not all */
    assert_false(sgx_emu_rl_take(&rl, 1000));
    assert_int_equal(sgx_emu_rl_regain_ms(&rl, 1000), 100);
    assert_int_equal(sgx_emu_rl_used(&rl, 2200), 0);
    assert_int_equal(sgx_emu_rl_regain_ms(&rl, 2200), 0);
    sgx_emu_rl_free(&rl);
    sgx_emu_rl_free(NULL);
}

/* A steady client at 10 calls per 100 ms against 50 per second: in every window of the run no
 * more than 50 are admitted, and admitted + refused = offered. */
static void test_every_window_holds(void **state)
{
    (void)state;
    sgx_emu_rl_t rl;
    sgx_emu_rl_init(&rl, 50, 1000);
    static int64_t admitted[2000];
    int na = 0, refused = 0;
    for (int64_t t = 0; t < 10000; t += 10) {
        if (sgx_emu_rl_take(&rl, t)) {
            admitted[na++] = t;
        } else {
            refused++;
        }
    }
    assert_int_equal(na + refused, 1000);
    assert_int_equal(na, 500); /* exactly the allowance: 50 per second for 10 s */
    for (int i = 50; i < na; i++) {
        assert_true(admitted[i] - admitted[i - 50] >= 1000);
    }
    sgx_emu_rl_free(&rl);
}

static void test_unlimited(void **state)
{
    (void)state;
    sgx_emu_rl_t rl;
    sgx_emu_rl_init(&rl, 0, 1000);
    for (int i = 0; i < 1000; i++) {
        assert_true(sgx_emu_rl_take(&rl, 0));
    }
    assert_int_equal(sgx_emu_rl_pct(&rl, 0), 0);
    assert_int_equal(sgx_emu_rl_regain_ms(&rl, 0), 0);
    sgx_emu_rl_free(&rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_and_roll),
        cmocka_unit_test(test_every_window_holds),
        cmocka_unit_test(test_unlimited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
