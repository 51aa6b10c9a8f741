/* The `--stage ratelimit` harness, shared by bench_ratelimit.c (one request a batch: Meta,
 * Criteo) and bench_ratelimit_jobs.c (asynchronous jobs of several steps: Microsoft
 * Advertising, Dotdigital). Requests go one at a time through the shipped connector (encode,
 * prepare, classify) and the core's pacer (pipeline/pacer.c), with the dispatcher's waits. */
#ifndef SGX_BENCH_RL_H
#define SGX_BENCH_RL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connectors/connector.h"
#include "pipeline/http.h"
#include "pipeline/pacer.h"

#define SGX_BENCH_RL_ROWS 500 /* rows per request: the emulator's CPU stays out of the figure */

typedef struct {
    long calls, throttled; /* calls that count against the limit, and those refused by it */
    long admitted;         /* calls the emulator admitted (counted against the allowance) */
    double elapsed_s;
} sgx_bench_rl_run_t;

typedef struct sgx_bench_rl_dest sgx_bench_rl_dest_t;

/* One run of d: fills out. @returns false when the pipeline failed. */
typedef bool (*sgx_bench_rl_run_fn)(sgx_bench_rl_dest_t *d, size_t nvals, sgx_bench_rl_run_t *out);

struct sgx_bench_rl_dest {
    const char *name;
    const sgx_connector_def_t *def;
    void *ctx;           /* owned by the stage: the connector's */
    const char *audience_id;
    int limit;           /* the emulator's calls per window */
    int64_t window_ms;
    int64_t run_ms;
    sgx_limits_t limits; /* what the pacer is given, as config would */
    char *token;         /* owned: the access token of auth connectors */
    bool epoch_aligned;  /* the emulator's windows are fixed, on epoch multiples */
    bool text_email;     /* rows carry a plain e-mail (Dotdigital), not digests */
    void *emu;           /* borrowed: the emulator, for what the run needs of it */
    /* Meta: each run starts with a fresh allowance; NULL: none to reset */
    void (*reset)(sgx_bench_rl_dest_t *d);
    /* Asynchronous jobs: the emulator's counts of the calls subject to the limit and of those
     * it refused; NULL for single-request destinations */
    void (*counts)(sgx_bench_rl_dest_t *d, long *subject, long *refused);
};

/** @brief Sleeps until the monotonic ms `at` (sgx_emu_rl_now_ms's clock). */
void sgx_bench_rl_sleep_until(int64_t at);
/** @brief Waits for the start of the next window on epoch multiples of window_ms. */
void sgx_bench_rl_align(int64_t window_ms);
/** @brief Sends req (borrowed) on h; resp borrows h's buffers. @returns false when the request
 *  could not be set up. */
bool sgx_bench_rl_send(sgx_http_t *h, sgx_request_t *req, sgx_response_t *resp);
/** @brief Replaces d->token with a fresh one from the connector's auth calls. */
bool sgx_bench_rl_fetch_token(sgx_bench_rl_dest_t *d, sgx_http_t *h);
/** @brief Runs d `runs` times with run; prints `RESULT stage=ratelimit_<name>
 *  quota_used_pct=<median> throttled_pct=<median>`. @returns the median share used. */
double sgx_bench_rl_measure(sgx_bench_rl_dest_t *d, size_t nvals, int runs,
                            sgx_bench_rl_run_fn run);
/** @brief Gives the pacer p (borrowed) what the answer classified in c (borrowed) says, for a
 *  request started at start and answered at now (ms). */
void sgx_bench_rl_observe(sgx_pacer_t *p, const sgx_classification_t *c, int64_t start,
                          int64_t now);
/** @brief Microsoft Advertising and Dotdigital against their emulators (bench_ratelimit_jobs.c). */
void sgx_bench_ratelimit_jobs(int runs);
/** @brief Builds d's connector from s (borrowed), measures it as sgx_bench_rl_measure does,
 *  frees the connector and token. @returns the median share used, 0 when init failed. */
double sgx_bench_rl_stage(sgx_bench_rl_dest_t *d, const sgx_dest_settings_t *s, size_t nvals,
                          int runs, sgx_bench_rl_run_fn run);
/** @brief One run of asynchronous jobs (bench_ratelimit_jobs.c). */
bool sgx_bench_rl_run_jobs(sgx_bench_rl_dest_t *d, size_t nvals, sgx_bench_rl_run_t *out);

#endif
