#include "pipeline/dispatch_req.h"

#include <string.h>

#include "base/backoff.h"
#include "base/log.h"
#include "base/mem.h"
#include "pipeline/record.h"

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
    for (;;) {
        sgx_buf_reset(body);
        b->session_id = d->next_session++;
        *err = dest->def->encode(dest->ctx, b, body);
        if (*err == SGX_OK && body->len > dest->cfg->limits.max_bytes) {
            *err = SGX_ERR_TOO_LARGE;
        }
        if (*err != SGX_ERR_TOO_LARGE || b->nrows == 1) {
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
    if (!r->is_auth && r->dest->d->cfg->limits.min_interval_ms > 0) { /* tokens don't count */
        r->dest->next_start = sgx_now_ms() + r->dest->d->cfg->limits.min_interval_ms;
    }
}

/* Every (re)start prepares the request again: a retry after REAUTH must carry the new token,
 * and the next step of an async job its new state. prepare is pure and cheap. */
static sgx_err_t start(sgx_dispatcher_t *d, sgx_req_t *r)
{
    const sgx_dest_t *dest = r->dest->d;
    r->job.state = r->state;
    r->job.auth_token = r->dest->token;
    sgx_request_clear(&r->req);
    sgx_err_t err = dest->def->prepare(dest->ctx, &r->job, &r->req);
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

static void finish_rows(sgx_dispatcher_t *d, sgx_req_t *r, int64_t now);
static void reject_all(sgx_dispatcher_t *d, sgx_req_t *r, const char *reason, int64_t now);

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
    sgx_err_t err;
    n = encode_fitting(d, dr, &r->batch, &r->body, &err);
    r->rows = sgx_malloc(n * sizeof *r->rows);
    sgx_aud_take(dr->auds[aud], op, n, r->rows, now);
    r->batch.rows = (const sgx_row_t *const *)r->rows;
    r->job = (sgx_job_t){.batch = &r->batch, .body = &r->body};
    dr->inflight++;
    if (!dr->aud_ids[aud]) {
        dr->creating[aud] = true; /* this request creates the audience: others wait */
    }
    if (!err) {
        err = start(d, r);
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
    sgx_req_free(r);
}

static void reject(sgx_dispatcher_t *d, sgx_req_t *r, const sgx_classification_t *c)
{
    sgx_dest_rt_t *dr = r->dest;
    size_t n = r->batch.nrows, bad = 0;
    for (size_t i = 0; i < n; i++) {
        bool rejected = c->verdict == SGX_CLS_REJECTED;
        const char *why = c->reason;
        for (uint32_t k = 0; !rejected && k < c->nrejected; k++) {
            rejected = c->rejected_idx[k] == i;
            if (rejected && c->row_reasons && c->row_reasons[k]) {
                why = c->row_reasons[k];
            }
        }
        if (rejected) {
            sgx_dlq_send(d->o.dlq, r->rows[i]->ack, why, dr->d->cfg->name, true);
            bad++;
        }
    }
    SGX_ADD(dr->st->rows_rejected, bad);
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
    if (c->verdict == SGX_CLS_FATAL) {
        SGX_ERROR("dispatch", "%s: audience %s: the destination refuses all work until fixed: "
                  "%s; nothing is acknowledged, retrying every %d ms",
                  dr->d->cfg->name, r->batch.audience_id ? r->batch.audience_id : "(new)",
                  c->reason, d->o.retry_cap_ms);
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
    SGX_INC(dr->st->audiences_created);
    SGX_INFO("dispatch", "%s: created audience %s for segment %s; put it in the config to reuse "
             "it after a restart", dr->d->cfg->name, dr->aud_ids[r->aud], r->batch.segment);
}

static void next_step(sgx_dispatcher_t *d, sgx_req_t *r, sgx_classification_t *c, int64_t now)
{
    r->job.step = c->next_step;
    r->job.attempt = 0;
    if (c->state) {
        sgx_free(r->state);
        r->state = c->state;
        c->state = NULL;
    }
    r->retry_at = now + (c->retry_after_ms > 0 ? c->retry_after_ms : 0);
    list_push(&d->waiting, r);
}

static void handle_verdict(sgx_dispatcher_t *d, sgx_req_t *r, sgx_classification_t *c,
                           int64_t now)
{
    sgx_dest_rt_t *dr = r->dest;
    record_created(dr, r, c);
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
        r->dest->d->def->classify(r->dest->d->ctx, &r->job, &resp, &c);
        handle_verdict(d, r, &c, sgx_now_ms());
        sgx_classification_clear(&c);
    }
}

void sgx_req_start_due_retries(sgx_dispatcher_t *d, int64_t now)
{
    sgx_req_t *r = d->waiting;
    while (r) {
        sgx_req_t *next = r->next;
        if (now >= r->retry_at && sgx_dest_ready(d, r->dest, now)) {
            list_remove(&d->waiting, r);
            if (r->job.attempt > 0) {
                SGX_INC(r->dest->st->retries);
            }
            if (start(d, r)) {
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
        r->dest->inflight--;
        sgx_req_free(r);
    }
}

void sgx_req_cancel_all(sgx_dispatcher_t *d)
{
    cancel_list(d, &d->active, true);
    cancel_list(d, &d->waiting, false);
}
