#include "pipeline/dispatch_req.h"

#include <string.h>

#include "base/backoff.h"
#include "base/log.h"
#include "base/mem.h"
#include "pipeline/dispatch_obs.h"
#include "pipeline/record.h"
#include "pipeline/reject.h"

static void list_push(sgx_req_t **head, sgx_req_t *r)
{
    r->prev = NULL;
    r->next = *head;
    if (*head) {
        (*head)->prev = r;
    }
    *head = r;
}

static void list_remove(sgx_req_t **head, sgx_req_t *r)
{
    if (r->prev) {
        r->prev->next = r->next;
    } else {
        *head = r->next;
    }
    if (r->next) {
        r->next->prev = r->prev;
    }
    r->prev = r->next = NULL;
}

void sgx_req_free(sgx_req_t *r)
{
    sgx_http_cleanup(&r->http);
    sgx_request_clear(&r->req);
    sgx_buf_free(&r->body);
    sgx_free(r->state);
    sgx_free(r->rows);
    sgx_free(r);
}

/* Encodes rows[0..n), halving n while the body is over the byte cap. @returns rows encoded. */
static size_t encode_fitting(sgx_dispatcher_t *d, sgx_dest_rt_t *dr, sgx_batch_t *b,
                             sgx_buf_t *body, sgx_err_t *err)
{
    const sgx_dest_t *dest = dr->d;
    size_t fits = 0;
    b->fits = &fits;
    for (;;) {
        sgx_buf_reset(body);
        b->session_id = d->next_session++;
        fits = 0;
        *err = dest->def->encode(dr->ctx, b, body);
        if (*err == SGX_OK && fits > 0 && fits < b->nrows) {
            b->nrows = fits; /* the connector cut the batch where its cap is */
        }
        if (*err == SGX_OK && body->len > dest->cfg->limits.max_bytes) {
            *err = SGX_ERR_TOO_LARGE;
        }
        if (*err != SGX_ERR_TOO_LARGE || b->nrows == 1) {
            b->fits = NULL;
            return b->nrows;
        }
        b->nrows /= 2;
    }
}

void sgx_req_start_transfer(sgx_dispatcher_t *d, sgx_req_t *r)
{
    sgx_http_reset_response(&r->http);
    curl_multi_add_handle(d->multi, r->http.easy);
    list_push(&d->active, r);
    if (!r->is_auth) { /* tokens don't count */
        sgx_pacer_started(&r->dest->pacer, sgx_now_ms());
    }
}

/* Every (re)start prepares the request again: a retry after REAUTH must carry the new token,
 * and the next step of an async job its new state. prepare is pure and cheap. */
static sgx_err_t start(sgx_dispatcher_t *d, sgx_req_t *r)
{
    const sgx_dest_t *dest = r->dest->d;
    r->job.state = r->state;
    r->job.auth_token = r->dest->token;
    r->started_at = sgx_now_ms();
    sgx_request_clear(&r->req);
    /* Some bodies carry the credentials (Meta's access_token form field): after a rotation,
     * encode again with the new connector ctx. */
    sgx_err_t err = r->ctx_gen != r->dest->ctx_gen ? sgx_req_encode(d, r) : SGX_OK;
    if (!err) {
        err = dest->def->prepare(r->dest->ctx, &r->job, &r->req);
    }
    if (!err) {
        r->http.tls = &dest->cfg->tls;
        err = sgx_http_setup(&r->http, &r->req, d->o.request_timeout_ms, r);
    }
    if (err) {
        return err;
    }
    sgx_req_start_transfer(d, r);
    SGX_INC(r->dest->st->requests);
    return SGX_OK;
}

void sgx_req_push_waiting(sgx_dispatcher_t *d, sgx_req_t *r)
{
    list_push(&d->waiting, r);
}

sgx_err_t sgx_req_encode(sgx_dispatcher_t *d, sgx_req_t *r)
{
    sgx_buf_reset(&r->body);
    r->batch.session_id = d->next_session++;
    r->ctx_gen = r->dest->ctx_gen;
    return r->dest->d->def->encode(r->dest->ctx, &r->batch, &r->body);
}

