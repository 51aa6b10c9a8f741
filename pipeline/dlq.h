/* The dead-letter topic: records that cannot be exported, with the reason in headers. */
#ifndef SGX_DLQ_H
#define SGX_DLQ_H

#include <stdbool.h>

#include "config/config.h"
#include "pipeline/record.h"
#include "pipeline/stats.h"

typedef struct sgx_dlq sgx_dlq_t;

/**
 * @brief Creates the DLQ producer (idempotent, acks=all) from the kafka properties.
 * @param done borrowed: the poll thread's own done ring, fed from delivery reports.
 * @param stats borrowed. @param out owned on success, free with sgx_dlq_destroy.
 */
sgx_err_t sgx_dlq_new(const sgx_config_t *cfg, sgx_ring_t *done, sgx_stats_t *stats,
                      sgx_dlq_t **out, char *errbuf);

/**
 * @brief Produces rec to the dead-letter topic with headers reason, source.topic,
 * source.partition, source.offset and destination (when dest is non-NULL). Takes a hold on
 * rec that is released once Kafka acknowledged the DLQ record (failed deliveries are retried:
 * a record is never dropped). reason and dest are borrowed, copied into headers.
 * @param with_value false for oversized records: only the headers are kept.
 * @locality any thread.
 */
void sgx_dlq_send(sgx_dlq_t *dlq, sgx_record_t *rec, const char *reason, const char *dest,
                  bool with_value);

/** @brief Serves delivery reports. @locality the poll thread. */
void sgx_dlq_poll(sgx_dlq_t *dlq);

/** @brief Waits up to timeout_ms for outstanding DLQ records. */
void sgx_dlq_flush(sgx_dlq_t *dlq, int timeout_ms);

/** @brief Destroys the producer. NULL-safe. */
void sgx_dlq_destroy(sgx_dlq_t *dlq);

/** @brief Creates a librdkafka configuration from cfg's properties, leaving out the consumer
 * ones when for_producer. @returns owned conf, or NULL with errbuf set. */
struct rd_kafka_conf_s *sgx_kafka_conf(const sgx_config_t *cfg, bool for_producer,
                                       char *errbuf);

#endif
