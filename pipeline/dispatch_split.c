/* Three guards on what a destination says about a batch as a whole.
 *
 * A batch refused as a whole for a reason that may concern only some of its rows (Meta's code
 * 100 without an audience-level subcode, an unexplained 400) is split: each half is retried on
 * its own, halving again until every refused request holds one row. Only those rows go to the
 * dead-letter topic; the others are delivered. k bad rows among n cost about 2k·log2(n) extra
 * requests, and rows keep their place in the fence throughout, so order per profile holds.
 *
 * A wait the server asks for (Retry-After, Meta's estimated_time_to_regain_access, rate-limit
 * resets) is honoured up to max_server_wait_ms: a bogus or hostile value must not park a
 * destination for days.
 *
 * What every answer says about the allowance (usage, calls left, throttled) and how long it
 * took go to the destination's pacer (pipeline/pacer.c), which spaces the next requests. */
#include <string.h>

#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "base/mem.h"

#define DEFAULT_MAX_WAIT_MS 3600000

void sgx_req_cap_wait(sgx_dispatcher_t *d, const sgx_req_t *r, sgx_classification_t *c)
{
    int64_t cap = d->o.max_server_wait_ms > 0 ? d->o.max_server_wait_ms : DEFAULT_MAX_WAIT_MS;
    if (c->retry_after_ms <= cap) {
        return;
    }
    SGX_INC(r->dest->st->waits_capped);
    SGX_WARN("dispatch", "%s: audience %s: the destination asked to wait %lld s; capped at "
             "max_server_wait_ms (%lld s) (%s)", r->dest->d->cfg->name,
             r->batch.audience_id ? r->batch.audience_id : "(new)",
             (long long)(c->retry_after_ms / 1000), (long long)(cap / 1000),
             c->reason[0] ? c->reason : "no detail");
    c->retry_after_ms = cap;
}

/* The second half of r as a request of its own, at step 0 of its job. */
static sgx_req_t *second_half(sgx_req_t *r, size_t from)
{
    size_t n = r->batch.nrows - from;
    sgx_req_t *h = sgx_calloc(1, sizeof *h);
    h->dest = r->dest;
    h->aud = r->aud;
    h->rows = sgx_malloc(n * sizeof *h->rows);
    memcpy(h->rows, r->rows + from, n * sizeof *h->rows);
    h->batch = r->batch;
    h->batch.nrows = n;
    h->batch.rows = (const sgx_row_t *const *)h->rows;
    h->job = (sgx_job_t){.batch = &h->batch, .body = &h->body};
    return h;
}

static void restart_job(sgx_req_t *r, int64_t now)
{
    r->job = (sgx_job_t){.batch = &r->batch, .body = &r->body};
    sgx_free(r->state);
    r->state = NULL;
    r->reauths = 0;
    r->retry_at = now;
}

bool sgx_req_split(sgx_dispatcher_t *d, sgx_req_t *r, const char *reason, int64_t now)
{
    sgx_dest_rt_t *dr = r->dest;
    size_t n = r->batch.nrows;
    if (n < 2 || !dr->aud_ids[r->aud]) {
        return false;
    }
    sgx_req_t *h = second_half(r, n / 2);
    r->batch.nrows = n / 2;
    r->batch.audience_id = h->batch.audience_id = dr->aud_ids[r->aud];
    restart_job(r, now);
    restart_job(h, now);
    /* Smaller than a body that was built before, so it fits; an encoder error is not expected
     * but would surface as a refusal of that half when it is sent. */
    if (sgx_req_encode(d, r) || sgx_req_encode(d, h)) {
        SGX_ERROR("dispatch", "%s: cannot encode a half of a refused batch",
                  dr->d->cfg->name);
    }
    dr->inflight++;
    SGX_INC(dr->st->batches_split);
    SGX_INFO("dispatch", "%s: audience %s: %zu rows refused as a whole (%s): retrying them as "
             "%zu + %zu to isolate the bad rows", dr->d->cfg->name, dr->aud_ids[r->aud], n,
             reason, r->batch.nrows,
             h->batch.nrows);
    sgx_req_push_waiting(d, r);
    sgx_req_push_waiting(d, h);
    return true;
}

void sgx_req_pace(sgx_dest_rt_t *dr, const sgx_classification_t *c, int64_t latency_ms,
                  int64_t now)
{
    sgx_pacer_obs_t o = {.throttled = c->throttled, .has_usage = c->has_usage,
                         .usage_pct = c->usage_pct, .has_quota = c->has_quota,
                         .quota_remaining = c->quota_remaining,
                         .quota_reset_ms = c->quota_reset_ms, .latency_ms = latency_ms};
    sgx_pacer_observe(&dr->pacer, &o, dr->inflight - 1, now); /* less the one answered */
}
