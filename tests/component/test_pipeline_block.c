/* A destination that cannot take anything is blocked, not drained (issue 10 §1): a revoked
 * token, a missing audience, a 2xx that confirms nothing. Nothing goes to the dead-letter
 * topic, offsets stay put while blocked, and once the cause is fixed (the token rotated through
 * its secret file, the audience created, the edge healthy again) every audience ends exact.
 * Also: a batch refused as a whole because of a few rows is split until only those rows are
 * dead-lettered, and a server-supplied wait is capped by max_server_wait_ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "tests/testkit/testkit.h"

#define WAIT_MS 60000

static void up(sgx_testkit_t *t, const sgx_demo_opts_t *o, const sgx_testkit_knobs_t *k)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_log_set_level(getenv("SGX_TEST_LOG") ? SGX_LOG_DEBUG : SGX_LOG_ERROR);
    if (sgx_testkit_up(t, o, k, errbuf) || sgx_testkit_start_pipeline(t, errbuf)) {
        sgx_testkit_down(t);
        fail_msg("setup: %s", errbuf);
    }
}

static void produce(sgx_testkit_t *t, unsigned seed)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_produce(t, seed, errbuf)) {
        fail_msg("generator: %s", errbuf);
    }
}

/* Polls until *c >= want (generous: the machine is shared). */
static bool wait_counter(atomic_uint_fast64_t *c, uint64_t want)
{
    int64_t deadline = sgx_now_ms() + WAIT_MS;
    while (SGX_GET(*c) < want && sgx_now_ms() < deadline) {
        usleep(20000);
    }
    return SGX_GET(*c) >= want;
}

/* A lasting block ends in paused partitions once the short hold (HOLD_MAX_MS) runs out; how
 * soon depends on the machine, so it is waited for, not assumed. */
static bool wait_paused(atomic_int *paused)
{
    int64_t deadline = sgx_now_ms() + WAIT_MS;
    while (atomic_load(paused) != 1 && sgx_now_ms() < deadline) {
        usleep(20000);
    }
    return atomic_load(paused) == 1;
}

static bool wait_emu_refusals(sgx_emu_fb_t *fb, uint64_t more)
{
    sgx_emu_fb_stats_t s0, s;
    sgx_emu_fb_stats(fb, &s0);
    int64_t deadline = sgx_now_ms() + WAIT_MS;
    do {
        usleep(20000);
        sgx_emu_fb_stats(fb, &s);
    } while (s.rejected_4xx - s0.rejected_4xx < more && sgx_now_ms() < deadline);
    return s.rejected_4xx - s0.rejected_4xx >= more;
}

/* The end state every scenario shares: everything final, audiences exact, every offset
 * committed. The pipeline is stopped (its counters stay readable until sgx_testkit_down). */
static void assert_end_state(sgx_testkit_t *t)
{
    assert_true(sgx_testkit_wait_final(t, 0, WAIT_MS));
    sgx_pipeline_stop(t->pipe, true);
    char report[256];
    bool aud_ok = sgx_testkit_audiences(t, report, sizeof report);
    int64_t committed = 0, end = 0;
    bool commits_ok = sgx_testkit_committed(t, t->env.topic, t->o.partitions, &committed, &end);
    print_message("audiences: %s; committed %lld of %lld\n", report, (long long)committed,
                  (long long)end);
    assert_true(aud_ok);
    assert_true(commits_ok);
}

