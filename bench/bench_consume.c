/* Consume-only baseline: a plain librdkafka group consumer (the pipeline's Kafka settings,
 * its own group, earliest) reading the preloaded topic and doing nothing with the records.
 * The pipeline cannot beat this, so its figure is the denominator of every ratio. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "bench/bench.h"
#include "bench/bench_e2e.h"
#include "pipeline/consumer.h"
#include "pipeline/dlq.h"

#define STALL_S 60.0

/* One run. @returns events/s from the first record to the last, or 0 on a failed check. */
static double consume_once(const sgx_bench_data_t *d, int run, double *join_s)
{
    char errbuf[SGX_ERRBUF_SIZE], group[64];
    /* The pipeline's own librdkafka properties and consumer defaults, nothing else. */
    rd_kafka_conf_t *conf = sgx_kafka_conf(d->env.cfg, false, errbuf);
    if (conf) {
        sgx_consumer_defaults(conf, d->env.cfg);
    }
    snprintf(group, sizeof group, "bench-consume-%d-%d", (int)getpid(), run);
    if (!conf || rd_kafka_conf_set(conf, "group.id", group, errbuf, sizeof errbuf) ||
        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errbuf, sizeof errbuf)) {
        fprintf(stderr, "bench consume: %s\n", errbuf);
        return 0;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, sizeof errbuf);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "bench consume: %s\n", errbuf);
        return 0;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, d->env.topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);

    int64_t *next = sgx_calloc((size_t)d->partitions, sizeof *next);
    size_t count = 0, gaps = 0, bytes = 0;
    double start = sgx_bench_now(), t0 = 0, t1 = 0, last = start;
    while (count < d->n && sgx_bench_now() - last < STALL_S) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            continue;
        }
        if (!m->err && m->partition >= 0 && m->partition < d->partitions) {
            if (count++ == 0) {
                t0 = sgx_bench_now();
            }
            gaps += m->offset != next[m->partition];
            next[m->partition] = m->offset + 1;
            bytes += m->len;
            last = t1 = sgx_bench_now();
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    sgx_free(next);
    *join_s = t0 - start;
    if (count != d->n || gaps) {
        fprintf(stderr, "bench consume: run %d read %zu of %zu records, %zu offset gaps\n", run,
                count, d->n, gaps);
        return 0;
    }
    return t1 > t0 ? (double)(d->n - 1) / (t1 - t0) : 0;
}

double sgx_bench_consume(const sgx_bench_data_t *d, const sgx_bench_opts_t *o)
{
    double *rates = sgx_calloc((size_t)o->runs, sizeof *rates);
    double median = 0;
    for (int r = 0; r < o->runs; r++) {
        double join = 0;
        rates[r] = consume_once(d, r, &join);
        fprintf(stderr, "consume run %d: %.0f events/s (first record %.1f s after subscribe)\n",
                r, rates[r], join);
        if (rates[r] == 0) {
            goto out;
        }
    }
    median = sgx_bench_median(rates, (size_t)o->runs);
out:
    sgx_free(rates);
    return median;
}
