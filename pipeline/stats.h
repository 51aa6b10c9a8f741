/* Counters shared between pipeline threads and readers (demo progress, metrics). Relaxed
 * atomics: each counter is independent and only ever read for reporting. No identifiers. */
#ifndef SGX_STATS_H
#define SGX_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "codecs/normalize.h"

#define SGX_STATS_MAX_DESTS 8
#define SGX_STATS_MAX_AUDS 64
#define SGX_STATS_MAX_WORKERS 64
#define SGX_STATS_MAX_PARTS 256   /* partitions exported in metrics (bounded by assignment) */
#define SGX_STATS_MAX_REASONS 32  /* distinct dead-letter reasons; more count as "other" */
#define SGX_STATS_REASON_LEN 48
#define SGX_STATS_TOPIC_LEN 128

/* What happened to a request, and to the rows it carried. */
typedef enum {
    SGX_OUT_DELIVERED = 0, /* accepted (rows: acknowledged) */
    SGX_OUT_RETRIED,       /* transient failure, sent again later */
    SGX_OUT_THROTTLED,     /* the destination asked us to slow down */
    SGX_OUT_REJECTED,      /* rows refused one by one: dead-lettered */
    SGX_OUT_BLOCKED,       /* the destination refuses all work until fixed */
    SGX_OUT__COUNT
} sgx_outcome_t;

/* Destination state for metrics and readiness: set by the dispatcher. */
typedef enum {
    SGX_DSTATE_OK = 0,
    SGX_DSTATE_THROTTLED, /* waiting out a destination's rate limit */
    SGX_DSTATE_BLOCKED,   /* refuses all work until a person acts: nothing is acknowledged */
    SGX_DSTATE__COUNT
} sgx_dest_state_t;

/* Request latency histogram upper bounds in seconds (the last bucket is +Inf). */
#define SGX_LAT_BUCKETS 12
extern const double sgx_lat_bounds[SGX_LAT_BUCKETS];

typedef struct {
    atomic_uint_fast64_t requests;
    atomic_uint_fast64_t retries;
    atomic_uint_fast64_t throttled;
    atomic_uint_fast64_t rows_delivered;
    atomic_uint_fast64_t rows_rejected;
    atomic_uint_fast64_t rows_coalesced;
    atomic_uint_fast64_t rows_held;
    atomic_uint_fast64_t rows_no_key;
    atomic_uint_fast64_t audiences_created;
    atomic_uint_fast64_t jobs_overdue;  /* async jobs past their connector's bound */
    atomic_uint_fast64_t blocks;          /* times the destination or one audience got blocked */
    atomic_int_fast64_t blocked;          /* blocked now: destination (1) + audiences */
    atomic_uint_fast64_t secret_reloads;  /* a *_file secret changed and was taken into use */
    atomic_uint_fast64_t batches_split;   /* whole-batch refusals retried in halves */
    atomic_uint_fast64_t waits_capped;    /* server-supplied waits cut to max_server_wait_ms */
    atomic_uint_fast64_t rows_by_aud[SGX_STATS_MAX_AUDS][2]; /* [audience][op] delivered */
    /* [audience][outcome]: one request per classified response, rows it carried */
    atomic_uint_fast64_t aud_requests[SGX_STATS_MAX_AUDS][SGX_OUT__COUNT];
    atomic_uint_fast64_t aud_rows[SGX_STATS_MAX_AUDS][SGX_OUT__COUNT];
    atomic_uint_fast64_t lat_buckets[SGX_LAT_BUCKETS + 1]; /* not cumulative; last: +Inf */
    atomic_uint_fast64_t lat_sum_us;
    atomic_uint_fast64_t token_refreshes;
    atomic_uint_fast64_t dropped[SGX_KEY__COUNT][SGX_DROP__COUNT]; /* normalization drops */
    atomic_int state;                  /* sgx_dest_state_t */
    atomic_int_fast64_t state_since;   /* CLOCK_MONOTONIC ms the state was entered */
    atomic_flag reason_lock;           /* guards state_reason (rare writes, rare reads) */
    char state_reason[SGX_STATS_REASON_LEN]; /* a code, never PII */
} sgx_dest_stats_t;

/* One partition this process owns or owned; written by the poll thread only. */
typedef struct sgx_part_stats_s {
    atomic_bool used;                  /* topic/partition are set before this turns true */
    char topic[SGX_STATS_TOPIC_LEN];   /* immutable once used */
    int32_t partition;
    atomic_bool assigned;
    int group;                         /* 1 + destination index of the consumer group that owns
                                        * it (consumer_group_per_destination), 0: shared group;
                                        * immutable once used */
    atomic_int_fast64_t committed;     /* last committed offset (next to read), -1 unknown */
    atomic_int_fast64_t stored;        /* last stored (acknowledged) position, -1 none */
    atomic_int_fast64_t uncommitted;   /* consumed offsets not yet committable */
    atomic_int_fast64_t lag;           /* librdkafka consumer_lag, -1 unknown */
} sgx_part_stats_t;

