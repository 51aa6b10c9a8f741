/* Per-partition consumer state. Owned by the poll thread; other threads only read the
 * immutable topic name and partition number of the part a record points to. */
#ifndef SGX_PART_H
#define SGX_PART_H

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
    bool span_paused;       /* paused by us: too many records uncommitted behind a stuck one */
    size_t inflight;        /* records consumed and not yet final */
    int64_t next_expected;  /* to count offset gaps (the mock cluster's retention trap) */
    struct sgx_part *hash_next; /* another partition whose lookup key collides (consumer.c) */
} sgx_part_t;

#endif
