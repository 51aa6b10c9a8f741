#include "pipeline/dispatcher.h"

#include <curl/curl.h>
#include <pthread.h>
#include <time.h>

#include "pipeline/audience.h"
#include "base/backoff.h"
#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "base/mem.h"

#define BURST 512

int64_t sgx_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_superseded(sgx_row_t *row, void *arg)
{
    sgx_dispatcher_t *d = arg;
    if (!atomic_load(d->o.quit)) {
        SGX_INC(sgx_stats_dest(d->o.stats, row->dest)->rows_coalesced);
    }
    sgx_record_release(row->ack, d->o.done);
    sgx_free(row);
}

static sgx_err_t setup_dests(sgx_dispatcher_t *d)
{
    d->dests = sgx_calloc(d->o.ndests, sizeof *d->dests);
    for (size_t i = 0; i < d->o.ndests; i++) {
        sgx_dest_rt_t *dr = &d->dests[i];
        dr->d = &d->o.dests[i];
        dr->index = (uint16_t)i;
        dr->st = sgx_stats_dest(d->o.stats, i);
        dr->auds = sgx_calloc(dr->d->cfg->naudiences, sizeof *dr->auds);
        dr->aud_ids = sgx_calloc(dr->d->cfg->naudiences, sizeof *dr->aud_ids);
        dr->creating = sgx_calloc(dr->d->cfg->naudiences, sizeof *dr->creating);
        dr->active = sgx_calloc(dr->d->cfg->naudiences, sizeof *dr->active);
        dr->listed = sgx_calloc(dr->d->cfg->naudiences, sizeof *dr->listed);
        dr->due = sgx_calloc(dr->d->cfg->naudiences * 2, sizeof *dr->due);
        sgx_block_setup(dr);
        sgx_pacer_init(&dr->pacer, dr->d->cfg->limits.min_interval_ms,
                       dr->d->cfg->limits.max_inflight, dr->d->cfg->limits.usage_window_ms);
        for (size_t a = 0; a < dr->d->cfg->naudiences; a++) {
            const char *id = dr->d->cfg->audience_ids[a];
            dr->aud_ids[a] = *id ? sgx_strdup(id) : NULL;
            if (sgx_aud_new(on_superseded, d, &dr->auds[a])) {
                return SGX_ERR_NOMEM;
            }
        }
        sgx_dest_load_created(dr);
    }
    return SGX_OK;
}

static bool has_rows(const sgx_aud_t *aud)
{
    return sgx_aud_open_count(aud, SGX_OP_ENTER) || sgx_aud_open_count(aud, SGX_OP_EXIT) ||
           sgx_aud_held_count(aud);
}

void sgx_dest_aud_changed(sgx_dest_rt_t *dr, uint32_t a)
{
    sgx_aud_t *aud = dr->auds[a];
    if (!dr->listed[a] && has_rows(aud)) {
        dr->listed[a] = true;
        dr->active[dr->nactive++] = a;
    }
    sgx_aud_trim(aud); /* a no-op unless idle */
}

static size_t drain_inputs(sgx_dispatcher_t *d, int64_t now)
{
    void *rows[BURST];
    size_t total = 0;
    for (size_t i = 0; i < d->o.ninputs; i++) {
        size_t n = sgx_ring_pop_many(d->o.inputs[i], rows, BURST);
        for (size_t k = 0; k < n; k++) {
            sgx_row_t *row = rows[k];
            if (d->o.own && !sgx_own_record(row->ack)) {
                sgx_own_drop_row(d, row); /* its partition was revoked or lost meanwhile */
                continue;
            }
            sgx_dest_rt_t *dr = &d->dests[row->dest];
            sgx_aud_add(dr->auds[row->audience], row, now);
            sgx_dest_aud_changed(dr, row->audience);
        }
        total += n;
    }
    return total;
}

static bool batch_due(const sgx_dispatcher_t *d, const sgx_dest_rt_t *dr, size_t a,
                      sgx_op_t op, int64_t now)
{
    const sgx_aud_t *aud = dr->auds[a];
    size_t n = sgx_aud_open_count(aud, op);
    if (n == 0 || (!dr->aud_ids[a] && dr->creating[a]) || sgx_block_holds(dr, (uint32_t)a)) {
        return false; /* nothing to send, the audience is being created, or it is blocked */
    }
    return n >= dr->d->cfg->limits.max_rows || sgx_aud_open_cut(aud, op) ||
           atomic_load(d->o.flush_now) ||
           now - sgx_aud_open_since(aud, op) >= dr->d->cfg->limits.linger_ms;
}

/* Sends the due batches the destination's concurrency and throttling allow, the longest-open
 * first when there are more than free slots (pipeline/sched.h). Only listed audiences are
 * looked at, so an iteration costs what is active, not what is configured; an audience left
 * without open or held rows leaves the list (rows in flight need no flushing, and the rows
 * their completion releases list it again through sgx_dest_aud_changed). */
