/* Prometheus text exposition (format 0.0.4) of the pipeline's counters. Names follow the
 * Prometheus conventions (segexport_ prefix, _total counters, base units); label values come
 * from the configuration (destination, audience, segment, topic) or from fixed code tables
 * (outcome, state, key, reason), never from event data. */
#ifndef SGX_METRICS_H
#define SGX_METRICS_H

#include <stdint.h>

#include "base/buf.h"
#include "config/config.h"
#include "pipeline/stats.h"

/**
 * @brief Appends the whole exposition to out.
 * @param cfg, s borrowed (s is read with relaxed loads while threads update it).
 * @param now_ms CLOCK_MONOTONIC ms (for the time spent in a destination state).
 */
void sgx_metrics_render(const sgx_config_t *cfg, sgx_stats_t *s, int64_t now_ms, sgx_buf_t *out);

/** @brief Appends v as a label value: backslash, double quote and newline escaped. */
void sgx_metrics_label(sgx_buf_t *out, const char *v);

#endif
