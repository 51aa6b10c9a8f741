#include "pipeline/pipeline.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "base/log.h"
#include "base/mem.h"
#include "pipeline/consumer.h"
#include "pipeline/dispatch_req.h"
#include "pipeline/dispatcher.h"
#include "pipeline/groups.h"
#include "pipeline/obs_http.h"
#include "pipeline/progress.h"
#include "pipeline/route.h"

#define RING_CAPACITY 16384
#define AGGREGATE_EVERY_MS 50

struct sgx_pipeline {
    const sgx_config_t *cfg;
    sgx_stats_t stats;
    sgx_dest_t *dests;
    sgx_routes_t *routes;
    sgx_worker_shared_t wsh;
    sgx_consumer_t con;
    sgx_own_t own;
    sgx_dispatcher_t *disp;
    sgx_ring_t **worker_out;
    atomic_bool stop_workers, abort, flush_now, quit_dispatcher;
    bool stopped;
    sgx_obs_http_t *obs;       /* metrics and probes, NULL when metrics_listen is absent */
    sgx_progress_t *progress;  /* periodic progress line, NULL when off */
    /* consumer_group_per_destination: the groups' pipelines; this one then runs no consumer
     * itself, its stats are the process-wide view refreshed by the aggregator thread. */
    sgx_groups_t *groups;
    sgx_pipeline_t **gpipes;
    size_t ngroups;
    pthread_t agg_thread;
    bool agg_running;
    atomic_bool agg_quit;
};

static sgx_err_t init_dests(sgx_pipeline_t *p, char *errbuf)
{
    const sgx_config_t *cfg = p->cfg;
    if (cfg->ndests > SGX_STATS_MAX_DESTS) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "at most %d destinations", SGX_STATS_MAX_DESTS);
        return SGX_ERR_CONFIG;
    }
    p->dests = sgx_calloc(cfg->ndests, sizeof *p->dests);
    for (size_t i = 0; i < cfg->ndests; i++) {
        sgx_dest_t *d = &p->dests[i];
        d->cfg = &cfg->dests[i];
        d->def = d->cfg->def;
        char cerr[SGX_ERRBUF_SIZE] = "";
        if (d->def->init(&d->cfg->settings, &d->ctx, cerr)) {
            snprintf(errbuf, SGX_ERRBUF_SIZE, "destination %.64s: %.170s", d->cfg->name, cerr);
            return SGX_ERR_CONFIG;
        }
        d->def->keys(d->ctx, &d->keys, &d->nkeys);
        for (int k = 0; d->def->plain_key && k < SGX_KEY__COUNT; k++) {
            d->plain_keys |= d->def->plain_key(d->ctx, (sgx_key_t)k) ? 1u << k : 0;
        }
    }
    return sgx_routes_new(cfg, &p->routes);
}

static sgx_err_t init_consumer(sgx_pipeline_t *p, char *errbuf)
{
    sgx_consumer_t *c = &p->con;
    const sgx_config_t *cfg = p->cfg;
    size_t done_cap = cfg->max_inflight_events * 2 + RING_CAPACITY;
    c->cfg = cfg;
    c->stats = &p->stats;
    c->flush_now = &p->flush_now;
    c->own = &p->own;
    /* librdkafka's defaults when the config sets nothing (CONFIGURATION.md). */
    sgx_own_init(&p->own, sgx_consumer_setting_ms(cfg, "session.timeout.ms", 45000),
                 sgx_consumer_setting_ms(cfg, "heartbeat.interval.ms", 3000), sgx_now_ms());
    if (sgx_ring_new(done_cap, &c->self_done) || sgx_ring_new(done_cap, &c->disp_done) ||
        sgx_ring_new(done_cap, &c->dlq_done) ||
        sgx_schema_cache_new(cfg->registry_url, &cfg->mapping, &c->schemas)) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "cannot allocate the pipeline's queues");
        return SGX_ERR_NOMEM;
    }
    sgx_schema_cache_set_tls(c->schemas, &cfg->registry_tls);
    for (size_t i = 0; i < cfg->nschema_files; i++) {
        if (sgx_schema_cache_add_file(c->schemas, cfg->schema_files[i].id,
                                      cfg->schema_files[i].path, errbuf)) {
            return SGX_ERR_CONFIG;
        }
    }
    return sgx_dlq_new(cfg, c->dlq_done, &p->stats, &c->dlq, errbuf);
}