static void flush_dest(sgx_dispatcher_t *d, sgx_dest_rt_t *dr, int64_t now)
{
    int max = sgx_pacer_inflight_cap(&dr->pacer);
    size_t n = 0;
    for (size_t k = 0; dr->inflight < max && k < dr->nactive; k++) {
        for (uint8_t op = 0; op < 2; op++) {
            if (batch_due(d, dr, dr->active[k], (sgx_op_t)op, now)) {
                dr->due[n++] = (sgx_due_t){.since = sgx_aud_open_since(dr->auds[dr->active[k]],
                                                                       (sgx_op_t)op),
                                           .aud = dr->active[k], .op = op};
            }
        }
    }
    sgx_sched_oldest_first(dr->due, n, (size_t)(max - dr->inflight));
    for (size_t i = 0; i < n && dr->inflight < max; i++) {
        uint32_t a = dr->due[i].aud;
        sgx_op_t op = (sgx_op_t)dr->due[i].op;
        while (dr->inflight < max && batch_due(d, dr, a, op, now) && sgx_dest_ready(d, dr, now)) {
            sgx_req_send_batch(d, dr, a, op, now);
        }
    }
    for (size_t k = 0; k < dr->nactive;) {
        uint32_t a = dr->active[k];
        if (has_rows(dr->auds[a])) {
            k++;
            continue;
        }
        dr->listed[a] = false;
        dr->active[k] = dr->active[--dr->nactive];
        sgx_aud_trim(dr->auds[a]);
    }
}

static void flush_due(sgx_dispatcher_t *d, int64_t now)
{
    for (size_t i = 0; i < d->o.ndests; i++) {
        flush_dest(d, &d->dests[i], now);
    }
}

static bool idle(const sgx_dispatcher_t *d)
{
    for (size_t i = 0; i < d->o.ndests; i++) {
        if (d->dests[i].inflight || d->dests[i].nactive) {
            return false;
        }
    }
    return true;
}

/* Ownership before every send, retry and release (issue 10 §2): rows of partitions revoked or
 * lost are dropped first; nothing starts while group contact is older than the limit. */
static bool may_send(sgx_dispatcher_t *d, int64_t now)
{
    if (!d->o.own) {
        return true;
    }
    if (sgx_own_purge_due(d->o.own, &d->own_seen)) {
        sgx_own_purge(d, now);
        sgx_own_purged(d->o.own, d->own_seen);
    }
    bool may = sgx_own_may_send(d->o.own, now);
    if (may != d->may_send) {
        d->may_send = may;
        if (may) {
            SGX_INFO("dispatch", "group contact restored: sending resumes");
        } else {
            SGX_WARN("dispatch", "no recent contact with the consumer group: no request starts "
                     "until membership is confirmed");
        }
    }
    return may;
}

static void *dispatcher_main(void *arg)
{
    sgx_dispatcher_t *d = arg;
    int idle_rounds = 0;
    pthread_setname_np(pthread_self(), "dispatcher"); /* top -H and /proc split CPU by role */
    while (!atomic_load(d->o.quit)) {
        int64_t now = sgx_now_ms();
        SGX_SET(d->o.stats->beat_dispatcher, now);
        size_t got = drain_inputs(d, now);
        if (may_send(d, now)) { /* probes of a blocked destination are sends too */
            flush_due(d, now);
            sgx_req_start_due_retries(d, now);
            sgx_block_tick(d, now);
        }
        int running = 0;
        curl_multi_perform(d->multi, &running);
        sgx_req_collect(d);
        /* Rows arrive on rings curl cannot watch: poll briefly, longer when nothing moves. */
        idle_rounds = got ? 0 : idle_rounds + 1;
        int timeout = got ? 0 : (idle_rounds < 10 ? 1 : 5);
        if (running || !idle(d) || timeout) {
            curl_multi_poll(d->multi, NULL, 0, timeout, NULL);
        }
    }
    return NULL;
}

sgx_err_t sgx_dispatcher_start(const sgx_dispatcher_opts_t *o, sgx_dispatcher_t **out)
{
    sgx_dispatcher_t *d = sgx_calloc(1, sizeof *d);
    d->o = *o;
    d->rng = o->seed ? o->seed : 0x9e3779b97f4a7c15ULL;
    d->may_send = true;
    d->next_session = ((uint64_t)time(NULL) << 16) ^ (o->seed & 0xffff);
    d->multi = curl_multi_init();
    if (!d->multi || setup_dests(d) ||
        pthread_create(&d->thread, NULL, dispatcher_main, d) != 0) {
        d->thread = 0;
        sgx_dispatcher_join(d);
        return SGX_ERR_UNAVAILABLE;
    }
    d->started = true;
    *out = d;
    return SGX_OK;
}

void sgx_dispatcher_join(sgx_dispatcher_t *d)
{
    if (!d) {
        return;
    }
    if (d->started) {
        pthread_join(d->thread, NULL);
    }
    sgx_req_cancel_all(d);
    for (size_t i = 0; d->dests && i < d->o.ndests; i++) {
        for (size_t a = 0; a < d->dests[i].d->cfg->naudiences; a++) {
            sgx_aud_destroy(d->dests[i].auds[a]);
            sgx_free(d->dests[i].aud_ids[a]);
        }
        sgx_free(d->dests[i].auds);
        sgx_free(d->dests[i].aud_ids);
        sgx_free(d->dests[i].creating);
        sgx_free(d->dests[i].active);
        sgx_free(d->dests[i].listed);
        sgx_free(d->dests[i].due);
        sgx_free(d->dests[i].token);
        sgx_block_free(&d->dests[i]);
        sgx_free(d->dests[i].refresh_token);
    }
    sgx_free(d->dests);
    if (d->multi) {
        curl_multi_cleanup(d->multi);
    }
    sgx_free(d);
}
