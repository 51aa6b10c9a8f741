/* Open-addressing hash map from uint64 keys to pointers (linear probing, backward-shift
 * deletion, doubles at 70% load).
 *
 * The dispatcher keys it by xxh3 profile hashes for the per-audience in-flight fence and the
 * coalescing index of an open batch: many lookups per row, inserts and deletes as requests
 * start and finish, all on one thread.
 *
 * Why hand-written: none of the C maps one can install from Debian fits. uthash is a set of
 * macros over an UT_hash_handle embedded in a caller-allocated struct, so each entry is its own
 * heap object and a lookup chases pointers through chained buckets; GLib's GHashTable would pull
 * GLib into a service that otherwise does not need it and hashes to 32 bits through function
 * pointers; klib's khash is macro-generated and vendored rather than packaged. A flat table of
 * 16-byte (key, value) slots with linear probing keeps a probe within one or two cache lines,
 * and backward-shift deletion leaves no tombstones, so a long-lived map whose keys churn
 * (in-flight fences) never degrades or needs a rehash to clean up. */
#ifndef SGX_HMAP_H
#define SGX_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Not thread-safe: used by one thread (the dispatcher). Values are borrowed pointers. A NULL
 * map reads as an empty one (get, del, count), so an owner may create its maps lazily. */
typedef struct sgx_hmap sgx_hmap_t;

/**
 * @brief Creates an empty map sized to hold initial_capacity keys without growing.
 * @param initial_capacity a hint; 0 is fine.
 * @param out owned on success; free with sgx_hmap_destroy.
 * @returns SGX_OK, or SGX_ERR_INVALID if the hint is absurdly large (over 2^40 keys).
 * @locality the owning thread.
 */
sgx_err_t sgx_hmap_new(size_t initial_capacity, sgx_hmap_t **out);

/** @brief Frees the map, not the values. NULL-safe. @locality the owning thread. */
void sgx_hmap_destroy(sgx_hmap_t *h);

/**
 * @brief Looks a key up.
 * @param found optional (may be NULL); set to whether the key is present, which tells a stored
 * NULL value apart from a missing key.
 * @returns the borrowed value, or NULL if absent.
 * @locality the owning thread.
 */
void *sgx_hmap_get(const sgx_hmap_t *h, uint64_t key, bool *found);

/**
 * @brief Inserts the key, or replaces its value (the old value is not freed). Any key works,
 * including 0. May grow the table, which invalidates nothing the caller holds (values are
 * pointers the map does not own).
 * @returns SGX_OK, or SGX_ERR_NOMEM if the table cannot grow any further (over 2^40 keys).
 * @locality the owning thread; never from inside sgx_hmap_foreach's callback.
 */
sgx_err_t sgx_hmap_put(sgx_hmap_t *h, uint64_t key, void *value);

/**
 * @brief Removes a key.
 * @param old optional (may be NULL); receives the removed value, which the caller now owns.
 * @returns SGX_OK or SGX_ERR_NOT_FOUND.
 * @locality the owning thread; never from inside sgx_hmap_foreach's callback.
 */
sgx_err_t sgx_hmap_del(sgx_hmap_t *h, uint64_t key, void **old);

/** @brief Number of keys. @locality the owning thread. */
size_t sgx_hmap_count(const sgx_hmap_t *h);

typedef void (*sgx_hmap_visit_fn)(uint64_t key, void *value, void *arg);

/**
 * @brief Calls fn once per key, in no particular order. fn must not put or delete (the table
 * could grow or shift under the walk); collect keys first, then change the map.
 * @param arg passed through to fn.
 * @locality the owning thread.
 */
void sgx_hmap_foreach(const sgx_hmap_t *h, sgx_hmap_visit_fn fn, void *arg);

#endif
