/* The per-destination pacer (pipeline/pacer.c) on a clock the test drives: the operator's
 * floor holds, x-ratelimit-style quotas are spread over the time to the reset and a spent one
 * holds until it, a rolling usage is steered to the target, throttles back off (spacing and
 * concurrency), and recovery is gradual. The last test closes the loop against the emulators'
 * sliding-window limit: usage-paced calls use the allowance and are rarely refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "emulators/ratelimit.h"
#include "pipeline/pacer.h"

static void test_floor_and_defaults(void **state)
{
    (void)state;
    sgx_pacer_t p;
    sgx_pacer_init(&p, 240, 4, 0);
    assert_int_equal(sgx_pacer_next_start(&p), 0);
    assert_int_equal(sgx_pacer_inflight_cap(&p), 4);
    sgx_pacer_started(&p, 1000);
    assert_int_equal(sgx_pacer_next_start(&p), 1240);
    sgx_pacer_obs_t ok = {.latency_ms = 10};
    for (int i = 0; i < 100; i++) {
        sgx_pacer_observe(&p, &ok, 0, 1000);
    }
    assert_int_equal(sgx_pacer_next_start(&p), 1240); /* never under the operator's floor */
    assert_int_equal(sgx_pacer_inflight_cap(&p), 4);  /* nor over the ceiling */
}

static void test_quota_spread_and_hold(void **state)
{
    (void)state;
    sgx_pacer_t p;
    sgx_pacer_init(&p, 0, 4, 0);
    sgx_pacer_obs_t q = {.has_quota = true, .quota_remaining = 101, .quota_reset_ms = 50000,
                         .latency_ms = 5};
    sgx_pacer_observe(&p, &q, 1, 0); /* 101 left, one on its way: 100 over 49 s (whole s) */
    sgx_pacer_started(&p, 0);
    assert_int_equal(sgx_pacer_next_start(&p), 490);
    q.quota_remaining = 1;
    sgx_pacer_observe(&p, &q, 1, 2000); /* the last call is already on its way */
    assert_int_equal(sgx_pacer_next_start(&p), 52000);
    q.quota_remaining = 0;
    q.throttled = true;
    q.quota_reset_ms = 3000;
    sgx_pacer_observe(&p, &q, 0, 49000);
    assert_true(sgx_pacer_next_start(&p) >= 52000);
    q = (sgx_pacer_obs_t){.has_quota = true, .quota_remaining = 250, .quota_reset_ms = 60000};
    sgx_pacer_observe(&p, &q, 0, 52000); /* a new window: the hold is over */
    sgx_pacer_started(&p, 52000);
    assert_int_equal(sgx_pacer_next_start(&p), 52236); /* 59 s over 250 calls */
}

static void test_throttle_backs_off_and_recovers(void **state)
{
    (void)state;
    sgx_pacer_t p;
    sgx_pacer_init(&p, 0, 8, 0);
    sgx_pacer_started(&p, 0);
    assert_int_equal(sgx_pacer_next_start(&p), 0);
    sgx_pacer_obs_t t = {.throttled = true, .latency_ms = 5};
    sgx_pacer_observe(&p, &t, 0, 0);
    assert_int_equal(sgx_pacer_next_start(&p), 50);
    assert_int_equal(sgx_pacer_inflight_cap(&p), 4);
    sgx_pacer_observe(&p, &t, 0, 0);
    assert_int_equal(sgx_pacer_next_start(&p), 100);
    assert_int_equal(sgx_pacer_inflight_cap(&p), 2);
    sgx_pacer_obs_t ok = {.latency_ms = 5};
    sgx_pacer_observe(&p, &ok, 0, 0);
    assert_int_equal(sgx_pacer_next_start(&p), 90); /* a tenth less per answer */
    assert_int_equal(sgx_pacer_inflight_cap(&p), 2); /* + 1/cap: 2.5 */
    for (int i = 0; i < 200; i++) {
        sgx_pacer_observe(&p, &ok, 0, 0);
    }
    assert_int_equal(sgx_pacer_next_start(&p), 0);
    assert_int_equal(sgx_pacer_inflight_cap(&p), 8);
    sgx_pacer_obs_t slow = {.latency_ms = 20000};
    sgx_pacer_observe(&p, &slow, 0, 0); /* 4000x the fastest, over 10 s: a quarter less */
    assert_int_equal(sgx_pacer_inflight_cap(&p), 6);
}

/* A long throttled spell (system scenario 3: 30 s of code 17/80003, every answer throttled)
 * spaces requests by a second at most, and ~50 good answers bring it back under 10 ms: the
 * spacing used to double up to 60 s, and recovering from there took ten minutes. */
