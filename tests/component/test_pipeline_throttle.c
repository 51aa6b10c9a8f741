/* The destination pushes back: Meta throttles (codes 17 and 80003) and then fails with 5xx.
 * Delivery slows down (retries, throttled counters) but nothing is lost: audiences exact,
 * offsets committed. Each fault is injected before a round of production, so the round cannot
 * finish until its requests have gone through the faults: no timing assumptions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "base/log.h"
#include "tests/testkit/testkit.h"

#define FAULTS 4
#define ROUND_EVENTS 6000

typedef struct {
    sgx_emu_fault_kind_t kind;
    int code;
} fault_t;

/* One round: inject, produce a new batch of events, wait until all of it is final. */
static void round_with_fault(sgx_testkit_t *t, const fault_t *f, unsigned seed)
{
    sgx_emu_fb_stats_t before, after;
    sgx_emu_fb_stats(t->env.fb, &before);
    sgx_emu_fb_inject(t->env.fb, f->kind, FAULTS, f->code, 0); /* regain access: 0 minutes */
    t->o.seed = seed;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_start_gen(t, false, errbuf)) {
        fail_msg("generator: %s", errbuf);
    }
    sgx_testkit_join_gen(t);
    assert_true(sgx_testkit_wait_final(t, 0, 60000));
    sgx_emu_fb_stats(t->env.fb, &after);
    if (f->kind == SGX_EMU_FAULT_THROTTLE) {
        assert_int_equal(after.throttled - before.throttled, FAULTS);
    } else {
        assert_int_equal(after.failed_5xx - before.failed_5xx, FAULTS);
    }
}

static void test_throttle_and_5xx_lose_nothing(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_ERROR);
    sgx_demo_opts_t o = {.events = ROUND_EVENTS, .profiles = 2000, .segments = 10,
                         .partitions = 4, .bad = 12, .seed = 11};
    sgx_testkit_knobs_t k = {.retry_base_ms = 20, .retry_cap_ms = 500};
    sgx_testkit_t t;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_up(&t, &o, &k, errbuf) || sgx_testkit_start_pipeline(&t, errbuf)) {
        sgx_testkit_down(&t);
        fail_msg("setup: %s", errbuf);
    }
    static const fault_t faults[] = {
        {SGX_EMU_FAULT_THROTTLE, 17},
        {SGX_EMU_FAULT_THROTTLE, 80003},
        {SGX_EMU_FAULT_5XX, 503},
    };
    for (unsigned r = 0; r < 3; r++) {
        round_with_fault(&t, &faults[r], 100 + r);
    }
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    sgx_pipeline_stop(t.pipe, true);
    const sgx_dest_stats_t *d = &st->dest[0];
    /* Every fault was answered by a retry; the throttles were recognised as such. */
    assert_true(SGX_GET(d->retries) >= 3 * FAULTS);
    assert_true(SGX_GET(d->throttled) >= 2 * FAULTS);
    assert_int_equal(SGX_GET(d->rows_rejected), 0);
    assert_int_equal(SGX_GET(st->dead_lettered), t.truth.expected_dlq);
    assert_int_equal(atomic_load(&t.truth.produced), 3 * (ROUND_EVENTS + o.bad));

    char report[256];
    bool aud_ok = sgx_testkit_audiences(&t, report, sizeof report);
    int64_t committed = 0, end = 0;
    bool commits_ok = sgx_testkit_committed(&t, t.env.topic, o.partitions, &committed, &end);
    print_message("audiences: %s; committed %lld of %lld; retries %llu throttled %llu\n",
                  report, (long long)committed, (long long)end,
                  (unsigned long long)SGX_GET(d->retries),
                  (unsigned long long)SGX_GET(d->throttled));
    sgx_testkit_down(&t);
    assert_true(aud_ok);
    assert_true(commits_ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_throttle_and_5xx_lose_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
