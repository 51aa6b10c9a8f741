/* One consumer group per destination (issue 13, "One slow destination must not hold the others
 * back"): with Meta blocked, the Dotdigital group still commits every offset and its audiences
 * end exact, while Meta's group stays behind until it is unblocked; a malformed record is
 * dead-lettered once, not once per group. Switching consumer_group_per_destination on starts
 * each new group at the shared group's committed offsets: nothing replayed, nothing skipped. */
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

#include "base/log.h"
#include "pipeline/dispatch_req.h"
#include "pipeline/health.h"
#include "pipeline/metrics.h"
#include "tests/testkit/testkit.h"

#define WAIT_MS 60000
#define META_GROUP SGX_TESTKIT_GROUP ".meta"
#define DD_GROUP SGX_TESTKIT_GROUP ".dotdigital"

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

/* Polls until group has committed every partition to its end (generous: shared machine). */
static bool wait_committed(const sgx_testkit_t *t, const char *group, int64_t *committed,
                           int64_t *end)
{
    int64_t deadline = sgx_now_ms() + WAIT_MS;
    bool ok;
    while (!(ok = sgx_testkit_committed_group(t, group, t->env.topic, t->o.partitions,
                                              committed, end)) &&
           sgx_now_ms() < deadline) {
        usleep(50000);
    }
    return ok;
}

/* Polls until the restarted pipeline made want records final (its counters start at 0). */
static bool wait_done(sgx_stats_t *st, uint64_t want)
{
    int64_t deadline = sgx_now_ms() + WAIT_MS;
    while ((SGX_GET(st->done) < want || SGX_GET(st->inflight) > 0) && sgx_now_ms() < deadline) {
        usleep(20000);
    }
    return SGX_GET(st->done) == want && SGX_GET(st->inflight) == 0;
}

static bool wait_ready(const sgx_config_t *cfg, sgx_stats_t *st)
{
    int64_t deadline = sgx_now_ms() + WAIT_MS;
    bool ok = false;
    while (!ok && sgx_now_ms() < deadline) {
        char *body = NULL;
        ok = sgx_health_ready(cfg, st, sgx_now_ms(), &body);
        free(body);
        usleep(ok ? 0 : 50000);
    }
    return ok;
}

static bool dd_exact(const sgx_testkit_t *t)
{
    char one[256];
    bool ok = sgx_demo_verify_for(SGX_DEST_DOTDIGITAL,
                                  sgx_demo_dest_port(&t->env, SGX_DEST_DOTDIGITAL), &t->truth,
                                  one, sizeof one);
    print_message("dotdigital: %s\n", one);
    return ok;
}

static const sgx_demo_opts_t two_dests = {
    .events = 3000, .profiles = 800, .segments = 4, .partitions = 3, .bad = 5, .seed = 1,
    .dests = 1u << SGX_DEST_FACEBOOK | 1u << SGX_DEST_DOTDIGITAL};

