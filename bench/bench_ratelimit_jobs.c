/* `--stage ratelimit` for destinations whose batch is an asynchronous job of several calls:
 * Microsoft Advertising (upload URL, upload, status polls) and Dotdigital (import, status polls,
 * report-faults). As the dispatcher does, up to the connector's max_inflight jobs are open at
 * once, each moving on by its verdicts (the next step after the connector's wait, a retry after
 * the server's wait, which a throttle makes the whole destination's), and every call asks the
 * core's pacer when it may start. Calls go one at a time: on loopback an answer takes a
 * millisecond, so the pacer's spacing, not the concurrency, is what decides the rate.
 * The figures come from the emulator's own counts: calls subject to the limit that it admitted
 * over the most it could admit in the run (limit x duration / window), and the calls it refused
 * over all calls subject to the limit (Microsoft counts the Bulk service calls, not the file
 * upload; Dotdigital every v2 call). */
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "bench/bench_rl.h"
#include "connectors/dotdigital/dotdigital.h"
#include "connectors/microsoft_ads/msads.h"
#include "emulators/dotdigital.h"
#include "emulators/msads.h"
#include "emulators/ratelimit.h"

#define ROWS SGX_BENCH_RL_ROWS
#define JOBS_MAX 32
#define ROW_BYTES 48 /* a digest, or an e-mail "b<seq>r<index>@example.com" */

typedef struct {
    sgx_batch_t b;
    sgx_row_t **rows; /* owned, ROWS of them */
    sgx_buf_t body;   /* owned: the batch encoded */
    int step, attempt;
    char *state;      /* owned: what the last step's classify handed on */
    int64_t ready_at;
} rl_job_t;

typedef struct {
    sgx_bench_rl_dest_t *d;
    sgx_http_t h;
    sgx_pacer_t p;
    rl_job_t jobs[JOBS_MAX];
    int njobs;
    uint32_t seq;       /* batches made: each has rows of its own */
    long batches;       /* batches delivered */
    int64_t not_before; /* a throttle's wait holds the whole destination */
} rl_jobs_t;

/* A fresh batch into j: new row values (so nothing is a repeat), encoded, at step 0. */
static bool job_new(rl_jobs_t *s, rl_job_t *j, int64_t now)
{
    uint32_t seq = ++s->seq;
    for (size_t i = 0; i < ROWS; i++) {
        sgx_row_t *r = j->rows[i];
        if (s->d->text_email) {
            int n = snprintf((char *)r->data, ROW_BYTES, "b%ur%zu@example.com", seq, i);
            r->vals[0] = (sgx_row_val_t){.kind = SGX_VAL_TEXT, .len = (uint16_t)n};
            r->data_len = (uint16_t)n;
        } else {
            memset(r->data, 0, 32);
            memcpy(r->data, &seq, sizeof seq);
            memcpy(r->data + sizeof seq, &i, sizeof i);
            r->vals[0] = (sgx_row_val_t){.kind = SGX_VAL_DIGEST, .len = 32};
            r->data_len = 32;
        }
    }
    j->b = (sgx_batch_t){.audience_id = s->d->audience_id, .segment = "bench",
                         .op = SGX_OP_ENTER, .session_id = seq, .batch_seq = 1,
                         .last_batch = true, .nrows = ROWS,
                         .rows = (const sgx_row_t *const *)j->rows};
    sgx_buf_reset(&j->body);
    sgx_free(j->state);
    j->state = NULL;
    j->step = j->attempt = 0;
    j->ready_at = now;
    return s->d->def->encode(s->d->ctx, &j->b, &j->body) == SGX_OK;
}

/* What the dispatcher does with a verdict (pipeline/dispatch_req.c): @returns false on one a
 * healthy run never meets (a refusal, a block, a split). */
static bool job_after(rl_jobs_t *s, rl_job_t *j, sgx_classification_t *c, int64_t now)
{
    if (c->state) {
        sgx_free(j->state);
        j->state = c->state;
        c->state = NULL;
    }
    switch (c->verdict) {
    case SGX_CLS_NEXT_STEP:
        j->step = c->next_step;
        j->attempt = 0;
        j->ready_at = now + (c->retry_after_ms > 0 ? c->retry_after_ms : 0);
        return true;
    case SGX_CLS_RETRY:
        j->attempt++;
        j->ready_at = now + (c->retry_after_ms >= 0 ? c->retry_after_ms : 100);
        if (c->next_step != j->step + 1 && c->next_step >= 0) {
            j->step = c->next_step;
        }
        if (c->throttled && s->not_before < j->ready_at) {
            s->not_before = j->ready_at;
        }
        return true;
    case SGX_CLS_REAUTH:
        j->ready_at = now;
        return sgx_bench_rl_fetch_token(s->d, &s->h);
    case SGX_CLS_DELIVERED:
    case SGX_CLS_PARTIAL:
        s->batches++; /* rows done: a new batch takes the job's place */
        return job_new(s, j, now);
    default:
        fprintf(stderr, "ratelimit %s: verdict %d at step %d: %s\n", s->d->name, c->verdict,
                j->step, c->reason);
        return false;
    }
}

