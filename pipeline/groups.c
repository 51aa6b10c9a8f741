#include "pipeline/groups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

/* The prefetch bound segexport gives librdkafka unless configured (consumer.c). */
#define PREFETCH_KB_DEFAULT 16384
#define PREFETCH_KB_MIN 64
#define INFLIGHT_MIN 100

struct sgx_groups {
    size_t n;
    sgx_config_t *cfgs;  /* shallow copies of the process config: strings borrowed */
    char **kafka_keys;   /* per group: owned arrays of borrowed keys ... */
    char **owned_vals;   /* ... and the two values each group owns (group.id, prefetch) */
};

/* The group's kafka properties: the process's, with group.id suffixed and the prefetch bound
 * divided between the groups so the process's memory stays what the configuration says
 * (queued.max.messages.kbytes bounds each consumer's queue). Each group then prefetches less
 * than a second of data, which costs intake stalls (consumer.c): the price of the option. */
static void derive_kafka(const sgx_config_t *cfg, size_t n, size_t i, sgx_config_t *gc,
                         char **owned)
{
    size_t cap = cfg->nkafka + 1;
    gc->kafka_keys = sgx_calloc(cap, sizeof *gc->kafka_keys);
    gc->kafka_values = sgx_calloc(cap, sizeof *gc->kafka_values);
    const char *kb = sgx_config_kafka(cfg, "queued.max.messages.kbytes");
    long per = (kb ? atol(kb) : PREFETCH_KB_DEFAULT) / (long)n;
    per = per < PREFETCH_KB_MIN ? PREFETCH_KB_MIN : per;
    char *gid = sgx_malloc(strlen(sgx_config_kafka(cfg, "group.id")) +
                           strlen(cfg->dests[i].name) + 2);
    sprintf(gid, "%s.%s", sgx_config_kafka(cfg, "group.id"), cfg->dests[i].name);
    char *pre = sgx_malloc(24);
    snprintf(pre, 24, "%ld", per);
    owned[0] = gid;
    owned[1] = pre;
    size_t k = 0;
    for (size_t j = 0; j < cfg->nkafka; j++) {
        const char *key = cfg->kafka_keys[j];
        bool is_gid = strcmp(key, "group.id") == 0;
        bool is_pre = strcmp(key, "queued.max.messages.kbytes") == 0;
        gc->kafka_keys[k] = cfg->kafka_keys[j];
        gc->kafka_values[k++] = is_gid ? gid : is_pre ? pre : cfg->kafka_values[j];
    }
    if (!kb) {
        gc->kafka_keys[k] = "queued.max.messages.kbytes";
        gc->kafka_values[k++] = pre;
    }
    gc->nkafka = k;
}

sgx_err_t sgx_groups_new(const sgx_config_t *cfg, sgx_groups_t **out)
{
    sgx_groups_t *g = sgx_calloc(1, sizeof *g);
    g->n = cfg->ndests;
    g->cfgs = sgx_calloc(g->n, sizeof *g->cfgs);
    g->owned_vals = sgx_calloc(g->n * 2, sizeof *g->owned_vals);
    size_t inflight = cfg->max_inflight_events / g->n;
    for (size_t i = 0; i < g->n; i++) {
        sgx_config_t *gc = &g->cfgs[i];
        *gc = *cfg;
        gc->ndests = 1;
        gc->dests = &cfg->dests[i];
        gc->group_per_dest = false;
        gc->undecodable_not_dlq = i > 0;
        gc->max_inflight_events = inflight < INFLIGHT_MIN ? INFLIGHT_MIN : inflight;
        /* metrics_listen stays: it turns on each group's librdkafka statistics (readiness
         * needs them); the listener itself is the process's, started once (pipeline.c). */
        gc->progress_interval_s = 0; /* one progress line for the process */
        derive_kafka(cfg, g->n, i, gc, &g->owned_vals[i * 2]);
    }
    *out = g;
    return SGX_OK;
}

size_t sgx_groups_count(const sgx_groups_t *g)
{
    return g->n;
}

const sgx_config_t *sgx_groups_config(const sgx_groups_t *g, size_t i)
{
    return &g->cfgs[i];
}

void sgx_groups_free(sgx_groups_t *g)
{
    if (!g) {
        return;
    }
    for (size_t i = 0; i < g->n; i++) {
        sgx_free(g->cfgs[i].kafka_keys);
        sgx_free(g->cfgs[i].kafka_values);
        sgx_free(g->owned_vals[i * 2]);
        sgx_free(g->owned_vals[i * 2 + 1]);
    }
    sgx_free(g->owned_vals);
    sgx_free(g->cfgs);
    sgx_free(g);
}

/* ---- the process-wide view ---- */

#define SUM(f)                                                                                 \
    do {                                                                                       \
        int64_t t_ = 0;                                                                        \
        for (size_t i_ = 0; i_ < n; i_++) {                                                    \
            t_ += (int64_t)SGX_GET(gs[i_]->f);                                                 \
        }                                                                                      \
        SGX_SET(agg->f, t_);                                                                   \
    } while (0)

