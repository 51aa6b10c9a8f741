/* Per-partition acknowledgement tracker: turns out-of-order "done" signals into the contiguous
 * watermark that may be stored with rd_kafka_offsets_store (docs/kafka.md §4: nothing that is
 * not done is ever committed).
 *
 * Offsets are tracked in the ascending order they are consumed and may have gaps (compacted
 * records, transaction control markers never reach the application). The committable position
 * is the first tracked offset not yet done, or last tracked + 1 when every tracked offset is
 * done. Storing it is correct across gaps: offsets skipped by the fetch do not exist.
 *
 * Memory is proportional to the number of offsets still held (pending ones and done ones
 * behind the oldest pending), never to the span of offsets, so a gap of millions costs
 * nothing. */
#ifndef SGX_OFFSETS_H
#define SGX_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* One partition. Not thread-safe: owned and used by the poll thread only (acks reach it over
 * the ack ring). */
typedef struct sgx_offsets sgx_offsets_t;

/**
 * @brief Creates an empty tracker.
 * @param out owned on success; free with sgx_offsets_destroy.
 * @locality poll thread.
 */
sgx_err_t sgx_offsets_new(sgx_offsets_t **out);

/** @brief Frees the tracker. NULL-safe. @locality poll thread. */
void sgx_offsets_destroy(sgx_offsets_t *o);

/**
 * @brief Records a consumed offset as pending.
 * @returns SGX_OK, or SGX_ERR_INVALID if offset is negative or not greater than the last
 * tracked offset (since creation or the last reset).
 * @locality poll thread.
 */
sgx_err_t sgx_offsets_track(sgx_offsets_t *o, int64_t offset);

/**
 * @brief Marks a tracked offset done (every destination acknowledged it, or it went to the DLQ).
 * @returns SGX_OK; SGX_ERR_INVALID if it was already done; SGX_ERR_NOT_FOUND if it was never
 * tracked (beyond the last tracked offset, inside a gap, or before the first tracked one).
 * Offsets below the committable position are released from memory, so a done() on any of
 * them returns SGX_ERR_INVALID, even for a gap offset there: both are caller bugs either way.
 * @locality poll thread.
 */
sgx_err_t sgx_offsets_done(sgx_offsets_t *o, int64_t offset);

/**
 * @brief Reports the committable position when it moved forward since the last call that
 * returned true. The position of a fresh (or reset) tracker right after its first track() is
 * the baseline, not a movement: storing the offset the consumer started from gains nothing.
 * @param next receives the offset to store (the next one to read) when true is returned.
 * @locality poll thread.
 */
bool sgx_offsets_advance(sgx_offsets_t *o, int64_t *next);

/**
 * @brief Current committable position; -1 if nothing was tracked since creation or reset.
 * @locality poll thread.
 */
int64_t sgx_offsets_position(const sgx_offsets_t *o);

/** @brief Offsets tracked but not yet done. @locality poll thread. */
size_t sgx_offsets_pending(const sgx_offsets_t *o);

/**
 * @brief Offsets held in memory: the oldest not-done one and every offset tracked after it,
 * done or not (the uncommitted span; what one stuck record makes grow). 0 when everything
 * tracked is done. @locality poll thread.
 */
size_t sgx_offsets_held(const sgx_offsets_t *o);

/**
 * @brief Forgets everything (partition revoked or re-assigned); the next track() may start
 * from any offset. Keeps the allocated memory.
 * @locality poll thread.
 */
void sgx_offsets_reset(sgx_offsets_t *o);

#endif
