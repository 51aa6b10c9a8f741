/* Rows of a revoked partition are cancelled, not sent later (issue 10 §2). Pipeline P1 holds a
 * round of flips behind Meta throttling (code 17 with a one-minute estimated_time_to_regain_access:
 * nothing is sent to Meta for a minute). P2 joins the group: the cooperative rebalance moves two
 * of the four partitions to P2, P1's revoke waits its bounded 10 s for their rows and gives them
 * up. P2 delivers that round and a newer one with flips of the same profiles on its partitions.
 * When P1's throttle ends, P1 may send only the rows of the partitions it still owns: sending the
 * revoked ones would overwrite P2's newer ops, and the audiences would stay wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "tests/testkit/testkit.h"

#define ROUND_EVENTS 4000
#define WAIT_MS 60000
#define THROTTLE_WAIT_MS 60000 /* one minute: Meta reports whole minutes */

static void round_of(sgx_testkit_t *t, unsigned seed)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    t->o.seed = seed;
    if (sgx_testkit_start_gen(t, false, errbuf)) {
        fail_msg("generator: %s", errbuf);
    }
    sgx_testkit_join_gen(t);
}

static uint64_t throttled(const sgx_testkit_t *t)
{
    sgx_emu_fb_stats_t st;
    sgx_emu_fb_stats(t->env.fb, &st);
    return st.throttled;
}

/* Waits until p consumed at least n records and made everything it consumed final. */
static bool wait_settled(sgx_pipeline_t *p, uint64_t n)
{
    sgx_stats_t *st = sgx_pipeline_stats(p);
    for (int64_t start = sgx_now_ms(); sgx_now_ms() - start < WAIT_MS; usleep(50000)) {
        uint64_t consumed = SGX_GET(st->consumed);
        if (consumed >= n && SGX_GET(st->done) == consumed && SGX_GET(st->inflight) == 0) {
            return true;
        }
    }
    return false;
}

static bool wait_exact(const sgx_testkit_t *t, int64_t ms, char *report, size_t cap)
{
    for (int64_t start = sgx_now_ms(); sgx_now_ms() - start < ms; usleep(200000)) {
        if (sgx_testkit_audiences(t, report, cap)) {
            return true;
        }
    }
    return false;
}

static void test_revoked_rows_are_not_sent_after_the_revoke(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_ERROR);
    sgx_demo_opts_t o = {.events = ROUND_EVENTS, .profiles = 800, .segments = 4,
                         .partitions = 4, .seed = 1};
    sgx_testkit_knobs_t k = {.retry_base_ms = 50, .retry_cap_ms = 300, .linger_ms = 20};
    sgx_testkit_t t;
    char errbuf[SGX_ERRBUF_SIZE] = "", report[256] = "";
    if (sgx_testkit_up(&t, &o, &k, errbuf) || sgx_testkit_start_pipeline(&t, errbuf)) {
        sgx_testkit_down(&t);
        fail_msg("setup: %s", errbuf);
    }
    round_of(&t, 1);
    assert_true(wait_exact(&t, WAIT_MS, report, sizeof report));

    /* Round 2 meets the throttle: P1 sends nothing more to Meta for a minute. */
    sgx_emu_fb_inject(t.env.fb, SGX_EMU_FAULT_THROTTLE, 1000000, 17, 1);
    round_of(&t, 2);
    for (int64_t s = sgx_now_ms(); throttled(&t) == 0 && sgx_now_ms() - s < WAIT_MS;) {
        usleep(20000);
    }
    int64_t throttled_at = sgx_now_ms();
    assert_true(throttled(&t) > 0);
    usleep(200000); /* concurrent requests come back throttled too */
    sgx_emu_fb_inject(t.env.fb, SGX_EMU_FAULT_THROTTLE, 0, 17, 0);

    /* P2 joins: it gets two partitions once P1's revoke gave them up, and delivers round 2 of
     * them, then round 3. */
    sgx_pipeline_t *p2 = NULL;
    assert_int_equal(sgx_pipeline_start(t.env.cfg, &p2, errbuf), SGX_OK);
    bool settled2 = wait_settled(p2, 1);
    uint64_t before3 = SGX_GET(sgx_pipeline_stats(p2)->consumed);
    round_of(&t, 3);
    bool settled3 = wait_settled(p2, before3 + 1);
    int64_t p2_done_at = sgx_now_ms();

    /* P1's throttle ends: it delivers what it still owns; the audiences become exact and stay
     * so once every held row of P1 was sent. */
    bool exact = wait_exact(&t, THROTTLE_WAIT_MS + WAIT_MS, report, sizeof report);
    bool p1_settled = wait_settled(t.pipe, 0);
    bool still = sgx_testkit_audiences(&t, report, sizeof report);
    print_message("P2 done %lld ms after the throttle began (must be before it ended); "
                  "audiences: %s\n", (long long)(p2_done_at - throttled_at), report);
    sgx_pipeline_stop(p2, true);
    sgx_pipeline_destroy(p2);
    sgx_testkit_down(&t);
    assert_true(settled2);
    assert_true(settled3);
    assert_true(p2_done_at - throttled_at < THROTTLE_WAIT_MS);
    assert_true(exact);
    assert_true(p1_settled);
    assert_true(still);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_revoked_rows_are_not_sent_after_the_revoke),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