static void finish_rows(sgx_dispatcher_t *d, sgx_req_t *r, int64_t now);
static void reject_all(sgx_dispatcher_t *d, sgx_req_t *r, const char *reason, int64_t now);

/* Removals from an audience this process has not created yet: nothing to remove, and sending
 * them would create the audience (a new Customer List ignores its Action Type and adds the
 * rows). Only an ENTER batch may create; these rows are acknowledged without a request. */
static void exit_before_create(sgx_dispatcher_t *d, sgx_req_t *r, size_t n, int64_t now)
{
    sgx_dest_rt_t *dr = r->dest;
    r->rows = sgx_malloc(n * sizeof *r->rows);
    sgx_aud_take(dr->auds[r->aud], SGX_OP_EXIT, n, r->rows, now);
    r->batch.rows = (const sgx_row_t *const *)r->rows;
    r->batch.nrows = n;
    dr->inflight++;
    SGX_ADD(dr->st->rows_delivered, n);
    SGX_ADD(dr->st->rows_by_aud[r->aud < SGX_STATS_MAX_AUDS ? r->aud : 0][SGX_OP_EXIT], n);
    SGX_INFO("dispatch", "%s: segment %s: %zu removals acknowledged without a request: the "
             "audience does not exist yet, so there is nothing to remove", dr->d->cfg->name,
             r->batch.segment, n);
    finish_rows(d, r, now);
}

void sgx_req_send_batch(sgx_dispatcher_t *d, sgx_dest_rt_t *dr, uint32_t aud, sgx_op_t op,
                        int64_t now)
{
    const sgx_dest_t *dest = dr->d;
    sgx_row_t *const *open;
    sgx_req_t *r = sgx_calloc(1, sizeof *r);
    size_t n = sgx_aud_peek(dr->auds[aud], op, dest->cfg->limits.max_rows, &open);
    r->dest = dr;
    r->aud = aud;
    r->batch = (sgx_batch_t){.audience = aud, .audience_id = dr->aud_ids[aud],
                             .segment = dest->cfg->segments[aud], .op = op, .batch_seq = 1,
                             .last_batch = true, .nrows = n,
                             .rows = (const sgx_row_t *const *)open};
    if (op == SGX_OP_EXIT && !dr->aud_ids[aud]) {
        exit_before_create(d, r, n, now);
        return;
    }
    sgx_err_t err;
    size_t asked = n;
    n = encode_fitting(d, dr, &r->batch, &r->body, &err);
    r->ctx_gen = dr->ctx_gen;
    r->rows = sgx_malloc(n * sizeof *r->rows);
    sgx_aud_take(dr->auds[aud], op, n, r->rows, now);
    if (n < asked) {
        sgx_aud_mark_cut(dr->auds[aud], op); /* cut by a cap: the rest is due too */
    }
    r->batch.rows = (const sgx_row_t *const *)r->rows;
    r->job = (sgx_job_t){.batch = &r->batch, .body = &r->body};
    dr->inflight++;
    if (!dr->aud_ids[aud]) {
        dr->creating[aud] = true; /* this request creates the audience: others wait */
    }
    if (!err) {
        err = start(d, r);
    }
    if (!err) {
        sgx_obs_sent(r);
    }
    if (err) {
        /* The rows cannot be expressed as a request (e.g. one row over the byte cap). */
        SGX_ERROR("dispatch", "%s: cannot build a request for %zu rows: %s", dest->cfg->name, n,
                  sgx_err_str(err));
        reject_all(d, r, sgx_err_str(err), now);
    }
}

/* Rows of a final request leave the fence, release their records, and are freed. */
static void finish_rows(sgx_dispatcher_t *d, sgx_req_t *r, int64_t now)
{
    sgx_dest_rt_t *dr = r->dest;
    size_t n = r->batch.nrows;
    if (!dr->aud_ids[r->aud]) {
        dr->creating[r->aud] = false; /* creation failed: the next batch tries again */
    }
    sgx_aud_unfence(dr->auds[r->aud], r->rows, n, now);
    for (size_t i = 0; i < n; i++) {
        sgx_record_release(r->rows[i]->ack, d->o.done);
        sgx_free(r->rows[i]);
    }
    dr->inflight--;
    sgx_dest_aud_changed(dr, r->aud);
    sgx_req_free(r);
}