typedef struct {
    atomic_int used;                   /* 0 free, 1 being written, 2 ready */
    char name[SGX_STATS_REASON_LEN];
    atomic_uint_fast64_t count;
} sgx_reason_stats_t;

typedef struct {
    atomic_uint_fast64_t consumed;
    atomic_uint_fast64_t done;          /* records final (acked or dead-lettered) */
    atomic_uint_fast64_t dead_lettered; /* DLQ records acknowledged by Kafka */
    atomic_uint_fast64_t unrouted;      /* segment exported by no destination */
    atomic_uint_fast64_t offset_gaps;   /* offsets skipped inside a partition */
    atomic_uint_fast64_t pauses;
    atomic_uint_fast64_t span_pauses;   /* a partition paused for its uncommitted span */
    atomic_uint_fast64_t commits_stored;
    atomic_uint_fast64_t dlq_truncated; /* DLQ records cut to fit message.max.bytes */
    atomic_uint_fast64_t dlq_refused;   /* DLQ records refused for good (partition blocked) */
    atomic_uint_fast64_t unknown_schema; /* records whose schema id the registry does not know */
    atomic_uint_fast64_t store_errors;  /* partitions rd_kafka_offsets_store refused */
    atomic_uint_fast64_t rows_unowned;  /* rows dropped: their partition is no longer ours */
    atomic_int_fast64_t inflight;
    atomic_int paused;
    atomic_int holding;                 /* in-flight bound reached: not polling for a moment */
    sgx_dest_stats_t dest[SGX_STATS_MAX_DESTS];
    sgx_reason_stats_t dlq_reasons[SGX_STATS_MAX_REASONS]; /* dead_lettered by reason */
    sgx_part_stats_t parts[SGX_STATS_MAX_PARTS];
    /* Liveness: CLOCK_MONOTONIC ms of each thread's last loop turn (0: not started). */
    atomic_int_fast64_t beat_poll, beat_dispatcher, beat_worker[SGX_STATS_MAX_WORKERS];
    /* From librdkafka statistics (kstats.c); stats_at 0 until the first arrives. */
    atomic_int_fast64_t stats_at;
    atomic_int brokers_up;              /* brokers (not bootstrap) in state UP */
    atomic_int group_steady;            /* joined the group, assignment settled */
    atomic_int assigned_parts;
    atomic_int stopping;                /* draining for shutdown: not ready */
    /* With a consumer group per destination, the group's destination counters live in the
     * process-wide stats (borrowed, set before any thread starts); NULL: dest[] above. */
    sgx_dest_stats_t *dest_home;
} sgx_stats_t;

/** @returns destination i's counters (borrowed): in dest_home when set, else in s->dest. */
static inline sgx_dest_stats_t *sgx_stats_dest(sgx_stats_t *s, size_t i)
{
    return s->dest_home ? &s->dest_home[i] : &s->dest[i];
}

#define SGX_INC(c) atomic_fetch_add_explicit(&(c), 1, memory_order_relaxed)
#define SGX_ADD(c, n) atomic_fetch_add_explicit(&(c), (n), memory_order_relaxed)
#define SGX_GET(c) atomic_load_explicit(&(c), memory_order_relaxed)
#define SGX_SET(c, v) atomic_store_explicit(&(c), (v), memory_order_relaxed)

/** @brief Counts one dead-lettered record under reason (borrowed; copied, sanitized to
 *  [a-z0-9_.-], "other" once SGX_STATS_MAX_REASONS are taken). @locality any thread. */
void sgx_stats_count_reason(sgx_stats_t *s, const char *reason);

/** @brief Sets a destination's state (and since when) with a reason code (borrowed, copied,
 *  sanitized; NULL for none). Keeps state_since when the state does not change.
 *  @locality the dispatcher. */
void sgx_stats_set_dest_state(sgx_dest_stats_t *d, sgx_dest_state_t state, const char *reason,
                              int64_t now_ms);

/** @brief Copies the destination's current reason code into out (cap bytes). */
void sgx_stats_dest_reason(sgx_dest_stats_t *d, char *out, size_t cap);

/** @returns the state's lowercase name ("ok", "throttled", "blocked"). */
const char *sgx_dest_state_str(sgx_dest_state_t s);
/** @returns the outcome's lowercase name. */
const char *sgx_outcome_str(sgx_outcome_t o);

/** @brief Adds one request's latency to a destination's histogram. */
void sgx_stats_observe_latency(sgx_dest_stats_t *d, double seconds);

/** @returns the slot for (topic, partition) (borrowed, lives as long as s); with create, a
 *  free one is claimed when there is none; NULL when not found or all are taken.
 *  @param topic borrowed. @locality the poll thread (the only writer of partition slots). */
sgx_part_stats_t *sgx_stats_part(sgx_stats_t *s, const char *topic, int32_t partition,
                                 bool create);

/** @brief Sanitizes text into a label-safe code: [a-z0-9_.:-] kept (upper case lowered),
 *  anything else becomes '_', at most cap-1 bytes. */
void sgx_stats_code(const char *text, char *out, size_t cap);

#endif
