/* librdkafka's view of the cluster for metrics and readiness: its statistics JSON (consumer
 * lag, committed offsets, broker and group states), its commit reports, and its own log lines
 * through segexport's logger. */
#ifndef SGX_KSTATS_H
#define SGX_KSTATS_H

#include <librdkafka/rdkafka.h>

#include "config/config.h"
#include "pipeline/stats.h"

struct sgx_consumer;

/** @brief librdkafka log callback: forwards a line to sgx_log (component "rdkafka", fields
 *  fac and client). */
void sgx_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

/** @brief Installs the log and error callbacks: librdkafka's lines go through segexport's
 *  logger and format. On every conf segexport builds (sgx_kafka_conf). */
void sgx_kafka_observe(rd_kafka_conf_t *conf);

/**
 * @brief Applies one statistics JSON document to s: brokers up, group steadiness and assignment
 * size, and consumer_lag/committed_offset of partitions that already have a stats slot.
 * @param json borrowed, len bytes. @param now_ms CLOCK_MONOTONIC ms, stored as stats_at.
 * @returns SGX_OK or SGX_ERR_DECODE when the document is not what librdkafka writes.
 * @locality the poll thread (the only writer of partition slots).
 */
sgx_err_t sgx_kstats_apply(sgx_stats_t *s, const char *json, size_t len, int64_t now_ms);

/** @brief Installs the statistics and commit callbacks on a consumer conf (opaque must be the
 *  consumer) and, when metrics are served and cfg does not set it, statistics.interval.ms.
 *  @param conf borrowed, modified. */
void sgx_kstats_install(rd_kafka_conf_t *conf, const sgx_config_t *cfg);

/** @brief Publishes the poll thread's partition states (assigned, stored position, uncommitted
 *  span) into the stats slots. @locality the poll thread. */
void sgx_kstats_publish_parts(struct sgx_consumer *c);

/** @brief After a synchronous commit that succeeded: every assigned partition's committed
 *  offset is its stored position. @locality the poll thread. */
void sgx_kstats_committed_all(struct sgx_consumer *c);

#endif