static void reject(sgx_dispatcher_t *d, sgx_req_t *r, const sgx_classification_t *c)
{
    sgx_dest_rt_t *dr = r->dest;
    size_t n = r->batch.nrows;
    const char **why = sgx_malloc(n * sizeof *why);
    size_t bad = sgx_reject_reasons(c, n, why);
    for (size_t i = 0; i < n && bad; i++) {
        if (why[i]) {
            sgx_dlq_send(d->o.dlq, r->rows[i]->ack, why[i], dr->d->cfg->name, true);
        }
    }
    sgx_free(why);
    SGX_ADD(dr->st->rows_rejected, bad);
    sgx_obs_rows(dr, r->aud, SGX_OUT_REJECTED, bad);
    sgx_obs_rows(dr, r->aud, SGX_OUT_DELIVERED, n - bad);
    SGX_ADD(dr->st->rows_delivered, n - bad);
    SGX_ADD(dr->st->rows_by_aud[r->aud < SGX_STATS_MAX_AUDS ? r->aud : 0][r->batch.op], n - bad);
    SGX_ERROR("dispatch", "%s: audience %s: %zu of %zu rows rejected: %s", dr->d->cfg->name,
              r->batch.audience_id ? r->batch.audience_id : "(new)", bad, n, c->reason);
}

static void reject_all(sgx_dispatcher_t *d, sgx_req_t *r, const char *reason, int64_t now)
{
    sgx_classification_t c = {.verdict = SGX_CLS_REJECTED};
    snprintf(c.reason, sizeof c.reason, "%s", reason);
    reject(d, r, &c);
    finish_rows(d, r, now);
}

static void schedule_retry(sgx_dispatcher_t *d, sgx_req_t *r, sgx_classification_t *c,
                           int64_t now)
{
    sgx_dest_rt_t *dr = r->dest;
    int64_t wait = c->retry_after_ms >= 0 ? c->retry_after_ms
                   : c->verdict == SGX_CLS_FATAL
                       ? d->o.retry_cap_ms
                       : sgx_backoff_ms(r->job.attempt, d->o.retry_base_ms, d->o.retry_cap_ms,
                                        &d->rng);
    if (c->verdict == SGX_CLS_REAUTH) {
        dr->token_expiry = 0; /* the next start waits for a fresh token */
        wait = 0;
    }
    r->job.attempt++;
    r->retry_at = now + wait;
    /* A connector may send a failed job back to an earlier step (an expired upload URL, a
     * stale result file): it says so with next_step and state, as for NEXT_STEP. */
    if (c->next_step != r->job.step + 1 && c->next_step >= 0) {
        r->job.step = c->next_step;
    }
    if (c->state) {
        sgx_free(r->state);
        r->state = c->state;
        c->state = NULL;
    }
    if (c->throttled) {
        SGX_INC(dr->st->throttled);
        if (dr->not_before < r->retry_at) {
            dr->not_before = r->retry_at;
        }
    }
    if (c->verdict == SGX_CLS_FATAL) {
        sgx_block_enter(d, r, c, now); /* logs the state change itself */
        list_push(&d->waiting, r);
        return;
    }
    sgx_block_retried(r); /* a probe that met a transient failure says nothing either way */
    SGX_DEBUG("dispatch", "%s: audience %s: backoff: attempt %d waits %lld ms (%s%s)",
              dr->d->cfg->name, r->batch.audience_id ? r->batch.audience_id : "(new)",
              r->job.attempt, (long long)wait,
              c->retry_after_ms >= 0 ? "the destination's wait" : "exponential, full jitter",
              c->throttled ? ", throttled" : "");
    if (r->job.attempt == 1 || r->job.attempt % 10 == 0) {
        SGX_WARN("dispatch", "%s: audience %s: %s; retry %d in %lld ms (%s)", dr->d->cfg->name,
                 r->batch.audience_id ? r->batch.audience_id : "(new)", c->throttled ? "throttled" : "transient failure",
                 r->job.attempt, (long long)wait, c->reason[0] ? c->reason : "no detail");
    }
    list_push(&d->waiting, r);
}

