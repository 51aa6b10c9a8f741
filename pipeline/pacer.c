#include "pipeline/pacer.h"

/* The spacing a throttle starts from when there was none: one round trip on a fast link. */
#define THROTTLE_MIN_INTERVAL_MS 50.0
/* The most spacing throttles alone may add (no usage or quota reported). */
#define THROTTLE_MAX_INTERVAL_MS 1000.0
/* Answers slower than this and LATENCY_FACTOR times the fastest mean a congested destination;
 * high, because one destination mixes quick polls with uploads of up to 100 MB. */
#define LATENCY_SLOW_MS 10000
#define LATENCY_FACTOR 4
/* Own calls in the window from which the usage is taken to be mostly this destination's. */
#define OWN_CALLS_MIN 16

void sgx_pacer_init(sgx_pacer_t *p, int min_interval_ms, int max_inflight, int64_t window_ms)
{
    *p = (sgx_pacer_t){.floor_ms = min_interval_ms > 0 ? min_interval_ms : 0,
                       .max_inflight = max_inflight > 0 ? max_inflight : 1,
                       .last_start = INT64_MIN,
                       .fastest_ms = -1};
    p->interval_ms = p->floor_ms;
    p->cap = p->max_inflight;
    p->usage = -1;
    p->window_ms = window_ms > 0 ? window_ms : 0;
}

int64_t sgx_pacer_next_start(const sgx_pacer_t *p)
{
    if (p->last_start == INT64_MIN) {
        return p->hold_until;
    }
    int64_t next = p->last_start + (int64_t)p->interval_ms;
    return next > p->hold_until ? next : p->hold_until;
}

int sgx_pacer_inflight_cap(const sgx_pacer_t *p)
{
    int cap = (int)p->cap;
    /* Close to a rolling allowance, each answer's usage must be read before more go out, or
     * the calls already on their way carry it past 100%. */
    if (p->usage >= SGX_PACER_USAGE_TARGET - 12 && cap > 1) {
        cap = p->usage >= SGX_PACER_USAGE_TARGET - 6 ? 1 : 2;
    }
    return cap < 1 ? 1 : cap;
}

void sgx_pacer_started(sgx_pacer_t *p, int64_t now)
{
    p->last_start = now;
    if (p->nsends == SGX_PACER_LOG) {
        p->head = (p->head + 1) % SGX_PACER_LOG;
        p->nsends--;
    }
    p->sends[(p->head + p->nsends++) % SGX_PACER_LOG] = now;
}

/* Own calls older than the window count no more. */
static void expire(sgx_pacer_t *p, int64_t now)
{
    while (p->nsends > 0 && p->sends[p->head] <= now - p->window_ms) {
        p->head = (p->head + 1) % SGX_PACER_LOG;
        p->nsends--;
    }
}

/* Known window: at the target, wait for the oldest own call in it to leave. With few of ours
 * in it the usage is mostly others' calls (another app, or this destination before a restart),
 * whose times are unknown: look again a 64th of the window later rather than wait for ours,
 * which may have been made just now. A throttle is left
 * to the wait the platform names (estimated_time_to_regain_access) or the core's backoff: its
 * usage figure says the allowance is spent, not when it returns. */
static void usage_gate(sgx_pacer_t *p, const sgx_pacer_obs_t *o, int64_t now)
{
    p->usage = o->usage_pct;
    p->interval_ms = p->floor_ms;
    expire(p, now);
    if (o->usage_pct < SGX_PACER_USAGE_TARGET || o->throttled) {
        return;
    }
    int64_t until = p->nsends >= OWN_CALLS_MIN ? p->sends[p->head] + p->window_ms + 1
                                               : now + p->window_ms / 64;
    p->hold_until = until > p->hold_until ? until : p->hold_until;
}

