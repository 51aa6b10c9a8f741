/* Capped exponential backoff with "full jitter" (AWS Architecture Blog, "Exponential Backoff
 * And Jitter"; Fluent Bit's backoff_full_jitter in src/flb_scheduler.c): the delay before retry
 * number `attempt` is uniform in [0, min(cap, base * 2^attempt)]. Spreading retries over the
 * whole window, rather than around its top, is what keeps many rows failed by one outage from
 * hitting the platform again in lockstep.
 *
 * No global state: each caller owns its rng state (the dispatcher keeps one), so results are
 * reproducible in tests from a fixed seed. */
#ifndef SGX_BACKOFF_H
#define SGX_BACKOFF_H

#include <stdint.h>

/**
 * @brief Next value of a splitmix64 generator (Steele, Lea, Flood 2014): one add and three
 * xor-multiply steps, every seed including 0 is valid, statistically far better than needed
 * for jitter. Not for anything secret.
 * @param state caller-owned; advanced by the call.
 * @locality any thread, with a state no other thread uses.
 */
uint64_t sgx_rand_next(uint64_t *state);

/**
 * @brief Full-jitter backoff delay in milliseconds.
 * @param attempt retries already made (0 for the first retry); negative counts as 0; any
 * large value is fine (the window saturates at cap_ms without overflow).
 * @param base_ms window for attempt 0; <= 0 yields 0.
 * @param cap_ms largest window; <= 0 yields 0.
 * @param rng_state caller-owned sgx_rand_next state.
 * @returns a delay uniform in [0, min(cap_ms, base_ms * 2^attempt)], never negative.
 * @locality any thread, with a state no other thread uses.
 */
int64_t sgx_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint64_t *rng_state);

#endif
