/* A consumed Kafka record on its way through the pipeline, and its acknowledgement count. */
#ifndef SGX_RECORD_H
#define SGX_RECORD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "codecs/event.h"
#include "base/ring.h"

struct sgx_part;

/* One allocation: this header, then the key bytes, then the value bytes. The decoded slices
 * point into the value's Avro body, so nothing else is copied. The record is final when
 * `pending` reaches zero: every destination row delivered or dead-lettered, every DLQ produce
 * acknowledged by Kafka. Only then may its offset count as done. */
typedef struct sgx_record {
    atomic_int pending;
    struct sgx_part *part;  /* borrowed: partition states live as long as the consumer */
    uint32_t generation;    /* the partition's assignment generation when consumed */
    int64_t offset;
    uint32_t key_len;
    uint32_t value_len;
    uint32_t body_off;      /* Avro body start inside the value (after the 5-byte frame) */
    bool decoded;           /* dec is valid (a stashed record may still wait for a schema) */
    sgx_decoded_t dec;
    unsigned char data[];   /* key, then value */
} sgx_record_t;

static inline const unsigned char *sgx_record_key(const sgx_record_t *rec)
{
    return rec->data;
}

static inline const unsigned char *sgx_record_value(const sgx_record_t *rec)
{
    return rec->data + rec->key_len;
}

/** @returns the base the decoded slices are relative to (borrowed). */
static inline const unsigned char *sgx_record_body(const sgx_record_t *rec)
{
    return rec->data + rec->key_len + rec->body_off;
}

static inline void sgx_record_hold(sgx_record_t *rec)
{
    atomic_fetch_add_explicit(&rec->pending, 1, memory_order_relaxed);
}

/**
 * @brief Drops one hold; the thread that drops the last one hands the record (ownership) to
 * the poll thread through its own done ring. Done rings are sized above the in-flight bound,
 * so the push cannot fail for long; it spins politely if it ever does.
 * @locality any pipeline thread, each with its own done ring.
 */
void sgx_record_release(sgx_record_t *rec, sgx_ring_t *done);

#endif
