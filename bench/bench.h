/* Benchmark stages. Each stage function runs its workload several times and prints one line
 * per figure: `RESULT stage=<name> <metric>=<median>`. bench/main.c calls them in turn. */
#ifndef SGX_BENCH_H
#define SGX_BENCH_H

#include <stddef.h>

/** @brief Monotonic clock in seconds. */
double sgx_bench_now(void);
/** @brief Median of n values (sorts v in place). */
double sgx_bench_median(double *v, size_t n);

/* Stages, each in its own file. n: events (or values) per run; runs: repetitions. */
void sgx_bench_decode(size_t n, int runs);    /* bench_decode.c */
void sgx_bench_normalize(size_t n, int runs); /* bench_normalize.c */
void sgx_bench_ring(size_t n, int runs);      /* bench_ring.c */
/* rows: batch size; rejected: listed rejections (random rows, repeats possible). */
void sgx_bench_reject(size_t rows, size_t rejected, int runs); /* bench_reject.c */
/* n configured audiences, none with traffic: RSS and idle CPU of the dispatcher. */
void sgx_bench_audiences(size_t n); /* bench_audiences.c */
/* The Meta emulator alone: its CPU per row for 10,000-row adds and 40-row query-string removals,
 * one client thread over loopback. */
void sgx_bench_emulator_facebook(int runs); /* bench_emulator.c */
/* Each destination against its emulator's modelled rate limit, scaled down: the share of the
 * allowance used and of calls throttled (Meta, Criteo, Microsoft Advertising, Dotdigital);
 * then 10 M profiles to Meta. ~45 s per run. */
void sgx_bench_ratelimit(int runs); /* bench_ratelimit.c, bench_ratelimit_jobs.c */

#endif
