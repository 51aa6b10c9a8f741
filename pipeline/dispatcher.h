/* The dispatcher thread: owns every batch and all destination I/O (libcurl multi). It fills
 * batches per (destination, audience, op), asks connectors to encode/prepare/classify, retries
 * with capped exponential backoff and full jitter (or the wait a destination asked for),
 * dead-letters rejected rows and releases acknowledged rows' records.
 *
 * One module in three files, which call each other in a loop on purpose: dispatcher.c (the
 * thread's loop: fill batches, decide what is due), dispatch_req.c (requests: send, collect,
 * classify, act on verdicts, retry) and dispatch_auth.c (token requests). They share one state
 * (sgx_dispatcher, sgx_dest_rt_t in dispatch_req.h) owned by one thread; a token request is a
 * transfer on the same curl multi handle as a batch, so the request code starts and collects it
 * (auth -> req), and a destination's readiness (pacing, throttling, a valid token) gates new
 * batches and retries alike (loop -> auth, req -> auth). Splitting them into layers would mean
 * callbacks between halves of one state machine. The split is by size, not by job; nothing
 * outside this module should need dispatch_req.h (today consumer, rebalance, the demo command
 * and the testkit include it for sgx_now_ms only, a clock that belongs in base/). */
#ifndef SGX_DISPATCHER_H
#define SGX_DISPATCHER_H

#include <stdatomic.h>
#include <stdbool.h>

#include "base/ring.h"
#include "pipeline/dest.h"
#include "pipeline/dlq.h"
#include "base/ring.h"
#include "pipeline/ownership.h"
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
    sgx_own_t *own;          /* borrowed: partition ownership and group contact */
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
