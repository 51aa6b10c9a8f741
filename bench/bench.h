/* Benchmark stages. Each `run` function performs one timed run and returns events (or values)
 * per second; bench/main.c repeats it and prints the median. */
#ifndef SGX_BENCH_H
#define SGX_BENCH_H

#include <stddef.h>

/** @brief monotonic clock in seconds. */
double sgx_bench_now(void);

#endif
