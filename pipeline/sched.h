/* Which due batches a destination sends first when it has fewer free request slots than due
 * batches: the ones open longest. A batch's rows hold back their partitions' committed offsets,
 * so sending the oldest first keeps the committed offsets moving and bounds how long any
 * acknowledgement waits; the order of the active list (first come, kept) would let audiences
 * early in it take every slot while a late one ages. Pure, no clock: unit-tested. */
#ifndef SGX_SCHED_H
#define SGX_SCHED_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t since;  /* when the open batch opened (ms) */
    uint32_t aud;   /* audience index */
    uint8_t op;     /* sgx_op_t */
} sgx_due_t;

/**
 * @brief Reorders due (borrowed, n entries) so that its first min(slots, n) entries are the
 * oldest, oldest first (ties: lower audience index, then ENTER before EXIT). With slots >= n
 * nothing needs choosing and the order is left as it is.
 */
void sgx_sched_oldest_first(sgx_due_t *due, size_t n, size_t slots);

#endif