static void test_blocked_meta_does_not_hold_dotdigital_back(void **state)
{
    (void)state;
    sgx_testkit_knobs_t k = {.retry_base_ms = 20, .retry_cap_ms = 400,
                             .max_inflight_events = 20000,
                             .kafka_extra = "  auto.commit.interval.ms: 100\n"
                                            "  statistics.interval.ms: 200\n",
                             .extra = "metrics_listen: \"127.0.0.1:0\"\n"
                                      "consumer_group_per_destination: true\n"};
    sgx_testkit_t t;
    up(&t, &two_dests, &k);
    assert_true(t.env.cfg->group_per_dest);
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    sgx_emu_fb_set_token(t.env.fb, "rotated-access-token"); /* Meta now refuses everything */
    produce(&t, 1);

    int64_t dd_c = 0, dd_end = 0, meta_c = 0, meta_end = 0;
    assert_true(wait_committed(&t, DD_GROUP, &dd_c, &dd_end));
    assert_true(dd_exact(&t));
    sgx_testkit_committed_group(&t, META_GROUP, t.env.topic, two_dests.partitions, &meta_c,
                                &meta_end);
    print_message("blocked Meta: dotdigital committed %lld of %lld, meta %lld of %lld\n",
                  (long long)dd_c, (long long)dd_end, (long long)meta_c, (long long)meta_end);
    assert_int_equal(dd_c, atomic_load(&t.truth.produced));
    /* Ready: every group joined with librdkafka statistics (Meta not blocked long enough). */
    assert_true(wait_ready(t.env.cfg, st));
    assert_true(meta_c < meta_end);
    assert_int_equal(SGX_GET(st->dest[0].blocked), 1);
    assert_int_equal(SGX_GET(st->dest[0].rows_rejected), 0);

    sgx_emu_fb_set_token(t.env.fb, SGX_TESTKIT_TOKEN); /* unblocked: Meta catches up */
    assert_true(sgx_testkit_wait_final(&t, 0, WAIT_MS));
    assert_true(wait_committed(&t, META_GROUP, &meta_c, &meta_end));
    /* Each group's partitions are series of their own, told apart by destination. */
    sgx_buf_t m = {0};
    sgx_metrics_render(t.env.cfg, st, sgx_now_ms(), &m);
    sgx_buf_putc(&m, '\0');
    assert_non_null(strstr(m.data, "segexport_partition_committed_offset{topic=\"" SGX_TESTKIT_TOPIC
                                   "\",partition=\"0\",destination=\"meta\"}"));
    assert_non_null(strstr(m.data, "segexport_partition_committed_offset{topic=\"" SGX_TESTKIT_TOPIC
                                   "\",partition=\"0\",destination=\"dotdigital\"}"));
    sgx_buf_free(&m);
    sgx_pipeline_stop(t.pipe, true);
    char report[512];
    assert_true(sgx_testkit_audiences(&t, report, sizeof report));
    /* Malformed records are dead-lettered by one group only. */
    assert_int_equal(SGX_GET(st->dead_lettered), t.truth.expected_dlq);
    sgx_testkit_down(&t);
}

static void test_switching_on_starts_at_the_shared_groups_offsets(void **state)
{
    (void)state;
    sgx_testkit_knobs_t k = {.kafka_extra = "  auto.commit.interval.ms: 100\n",
                             .extra = "consumer_group_per_destination: false\n"};
    sgx_testkit_t t;
    up(&t, &two_dests, &k);
    produce(&t, 1);
    assert_true(sgx_testkit_wait_final(&t, 0, WAIT_MS));
    int64_t c = 0, end = 0;
    assert_true(wait_committed(&t, SGX_TESTKIT_GROUP, &c, &end));
    sgx_testkit_stop_pipeline(&t, true);
    int64_t round1 = (int64_t)atomic_load(&t.truth.produced);
    assert_int_equal(c, round1);

    /* The same configuration with the option switched on, as an operator would. */
    t.env.cfg->group_per_dest = true;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    assert_int_equal(sgx_testkit_start_pipeline(&t, errbuf), SGX_OK);
    int64_t mc = 0, dc = 0;
    /* Committed before either group joined: they start where the shared group stopped. */
    assert_true(sgx_testkit_committed_group(&t, META_GROUP, t.env.topic, two_dests.partitions,
                                            &mc, &end));
    assert_true(sgx_testkit_committed_group(&t, DD_GROUP, t.env.topic, two_dests.partitions,
                                            &dc, &end));
    assert_int_equal(mc, round1);
    assert_int_equal(dc, round1);

    produce(&t, 2);
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    int64_t total = (int64_t)atomic_load(&t.truth.produced);
    assert_true(wait_done(st, (uint64_t)(total - round1)));
    /* Round 1 was not read again (consumed counts the group that read the most). */
    assert_int_equal(SGX_GET(st->consumed), total - round1);
    assert_true(wait_committed(&t, META_GROUP, &mc, &end));
    assert_true(wait_committed(&t, DD_GROUP, &dc, &end));
    assert_int_equal(mc, total);
    sgx_pipeline_stop(t.pipe, true);
    char report[512];
    bool ok = sgx_testkit_audiences(&t, report, sizeof report);
    print_message("after the switch: meta %s\n", report);
    assert_true(ok);
    assert_true(dd_exact(&t));
    sgx_testkit_down(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocked_meta_does_not_hold_dotdigital_back),
        cmocka_unit_test(test_switching_on_starts_at_the_shared_groups_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
