/* Per-destination pacing: when the next request may start and how many may be in flight,
 * adapted to what the destination reports. The connectors' pure classify callbacks copy the
 * platform's allowance headers into the classification (connectors/connector.h); the
 * dispatcher feeds every answer here and asks before each start. The clock is passed in.
 *   - calls left until a reset (Criteo's x-ratelimit-*): the rest of the window is spread
 *     evenly over the calls left, so the allowance is used up just as it returns;
 *   - usage of a rolling allowance (Meta's X-Business-Use-Case-Usage) whose window is known
 *     (limits.usage_window_ms): below SGX_PACER_USAGE_TARGET requests go as the floor allows;
 *     at or above it nothing starts until the oldest of this destination's own calls still
 *     in the window leaves it, which frees the allowance a call needs (with few of its own
 *     there, a 64th of the window later); calls are neither sent into a full window nor held
 *     back from a free one;
 *   - the same with the window unknown: the spacing grows above the target and shrinks below
 *     it, in proportion to the gap;
 *   - otherwise: a throttle doubles the spacing and halves the concurrency, each answer that
 *     is not one shrinks the spacing by a tenth and adds 1/cap to the concurrency
 *     (additive increase); an answer much slower than the fastest seen takes a quarter off.
 * The operator's min_interval_ms is a floor the spacing never goes under, max_inflight the
 * ceiling of the concurrency. Not thread-safe: the dispatcher thread owns it. Every function
 * borrows p (caller-owned storage, embedded in the destination's run-time state; nothing to
 * free). */
#ifndef SGX_PACER_H
#define SGX_PACER_H

#include <stdbool.h>
#include <stdint.h>

/* Usage (percent) a rolling allowance is held at: close enough to 100 to use ~97% of it,
 * far enough that the calls in flight when it is read do not reach 100. */
#define SGX_PACER_USAGE_TARGET 97
/* Own start times remembered for the usage gate; past it the oldest are forgotten, which only
 * makes the gate wait longer than needed. */
#define SGX_PACER_LOG 1024
/* The widest spacing the adaptive rules set (a throttle with a server wait sets its own). */
#define SGX_PACER_MAX_INTERVAL_MS 60000.0

typedef struct {
    bool throttled;          /* the answer was a throttle */
    bool has_usage;
    int usage_pct;
    bool has_quota;
    int64_t quota_remaining;
    int64_t quota_reset_ms;
    int64_t latency_ms;      /* < 0: unknown (a transport failure) */
} sgx_pacer_obs_t;

typedef struct {
    double floor_ms;         /* min_interval_ms */
    int max_inflight;        /* the configured ceiling */
    double interval_ms;      /* current spacing between starts */
    double cap;              /* current concurrency (fractional for the additive increase) */
    int64_t last_start;      /* ms of the last start, INT64_MIN before the first */
    int64_t hold_until;      /* the allowance is spent: nothing starts before this */
    int64_t fastest_ms;      /* lowest latency seen (-1 none): the uncongested round trip */
    int usage;               /* the last usage reported, -1 none */
    int64_t window_ms;       /* the rolling window usage covers, 0 = unknown */
    int64_t sends[SGX_PACER_LOG]; /* ring of own start times, oldest at head */
    int head, nsends;
} sgx_pacer_t;

/** @brief Sets p up with the operator's floor (ms between starts, 0 = none), ceiling, and the
 *  window a reported usage covers (0 = unknown). */
void sgx_pacer_init(sgx_pacer_t *p, int min_interval_ms, int max_inflight, int64_t window_ms);
/** @returns the earliest time (ms) the next request may start. */
int64_t sgx_pacer_next_start(const sgx_pacer_t *p);
/** @returns how many requests may be in flight now (1..max_inflight). */
int sgx_pacer_inflight_cap(const sgx_pacer_t *p);
/** @brief A request started at now. */
void sgx_pacer_started(sgx_pacer_t *p, int64_t now);
/** @brief An answer arrived at now; `others` requests are still in flight or waiting to be
 *  retried (their calls may already count against the allowance). @param o borrowed. */
void sgx_pacer_observe(sgx_pacer_t *p, const sgx_pacer_obs_t *o, int others, int64_t now);

#endif
