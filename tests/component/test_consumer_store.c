/* Storing watermarks (consumer.c sgx_consumer_store_offsets) against a real librdkafka
 * consumer handle, no broker needed: rd_kafka_offsets_store refuses, per partition, offsets of
 * a partition librdkafka does not hold (issue 10 §6). The refusal is counted, not mistaken for
 * a stored offset, and the same watermark is offered again until librdkafka takes it, although
 * the tracker has reported it already. A component test, not a unit test: librdkafka's threads
 * are not instrumented for the TSan build that runs the unit tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/hmap.h"
#include "base/mem.h"
#include "pipeline/consumer.h"
#include "base/log.h"

static rd_kafka_t *consumer_handle(void)
{
    char errbuf[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:9", NULL, 0);
    rd_kafka_conf_set(conf, "group.id", "store-test", NULL, 0);
    rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", NULL, 0);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", NULL, 0);
    rd_kafka_conf_set(conf, "log_level", "0", NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, sizeof errbuf);
    assert_non_null(rk);
    return rk;
}

static void test_refused_store_is_retried(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_ERROR);
    sgx_stats_t stats;
    memset(&stats, 0, sizeof stats);
    sgx_consumer_t c;
    memset(&c, 0, sizeof c);
    c.rk = consumer_handle();
    c.stats = &stats;
    char topic[] = "events";
    /* Made through the lookup, as the poll thread does, so store_result finds it again. */
    sgx_part_t *pp = sgx_consumer_part(&c, topic, 0, true);
    pp->assigned = true; /* ours, but not (yet) librdkafka's: the store is refused */
    for (int64_t off = 0; off < 5; off++) {
        assert_int_equal(sgx_offsets_track(pp->offsets, off), SGX_OK);
        assert_int_equal(sgx_offsets_done(pp->offsets, off), SGX_OK);
    }

    sgx_consumer_store_offsets(&c, true);
    assert_int_equal(SGX_GET(stats.commits_stored), 0);
    assert_int_equal(SGX_GET(stats.store_errors), 1);
    assert_int_equal(pp->unstored, 5);
    /* Nothing new was acknowledged, but the refused watermark is offered again. */
    sgx_consumer_store_offsets(&c, true);
    assert_int_equal(SGX_GET(stats.store_errors), 2);

    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic, 0);
    assert_int_equal(rd_kafka_assign(c.rk, list), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(list);
    sgx_consumer_store_offsets(&c, true);
    assert_int_equal(SGX_GET(stats.commits_stored), 1);
    assert_int_equal(SGX_GET(stats.store_errors), 2);
    assert_int_equal(pp->unstored, 0);
    /* Stored: not offered again. */
    sgx_consumer_store_offsets(&c, true);
    assert_int_equal(SGX_GET(stats.commits_stored), 1);

    rd_kafka_assign(c.rk, NULL);
    rd_kafka_destroy_flags(c.rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    for (size_t i = 0; i < c.nparts; i++) {
        sgx_offsets_destroy(c.parts[i]->offsets);
        sgx_free(c.parts[i]->topic);
        sgx_free(c.parts[i]);
    }
    sgx_free(c.parts);
    sgx_hmap_destroy(c.part_index);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_store_is_retried),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
