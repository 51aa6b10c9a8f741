/* SPSC ring: the classic Lamport queue with free-running indices and cached opposite indices
 * (the layout of Rigtorp's SPSCQueue and the DPDK/ck_ring single-producer paths).
 *
 * - head counts pushes and is written only by the producer; tail counts pops and is written
 *   only by the consumer. Both run freely and wrap at SIZE_MAX; because the capacity is a
 *   power of two, `index & mask` stays correct across the wrap and `head - tail` is always the
 *   fill level, so all capacity slots are usable (no "one empty slot" rule).
 * - Publication: the producer writes the slot, then stores head with release; the consumer
 *   loads head with acquire before reading the slot. Symmetrically the consumer's release store
 *   of tail tells the producer a slot may be overwritten. Slots themselves are plain pointers.
 * - Each side keeps a private copy of the other side's index and reloads the shared one only
 *   when the copy says full (producer) or empty (consumer). In steady state a side touches the
 *   other side's cache line once per lap instead of once per item, which is what removes the
 *   ping-pong that dominates a naive SPSC queue.
 */
#include "base/ring.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

/* 128, not 64: Intel's adjacent-line prefetcher pulls cache lines in pairs, so two hot fields
 * 64 bytes apart still interfere (folly and crossbeam pad to 128 for the same reason). */
#define SGX_RING_LINE 128

struct sgx_ring {
    /* Producer-written. */
    alignas(SGX_RING_LINE) _Atomic size_t head;
    /* Producer-private: last tail value it saw. */
    alignas(SGX_RING_LINE) size_t tail_cache;
    /* Consumer-written. */
    alignas(SGX_RING_LINE) _Atomic size_t tail;
    /* Consumer-private: last head value it saw. */
    alignas(SGX_RING_LINE) size_t head_cache;
    /* Read-only after creation: shared by both sides without traffic. */
    alignas(SGX_RING_LINE) size_t mask;
    void **slots;
};

static size_t round_up_pow2(size_t n)
{
    size_t p = 1;
    while (p < n) {
        p <<= 1;
    }
    return p;
}

sgx_err_t sgx_ring_new(size_t capacity, sgx_ring_t **out)
{
    if (capacity == 0 || capacity > SGX_RING_MAX_CAPACITY) {
        return SGX_ERR_INVALID;
    }
    size_t cap = round_up_pow2(capacity);
    /* sizeof is a multiple of the alignment, as aligned_alloc requires. */
    sgx_ring_t *r = aligned_alloc(alignof(sgx_ring_t), sizeof *r);
    if (!r) {
        sgx_oom(sizeof *r);
    }
    memset(r, 0, sizeof *r);
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    r->mask = cap - 1;
    r->slots = sgx_calloc(cap, sizeof *r->slots);
    *out = r;
    return SGX_OK;
}

void sgx_ring_destroy(sgx_ring_t *r)
{
    if (!r) {
        return;
    }
    sgx_free(r->slots);
    free(r); /* from aligned_alloc */
}

/* Free slots as seen by the producer at index h; refreshes the cached tail only when the cache
 * cannot satisfy `want`. */
static size_t producer_room(sgx_ring_t *r, size_t h, size_t want)
{
    size_t cap = r->mask + 1;
    size_t room = cap - (h - r->tail_cache);
    if (room < want) {
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        room = cap - (h - r->tail_cache);
    }
    return room;
}

/* Items available to the consumer at index t; refreshes the cached head only when needed. */
static size_t consumer_avail(sgx_ring_t *r, size_t t, size_t want)
{
    size_t avail = r->head_cache - t;
    if (avail < want) {
        r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
        avail = r->head_cache - t;
    }
    return avail;
}

sgx_err_t sgx_ring_push(sgx_ring_t *r, void *item)
{
    /* Relaxed: only this thread writes head. */
    size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (producer_room(r, h, 1) == 0) {
        return SGX_ERR_FULL;
    }
    r->slots[h & r->mask] = item;
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return SGX_OK;
}

sgx_err_t sgx_ring_pop(sgx_ring_t *r, void **item)
{
    size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (consumer_avail(r, t, 1) == 0) {
        return SGX_ERR_EMPTY;
    }
    *item = r->slots[t & r->mask];
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return SGX_OK;
}

size_t sgx_ring_push_many(sgx_ring_t *r, void *const *items, size_t n)
{
    size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t room = producer_room(r, h, n);
    size_t k = n < room ? n : room;
    if (k == 0) {
        return 0;
    }
    /* At most two contiguous runs: up to the end of the array, then from its start. */
    size_t at = h & r->mask;
    size_t first = r->mask + 1 - at;
    if (first > k) {
        first = k;
    }
    memcpy(&r->slots[at], items, first * sizeof *items);
    memcpy(&r->slots[0], items + first, (k - first) * sizeof *items);
    atomic_store_explicit(&r->head, h + k, memory_order_release);
    return k;
}

size_t sgx_ring_pop_many(sgx_ring_t *r, void **items, size_t max)
{
    size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t avail = consumer_avail(r, t, max);
    size_t k = max < avail ? max : avail;
    if (k == 0) {
        return 0;
    }
    size_t at = t & r->mask;
    size_t first = r->mask + 1 - at;
    if (first > k) {
        first = k;
    }
    memcpy(items, &r->slots[at], first * sizeof *items);
    memcpy(items + first, &r->slots[0], (k - first) * sizeof *items);
    atomic_store_explicit(&r->tail, t + k, memory_order_release);
    return k;
}

size_t sgx_ring_count(const sgx_ring_t *r)
{
    /* Tail first: head only grows, so a head read after tail is never behind it. The
     * difference can still exceed the capacity if both moved between the loads; clamp. */
    size_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    size_t n = h - t;
    return n > r->mask + 1 ? r->mask + 1 : n;
}

size_t sgx_ring_capacity(const sgx_ring_t *r)
{
    return r->mask + 1;
}
