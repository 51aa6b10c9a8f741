/* The dispatcher thread: owns every batch and all destination I/O (libcurl multi). It fills
 * batches per (destination, audience, op), asks connectors to encode/prepare/classify, retries
 * with capped exponential backoff and full jitter (or the wait a destination asked for),
 * dead-letters rejected rows and releases acknowledged rows' records. */
#ifndef SGX_DISPATCHER_H
#define SGX_DISPATCHER_H

#include <stdatomic.h>
#include <stdbool.h>

#include "pipeline/dest.h"
#include "pipeline/dlq.h"
#include "pipeline/ring.h"
#include "pipeline/stats.h"

typedef struct {
    const sgx_dest_t *dests; /* borrowed, ndests <= SGX_STATS_MAX_DESTS */
    size_t ndests;
    sgx_ring_t *const *inputs; /* borrowed: one row ring per worker */
    size_t ninputs;
    sgx_ring_t *done;        /* borrowed: final records to the poll thread */
    sgx_dlq_t *dlq;
    sgx_stats_t *stats;
    atomic_bool *flush_now;  /* ignore linger: draining for shutdown or a revoke */
    atomic_bool *quit;       /* exit now; unsent rows are dropped unacknowledged */
    int retry_base_ms;
    int retry_cap_ms;
    int request_timeout_ms;
    int max_server_wait_ms;  /* cap on Retry-After and the like; 0: one hour */
    uint64_t seed;           /* jitter and session ids */
} sgx_dispatcher_opts_t;

typedef struct sgx_dispatcher sgx_dispatcher_t;

/** @param o copied. @param out owned on success; stop it with quit, then sgx_dispatcher_join. */
sgx_err_t sgx_dispatcher_start(const sgx_dispatcher_opts_t *o, sgx_dispatcher_t **out);

/** @brief Joins the thread after quit was set and frees everything. NULL-safe. */
void sgx_dispatcher_join(sgx_dispatcher_t *d);

#endif