static void test_revoked_token_blocks_until_the_secret_file_rotates(void **state)
{
    (void)state;
    char path[] = "/tmp/sgx-token-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_true(sgx_testkit_write_secret(path, SGX_TESTKIT_TOKEN));
    sgx_demo_opts_t o = {.events = 3000, .profiles = 800, .segments = 4, .partitions = 3,
                         .bad = 5, .seed = 1};
    /* In-flight bound below one round: a blocked destination must pause intake, as an outage. */
    sgx_testkit_knobs_t k = {.retry_base_ms = 20, .retry_cap_ms = 400, .token_file = path,
                             .max_inflight_events = 1000,
                             .kafka_extra = "  auto.commit.interval.ms: 100\n"};
    sgx_testkit_t t;
    up(&t, &o, &k);
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    sgx_dest_stats_t *d = &st->dest[0];

    produce(&t, 1); /* a first round goes through: offsets committed */
    assert_true(sgx_testkit_wait_final(&t, 0, WAIT_MS));
    uint64_t dlq_before = SGX_GET(st->dead_lettered);
    assert_int_equal(dlq_before, t.truth.expected_dlq);

    sgx_emu_fb_set_token(t.env.fb, "rotated-access-token"); /* the old one now gets 190 */
    produce(&t, 2);
    assert_true(wait_counter(&d->blocks, 1));
    assert_true(wait_emu_refusals(t.env.fb, 4)); /* re-probed, refused each time */
    int64_t c1 = 0, c2 = 0, end = 0;
    sgx_testkit_committed(&t, t.env.topic, o.partitions, &c1, &end);
    assert_true(wait_emu_refusals(t.env.fb, 2));
    usleep(300000); /* several commit intervals */
    sgx_testkit_committed(&t, t.env.topic, o.partitions, &c2, &end);
    print_message("blocked: committed %lld then %lld of %lld; dlq %llu\n", (long long)c1,
                  (long long)c2, (long long)end, (unsigned long long)SGX_GET(st->dead_lettered));
    assert_int_equal(SGX_GET(d->rows_rejected), 0);
    assert_int_equal(SGX_GET(d->blocked), 1);
    assert_int_equal(c1, c2);
    assert_true(c2 < end);
    /* Only round 2's own bad records may have been dead-lettered meanwhile. */
    assert_true(SGX_GET(st->dead_lettered) <= t.truth.expected_dlq);
    assert_int_equal(SGX_GET(d->blocks), 1); /* one state change, however many probes */
    assert_true(wait_paused(&st->paused));
    assert_true(SGX_GET(st->consumed) < atomic_load(&t.truth.produced));
    /* Probes that meet a 503 say nothing about the token: the block stays, no new episode. */
    sgx_emu_fb_stats_t s5;
    sgx_emu_fb_stats(t.env.fb, &s5);
    sgx_emu_fb_inject(t.env.fb, SGX_EMU_FAULT_5XX, 2, 503, 0);
    assert_true(wait_emu_refusals(t.env.fb, 2));
    sgx_emu_fb_stats_t s5b;
    sgx_emu_fb_stats(t.env.fb, &s5b);
    assert_int_equal(s5b.failed_5xx - s5.failed_5xx, 2);
    assert_int_equal(SGX_GET(d->blocks), 1);
    assert_int_equal(SGX_GET(d->blocked), 1);

    assert_true(sgx_testkit_write_secret(path, "rotated-access-token"));
    assert_true(wait_counter(&d->secret_reloads, 1));
    assert_end_state(&t);
    assert_int_equal(SGX_GET(d->rows_rejected), 0);
    assert_int_equal(SGX_GET(st->dead_lettered), t.truth.expected_dlq);
    assert_int_equal(SGX_GET(d->blocked), 0);
    sgx_testkit_down(&t);
    unlink(path);
}

static void test_missing_audience_blocks_only_that_audience(void **state)
{
    (void)state;
    sgx_demo_opts_t o = {.events = 3000, .profiles = 800, .segments = 4, .partitions = 2,
                         .bad = 0, .seed = 3};
    /* Two request slots: the blocked audience's ENTER and EXIT requests can hold both, and
     * parked requests must give them back (they used to starve every other audience). */
    sgx_testkit_knobs_t k = {.retry_base_ms = 20, .retry_cap_ms = 400, .max_inflight = 2};
    sgx_testkit_t t;
    up(&t, &o, &k);
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    sgx_dest_stats_t *d = &st->dest[0];
    /* An audience id `check` accepted but that does not exist (deleted, or another account's). */
    sgx_emu_fb_delete_audience(t.env.fb, t.env.audience_ids[1]);
    produce(&t, 3);
    assert_true(wait_counter(&d->blocks, 1));
    /* The other audiences keep flowing while audience 1 waits. */
    assert_true(wait_counter(&d->rows_by_aud[0][SGX_OP_ENTER], 1));
    assert_true(wait_counter(&d->rows_by_aud[2][SGX_OP_ENTER], 1));
    assert_true(wait_emu_refusals(t.env.fb, 3));
    assert_int_equal(SGX_GET(d->rows_by_aud[1][SGX_OP_ENTER]), 0);
    assert_int_equal(SGX_GET(d->rows_rejected), 0);
    /* Only records without a usable key (the stream's own bad input) are dead-lettered. */
    assert_true(SGX_GET(st->dead_lettered) <= t.truth.expected_dlq);
    assert_int_equal(SGX_GET(d->blocked), 1);

    sgx_emu_fb_add_audience(t.env.fb, t.env.audience_ids[1]);
    assert_end_state(&t);
    assert_int_equal(SGX_GET(d->rows_rejected), 0);
    assert_int_equal(SGX_GET(st->dead_lettered), t.truth.expected_dlq);
    assert_int_equal(SGX_GET(d->blocks), 1);
    sgx_testkit_down(&t);
}

