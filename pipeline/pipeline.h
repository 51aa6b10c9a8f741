/* The whole service in one object: consumer (poll thread), workers, dispatcher, DLQ. */
#ifndef SGX_PIPELINE_H
#define SGX_PIPELINE_H

#include <stdbool.h>

#include "config/config.h"
#include "pipeline/stats.h"

typedef struct sgx_pipeline sgx_pipeline_t;

/**
 * @brief Initializes connectors, opens the consumer and DLQ producer, starts every thread.
 * @param cfg borrowed; must outlive the pipeline.
 * @param out owned on success; stop with sgx_pipeline_stop, free with sgx_pipeline_destroy.
 */
sgx_err_t sgx_pipeline_start(const sgx_config_t *cfg, sgx_pipeline_t **out, char *errbuf);

/** @returns the live counters (borrowed, valid until destroy). */
sgx_stats_t *sgx_pipeline_stats(sgx_pipeline_t *p);

/** @returns the port /metrics is served on, or -1 when metrics_listen is not set. */
int sgx_pipeline_metrics_port(const sgx_pipeline_t *p);

/**
 * @brief Stops the pipeline. graceful: stop intake, finish in-flight work within the grace
 * period, commit what is acknowledged, leave the group. Not graceful: stop at once, commit
 * nothing more and do not leave the group (as a crash would). Idempotent.
 */
void sgx_pipeline_stop(sgx_pipeline_t *p, bool graceful);

/** @brief Stops (gracefully) if needed and frees everything. NULL-safe. */
void sgx_pipeline_destroy(sgx_pipeline_t *p);

#endif
