/* Many configured audiences, each with little traffic: 3,000 Meta audiences, 20,000 events of
 * 100 profiles spread over all of them (a handful of ENTER/EXIT per audience, arriving over
 * the whole run; few profiles, so one profile's ops meet in flight and wait behind fences). Audiences go idle, free their buffers and come back many times, and the
 * dispatcher only walks the active ones; every audience must still end exact, every record be
 * committed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "pipeline/log.h"
#include "pipeline/testkit.h"

static void test_many_audiences_exact(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_WARN);
    sgx_demo_opts_t o = {.events = 20000, .profiles = 100, .segments = 3000, .partitions = 4,
                         .seed = 11};
    sgx_testkit_knobs_t k = {.linger_ms = 20};
    sgx_testkit_t t;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_up(&t, &o, &k, errbuf) || sgx_testkit_start_pipeline(&t, errbuf) ||
        sgx_testkit_start_gen(&t, false, errbuf)) {
        sgx_testkit_down(&t);
        fail_msg("setup: %s", errbuf);
    }
    assert_true(sgx_testkit_wait_final(&t, 0, 120000));
    sgx_testkit_join_gen(&t);
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    sgx_pipeline_stop(t.pipe, true);
    uint64_t produced = atomic_load(&t.truth.produced);
    assert_int_equal(SGX_GET(st->consumed), produced);
    assert_int_equal(SGX_GET(st->dead_lettered), t.truth.expected_dlq);
    print_message("%llu requests for %zu audiences\n",
                  (unsigned long long)SGX_GET(st->dest[0].requests), o.segments);
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
        cmocka_unit_test(test_many_audiences_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
