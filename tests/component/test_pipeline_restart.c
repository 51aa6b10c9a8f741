/* A crash mid-run: the pipeline is stopped abruptly (nothing more committed, group not left)
 * while part of the stream is acknowledged, and a new pipeline on the same group finishes.
 * Replays are fine (membership is a set) but the end state must be exact and every offset
 * committed (architecture.md §3 rules 1-3). Random 503s and delays add ordering pressure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/log.h"
#include "pipeline/dispatch_req.h"
#include "tests/testkit/testkit.h"

#define WAIT_MS 60000

/* Waits until the pipeline made at least n records final. */
static bool wait_done(sgx_pipeline_t *p, uint64_t n)
{
    sgx_stats_t *st = sgx_pipeline_stats(p);
    for (int64_t start = sgx_now_ms(); sgx_now_ms() - start < WAIT_MS;) {
        if (SGX_GET(st->done) >= n) {
            return true;
        }
        usleep(20000);
    }
    return false;
}

/* Waits until some offsets are committed (auto-commit, shortened interval), so the restart
 * resumes mid-log rather than from the beginning. */
static bool wait_some_committed(const sgx_testkit_t *t, int partitions, int64_t n)
{
    for (int64_t start = sgx_now_ms(); sgx_now_ms() - start < WAIT_MS;) {
        int64_t committed = 0, end = 0;
        sgx_testkit_committed(t, t->env.topic, partitions, &committed, &end);
        if (committed >= n) {
            return true;
        }
        usleep(100000);
    }
    return false;
}

/* Waits until the pipeline consumed at least n records and all it consumed is final. */
static bool wait_caught_up(sgx_pipeline_t *p, uint64_t n)
{
    sgx_stats_t *st = sgx_pipeline_stats(p);
    for (int64_t start = sgx_now_ms(); sgx_now_ms() - start < WAIT_MS;) {
        uint64_t consumed = SGX_GET(st->consumed);
        if (consumed >= n && SGX_GET(st->done) == consumed && SGX_GET(st->inflight) == 0) {
            return true;
        }
        usleep(50000);
    }
    return false;
}

static void test_abrupt_stop_then_resume(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_ERROR);
    sgx_demo_opts_t o = {.events = 30000, .profiles = 3000, .segments = 20, .partitions = 4,
                         .bad = 30, .seed = 5};
    /* Small batches and delayed replies stretch delivery over seconds, so the crash lands
     * mid-log and not after the end. */
    sgx_testkit_knobs_t k = {.retry_base_ms = 20, .retry_cap_ms = 500, .max_rows = 200,
                             .kafka_extra = "  auto.commit.interval.ms: 200\n"};
    sgx_testkit_t t;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_up(&t, &o, &k, errbuf) || sgx_testkit_start_gen(&t, false, errbuf)) {
        sgx_testkit_down(&t);
        fail_msg("setup: %s", errbuf);
    }
    /* The whole log first, so the crash can land anywhere in it. */
    sgx_testkit_join_gen(&t);
    uint64_t produced = atomic_load(&t.truth.produced);
    sgx_emu_fb_random_faults(t.env.fb, 0.2, 400, 17);

    assert_int_equal(sgx_testkit_start_pipeline(&t, errbuf), SGX_OK);
    assert_true(wait_done(t.pipe, produced / 3));
    assert_true(wait_some_committed(&t, o.partitions, (int64_t)produced / 10));
    sgx_testkit_stop_pipeline(&t, false);
    int64_t committed1 = 0, end = 0;
    bool all1 = sgx_testkit_committed(&t, t.env.topic, o.partitions, &committed1, &end);
    /* The crash must leave work behind, or the resume proves nothing. */
    assert_false(all1);
    assert_true(committed1 >= (int64_t)produced / 10);
    assert_int_equal(end, (int64_t)produced);

    assert_int_equal(sgx_testkit_start_pipeline(&t, errbuf), SGX_OK);
    assert_true(wait_caught_up(t.pipe, (uint64_t)(end - committed1)));
    sgx_pipeline_stop(t.pipe, true);
    sgx_emu_fb_random_faults(t.env.fb, 0, 0, 0);

    char report[256];
    bool aud_ok = sgx_testkit_audiences(&t, report, sizeof report);
    int64_t committed = 0;
    bool commits_ok = sgx_testkit_committed(&t, t.env.topic, o.partitions, &committed, &end);
    print_message("committed after crash %lld; audiences: %s; committed %lld of %lld\n",
                  (long long)committed1, report, (long long)committed, (long long)end);
    sgx_testkit_down(&t);
    assert_true(aud_ok);
    assert_true(commits_ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abrupt_stop_then_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
