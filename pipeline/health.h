/* Kubernetes probes: liveness (every pipeline thread keeps turning its loop) and readiness
 * (group joined with an assignment or idle by design, a broker reachable, no destination
 * blocked longer than ready_blocked_max_ms). Pure functions of the stats. */
#ifndef SGX_HEALTH_H
#define SGX_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "pipeline/stats.h"

/**
 * @brief Liveness. A thread whose last beat is older than cfg->liveness_stall_ms is stuck
 * (a thread that has not beaten yet counts from started_ms).
 * @param body receives an owned JSON object text saying why (free with free()).
 * @returns true when live.
 */
bool sgx_health_live(const sgx_config_t *cfg, sgx_stats_t *s, int64_t started_ms, int64_t now_ms,
                     char **body);

/**
 * @brief Readiness, from librdkafka's statistics (stale ones count as unreachable) and the
 * destination states. @param body as for sgx_health_live. @returns true when ready.
 */
bool sgx_health_ready(const sgx_config_t *cfg, sgx_stats_t *s, int64_t now_ms, char **body);

#endif
