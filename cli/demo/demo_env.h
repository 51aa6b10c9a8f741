/* The demo's surroundings: mock Kafka cluster, schema registry double, the destination emulators
 * (emulators/) and the generated configuration. Used by the demo command, testkit and bench. */
#ifndef SGX_DEMO_ENV_H
#define SGX_DEMO_ENV_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "cli/demo/demo.h"
#include "config/config.h"
#include "emulators/criteo.h"
#include "emulators/dotdigital.h"
#include "emulators/facebook.h"
#include "emulators/msads.h"
#include "emulators/registry.h"
#include "pipeline/pipeline.h"

typedef struct {
    rd_kafka_t *mock_rk;             /* owns the mock cluster */
    rd_kafka_mock_cluster_t *mock;
    char bootstrap[256];
    sgx_emu_registry_t *registry;
    sgx_emu_fb_t *fb;                /* NULL when Meta is not among the destinations */
    sgx_emu_msads_t *msads;
    sgx_emu_criteo_t *criteo;
    sgx_emu_dd_t *dd;
    unsigned dests;                  /* bit per sgx_dest_kind_t */
    uint32_t schema_id;
    sgx_config_t *cfg;
    char **audience_ids;             /* one per segment */
    size_t nsegments;
    int partitions;
    const char *topic, *dlq_topic;
} sgx_demo_env_t;

/** @brief Brings everything up. env is filled even on failure, for sgx_demo_env_down. */
sgx_err_t sgx_demo_env_up(sgx_demo_env_t *env, const sgx_demo_opts_t *o, const char *topic,
                          const char *dlq_topic, char *errbuf);

/** @brief Starts the Microsoft, Criteo and Dotdigital emulators in env->dests with one
 *  audience per segment (demo_dests.c). */
sgx_err_t sgx_demo_dests_start(sgx_demo_env_t *env, char *errbuf);
/** @brief Appends their `destinations:` entries to a YAML document. */
void sgx_demo_dests_yaml(const sgx_demo_env_t *env, sgx_buf_t *y);
/** @brief Stops them. */
void sgx_demo_dests_stop(sgx_demo_env_t *env);
/** @returns the port of kind's emulator, 0 when it is not running. */
uint16_t sgx_demo_dest_port(const sgx_demo_env_t *env, sgx_dest_kind_t kind);

/** @brief Tears everything down. Safe on a half-built env. */
void sgx_demo_env_down(sgx_demo_env_t *env);

/** @brief Prints the summary and the verification line. @returns true on PASS. */
bool sgx_demo_report(const sgx_demo_env_t *env, sgx_pipeline_t *pipe,
                     const sgx_demo_truth_t *t, double elapsed_s);

#endif
