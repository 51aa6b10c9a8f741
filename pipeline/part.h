/* Per-partition consumer state. Owned by the poll thread; other threads only read the
 * immutable topic name and partition number of the part a record points to, and the atomics. */
#ifndef SGX_PART_H
#define SGX_PART_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/offsets.h"

typedef struct sgx_part {
    char *topic;            /* immutable after creation */
    int32_t partition;      /* immutable after creation */
    sgx_offsets_t *offsets; /* acknowledgement watermark */
    uint32_t generation;    /* bumped on every assign/revoke: stale acks are ignored */
    bool assigned;
    atomic_uint owned_gen;  /* generation as published to the dispatcher and the DLQ thread
                             * (ownership.h) */
    size_t inflight;        /* records consumed and not yet final */
    int64_t next_expected;  /* to count offset gaps (the mock cluster's retention trap) */
    atomic_int dlq_blocked; /* records the dead-letter topic refuses for good (dlq.c) */
    bool dlq_paused;        /* paused by the poll thread because dlq_blocked > 0 */
    int64_t unstored;       /* watermark rd_kafka_offsets_store refused, to store again; 0 none */
    struct sgx_part_stats_s *stats; /* its metrics slot (borrowed), NULL past the bound */
    bool span_paused;       /* paused by us: too many records uncommitted behind a stuck one */
    struct sgx_part *hash_next; /* another partition whose lookup key collides (consumer.c) */
} sgx_part_t;

#endif
