/* Who may send what (issue 10 §2): the partition ownership the poll thread publishes and the
 * dispatcher checks before it sends, retries or releases rows.
 *
 * Two facts are shared:
 *  - per partition, the generation this process owns it under (sgx_part_t.owned_gen, see
 *    part.h): a record consumed under another generation belongs to an assignment that ended,
 *    so its rows are dropped unacknowledged (the partition's next owner re-sends them);
 *  - group contact: when membership was last known to hold. A process that was not in contact
 *    for longer than the group's session timeout (SIGSTOP, a stuck host, a poll thread that
 *    stalled) may have been evicted, and the partitions given to another consumer, before its
 *    poll thread learns of it. The dispatcher starts no request while contact is older than
 *    the limit, until the poll thread has confirmed membership or learnt the next assignment.
 *
 * And one handshake: when partitions stop being owned the poll thread bumps `epoch` and waits
 * (bounded) until the dispatcher has dropped their rows and aborted their transfers (`purged`)
 * before it gives them up: after an unassign nothing more of them is sent.
 *
 * Every function here borrows the pointers it takes and keeps none. */
#ifndef SGX_OWNERSHIP_H
#define SGX_OWNERSHIP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pipeline/part.h"
#include "pipeline/record.h"

typedef struct {
    atomic_llong contact_ms;  /* CLOCK_MONOTONIC ms when membership was last known */
    atomic_uint epoch;        /* bumped whenever partitions stop being owned */
    atomic_uint purged;       /* the last epoch the dispatcher acted on */
    int64_t limit_ms;         /* immutable: longest contact age that still allows sending */
    /* poll thread only */
    int64_t last_tick_ms;
    bool suspect;             /* a gap longer than the limit: wait for proof of membership */
} sgx_own_t;

/**
 * @brief Initializes the gate: open from now on for limit_ms. The limit is the session
 * timeout minus one heartbeat interval (a member is evicted session.timeout.ms after its last
 * heartbeat reached the coordinator, which may be one interval before its last poll) minus a
 * second of margin, and never below a third of the session timeout.
 * @locality before threads start.
 */
void sgx_own_init(sgx_own_t *o, int64_t session_timeout_ms, int64_t heartbeat_ms, int64_t now);

/* ---- poll thread ----------------------------------------------------------------------- */

/**
 * @brief Called on every turn of the poll thread's loops. A turn that follows the previous one
 * by less than the limit proves the process ran without a long pause, and (unless suspect)
 * refreshes contact with the previous turn's time. A longer gap makes the gate suspect: contact
 * is no longer refreshed until sgx_own_confirmed.
 * @returns true when this turn found such a gap: only a proof obtained after it counts.
 */
bool sgx_own_tick(sgx_own_t *o, int64_t now);

/** @brief Membership was proven to hold at `since` (a commit the coordinator accepted, a new
 *  assignment): the gate opens again. */
void sgx_own_confirmed(sgx_own_t *o, int64_t since);

/** @brief Publishes p->generation as the owned one (after an assign bumped it) or, after a
 *  revoke bumped it, makes every earlier record of p unowned. */
void sgx_own_publish(sgx_part_t *p);

/** @brief Starts a purge: the dispatcher drops the rows of every record no longer owned.
 *  @returns the epoch to wait for. */
unsigned sgx_own_revoke_begin(sgx_own_t *o);

/** @brief Waits (sleeping, at most timeout_ms) until the dispatcher has purged epoch.
 *  @returns false on timeout. */
bool sgx_own_wait_purged(const sgx_own_t *o, unsigned epoch, int64_t timeout_ms);

/* ---- dispatcher ------------------------------------------------------------------------ */

/** @returns true while contact is recent enough for a request to start. */
bool sgx_own_may_send(const sgx_own_t *o, int64_t now);

/** @returns true when a purge is due: *seen (the dispatcher's copy) is set to the epoch to
 *  acknowledge with sgx_own_purged once done. */
bool sgx_own_purge_due(const sgx_own_t *o, unsigned *seen);

/** @brief The dispatcher dropped every unowned row and aborted their transfers. */
void sgx_own_purged(sgx_own_t *o, unsigned epoch);

/** @returns true when rec's partition is still owned under the generation rec was consumed in.
 *  @param rec borrowed. */
static inline bool sgx_own_record(const sgx_record_t *rec)
{
    return atomic_load_explicit(&rec->part->owned_gen, memory_order_acquire) == rec->generation;
}

#endif