static void record_created(sgx_dest_rt_t *dr, sgx_req_t *r, sgx_classification_t *c)
{
    if (!c->created_audience_id || dr->aud_ids[r->aud]) {
        return;
    }
    dr->aud_ids[r->aud] = c->created_audience_id;
    c->created_audience_id = NULL;
    dr->creating[r->aud] = false;
    r->batch.audience_id = dr->aud_ids[r->aud];
    if (c->audience_found) {
        SGX_INFO("dispatch", "%s: segment %s: found its audience %s by name", dr->d->cfg->name,
                 r->batch.segment, dr->aud_ids[r->aud]);
    } else {
        SGX_INC(dr->st->audiences_created);
        SGX_INFO("dispatch", "%s: segment %s: created audience %s", dr->d->cfg->name,
                 r->batch.segment, dr->aud_ids[r->aud]);
    }
    sgx_dest_save_created(dr, r->aud);
}

/* Every async step is bounded. Polls (NEXT_STEP to the same step) are paced by the connector
 * and, once it says the job is overdue, by retry_cap_ms: the job may still apply, so its rows
 * stay fenced and unacknowledged (never dead-lettered, never released to the held rows behind
 * them) and the partition's uncommitted span cap limits what piles up meanwhile. A step sent
 * back to an earlier one (a spent upload URL, an expired result file) is free once, then
 * paced by capped backoff so two steps can never ping-pong at full speed. */
static int64_t step_wait(sgx_dispatcher_t *d, sgx_req_t *r, const sgx_classification_t *c)
{
    int64_t wait = c->retry_after_ms > 0 ? c->retry_after_ms : 0;
    if (c->next_step < r->job.step && ++r->backs > 1) {
        int64_t pace = sgx_backoff_ms(r->backs - 2, d->o.retry_base_ms, d->o.retry_cap_ms,
                                      &d->rng);
        wait = wait > pace ? wait : pace;
    }
    if (c->overdue) {
        if (!r->overdue) {
            r->overdue = true;
            SGX_INC(r->dest->st->jobs_overdue);
            SGX_ERROR("dispatch", "%s: audience %s: job of %zu rows is overdue (%s); it may still "
                      "be applied, so its rows stay unacknowledged and fenced; checking every "
                      "%d ms", r->dest->d->cfg->name,
                      r->batch.audience_id ? r->batch.audience_id : "(new)", r->batch.nrows,
                      c->reason, d->o.retry_cap_ms);
        }
        wait = wait > d->o.retry_cap_ms ? wait : d->o.retry_cap_ms;
    }
    return wait;
}

static void next_step(sgx_dispatcher_t *d, sgx_req_t *r, sgx_classification_t *c, int64_t now)
{
    r->retry_at = now + step_wait(d, r, c);
    r->job.step = c->next_step;
    r->job.attempt = 0;
    if (c->state) {
        sgx_free(r->state);
        r->state = c->state;
        c->state = NULL;
    }
    list_push(&d->waiting, r);
}

/* A token refreshed after a REAUTH and refused again: the credentials themselves are wrong. */
static void reauth_twice(sgx_req_t *r, sgx_classification_t *c)
{
    if (c->verdict != SGX_CLS_REAUTH) {
        r->reauths = 0; /* a long job may legitimately outlive several tokens */
        return;
    }
    if (r->reauths++ < 1) {
        return;
    }
    c->verdict = SGX_CLS_FATAL;
    c->block_scope = SGX_BLOCK_DEST;
    c->block_auth = true;
    size_t n = strlen(c->reason);
    snprintf(c->reason + n, sizeof c->reason - n, "%s", " (again after a fresh token)");
}

/* Re-encodes a job for its (new) rows and audience id and queues it at step 0. */
static void restart_job(sgx_dispatcher_t *d, sgx_req_t *r, int64_t now)
{
    if (sgx_req_encode(d, r) != SGX_OK) {
        reject_all(d, r, "cannot_encode_split_batch", now);
        return;
    }
    r->job = (sgx_job_t){.batch = &r->batch, .body = &r->body};
    sgx_free(r->state);
    r->state = NULL;
    r->retry_at = now;
    list_push(&d->waiting, r);
}

