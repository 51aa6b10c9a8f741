/* End-to-end benchmark stages: a data set preloaded once into the mock cluster (within its
 * retention), then consume-only, row-build-only and full-pipeline runs against it. Internal to
 * bench/. Every stage returns its median events/s (0 when a run failed its checks) so main.c
 * can print ratios against the consume-only baseline measured in the same process. */
#ifndef SGX_BENCH_E2E_H
#define SGX_BENCH_E2E_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "cli/demo/demo.h"
#include "cli/demo/demo_env.h"

/* Per-partition budget for the preload: the mock drops message sets past 5 MiB per partition
 * (kafka.md §3); staying at half of it leaves room for uneven key hashing. */
#define SGX_BENCH_PART_BUDGET (2u << 20)

typedef struct {
    size_t events;
    int runs;
    int linger_ms;  /* pipeline: destination linger (the demo's connector default is 200) */
    int workers;    /* pipeline: 0 = the demo configuration's value */
    int verify;     /* pipeline: compare every audience with the log after each run */
    int max_inflight; /* pipeline what-if: requests in flight per destination (0 = connector's) */
    long max_inflight_events; /* pipeline what-if: backpressure bound (0 = configuration's) */
    const char *kafka[8]; /* extra librdkafka properties "key=value" for consume and pipeline */
    int nkafka;
    int timeline_ms;  /* pipeline: print counters every this many ms of each run (0 = off) */
} sgx_bench_opts_t;

/* The preloaded data set: the same bytes are in the mock topic and in `msgs`. */
typedef struct {
    sgx_demo_env_t env;
    sgx_demo_truth_t truth;    /* last op per (profile, segment), for sgx_demo_verify */
    size_t n;                  /* records in the topic (all well-formed) */
    sgx_buf_t msgs;            /* framed values back to back */
    size_t *ends;              /* ends[i]: end of value i in msgs */
    uint32_t *profile;         /* profile number of event i (the record key) */
    size_t key_bytes;
    int partitions;
    int env_up;
} sgx_bench_data_t;

/**
 * @brief Encodes o->events demo events, starts the demo environment with enough partitions
 * for them to fit the mock's retention, produces them and checks that every partition still
 * starts at offset 0 and that the end offsets add up to n.
 * @param d filled (also on failure, for sgx_bench_data_free).
 * @returns SGX_OK, or an error with a message in errbuf.
 */
sgx_err_t sgx_bench_preload(const sgx_bench_opts_t *o, sgx_bench_data_t *d, char *errbuf);

/** @brief Sets (or adds) a librdkafka property in the configuration. Strings are copied. */
void sgx_bench_set_kafka(sgx_config_t *cfg, const char *key, const char *value);

/** @brief Frees the data set and tears the environment down. Safe on a half-built one. */
void sgx_bench_data_free(sgx_bench_data_t *d);

/** @brief Plain librdkafka consumer, fresh group per run. @returns median events/s or 0. */
double sgx_bench_consume(const sgx_bench_data_t *d, const sgx_bench_opts_t *o);

/** @brief sgx_row_build (EMAIL+PHONE, Meta) on the decoded data set, one thread.
 *  @returns median events/s or 0. */
double sgx_bench_rowbuild(const sgx_bench_data_t *d, const sgx_bench_opts_t *o);

/** @brief The real pipeline to the Meta emulator, fresh group and audiences per run.
 *  @returns median events/s or 0. */
double sgx_bench_pipeline(sgx_bench_data_t *d, const sgx_bench_opts_t *o);

/* One thread of this process and the CPU it has used so far (user + system). */
typedef struct {
    int tid;
    char comm[32];
    double cpu_s;
} sgx_bench_task_t;

/** @brief Snapshot of this process's threads, sorted by tid. @returns how many (<= cap). */
size_t sgx_bench_tasks(sgx_bench_task_t *out, size_t cap);

/** @brief Machine-wide CPU seconds so far, busy and idle (all cores, /proc/stat).
 *  @returns 0, or -1 when unavailable. */
int sgx_bench_machine_cpu(double *busy_s, double *idle_s);

/** @returns the entry for tid in v[0..n), or NULL. */
const sgx_bench_task_t *sgx_bench_task_find(const sgx_bench_task_t *v, size_t n, int tid);

#endif
