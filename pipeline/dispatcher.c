#include "pipeline/dispatcher.h"

#include <curl/curl.h>
#include <pthread.h>
#include <time.h>

#include "pipeline/audience.h"
#include "pipeline/backoff.h"
#include "pipeline/dispatch_req.h"
#include "pipeline/log.h"
#include "pipeline/mem.h"

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
        SGX_INC(d->o.stats->dest[row->dest].rows_coalesced);
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
        dr->st = &d->o.stats->dest[i];
        dr->auds = sgx_calloc(dr->d->cfg->naudiences, sizeof *dr->auds);
        dr->aud_ids = sgx_calloc(dr->d->cfg->naudiences, sizeof *dr->aud_ids);
        dr->creating = sgx_calloc(dr->d->cfg->naudiences, sizeof *dr->creating);
        for (size_t a = 0; a < dr->d->cfg->naudiences; a++) {
            const char *id = dr->d->cfg->audience_ids[a];
            dr->aud_ids[a] = *id ? sgx_strdup(id) : NULL;
            if (sgx_aud_new(on_superseded, d, &dr->auds[a])) {
                return SGX_ERR_NOMEM;
            }
        }
    }
    return SGX_OK;
}

static size_t drain_inputs(sgx_dispatcher_t *d, int64_t now)
{
    void *rows[BURST];
    size_t total = 0;
    for (size_t i = 0; i < d->o.ninputs; i++) {
        size_t n = sgx_ring_pop_many(d->o.inputs[i], rows, BURST);
        for (size_t k = 0; k < n; k++) {
            sgx_row_t *row = rows[k];
            sgx_aud_add(d->dests[row->dest].auds[row->audience], row, now);
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
    if (n == 0 || (!dr->aud_ids[a] && dr->creating[a])) {
        return false; /* nothing to send, or the audience is being created */
    }
    return n >= dr->d->cfg->limits.max_rows || atomic_load(d->o.flush_now) ||
           now - sgx_aud_open_since(aud, op) >= dr->d->cfg->limits.linger_ms;
}

/* Sends every due batch the destination's concurrency and throttling allow. */
static void flush_due(sgx_dispatcher_t *d, int64_t now)
{
    for (size_t i = 0; i < d->o.ndests; i++) {
        sgx_dest_rt_t *dr = &d->dests[i];
        for (size_t a = 0; a < dr->d->cfg->naudiences; a++) {
            for (int op = 0; op < 2; op++) {
                while (dr->inflight < dr->d->cfg->limits.max_inflight &&
                       batch_due(d, dr, a, (sgx_op_t)op, now) && sgx_dest_ready(d, dr, now)) {
                    sgx_req_send_batch(d, dr, (uint32_t)a, (sgx_op_t)op, now);
                }
            }
        }
    }
}

static bool idle(const sgx_dispatcher_t *d)
{
    for (size_t i = 0; i < d->o.ndests; i++) {
        const sgx_dest_rt_t *dr = &d->dests[i];
        if (dr->inflight) {
            return false;
        }
        for (size_t a = 0; a < dr->d->cfg->naudiences; a++) {
            const sgx_aud_t *aud = dr->auds[a];
            if (sgx_aud_open_count(aud, SGX_OP_ENTER) || sgx_aud_open_count(aud, SGX_OP_EXIT) ||
                sgx_aud_held_count(aud)) {
                return false;
            }
        }
    }
    return true;
}

static void *dispatcher_main(void *arg)
{
    sgx_dispatcher_t *d = arg;
    int idle_rounds = 0;
    while (!atomic_load(d->o.quit)) {
        int64_t now = sgx_now_ms();
        size_t got = drain_inputs(d, now);
        flush_due(d, now);
        sgx_req_start_due_retries(d, now);
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
        sgx_free(d->dests[i].token);
        sgx_free(d->dests[i].refresh_token);
    }
    sgx_free(d->dests);
    if (d->multi) {
        curl_multi_cleanup(d->multi);
    }
    sgx_free(d);
}
