/* consumer_group_per_destination: one consumer group per destination in one process. Each group
 * is a whole pipeline (poll thread, workers, dispatcher, DLQ producer) over a configuration
 * derived from the process's: one destination, group.id `<group.id>.<destination name>`, and
 * the process-wide limits split between the groups. Internal to pipeline.c. */
#ifndef SGX_GROUPS_H
#define SGX_GROUPS_H

#include "config/config.h"
#include "pipeline/stats.h"

typedef struct sgx_groups sgx_groups_t;

/**
 * @brief Derives one configuration per destination of cfg.
 * @param cfg borrowed; must outlive *out (the derived configurations borrow its strings).
 * @param out owned: free with sgx_groups_free.
 */
sgx_err_t sgx_groups_new(const sgx_config_t *cfg, sgx_groups_t **out);

/** @returns how many groups (cfg->ndests). */
size_t sgx_groups_count(const sgx_groups_t *g);

/** @returns group i's configuration (borrowed, lives as long as g). */
const sgx_config_t *sgx_groups_config(const sgx_groups_t *g, size_t i);

/**
 * @brief Offset migration (groups_migrate.c): every partition a per-destination group has no
 * committed offset for gets the shared group's (cfg's group.id) committed offset, so switching
 * consumer_group_per_destination on neither replays the topic nor skips records. Call before
 * any group's consumer joins (committing for a group needs it empty).
 * @param cfg, g borrowed. @param errbuf says why on failure (the groups must not start then).
 */
sgx_err_t sgx_groups_migrate(const sgx_config_t *cfg, const sgx_groups_t *g, char *errbuf);

/**
 * @brief Refreshes the process-wide view agg from the groups' counters: per record the slowest
 * group (done is the minimum), per process the sum (inflight, memory), per partition one series
 * per group (part->group). Destination counters are not copied: the groups write them into agg
 * directly (stats dest_home). @param agg written by this call only (one caller thread).
 * @param groups borrowed, n of them.
 */
void sgx_groups_aggregate(sgx_stats_t *agg, sgx_stats_t *const *groups, size_t n);

/** @brief Frees the derived configurations. NULL-safe. */
void sgx_groups_free(sgx_groups_t *g);

#endif
