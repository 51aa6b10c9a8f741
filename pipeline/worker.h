/* Worker threads: decoded record -> one row per exporting destination (normalize + hash). */
#ifndef SGX_WORKER_H
#define SGX_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "pipeline/dest.h"
#include "pipeline/dlq.h"
#include "pipeline/route.h"
#include "pipeline/rowbuild.h"
#include "pipeline/stats.h"

/* What all workers share, read-only. */
typedef struct {
    const sgx_routes_t *routes;
    const sgx_dest_t *dests;
    size_t ndests;
    sgx_dlq_t *dlq;
    sgx_stats_t *stats;
    atomic_bool *stop;  /* set when the pipeline winds down: exit once the input is empty */
    atomic_bool *abort; /* set on an abrupt stop: exit now */
} sgx_worker_shared_t;

typedef struct {
    pthread_t thread;
    const sgx_worker_shared_t *sh;
    sgx_ring_t *in;   /* records from the poll thread (SPSC) */
    sgx_ring_t *out;  /* rows to the dispatcher (SPSC) */
    sgx_ring_t *done; /* final records back to the poll thread (SPSC) */
    sgx_rowbuilder_t *rb;
    sgx_drop_counts_t *drops; /* per destination, owned */
    int index;
} sgx_worker_t;

/**
 * @brief Creates the worker's rings and builder and starts its thread.
 * @param sh borrowed, must outlive the worker. @param w caller-owned storage.
 */
sgx_err_t sgx_worker_start(sgx_worker_t *w, const sgx_worker_shared_t *sh, int index,
                           size_t ring_capacity, size_t done_capacity);

/** @brief Joins the thread (after stop or abort is set). Rings stay readable. */
void sgx_worker_join(sgx_worker_t *w);

/** @brief Frees what start made (after join; the rings must have been drained). */
void sgx_worker_free(sgx_worker_t *w);

/** @brief Idle wait used by every pipeline thread: short sleep, no busy spin on 2 cores. */
void sgx_idle(int round);

#endif
