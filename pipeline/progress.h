/* The `run` progress line every progress_interval_s seconds, and the summary at stop:
 * consumed, delivered per destination, dead-lettered, committed offsets per partition, left
 * unacknowledged. Counts and offsets only. */
#ifndef SGX_PROGRESS_H
#define SGX_PROGRESS_H

#include <stdbool.h>

#include "config/config.h"
#include "pipeline/stats.h"

typedef struct sgx_progress sgx_progress_t;

/** @brief Starts the progress thread when cfg->progress_interval_s > 0 (else *out = NULL).
 *  @param cfg, s borrowed: must outlive it. @param out owned: sgx_progress_stop. */
sgx_err_t sgx_progress_start(const sgx_config_t *cfg, sgx_stats_t *s, sgx_progress_t **out);

/** @brief Stops and frees the thread. NULL-safe. */
void sgx_progress_stop(sgx_progress_t *p);

/** @brief Logs one summary line (INFO): "progress" or, with final, "final summary". */
void sgx_progress_log(const sgx_config_t *cfg, sgx_stats_t *s, bool final);

#endif
