#include "pipeline/worker.h"

#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/mem.h"
#include "pipeline/dispatch_req.h"

#define BURST 256

void sgx_idle(int round)
{
    /* Back off from 50 µs to 1 ms: latency of a few hundred µs is invisible next to HTTP,
     * and spinning would steal a core from the threads doing the work. */
    long ns = round < 4 ? 50000L : round < 20 ? 200000L : 1000000L;
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

/* @param row transferred: to the dispatcher, or freed (with its hold on the record) when the
 * pipeline aborts while the ring is full, so that teardown finds the record in the done ring. */
static void push_row(sgx_worker_t *w, sgx_row_t *row)
{
    int round = 0;
    while (sgx_ring_push(w->out, row) != SGX_OK) {
        if (atomic_load(w->sh->abort)) {
            /* abrupt stop: nothing is acknowledged any more, the record is only freed */
            sgx_record_release(row->ack, w->done);
            sgx_row_free(row);
            return;
        }
        sgx_idle(round++);
    }
}

static void route_record(sgx_worker_t *w, sgx_record_t *rec)
{
    const sgx_worker_shared_t *sh = w->sh;
    const unsigned char *body = sgx_record_body(rec);
    const sgx_target_t *targets;
    size_t n;
    sgx_routes_find(sh->routes, (const char *)body + rec->dec.segment_id.off,
                    rec->dec.segment_id.len, &targets, &n);
    if (n == 0) {
        SGX_INC(sh->stats->unrouted);
    }
    for (size_t i = 0; i < n; i++) {
        const sgx_dest_t *dest = &sh->dests[targets[i].dest];
        sgx_row_t *row = NULL;
        const char *reason = NULL;
        sgx_err_t err = sgx_row_build_plain(w->rb, dest->def->kind, dest->keys, dest->nkeys,
                                            dest->plain_keys, dest->cfg->default_country,
                                            &rec->dec, body, &row, &w->drops[targets[i].dest],
                                            &reason);
        if (err) {
            SGX_INC(sgx_stats_dest(sh->stats, targets[i].dest)->rows_no_key);
            sgx_dlq_send(sh->dlq, rec, reason ? reason : sgx_err_str(err), dest->cfg->name,
                         true);
            continue;
        }
        row->ack = rec;
        row->dest = targets[i].dest;
        row->audience = targets[i].audience;
        row->op = rec->dec.op;
        sgx_record_hold(rec);
        push_row(w, row);
    }
    /* Drop the routing hold the poll thread took: if nothing was exported the record is
     * final right here. */
    sgx_record_release(rec, w->done);
}

/* Moves the builder's per-thread drop counts into the shared counters, read by /metrics. */
static void publish_drops(sgx_worker_t *w)
{
    for (size_t d = 0; d < w->sh->ndests; d++) {
        for (int k = 0; k < SGX_KEY__COUNT; k++) {
            for (int r = 0; r < SGX_DROP__COUNT; r++) {
                uint64_t *n = &w->drops[d].dropped[k][r];
                if (*n) {
                    SGX_ADD(sgx_stats_dest(w->sh->stats, d)->dropped[k][r], *n);
                    *n = 0;
                }
            }
        }
    }
}

static void *worker_main(void *arg)
{
    sgx_worker_t *w = arg;
    void *batch[BURST];
    int round = 0;
    char name[16]; /* top -H and /proc split CPU by role */
    snprintf(name, sizeof name, "worker-%d", w->index);
    pthread_setname_np(pthread_self(), name);
    for (;;) {
        if (atomic_load(w->sh->abort)) {
            break;
        }
        if (w->index < SGX_STATS_MAX_WORKERS) {
            SGX_SET(w->sh->stats->beat_worker[w->index], sgx_now_ms());
        }
        size_t n = sgx_ring_pop_many(w->in, batch, BURST);
        if (n == 0) {
            if (atomic_load(w->sh->stop)) {
                break;
            }
            sgx_idle(round++);
            continue;
        }
        round = 0;
        for (size_t i = 0; i < n; i++) {
            route_record(w, batch[i]);
        }
        publish_drops(w);
    }
    return NULL;
}

sgx_err_t sgx_worker_start(sgx_worker_t *w, const sgx_worker_shared_t *sh, int index,
                           size_t ring_capacity, size_t done_capacity)
{
    memset(w, 0, sizeof *w);
    w->sh = sh;
    w->index = index;
    w->drops = sgx_calloc(sh->ndests, sizeof *w->drops);
    if (sgx_ring_new(ring_capacity, &w->in) || sgx_ring_new(ring_capacity, &w->out) ||
        sgx_ring_new(done_capacity, &w->done) || sgx_rowbuilder_new(&w->rb)) {
        return SGX_ERR_UNAVAILABLE;
    }
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        return SGX_ERR_UNAVAILABLE;
    }
    return SGX_OK;
}

void sgx_worker_join(sgx_worker_t *w)
{
    if (w->thread) {
        pthread_join(w->thread, NULL);
        w->thread = 0;
    }
}

void sgx_worker_free(sgx_worker_t *w)
{
    sgx_ring_destroy(w->in);
    sgx_ring_destroy(w->out);
    sgx_ring_destroy(w->done);
    sgx_rowbuilder_destroy(w->rb);
    sgx_free(w->drops);
    w->in = w->out = w->done = NULL;
    w->rb = NULL;
    w->drops = NULL;
}