static void test_whole_batch_refusal_is_split_down_to_the_bad_rows(void **state)
{
    (void)state;
    sgx_demo_opts_t o = {.events = 3000, .profiles = 600, .segments = 3, .partitions = 2,
                         .bad = 0, .seed = 5};
    sgx_testkit_knobs_t k = {.retry_base_ms = 20, .retry_cap_ms = 400};
    sgx_testkit_t t;
    up(&t, &o, &k);
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    sgx_dest_stats_t *d = &st->dest[0];
    size_t poison[3];
    char member[256];
    for (size_t i = 0, p = 7; i < 3; p += 97) { /* three profiles Meta can match */
        if (sgx_demo_member(p, member, sizeof member)) {
            poison[i++] = p;
            sgx_emu_fb_refuse_member(t.env.fb, member);
        }
    }
    produce(&t, 5);
    assert_true(sgx_testkit_wait_final(&t, 0, WAIT_MS));
    /* Only the poisoned profiles' rows were refused: they never reached an audience. */
    for (size_t i = 0; i < 3; i++) {
        for (size_t s = 0; s < o.segments; s++) {
            t.truth.state[poison[i] * o.segments + s] = 0;
        }
    }
    uint64_t rejected = SGX_GET(d->rows_rejected);
    print_message("rejected %llu rows, %llu splits, %llu delivered\n",
                  (unsigned long long)rejected, (unsigned long long)SGX_GET(d->batches_split),
                  (unsigned long long)SGX_GET(d->rows_delivered));
    assert_true(rejected >= 1);
    assert_true(SGX_GET(d->batches_split) >= 1);
    assert_int_equal(SGX_GET(st->dead_lettered), t.truth.expected_dlq + rejected);
    assert_end_state(&t);
    sgx_testkit_down(&t);
}

static void test_unconfirmed_2xx_is_not_delivered(void **state)
{
    (void)state;
    sgx_demo_opts_t o = {.events = 2000, .profiles = 500, .segments = 3, .partitions = 2,
                         .bad = 0, .seed = 7};
    sgx_testkit_knobs_t k = {.retry_base_ms = 20, .retry_cap_ms = 400};
    sgx_testkit_t t;
    up(&t, &o, &k);
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    sgx_dest_stats_t *d = &st->dest[0];
    sgx_emu_fb_inject(t.env.fb, SGX_EMU_FAULT_UNCONFIRMED, 1000000, 0, 0);
    produce(&t, 7);
    assert_true(wait_counter(&d->blocks, 1)); /* retried, then blocked */
    assert_int_equal(SGX_GET(d->rows_delivered), 0);
    assert_int_equal(SGX_GET(d->rows_rejected), 0);
    assert_true(SGX_GET(st->dead_lettered) <= t.truth.expected_dlq);
    sgx_emu_fb_inject(t.env.fb, SGX_EMU_FAULT_UNCONFIRMED, 0, 0, 0); /* the edge recovers */
    assert_end_state(&t);
    assert_int_equal(SGX_GET(st->dead_lettered), t.truth.expected_dlq);
    sgx_testkit_down(&t);
}

static void test_server_wait_is_capped(void **state)
{
    (void)state;
    sgx_demo_opts_t o = {.events = 1000, .profiles = 300, .segments = 2, .partitions = 2,
                         .bad = 0, .seed = 9};
    sgx_testkit_knobs_t k = {.retry_base_ms = 20, .retry_cap_ms = 400,
                             .max_server_wait_ms = 1500};
    sgx_testkit_t t;
    up(&t, &o, &k);
    sgx_dest_stats_t *d = &sgx_pipeline_stats(t.pipe)->dest[0];
    /* Meta asks to come back in 10 hours (estimated_time_to_regain_access = 600 minutes). */
    sgx_emu_fb_inject(t.env.fb, SGX_EMU_FAULT_THROTTLE, 1, 80003, 600);
    produce(&t, 9);
    assert_end_state(&t);
    assert_int_equal(SGX_GET(d->waits_capped), 1);
    sgx_testkit_down(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_revoked_token_blocks_until_the_secret_file_rotates),
        cmocka_unit_test(test_missing_audience_blocks_only_that_audience),
        cmocka_unit_test(test_whole_batch_refusal_is_split_down_to_the_bad_rows),
        cmocka_unit_test(test_unconfirmed_2xx_is_not_delivered),
        cmocka_unit_test(test_server_wait_is_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
