/* The dead-letter topic: records that cannot be exported, with the reason in headers. */
#ifndef SGX_DLQ_H
#define SGX_DLQ_H

#include <stdbool.h>

#include "config/config.h"
#include "pipeline/record.h"
#include "pipeline/stats.h"

typedef struct sgx_dlq sgx_dlq_t;

/**
 * @brief Creates the DLQ producer (idempotent, acks=all) from the kafka properties, and the
 * thread that serves its delivery reports.
 * @param done borrowed: a done ring of its own (pushed by the DLQ thread only), drained by the
 * poll thread. @param stats borrowed. @param out owned on success, free with sgx_dlq_destroy.
 */
sgx_err_t sgx_dlq_new(const sgx_config_t *cfg, sgx_ring_t *done, sgx_stats_t *stats,
                      sgx_dlq_t **out, char *errbuf);

/**
 * @brief Produces rec to the dead-letter topic with headers reason, source.topic,
 * source.partition, source.offset and destination (when dest is non-NULL). Takes a hold on
 * rec that is released once Kafka acknowledged the DLQ record. Never waits: when the producer
 * queue is full the record waits in a backlog the DLQ thread produces. A record larger than
 * the producer's message.max.bytes goes without its value (then with its key cut) and header
 * `truncated: value` (`value,key`). A transient failure is produced again; a permanent one
 * (authorization, size, unknown topic) blocks the record's partition: not released, counted
 * in part->dlq_blocked (the poll thread pauses the partition), retried with capped backoff,
 * logged once. A record whose partition was revoked meanwhile is released without producing.
 * reason and dest are borrowed, copied.
 * @param with_value false for oversized records: only the headers are kept.
 * @locality any thread.
 */
void sgx_dlq_send(sgx_dlq_t *dlq, sgx_record_t *rec, const char *reason, const char *dest,
                  bool with_value);

/** @brief Stops the DLQ thread and destroys the producer: outstanding records are released
 * into done, not produced. NULL-safe. */
void sgx_dlq_destroy(sgx_dlq_t *dlq);

/** @brief Creates a librdkafka configuration from cfg's properties, leaving out the consumer
 * ones when for_producer. @returns owned conf, or NULL with errbuf set. */
struct rd_kafka_conf_s *sgx_kafka_conf(const sgx_config_t *cfg, bool for_producer,
                                       char *errbuf);

#endif