#define PICK(f, better)                                                                        \
    do {                                                                                       \
        int64_t t_ = (int64_t)SGX_GET(gs[0]->f);                                               \
        for (size_t i_ = 1; i_ < n; i_++) {                                                    \
            int64_t v_ = (int64_t)SGX_GET(gs[i_]->f);                                          \
            t_ = (v_ better t_) ? v_ : t_;                                                     \
        }                                                                                      \
        SGX_SET(agg->f, t_);                                                                   \
    } while (0)

/* A record counts as consumed once any group read it and as done once every group is done
 * with it; a thread is as stale as the stalest group's; readiness needs every group joined. */
static void aggregate_scalars(sgx_stats_t *agg, sgx_stats_t *const *gs, size_t n)
{
    PICK(consumed, >);
    PICK(done, <);
    PICK(unrouted, <);      /* a segment another group exports is "unrouted" in this one */
    PICK(unknown_schema, >); /* every group meets the same records */
    PICK(offset_gaps, >);
    SUM(dead_lettered);
    SUM(pauses);
    SUM(span_pauses);
    SUM(commits_stored);
    SUM(dlq_truncated);
    SUM(dlq_refused);
    SUM(store_errors);
    SUM(rows_unowned);
    SUM(inflight);
    SUM(assigned_parts);
    PICK(paused, >);
    PICK(holding, >);
    PICK(beat_poll, <);
    PICK(beat_dispatcher, <);
    for (int w = 0; w < SGX_STATS_MAX_WORKERS; w++) {
        PICK(beat_worker[w], <);
    }
    PICK(stats_at, <);
    PICK(brokers_up, <);
    PICK(group_steady, <);
}

static sgx_part_stats_t *agg_part(sgx_stats_t *agg, const sgx_part_stats_t *src, int group)
{
    for (int i = 0; i < SGX_STATS_MAX_PARTS; i++) {
        sgx_part_stats_t *p = &agg->parts[i];
        if (!atomic_load_explicit(&p->used, memory_order_acquire)) {
            memcpy(p->topic, src->topic, sizeof p->topic);
            p->partition = src->partition;
            p->group = group;
            atomic_store_explicit(&p->used, true, memory_order_release);
            return p;
        }
        if (p->group == group && p->partition == src->partition &&
            strncmp(p->topic, src->topic, sizeof p->topic) == 0) {
            return p;
        }
    }
    return NULL;
}

static void aggregate_parts(sgx_stats_t *agg, sgx_stats_t *const *gs, size_t n)
{
    for (size_t g = 0; g < n; g++) {
        for (int i = 0; i < SGX_STATS_MAX_PARTS; i++) {
            sgx_part_stats_t *s = &gs[g]->parts[i];
            if (!atomic_load_explicit(&s->used, memory_order_acquire)) {
                break;
            }
            sgx_part_stats_t *p = agg_part(agg, s, (int)g + 1);
            if (!p) {
                return;
            }
            SGX_SET(p->committed, SGX_GET(s->committed));
            SGX_SET(p->stored, SGX_GET(s->stored));
            SGX_SET(p->uncommitted, SGX_GET(s->uncommitted));
            SGX_SET(p->lag, SGX_GET(s->lag));
            atomic_store(&p->assigned, atomic_load(&s->assigned));
        }
    }
}

static sgx_reason_stats_t *agg_reason(sgx_stats_t *agg, const char *name)
{
    for (int i = 0; i < SGX_STATS_MAX_REASONS; i++) {
        sgx_reason_stats_t *r = &agg->dlq_reasons[i];
        if (atomic_load_explicit(&r->used, memory_order_acquire) != 2) {
            memcpy(r->name, name, sizeof r->name);
            atomic_store_explicit(&r->used, 2, memory_order_release);
            return r;
        }
        if (strcmp(r->name, name) == 0) {
            return r;
        }
    }
    return NULL;
}

static void aggregate_reasons(sgx_stats_t *agg, sgx_stats_t *const *gs, size_t n)
{
    uint64_t sums[SGX_STATS_MAX_REASONS] = {0};
    for (size_t g = 0; g < n; g++) {
        for (int i = 0; i < SGX_STATS_MAX_REASONS; i++) {
            sgx_reason_stats_t *r = &gs[g]->dlq_reasons[i];
            if (atomic_load_explicit(&r->used, memory_order_acquire) != 2) {
                break;
            }
            sgx_reason_stats_t *a = agg_reason(agg, r->name);
            if (a) {
                sums[a - agg->dlq_reasons] += SGX_GET(r->count);
            }
        }
    }
    for (int i = 0; i < SGX_STATS_MAX_REASONS; i++) {
        if (atomic_load_explicit(&agg->dlq_reasons[i].used, memory_order_acquire) == 2) {
            SGX_SET(agg->dlq_reasons[i].count, sums[i]);
        }
    }
}

void sgx_groups_aggregate(sgx_stats_t *agg, sgx_stats_t *const *gs, size_t n)
{
    if (n == 0) {
        return;
    }
    aggregate_scalars(agg, gs, n);
    aggregate_parts(agg, gs, n);
    aggregate_reasons(agg, gs, n);
}