/* One call of job j. */
static bool job_call(rl_jobs_t *s, rl_job_t *j)
{
    const sgx_connector_def_t *def = s->d->def;
    sgx_job_t job = {.batch = &j->b, .body = &j->body, .step = j->step, .attempt = j->attempt,
                     .state = j->state, .auth_token = s->d->token};
    sgx_request_t req = {0};
    sgx_response_t resp;
    int64_t start = sgx_emu_rl_now_ms();
    bool ok = def->prepare(s->d->ctx, &job, &req) == SGX_OK && sgx_bench_rl_send(&s->h, &req, &resp);
    sgx_pacer_started(&s->p, start);
    if (ok) {
        int64_t now = sgx_emu_rl_now_ms();
        sgx_classification_t c = {.retry_after_ms = -1, .next_step = j->step + 1};
        def->classify(s->d->ctx, &job, &resp, &c);
        sgx_bench_rl_observe(&s->p, &c, start, now);
        ok = job_after(s, j, &c, now);
        sgx_classification_clear(&c);
    }
    sgx_request_clear(&req);
    return ok;
}

static rl_job_t *earliest(rl_jobs_t *s)
{
    rl_job_t *j = &s->jobs[0];
    for (int i = 1; i < s->njobs; i++) {
        j = s->jobs[i].ready_at < j->ready_at ? &s->jobs[i] : j;
    }
    return j;
}

static void jobs_free(rl_jobs_t *s)
{
    for (int i = 0; i < s->njobs; i++) {
        for (size_t k = 0; s->jobs[i].rows && k < ROWS; k++) {
            sgx_free(s->jobs[i].rows[k]);
        }
        sgx_free(s->jobs[i].rows);
        sgx_buf_free(&s->jobs[i].body);
        sgx_free(s->jobs[i].state);
    }
    sgx_http_cleanup(&s->h);
    sgx_free(s);
}

static bool jobs_init(rl_jobs_t *s, int64_t now)
{
    const sgx_limits_t *l = &s->d->limits;
    sgx_pacer_init(&s->p, l->min_interval_ms, l->max_inflight, l->usage_window_ms);
    s->njobs = l->max_inflight < 1 ? 1 : l->max_inflight > JOBS_MAX ? JOBS_MAX : l->max_inflight;
    bool ok = !s->d->def->auth_prepare || sgx_bench_rl_fetch_token(s->d, &s->h);
    for (int i = 0; i < s->njobs; i++) {
        rl_job_t *j = &s->jobs[i];
        j->rows = sgx_calloc(ROWS, sizeof *j->rows);
        for (size_t k = 0; k < ROWS; k++) {
            j->rows[k] = sgx_calloc(1, sizeof *j->rows[k] + ROW_BYTES);
            j->rows[k]->nvals = 1;
        }
        ok = ok && job_new(s, j, now);
    }
    return ok;
}

bool sgx_bench_rl_run_jobs(sgx_bench_rl_dest_t *d, size_t nvals, sgx_bench_rl_run_t *out)
{
    (void)nvals; /* one value a row: the e-mail */
    rl_jobs_t *s = sgx_calloc(1, sizeof *s);
    s->d = d;
    if (d->reset) {
        d->reset(d);
    }
    if (d->epoch_aligned) {
        sgx_bench_rl_align(d->window_ms);
    }
    long subject0, refused0, subject1, refused1;
    d->counts(d, &subject0, &refused0);
    int64_t t0 = sgx_emu_rl_now_ms(), end = t0 + d->run_ms;
    bool ok = jobs_init(s, t0);
    while (ok) {
        rl_job_t *j = earliest(s);
        int64_t at = sgx_pacer_next_start(&s->p);
        at = at > j->ready_at ? at : j->ready_at;
        at = at > s->not_before ? at : s->not_before;
        if (at >= end) {
            break;
        }
        sgx_bench_rl_sleep_until(at);
        ok = job_call(s, j);
    }
    d->counts(d, &subject1, &refused1);
    fprintf(stderr, "ratelimit %s: %ld batches of %d rows delivered\n", d->name, s->batches, ROWS);
    *out = (sgx_bench_rl_run_t){.calls = subject1 - subject0, .throttled = refused1 - refused0,
                                .admitted = (subject1 - subject0) - (refused1 - refused0),
                                .elapsed_s = (double)(end - t0) / 1000.0};
    jobs_free(s);
    return ok;
}

/* ---- Microsoft Advertising ---------------------------------------------------------------- */