static sgx_err_t start_threads(sgx_pipeline_t *p, char *errbuf)
{
    const sgx_config_t *cfg = p->cfg;
    sgx_consumer_t *c = &p->con;
    size_t done_cap = cfg->max_inflight_events * 2 + RING_CAPACITY;
    p->wsh = (sgx_worker_shared_t){p->routes, p->dests, cfg->ndests, c->dlq, &p->stats,
                                   &p->stop_workers, &p->abort};
    c->nworkers = cfg->workers;
    c->workers = sgx_calloc((size_t)cfg->workers, sizeof *c->workers);
    p->worker_out = sgx_calloc((size_t)cfg->workers, sizeof *p->worker_out);
    for (int i = 0; i < cfg->workers; i++) {
        if (sgx_worker_start(&c->workers[i], &p->wsh, i, RING_CAPACITY, done_cap)) {
            snprintf(errbuf, SGX_ERRBUF_SIZE, "cannot start worker %d", i);
            return SGX_ERR_UNAVAILABLE;
        }
        p->worker_out[i] = c->workers[i].out;
    }
    sgx_dispatcher_opts_t o = {
        .dests = p->dests, .ndests = cfg->ndests, .inputs = p->worker_out,
        .ninputs = (size_t)cfg->workers, .done = c->disp_done, .dlq = c->dlq,
        .stats = &p->stats, .flush_now = &p->flush_now, .quit = &p->quit_dispatcher,
        .own = &p->own,
        .retry_base_ms = cfg->retry_base_ms, .retry_cap_ms = cfg->retry_cap_ms,
        .request_timeout_ms = cfg->request_timeout_ms,
        .max_server_wait_ms = cfg->max_server_wait_ms, .seed = (uint64_t)time(NULL),
    };
    if (sgx_dispatcher_start(&o, &p->disp)) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "cannot start the dispatcher");
        return SGX_ERR_UNAVAILABLE;
    }
    if (sgx_consumer_open(c, errbuf)) {
        return SGX_ERR_KAFKA;
    }
    return sgx_consumer_start(c);
}

/* One consumer group's pipeline; dest_home (borrowed, may be NULL) receives its destination
 * counters. */
static sgx_err_t start_core(sgx_pipeline_t *p, sgx_dest_stats_t *dest_home, char *errbuf)
{
    p->stats.dest_home = dest_home;
    sgx_err_t err = init_dests(p, errbuf);
    if (!err) {
        err = init_consumer(p, errbuf);
    }
    if (!err) {
        err = start_threads(p, errbuf);
    }
    return err;
}

static void aggregate(sgx_pipeline_t *p)
{
    sgx_stats_t *gs[SGX_STATS_MAX_DESTS];
    for (size_t i = 0; i < p->ngroups; i++) {
        gs[i] = &p->gpipes[i]->stats;
    }
    sgx_groups_aggregate(&p->stats, gs, p->ngroups);
}

static void *aggregate_main(void *arg)
{
    sgx_pipeline_t *p = arg;
    while (!atomic_load(&p->agg_quit)) {
        aggregate(p);
        const struct timespec tick = {0, AGGREGATE_EVERY_MS * 1000000L};
        nanosleep(&tick, NULL);
    }
    return NULL;
}

