/* A sliding-window call counter for the emulators' modelled rate limits: at most `limit` calls
 * in any `window_ms`, as Meta's business-use-case limits count calls over a rolling hour
 * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting) and Microsoft's bulk
 * service counts calls per time period (error 4204). The clock is passed in, so tests drive it.
 * Not thread-safe: the emulator's own mutex guards it. Functions borrow rl (caller-owned
 * storage); init allocates the ring rl then owns, sgx_emu_rl_free releases it. */
#ifndef SGX_EMU_RATELIMIT_H
#define SGX_EMU_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int64_t *t;        /* owned ring of the admitted calls' times (ms), oldest first */
    int limit;         /* calls per window; <= 0 = unlimited (nothing is allocated) */
    int64_t window_ms;
    int head, n;
} sgx_emu_rl_t;

/** @returns CLOCK_MONOTONIC in ms: what the emulators pass in. */
int64_t sgx_emu_rl_now_ms(void);
/** @brief Sets rl up for limit calls per window_ms (limit <= 0: every call is admitted). */
void sgx_emu_rl_init(sgx_emu_rl_t *rl, int limit, int64_t window_ms);
/** @brief Frees what rl owns. NULL-safe. */
void sgx_emu_rl_free(sgx_emu_rl_t *rl);
/** @brief A call at now_ms: admitted and counted (true), or refused and not counted (false) -
 *  a refused call does not extend the wait, as the platforms describe "until the count drops
 *  below the limit". */
bool sgx_emu_rl_take(sgx_emu_rl_t *rl, int64_t now_ms);
/** @returns the calls counted in the window ending at now_ms. */
int sgx_emu_rl_used(sgx_emu_rl_t *rl, int64_t now_ms);
/** @returns the usage in percent of the limit at now_ms (0 when unlimited), rounded down. */
int sgx_emu_rl_pct(sgx_emu_rl_t *rl, int64_t now_ms);
/** @returns ms until the next call would be admitted (0 when one would be now). */
int64_t sgx_emu_rl_regain_ms(sgx_emu_rl_t *rl, int64_t now_ms);

#endif