static void test_long_throttle_recovers_in_seconds(void **state)
{
    (void)state;
    sgx_pacer_t p;
    sgx_pacer_init(&p, 0, 4, 0);
    sgx_pacer_started(&p, 0);
    sgx_pacer_obs_t t = {.throttled = true, .latency_ms = 5};
    for (int i = 0; i < 300; i++) {
        sgx_pacer_observe(&p, &t, 0, 0);
    }
    assert_int_equal(sgx_pacer_next_start(&p), 1000);
    sgx_pacer_obs_t ok = {.latency_ms = 5};
    for (int i = 0; i < 50; i++) {
        sgx_pacer_observe(&p, &ok, 0, 0);
    }
    assert_true(sgx_pacer_next_start(&p) < 10);
}

static void test_usage_steers_to_target(void **state)
{
    (void)state;
    sgx_pacer_t p;
    sgx_pacer_init(&p, 0, 4, 0);
    sgx_pacer_obs_t u = {.has_usage = true, .usage_pct = 99};
    sgx_pacer_started(&p, 0);
    sgx_pacer_observe(&p, &u, 0, 0);
    int64_t a = sgx_pacer_next_start(&p);
    sgx_pacer_observe(&p, &u, 0, 0);
    int64_t b = sgx_pacer_next_start(&p);
    assert_true(a >= 1 && b > a);                 /* above the target: wider */
    assert_int_equal(sgx_pacer_inflight_cap(&p), 1); /* and read before more go out */
    u.usage_pct = SGX_PACER_USAGE_TARGET - 10; /* nearing it: two in flight */
    sgx_pacer_observe(&p, &u, 0, 0);
    assert_int_equal(sgx_pacer_inflight_cap(&p), 2);
    u.usage_pct = 50;
    sgx_pacer_observe(&p, &u, 0, 0);
    assert_true(sgx_pacer_next_start(&p) < b);    /* below: narrower */
    assert_int_equal(sgx_pacer_inflight_cap(&p), 4);
}

/* Known window: at the target nothing starts until the oldest own call leaves the window. */
static void test_usage_gate(void **state)
{
    (void)state;
    sgx_pacer_t p;
    sgx_pacer_init(&p, 0, 4, 10000);
    sgx_pacer_started(&p, 100);
    sgx_pacer_obs_t u = {.has_usage = true, .usage_pct = SGX_PACER_USAGE_TARGET};
    sgx_pacer_observe(&p, &u, 0, 150); /* one call of ours: the usage is others' */
    assert_int_equal(sgx_pacer_next_start(&p), 150 + 10000 / 64);
    for (int64_t t = 200; t < 1800; t += 100) {
        sgx_pacer_started(&p, t);
    }
    u.usage_pct = 50;
    sgx_pacer_observe(&p, &u, 0, 1800);
    assert_int_equal(sgx_pacer_next_start(&p), 1700); /* below the target: no spacing */
    u.usage_pct = SGX_PACER_USAGE_TARGET;
    sgx_pacer_observe(&p, &u, 0, 1800);
    assert_int_equal(sgx_pacer_next_start(&p), 10101); /* ours: the call at 100 leaves then */
    sgx_pacer_started(&p, 10101);
    sgx_pacer_observe(&p, &u, 0, 10150);
    assert_int_equal(sgx_pacer_next_start(&p), 10201);
}

/* Closed loop: one call in flight at a time, 20 ms round trip, against 200 calls per rolling
 * 10 s (20/s sustainable), the window known. Over 60 simulated seconds at least 95% of the
 * allowance is used and at most 1% of the calls are refused. */
static void test_usage_loop_against_window(void **state)
{
    (void)state;
    sgx_emu_rl_t rl;
    sgx_emu_rl_init(&rl, 200, 10000);
    sgx_pacer_t p;
    sgx_pacer_init(&p, 0, 4, 10000);
    int admitted = 0, refused = 0;
    for (int64_t now = 0; now < 60000;) {
        int64_t next = sgx_pacer_next_start(&p);
        now = next > now ? next : now;
        sgx_pacer_started(&p, now);
        bool ok = sgx_emu_rl_take(&rl, now);
        admitted += ok;
        refused += !ok;
        now += 20;
        sgx_pacer_obs_t o = {.throttled = !ok, .has_usage = true,
                             .usage_pct = ok ? sgx_emu_rl_pct(&rl, now) : 100,
                             .latency_ms = 20};
        sgx_pacer_observe(&p, &o, 0, now);
    }
    /* 60 s hold 6 windows of 200 calls. */
    assert_true(admitted * 100 >= 95 * 1200);
    assert_true(refused * 100 <= admitted + refused);
    sgx_emu_rl_free(&rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_floor_and_defaults),
        cmocka_unit_test(test_quota_spread_and_hold),
        cmocka_unit_test(test_throttle_backs_off_and_recovers),
        cmocka_unit_test(test_long_throttle_recovers_in_seconds),
        cmocka_unit_test(test_usage_steers_to_target),
        cmocka_unit_test(test_usage_gate),
        cmocka_unit_test(test_usage_loop_against_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
