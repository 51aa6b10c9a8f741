#include "base/backoff.h"

uint64_t sgx_rand_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* min(cap, base * 2^attempt) for positive base and cap, without ever computing an overflowing
 * product: base * 2^a <= cap exactly when base <= cap >> a. */
static int64_t window(int attempt, int64_t base_ms, int64_t cap_ms)
{
    if (attempt >= 63 || base_ms > (cap_ms >> attempt)) {
        return cap_ms;
    }
    return base_ms << attempt;
}

/* Uniform in [0, range) with no modulo bias: reject the few draws below 2^64 mod range
 * (Lemire's threshold), so the tail of the window is not slightly favoured. */
static uint64_t uniform_below(uint64_t range, uint64_t *rng_state)
{
    uint64_t threshold = (0 - range) % range;
    for (;;) {
        uint64_t r = sgx_rand_next(rng_state);
        if (r >= threshold) {
            return r % range;
        }
    }
}

int64_t sgx_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint64_t *rng_state)
{
    if (base_ms <= 0 || cap_ms <= 0) {
        return 0;
    }
    if (attempt < 0) {
        attempt = 0;
    }
    int64_t w = window(attempt, base_ms, cap_ms);
    /* w <= INT64_MAX, so w + 1 fits in uint64 and the draw fits back in int64. */
    return (int64_t)uniform_below((uint64_t)w + 1, rng_state);
}
