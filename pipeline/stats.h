/* Counters shared between pipeline threads and readers (demo progress, metrics). Relaxed
 * atomics: each counter is independent and only ever read for reporting. No identifiers. */
#ifndef SGX_STATS_H
#define SGX_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#define SGX_STATS_MAX_DESTS 8
#define SGX_STATS_MAX_AUDS 64

typedef struct {
    atomic_uint_fast64_t requests;
    atomic_uint_fast64_t retries;
    atomic_uint_fast64_t throttled;
    atomic_uint_fast64_t rows_delivered;
    atomic_uint_fast64_t rows_rejected;
    atomic_uint_fast64_t rows_coalesced;
    atomic_uint_fast64_t rows_held;
    atomic_uint_fast64_t rows_no_key;
    atomic_uint_fast64_t audiences_created;
    atomic_uint_fast64_t blocks;          /* times the destination or one audience got blocked */
    atomic_int_fast64_t blocked;          /* blocked now: destination (1) + audiences */
    atomic_uint_fast64_t secret_reloads;  /* a *_file secret changed and was taken into use */
    atomic_uint_fast64_t batches_split;   /* whole-batch refusals retried in halves */
    atomic_uint_fast64_t waits_capped;    /* server-supplied waits cut to max_server_wait_ms */
    atomic_uint_fast64_t rows_by_aud[SGX_STATS_MAX_AUDS][2]; /* [audience][op] delivered */
} sgx_dest_stats_t;

typedef struct {
    atomic_uint_fast64_t consumed;
    atomic_uint_fast64_t done;          /* records final (acked or dead-lettered) */
    atomic_uint_fast64_t dead_lettered; /* DLQ records acknowledged by Kafka */
    atomic_uint_fast64_t unrouted;      /* segment exported by no destination */
    atomic_uint_fast64_t offset_gaps;   /* offsets skipped inside a partition */
    atomic_uint_fast64_t pauses;
    atomic_uint_fast64_t commits_stored;
    atomic_int_fast64_t inflight;
    atomic_int paused;
    sgx_dest_stats_t dest[SGX_STATS_MAX_DESTS];
} sgx_stats_t;

#define SGX_INC(c) atomic_fetch_add_explicit(&(c), 1, memory_order_relaxed)
#define SGX_ADD(c, n) atomic_fetch_add_explicit(&(c), (n), memory_order_relaxed)
#define SGX_GET(c) atomic_load_explicit(&(c), memory_order_relaxed)

#endif
