#include "emulators/ratelimit.h"

#include <time.h>

#include "base/mem.h"

int64_t sgx_emu_rl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sgx_emu_rl_init(sgx_emu_rl_t *rl, int limit, int64_t window_ms)
{
    *rl = (sgx_emu_rl_t){.limit = limit, .window_ms = window_ms > 0 ? window_ms : 1};
    if (limit > 0) {
        rl->t = sgx_calloc((size_t)limit, sizeof *rl->t);
    }
}

void sgx_emu_rl_free(sgx_emu_rl_t *rl)
{
    if (!rl) {
        return;
    }
    sgx_free(rl->t);
    rl->t = NULL;
    rl->n = 0;
}

/* Calls older than the window no longer count. */
static void expire(sgx_emu_rl_t *rl, int64_t now_ms)
{
    while (rl->n > 0 && rl->t[rl->head] <= now_ms - rl->window_ms) {
        rl->head = (rl->head + 1) % rl->limit;
        rl->n--;
    }
}

bool sgx_emu_rl_take(sgx_emu_rl_t *rl, int64_t now_ms)
{
    if (rl->limit <= 0) {
        return true;
    }
    expire(rl, now_ms);
    if (rl->n >= rl->limit) {
        return false;
    }
    rl->t[(rl->head + rl->n++) % rl->limit] = now_ms;
    return true;
}

int sgx_emu_rl_used(sgx_emu_rl_t *rl, int64_t now_ms)
{
    if (rl->limit <= 0) {
        return 0;
    }
    expire(rl, now_ms);
    return rl->n;
}

int sgx_emu_rl_pct(sgx_emu_rl_t *rl, int64_t now_ms)
{
    return rl->limit > 0 ? (int)((int64_t)sgx_emu_rl_used(rl, now_ms) * 100 / rl->limit) : 0;
}

int64_t sgx_emu_rl_regain_ms(sgx_emu_rl_t *rl, int64_t now_ms)
{
    if (sgx_emu_rl_used(rl, now_ms) < rl->limit || rl->limit <= 0) {
        return 0;
    }
    return rl->t[rl->head] + rl->window_ms - now_ms;
}
