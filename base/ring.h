/* Bounded single-producer single-consumer ring of pointers (C11 atomics).
 *
 * Threads share work only through these rings: poll -> worker, worker -> dispatcher,
 * dispatcher -> poll (acks). Exactly one thread pushes and exactly one thread pops for the
 * life of a ring; that restriction is what makes it lock-free with one release store per
 * operation. Pushing an item hands its ownership to whoever pops it. */
#ifndef SGX_RING_H
#define SGX_RING_H

#include <stddef.h>

#include "base/err.h"

/* Largest accepted capacity (after rounding up to a power of two): 2^30 slots, 8 GiB of
 * pointers, far beyond any sane queue; larger requests are configuration mistakes. */
#define SGX_RING_MAX_CAPACITY ((size_t)1 << 30)

typedef struct sgx_ring sgx_ring_t;

/**
 * @brief Creates an empty ring holding at least `capacity` items.
 * @param capacity 1..SGX_RING_MAX_CAPACITY, rounded up to a power of two.
 * @param out owned on success; free with sgx_ring_destroy.
 * @returns SGX_OK, or SGX_ERR_INVALID for a capacity out of range.
 * @locality any thread, before the ring is shared.
 */
sgx_err_t sgx_ring_new(size_t capacity, sgx_ring_t **out);

/**
 * @brief Frees the ring. Items still inside are NOT freed: drain it first if they own memory.
 * NULL-safe.
 * @locality any thread, once producer and consumer have stopped using it.
 */
void sgx_ring_destroy(sgx_ring_t *r);

/**
 * @brief Appends one item.
 * @returns SGX_OK (ownership of item passes to the consumer) or SGX_ERR_FULL (the caller keeps
 * it).
 * @locality the producer thread only.
 */
sgx_err_t sgx_ring_push(sgx_ring_t *r, void *item);

/**
 * @brief Takes the oldest item.
 * @param item receives an owned item on SGX_OK; untouched on SGX_ERR_EMPTY.
 * @locality the consumer thread only.
 */
sgx_err_t sgx_ring_pop(sgx_ring_t *r, void **item);

/**
 * @brief Appends up to n items in order, publishing them with one release store.
 * @param items borrowed array; ownership of items[0..ret) passes to the consumer, the rest
 * stays with the caller.
 * @returns how many were pushed (a prefix of items), 0..n.
 * @locality the producer thread only.
 */
size_t sgx_ring_push_many(sgx_ring_t *r, void *const *items, size_t n);

/**
 * @brief Takes up to max oldest items in order.
 * @param items receives the owned items in items[0..ret).
 * @returns how many were taken, 0..max.
 * @locality the consumer thread only.
 */
size_t sgx_ring_pop_many(sgx_ring_t *r, void **items, size_t max);

/**
 * @brief Number of items inside. Exact from the producer or consumer when the other side is
 * idle; otherwise a snapshot that may be stale by the time it returns (good for backpressure
 * marks and metrics, not for control flow).
 * @locality any thread.
 */
size_t sgx_ring_count(const sgx_ring_t *r);

/** @brief Capacity after rounding (a power of two). @locality any thread. */
size_t sgx_ring_capacity(const sgx_ring_t *r);

#endif