/* The calls left, less those already on their way, spread over the time to the reset; none
 * left: nothing starts before the reset. Resets come in whole seconds (epoch seconds less an
 * HTTP Date), so the real wait is up to a second shorter than reported: the calls are spread
 * over the shortest it may be, and the hold lasts the longest, so a window is used to its
 * end and never overrun. */
static void from_quota(sgx_pacer_t *p, const sgx_pacer_obs_t *o, int others, int64_t now)
{
    int64_t left = o->quota_remaining - others;
    if (left <= 0) {
        p->hold_until = now + o->quota_reset_ms;
        return;
    }
    int64_t span = o->quota_reset_ms > 1000 ? o->quota_reset_ms - 1000 : 0;
    p->hold_until = 0;
    p->interval_ms = (double)span / (double)left;
}

/* Usage of a rolling window follows the rate with no delay (each call counts at once), so a
 * correction in proportion to the gap to the target settles without overshooting far: a
 * quarter more spacing per point above it, a quarter less per point below (bounded). */
static void from_usage(sgx_pacer_t *p, const sgx_pacer_obs_t *o)
{
    double factor = 1.0 + 0.25 * (o->usage_pct - SGX_PACER_USAGE_TARGET);
    factor = factor < 0.5 ? 0.5 : factor > 2.0 ? 2.0 : factor;
    double base = p->interval_ms;
    if (factor > 1.0 && base < 1.0) {
        base = 1.0; /* nothing to multiply yet: start from a millisecond */
    }
    p->interval_ms = base * factor;
    p->usage = o->usage_pct;
}

/* No allowance reported: additive increase of the concurrency, a gradual return of the rate. */
static void recover(sgx_pacer_t *p, const sgx_pacer_obs_t *o)
{
    p->interval_ms *= 0.9;
    p->cap += 1.0 / p->cap;
    if (o->latency_ms < 0) {
        return;
    }
    if (p->fastest_ms < 0 || o->latency_ms < p->fastest_ms) {
        p->fastest_ms = o->latency_ms;
    }
    if (o->latency_ms > LATENCY_SLOW_MS && o->latency_ms > LATENCY_FACTOR * p->fastest_ms) {
        p->cap *= 0.75;
    }
}

void sgx_pacer_observe(sgx_pacer_t *p, const sgx_pacer_obs_t *o, int others, int64_t now)
{
    if (o->has_quota) {
        from_quota(p, o, others, now);
    } else if (o->has_usage && p->window_ms > 0) {
        usage_gate(p, o, now);
        p->cap = o->throttled ? p->cap / 2 : p->cap + 1.0 / p->cap;
        p->cap = p->cap < 1 ? 1 : p->cap > p->max_inflight ? p->max_inflight : p->cap;
        return; /* the gate decides: no spacing from the throttle rules */
    } else if (o->has_usage) {
        from_usage(p, o);
    }
    if (o->throttled) {
        /* Bounded: every answer of a throttled burst doubles it, and the way back is 10% per
         * answer, so an unbounded spacing after a 30 s throttle (60 s between requests) took
         * ten minutes to recover (system scenario 3). The wait itself is the core's backoff. */
        p->interval_ms = p->interval_ms * 2 > THROTTLE_MIN_INTERVAL_MS ? p->interval_ms * 2
                                                                       : THROTTLE_MIN_INTERVAL_MS;
        if (p->interval_ms > THROTTLE_MAX_INTERVAL_MS && !o->has_usage) {
            p->interval_ms = THROTTLE_MAX_INTERVAL_MS;
        }
        p->cap /= 2;
    } else if (!o->has_quota && !o->has_usage) {
        recover(p, o);
    }
    if (p->interval_ms < p->floor_ms) {
        p->interval_ms = p->floor_ms;
    }
    if (p->interval_ms > SGX_PACER_MAX_INTERVAL_MS && !o->has_quota) {
        p->interval_ms = SGX_PACER_MAX_INTERVAL_MS;
    }
    p->cap = p->cap < 1 ? 1 : p->cap > p->max_inflight ? p->max_inflight : p->cap;
}
