#include "pipeline/ownership.h"

#include <time.h>

#define MARGIN_MS 1000

void sgx_own_init(sgx_own_t *o, int64_t session_timeout_ms, int64_t heartbeat_ms, int64_t now)
{
    int64_t limit = session_timeout_ms - heartbeat_ms - MARGIN_MS;
    if (limit < session_timeout_ms / 3) {
        limit = session_timeout_ms / 3;
    }
    o->limit_ms = limit;
    o->last_tick_ms = now;
    o->suspect = false;
    atomic_init(&o->contact_ms, now);
    atomic_init(&o->epoch, 0);
    atomic_init(&o->purged, 0);
}

bool sgx_own_tick(sgx_own_t *o, int64_t now)
{
    int64_t prev = o->last_tick_ms;
    o->last_tick_ms = now;
    if (now - prev > o->limit_ms) {
        o->suspect = true;
        return true;
    }
    /* Alive from prev to now without a long pause; the previous turn is the conservative
     * moment to claim (heartbeats run in librdkafka's threads, which ran as well). */
    if (!o->suspect && prev > atomic_load_explicit(&o->contact_ms, memory_order_relaxed)) {
        atomic_store_explicit(&o->contact_ms, prev, memory_order_release);
    }
    return false;
}

void sgx_own_confirmed(sgx_own_t *o, int64_t since)
{
    o->suspect = false;
    if (since > atomic_load_explicit(&o->contact_ms, memory_order_relaxed)) {
        atomic_store_explicit(&o->contact_ms, since, memory_order_release);
    }
}

void sgx_own_publish(sgx_part_t *p)
{
    atomic_store_explicit(&p->owned_gen, p->generation, memory_order_release);
}

unsigned sgx_own_revoke_begin(sgx_own_t *o)
{
    return atomic_fetch_add_explicit(&o->epoch, 1, memory_order_acq_rel) + 1;
}

bool sgx_own_wait_purged(const sgx_own_t *o, unsigned epoch, int64_t timeout_ms)
{
    struct timespec step = {0, 1000000L};
    for (int64_t waited = 0;; waited++) {
        /* Unsigned difference: correct across wrap-around of the counters. */
        unsigned done = atomic_load_explicit(&o->purged, memory_order_acquire);
        if ((int)(done - epoch) >= 0) {
            return true;
        }
        if (waited >= timeout_ms) {
            return false;
        }
        nanosleep(&step, NULL);
    }
}

bool sgx_own_may_send(const sgx_own_t *o, int64_t now)
{
    return now - atomic_load_explicit(&o->contact_ms, memory_order_acquire) <= o->limit_ms;
}

bool sgx_own_purge_due(const sgx_own_t *o, unsigned *seen)
{
    unsigned e = atomic_load_explicit(&o->epoch, memory_order_acquire);
    if (e == *seen) {
        return false;
    }
    *seen = e;
    return true;
}

void sgx_own_purged(sgx_own_t *o, unsigned epoch)
{
    atomic_store_explicit(&o->purged, epoch, memory_order_release);
}