/* SPLIT: each half goes out again as a batch of its own. When the audience does not exist yet,
 * the first half creates it and the second waits for its id (sgx_req_start_due_retries). */
static void split(sgx_dispatcher_t *d, sgx_req_t *r, const sgx_classification_t *c,
                  int64_t now)
{
    size_t n = r->batch.nrows, half = n / 2;
    if (n < 2) {
        reject_all(d, r, c->reason, now); /* one row that does not fit: dead-letter it */
        return;
    }
    sgx_req_t *b = sgx_calloc(1, sizeof *b);
    b->dest = r->dest;
    b->aud = r->aud;
    b->rows = sgx_malloc((n - half) * sizeof *b->rows);
    memcpy(b->rows, r->rows + half, (n - half) * sizeof *b->rows);
    b->batch = r->batch;
    b->batch.rows = (const sgx_row_t *const *)b->rows;
    b->batch.nrows = n - half;
    b->await_audience = !r->batch.audience_id;
    r->batch.nrows = half;
    r->dest->inflight++;
    SGX_WARN("dispatch", "%s: audience %s: %s; sending the %zu rows as two batches",
             r->dest->d->cfg->name, r->batch.audience_id ? r->batch.audience_id : "(new)",
             c->reason, n);
    restart_job(d, r, now);
    restart_job(d, b, now);
}

static void handle_verdict(sgx_dispatcher_t *d, sgx_req_t *r, sgx_classification_t *c,
                           int64_t now)
{
    sgx_dest_rt_t *dr = r->dest;
    record_created(dr, r, c);
    sgx_req_cap_wait(d, r, c);
    reauth_twice(r, c);
    if (c->verdict != SGX_CLS_FATAL && c->verdict != SGX_CLS_REAUTH &&
        c->verdict != SGX_CLS_RETRY) {
        sgx_block_answered(d, r, now);
    }
    if (c->verdict == SGX_CLS_REJECTED && c->split && sgx_req_split(d, r, c->reason, now)) {
        return;
    }
    bool final = c->verdict == SGX_CLS_DELIVERED || c->verdict == SGX_CLS_REJECTED ||
                 c->verdict == SGX_CLS_PARTIAL;
    if (r->overdue && final) {
        SGX_WARN("dispatch", "%s: audience %s: the overdue job is final: %s", dr->d->cfg->name,
                 r->batch.audience_id ? r->batch.audience_id : "(new)", c->reason);
    }
    switch (c->verdict) {
    case SGX_CLS_DELIVERED:
        SGX_ADD(dr->st->rows_delivered, r->batch.nrows);
        SGX_ADD(dr->st->rows_by_aud[r->aud < SGX_STATS_MAX_AUDS ? r->aud : 0][r->batch.op],
                r->batch.nrows);
        finish_rows(d, r, now);
        break;
    case SGX_CLS_REJECTED:
    case SGX_CLS_PARTIAL:
        reject(d, r, c);
        finish_rows(d, r, now);
        break;
    case SGX_CLS_NEXT_STEP:
        next_step(d, r, c, now);
        break;
    case SGX_CLS_RETRY:
    case SGX_CLS_REAUTH:
    case SGX_CLS_FATAL:
        schedule_retry(d, r, c, now);
        break;
    case SGX_CLS_SPLIT:
        split(d, r, c, now);
        break;
    }
}

void sgx_req_collect(sgx_dispatcher_t *d)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(d->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        sgx_req_t *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode result = msg->data.result;
        curl_multi_remove_handle(d->multi, msg->easy_handle);
        list_remove(&d->active, r);
        sgx_response_t resp;
        sgx_http_response(&r->http, result, &resp);
        if (r->is_auth) {
            sgx_auth_done(d, r, &resp, sgx_now_ms());
            continue;
        }
        sgx_classification_t c = {.retry_after_ms = -1, .next_step = r->job.step + 1};
        r->dest->d->def->classify(r->dest->ctx, &r->job, &resp, &c);
        curl_off_t us = 0;
        curl_easy_getinfo(r->http.easy, CURLINFO_TOTAL_TIME_T, &us);
        int64_t now = sgx_now_ms();
        sgx_req_pace(r->dest, &c, result == CURLE_OK ? (int64_t)(us / 1000) : -1, now);
        sgx_obs_verdict(d, r, &c, (double)us / 1e6, now);
        handle_verdict(d, r, &c, now);
        sgx_classification_clear(&c);
    }
}

