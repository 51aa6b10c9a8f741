/* End to end on loopback: mock cluster -> real pipeline -> Meta emulator. Every event is
 * delivered, every audience ends exactly as one in-order pass over the log says, every bad
 * record (and every profile without a usable key) is dead-lettered once, and every offset is
 * committed (architecture.md §3 rules 1-3 and 6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "base/log.h"
#include "tests/testkit/testkit.h"

static void test_all_delivered_exactly(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_WARN);
    /* 30k events over 4 partitions stay far below the mock's ~5 MiB per partition, so the
     * generator need not pace; it runs while the pipeline consumes. */
    sgx_demo_opts_t o = {.events = 30000, .profiles = 3000, .segments = 20, .partitions = 4,
                         .bad = 60, .seed = 7};
    sgx_testkit_knobs_t k = {0};
    sgx_testkit_t t;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_up(&t, &o, &k, errbuf) || sgx_testkit_start_pipeline(&t, errbuf) ||
        sgx_testkit_start_gen(&t, false, errbuf)) {
        sgx_testkit_down(&t);
        fail_msg("setup: %s", errbuf);
    }
    assert_true(sgx_testkit_wait_final(&t, 0, 60000));
    sgx_testkit_join_gen(&t);
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    sgx_pipeline_stop(t.pipe, true);

    uint64_t produced = atomic_load(&t.truth.produced);
    assert_int_equal(produced, o.events + o.bad);
    assert_int_equal(SGX_GET(st->consumed), produced);
    assert_int_equal(SGX_GET(st->offset_gaps), 0);
    assert_true(t.truth.expected_dlq >= o.bad);
    assert_int_equal(SGX_GET(st->dead_lettered), t.truth.expected_dlq);
    assert_true(SGX_GET(st->dest[0].rows_delivered) > 0);

    char report[256];
    bool aud_ok = sgx_testkit_audiences(&t, report, sizeof report);
    int64_t committed = 0, end = 0;
    bool commits_ok = sgx_testkit_committed(&t, t.env.topic, o.partitions, &committed, &end);
    print_message("audiences: %s; committed %lld of %lld\n", report, (long long)committed,
                  (long long)end);
    sgx_testkit_down(&t);
    assert_true(aud_ok);
    assert_int_equal(end, (int64_t)produced);
    assert_true(commits_ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_delivered_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
