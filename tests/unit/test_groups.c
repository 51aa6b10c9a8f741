/* consumer_group_per_destination (pipeline/groups.c): each group's derived configuration, and
 * the process-wide view of the groups' counters that metrics, progress and probes read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/mem.h"
#include "pipeline/groups.h"

#define DEST(name, aud)                                                                        \
    "  - name: " name "\n    type: facebook\n    settings:\n      access_token: tok\n"          \
    "    segments:\n      seg-a: \"" aud "\"\n"

static const char yaml[] =
    "kafka:\n  bootstrap.servers: \"127.0.0.1:9092\"\n  group.id: g\n"
    "  queued.max.messages.kbytes: 3000\n"
    "topics: [events]\ndead_letter_topic: dlq\n"
    "schema_registry:\n  url: http://127.0.0.1:8081\nmax_inflight_events: 30000\n"
    "consumer_group_per_destination: true\n"
    "destinations:\n" DEST("meta", "111") DEST("other", "222") DEST("third", "333");

static void test_derived_configs(void **state)
{
    (void)state;
    char err[SGX_ERRBUF_SIZE] = "";
    sgx_config_t *cfg = NULL;
    assert_int_equal(sgx_config_parse(yaml, strlen(yaml), &cfg, err), SGX_OK);
    assert_true(cfg->group_per_dest);
    sgx_groups_t *g = NULL;
    assert_int_equal(sgx_groups_new(cfg, &g), SGX_OK);
    assert_int_equal(sgx_groups_count(g), 3);
    const sgx_config_t *c1 = sgx_groups_config(g, 1);
    assert_string_equal(sgx_config_kafka(c1, "group.id"), "g.other");
    assert_string_equal(sgx_config_kafka(c1, "queued.max.messages.kbytes"), "1000");
    assert_string_equal(sgx_config_kafka(c1, "bootstrap.servers"), "127.0.0.1:9092");
    assert_int_equal(c1->max_inflight_events, 10000);
    assert_int_equal(c1->ndests, 1);
    assert_string_equal(c1->dests[0].name, "other");
    assert_false(c1->group_per_dest);
    /* Only the first group dead-letters what cannot be decoded. */
    assert_false(sgx_groups_config(g, 0)->undecodable_not_dlq);
    assert_true(c1->undecodable_not_dlq);
    sgx_groups_free(g);
    sgx_config_free(cfg);
}

static void test_aggregate(void **state)
{
    (void)state;
    sgx_stats_t *a = sgx_calloc(1, sizeof *a), *b = sgx_calloc(1, sizeof *b);
    sgx_stats_t *agg = sgx_calloc(1, sizeof *agg);
    SGX_SET(a->consumed, 100);
    SGX_SET(b->consumed, 40);
    SGX_SET(a->done, 90);
    SGX_SET(b->done, 30);
    SGX_SET(a->inflight, 10);
    SGX_SET(b->inflight, 10);
    SGX_SET(a->group_steady, 1);
    SGX_SET(b->group_steady, 0);
    sgx_part_stats_t *pa = sgx_stats_part(a, "events", 0, true);
    sgx_part_stats_t *pb = sgx_stats_part(b, "events", 0, true);
    atomic_store(&pa->assigned, true);
    atomic_store(&pb->assigned, true);
    SGX_SET(pa->committed, 90);
    SGX_SET(pb->committed, 30);
    sgx_stats_t *const gs[] = {a, b};
    sgx_groups_aggregate(agg, gs, 2);
    assert_int_equal(SGX_GET(agg->consumed), 100); /* the most any group read */
    assert_int_equal(SGX_GET(agg->done), 30);      /* final only once every group is done */
    assert_int_equal(SGX_GET(agg->inflight), 20);  /* memory: every group's records */
    assert_int_equal(SGX_GET(agg->group_steady), 0); /* ready only with every group joined */
    assert_int_equal(agg->parts[0].group, 1);
    assert_int_equal(SGX_GET(agg->parts[0].committed), 90);
    assert_int_equal(agg->parts[1].group, 2);
    assert_int_equal(SGX_GET(agg->parts[1].committed), 30);
    SGX_SET(b->group_steady, 1);
    SGX_SET(pb->committed, 35);
    sgx_groups_aggregate(agg, gs, 2);
    assert_int_equal(SGX_GET(agg->group_steady), 1);
    assert_int_equal(SGX_GET(agg->parts[1].committed), 35); /* same slot, refreshed */
    assert_false(atomic_load(&agg->parts[2].used));
    sgx_free(a);
    sgx_free(b);
    sgx_free(agg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derived_configs),
        cmocka_unit_test(test_aggregate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