/* One pipeline per destination, started after their offsets were migrated. */
static sgx_err_t start_groups(sgx_pipeline_t *p, char *errbuf)
{
    if (p->cfg->ndests > SGX_STATS_MAX_DESTS) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "at most %d destinations", SGX_STATS_MAX_DESTS);
        return SGX_ERR_CONFIG;
    }
    sgx_err_t err = sgx_groups_new(p->cfg, &p->groups);
    if (!err) {
        err = sgx_groups_migrate(p->cfg, p->groups, errbuf);
    }
    p->gpipes = sgx_calloc(p->cfg->ndests, sizeof *p->gpipes);
    for (size_t i = 0; !err && i < p->cfg->ndests; i++) {
        sgx_pipeline_t *g = sgx_calloc(1, sizeof *g);
        g->cfg = sgx_groups_config(p->groups, i);
        p->gpipes[p->ngroups++] = g;
        err = start_core(g, &p->stats.dest[i], errbuf);
    }
    if (!err) {
        aggregate(p);
        if (pthread_create(&p->agg_thread, NULL, aggregate_main, p) != 0) {
            return SGX_ERR_UNAVAILABLE;
        }
        p->agg_running = true;
    }
    return err;
}

sgx_err_t sgx_pipeline_start(const sgx_config_t *cfg, sgx_pipeline_t **out, char *errbuf)
{
    sgx_pipeline_t *p = sgx_calloc(1, sizeof *p);
    p->cfg = cfg;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sgx_err_t err = cfg->group_per_dest ? start_groups(p, errbuf) : start_core(p, NULL, errbuf);
    if (!err && cfg->metrics_listen) {
        err = sgx_obs_http_start(cfg, &p->stats, &p->obs, errbuf);
    }
    if (!err) {
        err = sgx_progress_start(cfg, &p->stats, &p->progress);
    }
    if (err) {
        sgx_pipeline_stop(p, false);
        sgx_pipeline_destroy(p);
        return err;
    }
    *out = p;
    return SGX_OK;
}

sgx_stats_t *sgx_pipeline_stats(sgx_pipeline_t *p)
{
    return &p->stats;
}

int sgx_pipeline_metrics_port(const sgx_pipeline_t *p)
{
    return p->obs ? sgx_obs_http_port(p->obs) : -1;
}

/* Rows still queued between workers and the dispatcher after both stopped. */
static void release_queued_rows(sgx_pipeline_t *p)
{
    for (int i = 0; p->worker_out && i < p->cfg->workers; i++) {
        void *row;
        while (p->worker_out[i] && sgx_ring_pop(p->worker_out[i], &row) == SGX_OK) {
            sgx_record_release(((sgx_row_t *)row)->ack, p->con.disp_done);
            sgx_free(row);
        }
        void *rec;
        while (p->con.workers[i].in && sgx_ring_pop(p->con.workers[i].in, &rec) == SGX_OK) {
            sgx_record_release(rec, p->con.self_done);
        }
    }
}

typedef struct {
    sgx_pipeline_t *p;
    bool graceful;
} stop_arg_t;

static void *stop_main(void *arg)
{
    stop_arg_t *a = arg;
    sgx_pipeline_stop(a->p, a->graceful);
    return NULL;
}

/* The groups stop side by side: each gets the whole grace period, not a share of it. */
static void stop_groups(sgx_pipeline_t *p, bool graceful)
{
    pthread_t th[SGX_STATS_MAX_DESTS];
    stop_arg_t args[SGX_STATS_MAX_DESTS];
    bool started[SGX_STATS_MAX_DESTS] = {false};
    for (size_t i = 0; i < p->ngroups; i++) {
        args[i] = (stop_arg_t){p->gpipes[i], graceful};
        started[i] = pthread_create(&th[i], NULL, stop_main, &args[i]) == 0;
        if (!started[i]) {
            sgx_pipeline_stop(p->gpipes[i], graceful);
        }
    }
    for (size_t i = 0; i < p->ngroups; i++) {
        if (started[i]) {
            pthread_join(th[i], NULL);
        }
    }
    if (p->agg_running) {
        atomic_store(&p->agg_quit, true);
        pthread_join(p->agg_thread, NULL);
        p->agg_running = false;
    }
    aggregate(p);
}