/* A rolling window: each run starts once the last run's calls have left it. */
static void msads_reset(sgx_bench_rl_dest_t *d)
{
    sgx_bench_rl_sleep_until(sgx_emu_rl_now_ms() + d->window_ms + 10);
}

static void msads_counts(sgx_bench_rl_dest_t *d, long *subject, long *refused)
{
    sgx_emu_msads_stats_t st;
    sgx_emu_msads_stats(d->emu, &st);
    *subject = (long)(st.url_requests + st.status_requests + st.audience_queries);
    *refused = (long)st.throttled;
}

/* Microsoft publishes neither the period nor the count behind 4204 (the emulator's
 * api_calls/api_window_ms): 60 calls in 3 s stands for a minute's 1,200, scaled 20x down like
 * the connector's waits (a first poll 5 s per 10,000 rows, throttle_wait_ms 60 s). */
static void msads(int runs)
{
    sgx_emu_msads_opts_t eo = {.terms_accepted = true, .polls_before_done = 1, .api_calls = 60,
                               .api_window_ms = 3000};
    sgx_emu_msads_t *e = NULL;
    sgx_bench_rl_dest_t d = {.name = "microsoft_ads", .def = &sgx_connector_microsoft_ads,
                             .audience_id = "1001", .limit = 60, .window_ms = 3000,
                             .run_ms = 12000, .limits = sgx_connector_microsoft_ads.limits,
                             .reset = msads_reset, .counts = msads_counts};
    char base[64], token_url[96];
    if (sgx_emu_msads_start(&eo, &e) != SGX_OK) {
        printf("RESULT stage=ratelimit_microsoft_ads error=emulator\n");
        return;
    }
    d.emu = e;
    sgx_emu_msads_add_list(e, "1001");
    snprintf(base, sizeof base, "http://127.0.0.1:%u", sgx_emu_msads_port(e));
    snprintf(token_url, sizeof token_url, "%s/oauth2/v2.0/token", base);
    const char *k[10] = {"customer_id", "account_id", "developer_token", "client_id",
                         "refresh_token", "token_url", "base_url", "campaign_url",
                         "poll_interval_ms", "throttle_wait_ms"};
    const char *v[10] = {SGX_EMU_MSADS_CUSTOMER, SGX_EMU_MSADS_ACCOUNT, SGX_EMU_MSADS_DEV_TOKEN,
                         SGX_EMU_MSADS_CLIENT, SGX_EMU_MSADS_REFRESH, token_url, base, base,
                         "250", "3000"};
    sgx_dest_settings_t s = {"microsoft_ads", 10, k, v};
    sgx_bench_rl_stage(&d, &s, 1, runs, sgx_bench_rl_run_jobs);
    sgx_emu_msads_stop(e);
}

/* ---- Dotdigital ----------------------------------------------------------------------------- */

static void dd_counts(sgx_bench_rl_dest_t *d, long *subject, long *refused)
{
    sgx_emu_dd_stats_t st;
    sgx_emu_dd_stats(d->emu, &st);
    *subject = (long)st.requests;
    *refused = (long)(st.throttled + st.usage_capped);
}

/* The tiered scheme, Basic package, low tier: 35 calls a minute
 * (https://support.dotdigital.com/en/articles/8592585-api-rate-limits), here in 5 s windows on
 * epoch multiples; polls every 250 ms (1 s by default). */
static void dotdigital(int runs)
{
    sgx_emu_dd_opts_t eo = {.import_steps = 1, .rate_limit_per_min = 35, .rate_window_s = 5};
    sgx_emu_dd_t *e = NULL;
    sgx_bench_rl_dest_t d = {.name = "dotdigital", .def = &sgx_connector_dotdigital,
                             .audience_id = "11", .limit = 35, .window_ms = 5000,
                             .run_ms = 10000, .epoch_aligned = true, .text_email = true,
                             .limits = sgx_connector_dotdigital.limits, .counts = dd_counts};
    char base[64];
    if (sgx_emu_dd_start(&eo, &e) != SGX_OK) {
        printf("RESULT stage=ratelimit_dotdigital error=emulator\n");
        return;
    }
    d.emu = e;
    sgx_emu_dd_add_address_book(e, "11");
    snprintf(base, sizeof base, "http://127.0.0.1:%u", sgx_emu_dd_port(e));
    const char *k[5] = {"api_user", "api_password", "base_url", "fields", "poll_interval_ms"};
    const char *v[5] = {"apiuser-test@apiconnector.com", "test-password", base, "EMAIL", "250"};
    sgx_dest_settings_t s = {"dotdigital", 5, k, v};
    sgx_bench_rl_stage(&d, &s, 1, runs, sgx_bench_rl_run_jobs);
    sgx_emu_dd_stop(e);
}

void sgx_bench_ratelimit_jobs(int runs)
{
    msads(runs);
    dotdigital(runs);
}
