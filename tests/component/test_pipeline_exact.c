/* End to end on loopback: mock cluster -> real pipeline -> Meta emulator. Every event is
 * delivered, every audience ends exactly as one in-order pass over the log says, every bad
 * record (and every profile without a usable key) is dead-lettered once, and every offset is
 * committed (architecture.md §3 rules 1-3 and 6). Two shapes: a few busy audiences, and many
 * configured audiences with little traffic each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "base/log.h"
#include "tests/testkit/testkit.h"

/* Runs the scenario to its end and checks everything above. The events stay far below the
 * mock's ~5 MiB per partition, so the generator need not pace; it runs while the pipeline
 * consumes. */
static void run_exact(const sgx_demo_opts_t *o, const sgx_testkit_knobs_t *k, int wait_ms)
{
    sgx_log_set_level(SGX_LOG_WARN);
    sgx_testkit_t t;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_up(&t, o, k, errbuf) || sgx_testkit_start_pipeline(&t, errbuf) ||
        sgx_testkit_start_gen(&t, false, errbuf)) {
        sgx_testkit_down(&t);
        fail_msg("setup: %s", errbuf);
    }
    assert_true(sgx_testkit_wait_final(&t, 0, wait_ms));
    sgx_testkit_join_gen(&t);
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    sgx_pipeline_stop(t.pipe, true);

    uint64_t produced = atomic_load(&t.truth.produced);
    assert_int_equal(produced, o->events + o->bad);
    assert_int_equal(SGX_GET(st->consumed), produced);
    assert_int_equal(SGX_GET(st->offset_gaps), 0);
    assert_true(t.truth.expected_dlq >= o->bad);
    assert_int_equal(SGX_GET(st->dead_lettered), t.truth.expected_dlq);
    assert_true(SGX_GET(st->dest[0].rows_delivered) > 0);
    print_message("%zu audiences, %llu requests\n", o->segments,
                  (unsigned long long)SGX_GET(st->dest[0].requests));

    char report[512];
    bool ok = sgx_testkit_final_state(&t, o->partitions, (int64_t)produced, report, sizeof report);
    print_message("%s\n", report);
    sgx_testkit_down(&t);
    assert_true(ok);
}

static void test_all_delivered_exactly(void **state)
{
    (void)state;
    sgx_demo_opts_t o = {.events = 30000, .profiles = 3000, .segments = 20, .partitions = 4,
                         .bad = 60, .seed = 7};
    sgx_testkit_knobs_t k = {0};
    run_exact(&o, &k, 60000);
}

/* 3,000 audiences, 20,000 events of 100 profiles spread over all of them: a handful of ops per
 * audience arriving over the whole run, and few profiles, so one profile's ops meet in flight
 * and wait behind fences. Audiences go idle, free their buffers and come back many times while
 * the dispatcher walks only the active ones; every one must still end exact. */
static void test_many_audiences_exactly(void **state)
{
    (void)state;
    sgx_demo_opts_t o = {.events = 20000, .profiles = 100, .segments = 3000, .partitions = 4,
                         .seed = 11};
    sgx_testkit_knobs_t k = {.linger_ms = 20};
    run_exact(&o, &k, 120000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_delivered_exactly),
        cmocka_unit_test(test_many_audiences_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