void sgx_pipeline_stop(sgx_pipeline_t *p, bool graceful)
{
    if (p->stopped) {
        return;
    }
    p->stopped = true;
    atomic_store(&p->stats.stopping, 1); /* /readyz turns 503 while draining */
    sgx_progress_stop(p->progress);
    p->progress = NULL;
    if (p->groups) {
        stop_groups(p, graceful);
        if (p->cfg->progress_interval_s > 0) {
            sgx_progress_log(p->cfg, &p->stats, true);
        }
        return;
    }
    sgx_consumer_t *c = &p->con;
    atomic_store(&c->state, graceful ? SGX_DRAIN : SGX_ABORT);
    sgx_consumer_join(c);
    /* From here on nothing is stored or committed: what is released now is only freed. */
    atomic_store(&p->abort, true);
    atomic_store(&p->stop_workers, true);
    for (int i = 0; c->workers && i < c->nworkers; i++) {
        sgx_worker_join(&c->workers[i]);
    }
    atomic_store(&p->quit_dispatcher, true);
    sgx_dispatcher_join(p->disp);
    p->disp = NULL;
    SGX_INFO("pipeline", "stopped (%s)", graceful ? "graceful" : "abrupt");
    if (p->cfg->progress_interval_s > 0) {
        sgx_progress_log(p->cfg, &p->stats, true);
    }
}

/* Every hold has been released by now (threads joined, DLQ closed): free what came back. */
static void free_released(sgx_pipeline_t *p)
{
    sgx_consumer_t *c = &p->con;
    sgx_ring_t *rings[3] = {c->self_done, c->disp_done, c->dlq_done};
    void *rec;
    for (int r = 0; r < 3; r++) {
        while (rings[r] && sgx_ring_pop(rings[r], &rec) == SGX_OK) {
            sgx_free(rec);
        }
    }
    for (int i = 0; c->workers && i < c->nworkers; i++) {
        while (c->workers[i].done && sgx_ring_pop(c->workers[i].done, &rec) == SGX_OK) {
            sgx_free(rec);
        }
    }
}

void sgx_pipeline_destroy(sgx_pipeline_t *p)
{
    if (!p) {
        return;
    }
    sgx_pipeline_stop(p, true);
    sgx_obs_http_stop(p->obs);
    if (p->groups) {
        for (size_t i = 0; i < p->ngroups; i++) {
            sgx_pipeline_destroy(p->gpipes[i]);
        }
        sgx_free(p->gpipes);
        sgx_groups_free(p->groups);
        sgx_free(p);
        return;
    }
    sgx_consumer_t *c = &p->con;
    release_queued_rows(p);
    sgx_dlq_destroy(c->dlq); /* purges: outstanding DLQ records are released, not re-sent */
    free_released(p);
    for (int i = 0; c->workers && i < c->nworkers; i++) {
        sgx_worker_free(&c->workers[i]);
    }
    if (c->rk) {
        rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    sgx_consumer_drop_stash(c, true);
    for (size_t i = 0; i < c->nparts; i++) {
        sgx_offsets_destroy(c->parts[i]->offsets);
        sgx_free(c->parts[i]->topic);
        sgx_free(c->parts[i]);
    }
    sgx_free(c->parts);
    sgx_hmap_destroy(c->part_index);
    sgx_free(c->stash);
    sgx_free(c->workers);
    sgx_free(p->worker_out);
    sgx_ring_destroy(c->self_done);
    sgx_ring_destroy(c->disp_done);
    sgx_ring_destroy(c->dlq_done);
    sgx_schema_cache_destroy(c->schemas);
    sgx_hmap_destroy(c->unknown_schemas);
    for (size_t i = 0; p->dests && i < p->cfg->ndests; i++) {
        if (p->dests[i].ctx) {
            p->dests[i].def->destroy(p->dests[i].ctx);
        }
    }
    sgx_free(p->dests);
    sgx_routes_destroy(p->routes);
    sgx_free(p);
}
