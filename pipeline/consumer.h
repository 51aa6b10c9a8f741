/* The poll thread: owns the Kafka consumer, partition states and offset watermarks. Internal
 * to the pipeline (pipeline.c creates it; rebalance.c and consumer.c implement it). */
#ifndef SGX_CONSUMER_H
#define SGX_CONSUMER_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "codecs/schema_cache.h"
#include "config/config.h"
#include "pipeline/dlq.h"
#include "base/hmap.h"
#include "pipeline/ownership.h"
#include "pipeline/part.h"
#include "pipeline/worker.h"

enum { SGX_RUN = 0, SGX_DRAIN = 1, SGX_ABORT = 2 };

typedef struct sgx_consumer {
    const sgx_config_t *cfg;
    sgx_stats_t *stats;
    rd_kafka_t *rk;
    sgx_schema_cache_t *schemas;
    sgx_dlq_t *dlq;
    sgx_worker_t *workers;
    int nworkers;
    sgx_ring_t *self_done; /* releases made on the poll thread itself (bad records) */
    sgx_ring_t *disp_done; /* the dispatcher's releases */
    sgx_ring_t *dlq_done;  /* the DLQ thread's releases (acknowledged dead letters) */
    atomic_bool *flush_now;
    sgx_part_t **parts;
    size_t nparts;
    sgx_hmap_t *part_index; /* owned: lookup key -> partition state (chained on collisions) */
    sgx_record_t **stash;  /* FIFO of records waiting for a schema or a free worker slot */
    size_t stash_head, stash_len, stash_cap;
    int64_t stash_retry_at;
    sgx_hmap_t *unknown_schemas; /* schema ids already logged as unknown (bounded) */
    bool paused;
    size_t span_paused;    /* partitions paused for their uncommitted span (span.c) */
    bool holding;          /* in-flight bound reached: not polling for a moment */
    int64_t hold_since;
    bool cooperative;
    int64_t last_store_ms;
    int64_t dlq_warned_ms;   /* last WARN about a dead-lettered record (rate-limited) */
    uint64_t dlq_unwarned;   /* dead letters since that line */
    sgx_own_t *own;        /* borrowed: ownership shared with the dispatcher */
    bool confirm_pending;  /* a commit proving membership is under way (membership.c) */
    bool confirm_failed;
    int64_t confirm_sent_ms, confirm_next_ms, gap_ms;
    atomic_int state;
    pthread_t thread;
    bool running;
} sgx_consumer_t;

/** @brief Applies segexport's consumer defaults (assignment strategy, offset reset, prefetch)
 *  for every property cfg does not set itself. @param conf borrowed, modified. */
void sgx_consumer_defaults(rd_kafka_conf_t *conf, const sgx_config_t *cfg);

/** @brief Creates the consumer handle (rebalance callback installed) and subscribes.
 *  c must be filled in except rk. */
sgx_err_t sgx_consumer_open(sgx_consumer_t *c, char *errbuf);

/** @brief Starts the poll thread. */
sgx_err_t sgx_consumer_start(sgx_consumer_t *c);

/** @brief Joins the poll thread once state is DRAIN (it drains, commits and closes) or ABORT
 *  (it leaves without committing anything more). */
void sgx_consumer_join(sgx_consumer_t *c);

/* ---- shared between consumer.c and rebalance.c (poll thread only) ---- */

/** @brief Moves final records from every done ring into the offset trackers. */
size_t sgx_consumer_process_done(sgx_consumer_t *c);
/** @brief Stores every advanced watermark with rd_kafka_offsets_store. */
void sgx_consumer_store_offsets(sgx_consumer_t *c, bool force);
/** @brief Finds (or with create, makes) the state of a partition. */
sgx_part_t *sgx_consumer_part(sgx_consumer_t *c, const char *topic, int32_t partition,
                              bool create);
/** @brief Pauses or resumes every assigned partition. */
void sgx_consumer_set_paused(sgx_consumer_t *c, bool paused);
/** @brief The rebalance callback (rebalance.c). */
void sgx_consumer_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t *parts, void *opaque);
/** @brief Pauses p when its uncommitted span exceeds max_uncommitted_span (span.c). */
void sgx_span_check(sgx_consumer_t *c, sgx_part_t *p);
/** @brief Resumes the span-paused partitions whose span has dropped (span.c). */
void sgx_span_resume_due(sgx_consumer_t *c);
/** @brief Forgets p's span pause (its assignment starts over). */
void sgx_span_forget(sgx_consumer_t *c, sgx_part_t *p);
/** @brief Drops stashed records of partitions no longer assigned. */
void sgx_consumer_drop_stash(sgx_consumer_t *c, bool all);

/* ---- membership.c (poll thread only) ---- */

/** @brief One turn of a poll-thread loop: refreshes group contact, or after a pause longer
 *  than the limit keeps sending stopped and proves membership with a commit. */
void sgx_consumer_tick(sgx_consumer_t *c);
/** @brief The partitions stop being owned: bumps and publishes their generations, discards
 *  their offset trackers and stashed records, and waits (bounded) until the dispatcher has
 *  dropped their rows and aborted their transfers. Call before unassigning them.
 *  @param parts borrowed. */
void sgx_consumer_disown(sgx_consumer_t *c, rd_kafka_topic_partition_list_t *parts);
/** @returns a millisecond kafka setting of cfg, or def when unset or not positive. */
int64_t sgx_consumer_setting_ms(const sgx_config_t *cfg, const char *key, int64_t def);

#endif
