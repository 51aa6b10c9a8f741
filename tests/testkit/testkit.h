/* Test runner on top of the demo harness: environment (mock cluster, registry double, Meta
 * emulator, the other emulators sgx_demo_opts_t.dests names) with configuration knobs, the
 * real pipeline, the paced generator, and checks of the end state (audiences, committed
 * offsets). For component tests; not used by the service. */
#ifndef SGX_TESTKIT_H
#define SGX_TESTKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/demo/demo.h"
#include "cli/demo/demo_env.h"

#define SGX_TESTKIT_TOPIC "segment-membership"
#define SGX_TESTKIT_DLQ "segexport-dlq"
#define SGX_TESTKIT_GROUP "segexport-test"
#define SGX_TESTKIT_TOKEN "demo-access-token" /* the Meta emulator's token at start */

/* Configuration overrides; zero means the testkit default (noted per field). */
typedef struct {
    size_t max_record_bytes;  /* 0: the parser's default */
    int retry_base_ms;        /* 0: 50 */
    int retry_cap_ms;         /* 0: 2000 */
    int linger_ms;            /* 0: the connector's default; <0: 0 ms */
    int max_rows;             /* 0: the connector's default */
    int shutdown_grace_ms;    /* 0: 30000 */
    int workers;              /* 0: 2 */
    const char *kafka_extra;  /* NULL, or more lines under kafka: ("  key: value\n" each) */
    const char *extra;        /* NULL, or more top-level lines ("key: value\n" each) */
    const char *token_file;   /* NULL, or Meta's access_token is read from this file */
    int max_server_wait_ms;   /* 0: the parser's default (one hour) */
    int max_inflight_events;  /* 0: 200000 */
    int usage_window_ms;      /* 0: the connector's default (limits.usage_window_ms) */
    int max_inflight;         /* 0: the connector's default (limits.max_inflight) */
} sgx_testkit_knobs_t;

/**
 * @brief sgx_demo_env_up with knobs: same surroundings, configuration regenerated (through
 * the YAML parser) with the overrides and session.timeout.ms=6000 (kafka.md §3).
 * env is filled even on failure, for sgx_demo_env_down.
 */
sgx_err_t sgx_demo_env_up_with(sgx_demo_env_t *env, const sgx_demo_opts_t *o, const char *topic,
                               const char *dlq_topic, const sgx_testkit_knobs_t *k,
                               char *errbuf);

/* One scenario: environment, expected state, pipeline and generator. */
typedef struct {
    sgx_demo_opts_t o;
    sgx_demo_env_t env;
    sgx_demo_truth_t truth;
    sgx_pipeline_t *pipe;
    sgx_demo_gen_t *gen;
    sgx_stats_t idle_stats; /* pacing source when the generator runs without a pipeline */
} sgx_testkit_t;

/** @brief Brings up the environment and the truth table. Call sgx_testkit_down even on error. */
sgx_err_t sgx_testkit_up(sgx_testkit_t *t, const sgx_demo_opts_t *o,
                         const sgx_testkit_knobs_t *k, char *errbuf);

/** @brief Starts a pipeline on the environment's configuration (t->pipe). */
sgx_err_t sgx_testkit_start_pipeline(sgx_testkit_t *t, char *errbuf);

/**
 * @brief Starts the generator. paced: behind t->pipe's consumed counter (the pipeline must
 * run); not paced: as fast as it can (keep events x ~200 B under ~5 MiB per partition).
 */
sgx_err_t sgx_testkit_start_gen(sgx_testkit_t *t, bool paced, char *errbuf);

/** @brief Joins the generator (everything produced and flushed). */
void sgx_testkit_join_gen(sgx_testkit_t *t);
/** @brief One unpaced round with this seed (t->o.seed is set to it): starts the generator and
 *  joins it. */
sgx_err_t sgx_testkit_produce(sgx_testkit_t *t, unsigned seed, char *errbuf);

/**
 * @brief Waits until the generator finished and t->pipe made every produced record final
 * (plus `extra` records produced by the test itself). @returns false when nothing moved for
 * stall_ms.
 */
bool sgx_testkit_wait_final(sgx_testkit_t *t, uint64_t extra, int stall_ms);

/** @brief Stops and destroys t->pipe (graceful or abrupt). */
void sgx_testkit_stop_pipeline(sgx_testkit_t *t, bool graceful);

/**
 * @brief Reads the group's committed offsets for every partition of topic.
 * @returns true when each equals the partition's end offset; sums in *committed and *end.
 */
bool sgx_testkit_committed(const sgx_testkit_t *t, const char *topic, int partitions,
                           int64_t *committed, int64_t *end);

/** @brief sgx_testkit_committed for another consumer group (group borrowed), such as a
 *  per-destination one, `segexport-test.<destination name>`. */
bool sgx_testkit_committed_group(const sgx_testkit_t *t, const char *group, const char *topic,
                                 int partitions, int64_t *committed, int64_t *end);
/** @brief Compares every emulated audience with the truth (sgx_demo_verify). */
bool sgx_testkit_audiences(const sgx_testkit_t *t, char *report, size_t cap);

/**
 * @brief The end state of a finished scenario: every audience exact, and every partition of
 * the environment's topic committed to its end, which is `produced` records in all.
 * @param report receives one line with both (cap bytes). @returns true when all holds.
 */
bool sgx_testkit_final_state(const sgx_testkit_t *t, int partitions, int64_t produced,
                             char *report, size_t cap);

/**
 * @brief Writes value and a newline to path (borrowed) atomically: written aside, then renamed,
 * as Kubernetes swaps a mounted secret. @returns false when it cannot.
 */
bool sgx_testkit_write_secret(const char *path, const char *value);

/** @brief Stops everything and frees it. Safe on a half-built kit. */
void sgx_testkit_down(sgx_testkit_t *t);

#endif
