/* Ring throughput: one producer thread pushes n items one at a time through one ring to the
 * calling thread, as the poll thread feeds a worker. Also reports the bulk path
 * (push_many/pop_many in blocks of 32), which is what a worker draining a backlog uses. */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/ring.h"
#include "bench/bench.h"

#define BENCH_RING_CAPACITY 1024
#define BENCH_RING_BLOCK 32
/* Spin this many failed attempts before yielding: the other side usually frees a slot within
 * a few hundred nanoseconds, but on a loaded machine it may not be running at all. */
#define BENCH_RING_SPINS 256

struct bench_ring_run {
    sgx_ring_t *r;
    size_t n;
    int bulk;
};

static void backoff_spin(unsigned *fails)
{
    if (++*fails >= BENCH_RING_SPINS) {
        *fails = 0;
        sched_yield();
    }
}

static void *bench_producer(void *arg)
{
    struct bench_ring_run *run = arg;
    void *block[BENCH_RING_BLOCK];
    unsigned fails = 0;
    for (size_t next = 1; next <= run->n;) {
        if (!run->bulk) {
            if (sgx_ring_push(run->r, (void *)(uintptr_t)next) == SGX_OK) {
                next++;
            } else {
                backoff_spin(&fails);
            }
            continue;
        }
        size_t want = run->n - next + 1 < BENCH_RING_BLOCK ? run->n - next + 1 : BENCH_RING_BLOCK;
        for (size_t i = 0; i < want; i++) {
            block[i] = (void *)(uintptr_t)(next + i);
        }
        size_t k = sgx_ring_push_many(run->r, block, want);
        next += k;
        if (k == 0) {
            backoff_spin(&fails);
        }
    }
    return NULL;
}

/* Consumes n items; returns false if the sequence broke (a ring bug, not a slow run). */
static bool bench_consume(struct bench_ring_run *run)
{
    void *block[BENCH_RING_BLOCK];
    unsigned fails = 0;
    size_t expect = 1;
    while (expect <= run->n) {
        size_t k = run->bulk ? sgx_ring_pop_many(run->r, block, BENCH_RING_BLOCK)
                             : (sgx_ring_pop(run->r, &block[0]) == SGX_OK);
        if (k == 0) {
            backoff_spin(&fails);
        }
        for (size_t i = 0; i < k; i++, expect++) {
            if ((uintptr_t)block[i] != expect) {
                return false;
            }
        }
    }
    return true;
}

/* One timed run; returns items per second, or a negative value on failure. */
static double bench_ring_once(size_t n, int bulk)
{
    struct bench_ring_run run = {.n = n, .bulk = bulk};
    if (sgx_ring_new(BENCH_RING_CAPACITY, &run.r) != SGX_OK) {
        return -1.0;
    }
    pthread_t th;
    double t0 = sgx_bench_now();
    if (pthread_create(&th, NULL, bench_producer, &run) != 0) {
        sgx_ring_destroy(run.r);
        return -1.0;
    }
    bool ok = bench_consume(&run);
    pthread_join(th, NULL);
    double dt = sgx_bench_now() - t0;
    sgx_ring_destroy(run.r);
    return ok && dt > 0 ? (double)n / dt : -1.0;
}

static void bench_ring_report(const char *stage, size_t n, int runs, int bulk)
{
    double *v = calloc((size_t)runs, sizeof *v);
    if (!v) {
        return;
    }
    for (int i = 0; i < runs; i++) {
        v[i] = bench_ring_once(n, bulk);
        if (v[i] < 0) {
            fprintf(stderr, "bench ring: run %d failed (sequence broken or no thread)\n", i);
            free(v);
            return;
        }
    }
    printf("RESULT stage=%s items_per_s=%.0f\n", stage, sgx_bench_median(v, (size_t)runs));
    free(v);
}

void sgx_bench_ring(size_t n, int runs)
{
    if (n == 0 || runs <= 0) {
        return;
    }
    bench_ring_report("ring", n, runs, 0);
    bench_ring_report("ring_bulk", n, runs, 1);
}