/* A split half without an audience id: waits while the other half creates the audience, then
 * takes the created id (re-encoding its file), or creates it itself if that failed.
 * @returns true when it may start. */
static bool await_audience_done(sgx_dispatcher_t *d, sgx_req_t *r, int64_t now)
{
    sgx_dest_rt_t *dr = r->dest;
    if (!dr->aud_ids[r->aud] && dr->creating[r->aud]) {
        return false;
    }
    r->await_audience = false;
    if (!dr->aud_ids[r->aud]) {
        dr->creating[r->aud] = true;
        return true;
    }
    list_remove(&d->waiting, r);
    r->batch.audience_id = dr->aud_ids[r->aud];
    restart_job(d, r, now); /* back on the list, encoded for the audience; starts next round */
    return false;
}

void sgx_req_start_due_retries(sgx_dispatcher_t *d, int64_t now)
{
    sgx_req_t *r = d->waiting;
    while (r) {
        sgx_req_t *next = r->next;
        if (r->await_audience && !await_audience_done(d, r, now)) {
            r = next;
            continue;
        }
        if (now >= r->retry_at && sgx_dest_ready(d, r->dest, now) &&
            (!r->parked || r->dest->inflight < sgx_pacer_inflight_cap(&r->dest->pacer)) &&
            sgx_block_may_start(d, r, now)) {
            list_remove(&d->waiting, r);
            if (r->parked) { /* it takes its slot again (dispatch_block.c) */
                r->parked = false;
                r->dest->inflight++;
            }
            if (r->job.attempt > 0) {
                SGX_INC(r->dest->st->retries);
            }
            if (start(d, r)) {
                sgx_block_answered(d, r, now);
                reject_all(d, r, "cannot_prepare_request", now);
            }
        }
        r = next;
    }
}

static void cancel_list(sgx_dispatcher_t *d, sgx_req_t **head, bool on_wire)
{
    while (*head) {
        sgx_req_t *r = *head;
        list_remove(head, r);
        if (on_wire) {
            curl_multi_remove_handle(d->multi, r->http.easy);
        }
        if (r->is_auth) {
            r->dest->auth = NULL;
            sgx_req_free(r);
            continue;
        }
        /* Released, not acknowledged: the consumer is gone, so no offset moves; the records
         * only need to reach the poll side to be freed. */
        for (size_t i = 0; i < r->batch.nrows; i++) {
            sgx_record_release(r->rows[i]->ack, d->o.done);
            sgx_free(r->rows[i]);
        }
        if (!r->parked) {
            r->dest->inflight--;
        }
        sgx_req_free(r);
    }
}

void sgx_req_cancel_all(sgx_dispatcher_t *d)
{
    cancel_list(d, &d->active, true);
    cancel_list(d, &d->waiting, false);
}

void sgx_req_unlink(sgx_dispatcher_t *d, sgx_req_t *r, bool on_wire)
{
    if (on_wire) {
        curl_multi_remove_handle(d->multi, r->http.easy);
    }
    list_remove(on_wire ? &d->active : &d->waiting, r);
}

void sgx_req_restart(sgx_dispatcher_t *d, sgx_req_t *r, int64_t now)
{
    size_t n = r->batch.nrows;
    sgx_err_t err;
    r->batch.rows = (const sgx_row_t *const *)r->rows;
    r->job.step = 0;
    r->job.attempt = 0;
    sgx_free(r->state);
    r->state = NULL;
    /* Rows that fitted once fit again (encoders keep room for a longer rotated token): the
     * whole batch is encoded, never cut. */
    if ((err = sgx_req_encode(d, r)) != SGX_OK) {
        r->batch.nrows = n;
        reject_all(d, r, "cannot_prepare_request", now);
        return;
    }
    r->retry_at = now;
    list_push(&d->waiting, r);
}
