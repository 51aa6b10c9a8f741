#include "pipeline/dispatch_obs.h"

#include "base/log.h"

static uint32_t aud_slot(uint32_t aud)
{
    return aud < SGX_STATS_MAX_AUDS ? aud : SGX_STATS_MAX_AUDS - 1;
}

void sgx_obs_rows(sgx_dest_rt_t *dr, uint32_t aud, sgx_outcome_t o, size_t rows)
{
    SGX_ADD(dr->st->aud_rows[aud_slot(aud)][o], rows);
}

static sgx_outcome_t outcome_of(const sgx_classification_t *c)
{
    switch (c->verdict) {
    case SGX_CLS_DELIVERED:
    case SGX_CLS_NEXT_STEP:
        return SGX_OUT_DELIVERED;
    case SGX_CLS_REJECTED:
    case SGX_CLS_PARTIAL:
        return SGX_OUT_REJECTED;
    case SGX_CLS_FATAL:
        return SGX_OUT_BLOCKED;
    case SGX_CLS_RETRY:
    case SGX_CLS_REAUTH:
    case SGX_CLS_SPLIT: /* sent again as two halves */
        break;
    }
    return c->throttled ? SGX_OUT_THROTTLED : SGX_OUT_RETRIED;
}

/* ok again once a response got through and no throttling wait is pending. */
static void update_state(sgx_dest_rt_t *dr, const sgx_classification_t *c, sgx_outcome_t o,
                         int64_t now)
{
    if (o == SGX_OUT_BLOCKED) {
        sgx_stats_set_dest_state(dr->st, SGX_DSTATE_BLOCKED, c->reason, now);
    } else if (o == SGX_OUT_THROTTLED) {
        sgx_stats_set_dest_state(dr->st, SGX_DSTATE_THROTTLED, c->reason, now);
    } else if ((o == SGX_OUT_DELIVERED || o == SGX_OUT_REJECTED) && now >= dr->not_before &&
               SGX_GET(dr->st->blocked) == 0 && atomic_load(&dr->st->state) != SGX_DSTATE_OK) {
        sgx_stats_set_dest_state(dr->st, SGX_DSTATE_OK, NULL, now);
    }
}

void sgx_obs_verdict(sgx_dispatcher_t *d, const sgx_req_t *r, const sgx_classification_t *c,
                     double seconds, int64_t now)
{
    (void)d;
    sgx_dest_rt_t *dr = r->dest;
    sgx_outcome_t o = outcome_of(c);
    uint32_t a = aud_slot(r->aud);
    size_t rows = r->batch.nrows;
    SGX_INC(dr->st->aud_requests[a][o]);
    if (c->verdict == SGX_CLS_DELIVERED || (o != SGX_OUT_DELIVERED && o != SGX_OUT_REJECTED)) {
        sgx_obs_rows(dr, r->aud, o, rows); /* NEXT_STEP rows count once the job finishes */
    }
    sgx_stats_observe_latency(dr->st, seconds);
    update_state(dr, c, o, now);
    if (sgx_log_enabled(SGX_LOG_DEBUG)) {
        sgx_log_fields(SGX_LOG_DEBUG, "dispatch",
                       SGX_FIELDS(SGX_FS("destination", dr->d->cfg->name),
                                  SGX_FS("audience", r->batch.audience_id),
                                  SGX_FS("segment", r->batch.segment),
                                  SGX_FS("op", r->batch.op == SGX_OP_ENTER ? "enter" : "exit"),
                                  SGX_FN("rows", rows), SGX_FN("step", r->job.step),
                                  SGX_FN("attempt", r->job.attempt),
                                  SGX_FN("latency_ms", (long long)(seconds * 1000 + 0.5)),
                                  SGX_FS("outcome", sgx_outcome_str(o))),
                       "%s: batch answered: %s", dr->d->cfg->name, sgx_outcome_str(o));
    }
}

void sgx_obs_sent(const sgx_req_t *r)
{
    if (!sgx_log_enabled(SGX_LOG_DEBUG)) {
        return;
    }
    const sgx_dest_rt_t *dr = r->dest;
    sgx_log_fields(SGX_LOG_DEBUG, "dispatch",
                   SGX_FIELDS(SGX_FS("destination", dr->d->cfg->name),
                              SGX_FS("audience", r->batch.audience_id),
                              SGX_FS("segment", r->batch.segment),
                              SGX_FS("op", r->batch.op == SGX_OP_ENTER ? "enter" : "exit"),
                              SGX_FN("rows", r->batch.nrows), SGX_FN("bytes", r->body.len),
                              SGX_FN("inflight", dr->inflight)),
                   "%s: batch sent", dr->d->cfg->name);
}
