/* `--stage ratelimit`: each destination against its emulator with the modelled rate limit,
 * scaled down (a window of seconds, not an hour or a minute) so a run takes seconds. Requests
 * go one at a time through the connector (encode, prepare, classify: the shipped code) and
 * the core's pacer (pipeline/pacer.c), as the dispatcher drives them, with its server waits
 * (bench/bench_rl.h; Microsoft Advertising and Dotdigital, whose batches are jobs of several
 * steps, in bench_ratelimit_jobs.c).
 * Prints per destination `RESULT stage=ratelimit_<dest> quota_used_pct=<median>
 * throttled_pct=<median>`: calls the emulator admitted over the most it could admit in the run
 * (runs last whole windows, fixed windows start on one: limit x duration / window), and throttle
 * replies over all calls subject to the limit. Then the
 * time to export 10 M profiles to Meta under its documented custom_audience limit. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "bench/bench.h"
#include "bench/bench_rl.h"
#include "connectors/criteo/criteo.h"
#include "connectors/facebook/fb.h"
#include "emulators/criteo.h"
#include "emulators/facebook.h"
#include "emulators/ratelimit.h"
#include "pipeline/http.h"
#include "pipeline/pacer.h"

#define ROWS SGX_BENCH_RL_ROWS

typedef sgx_bench_rl_dest_t rl_dest_t;
typedef sgx_bench_rl_run_t rl_run_t;

void sgx_bench_rl_sleep_until(int64_t at)
{
    int64_t now = sgx_emu_rl_now_ms();
    if (at > now) {
        struct timespec ts = {(at - now) / 1000, (long)((at - now) % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

void sgx_bench_rl_align(int64_t window_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    sgx_bench_rl_sleep_until(sgx_emu_rl_now_ms() + (window_ms - ms % window_ms));
}

bool sgx_bench_rl_send(sgx_http_t *h, sgx_request_t *req, sgx_response_t *resp)
{
    if (sgx_http_setup(h, req, 30000, NULL)) {
        return false;
    }
    sgx_http_reset_response(h);
    sgx_http_response(h, curl_easy_perform(h->easy), resp);
    return true;
}

bool sgx_bench_rl_fetch_token(rl_dest_t *d, sgx_http_t *h)
{
    sgx_request_t req = {0};
    sgx_response_t resp;
    char reason[128] = "";
    int64_t ttl = 0;
    sgx_free(d->token);
    d->token = NULL;
    bool ok = d->def->auth_prepare(d->ctx, &req) == SGX_OK && sgx_bench_rl_send(h, &req, &resp) &&
              d->def->auth_parse(d->ctx, &resp, &d->token, &ttl, reason) == SGX_OK;
    sgx_request_clear(&req);
    return ok && d->token;
}

void sgx_bench_rl_observe(sgx_pacer_t *p, const sgx_classification_t *c, int64_t start,
                          int64_t now)
{
    sgx_pacer_obs_t o = {.throttled = c->throttled, .has_usage = c->has_usage,
                         .usage_pct = c->usage_pct, .has_quota = c->has_quota,
                         .quota_remaining = c->quota_remaining,
                         .quota_reset_ms = c->quota_reset_ms, .latency_ms = now - start};
    sgx_pacer_observe(p, &o, 0, now); /* one at a time: none other in flight */
}

/* One request of ROWS fresh rows; the verdict's pacing facts go to the pacer. */
static bool one_call(rl_dest_t *d, sgx_http_t *h, sgx_row_t **rows, uint32_t *seq,
                     sgx_pacer_t *p, rl_run_t *out, int64_t *not_before)
{
    for (size_t i = 0; i < ROWS; i++) {
        uint32_t s = ++*seq;
        memcpy(rows[i]->data, &s, sizeof s);
    }
    sgx_batch_t b = {.audience_id = d->audience_id, .segment = "bench", .op = SGX_OP_ENTER,
                     .batch_seq = 1, .last_batch = true, .nrows = ROWS,
                     .rows = (const sgx_row_t *const *)rows, .session_id = *seq};
    sgx_buf_t body = {0};
    sgx_job_t job = {.batch = &b, .body = &body, .auth_token = d->token};
    sgx_request_t req = {0};
    sgx_response_t resp;
    int64_t start = sgx_emu_rl_now_ms();
    bool ok = d->def->encode(d->ctx, &b, &body) == SGX_OK &&
              d->def->prepare(d->ctx, &job, &req) == SGX_OK && sgx_bench_rl_send(h, &req, &resp);
    sgx_pacer_started(p, start);
    if (ok) {
        int64_t now = sgx_emu_rl_now_ms();
        sgx_classification_t c = {.retry_after_ms = -1, .next_step = 1};
        d->def->classify(d->ctx, &job, &resp, &c);
        sgx_bench_rl_observe(p, &c, start, now);
        out->calls++;
        out->throttled += c.throttled;
        if (c.throttled) { /* the dispatcher's wait: the server's, else a capped backoff */
            *not_before = now + (c.retry_after_ms >= 0 ? c.retry_after_ms : 100);
        }
        ok = c.verdict != SGX_CLS_REAUTH || sgx_bench_rl_fetch_token(d, h);
        sgx_classification_clear(&c);
    }
    sgx_request_clear(&req);
    sgx_buf_free(&body);
    return ok;
}

static sgx_row_t **rows_new(size_t nvals);
static void rows_free(sgx_row_t **rows);

static bool run_once(rl_dest_t *d, size_t nvals, rl_run_t *out)
{
    sgx_http_t h = {0};
    sgx_pacer_t *p = sgx_calloc(1, sizeof *p);
    sgx_row_t **rows = rows_new(nvals);
    sgx_pacer_init(p, d->limits.min_interval_ms, d->limits.max_inflight,
                   d->limits.usage_window_ms);
    uint32_t seq = 0;
    int64_t not_before = 0;
    bool ok = !d->def->auth_prepare || sgx_bench_rl_fetch_token(d, &h);
    if (d->reset) { /* each run starts with the whole allowance, as a first deployment does */
        d->reset(d);
    }
    if (d->epoch_aligned) { /* fixed windows on epoch multiples: start at one, run whole ones */
        sgx_bench_rl_align(d->window_ms);
    }
    int64_t t0 = sgx_emu_rl_now_ms(), end = t0 + d->run_ms;
    *out = (rl_run_t){0};
    while (ok) {
        int64_t at = sgx_pacer_next_start(p);
        at = at > not_before ? at : not_before;
        if (at >= end) {
            break;
        }
        sgx_bench_rl_sleep_until(at);
        ok = one_call(d, &h, rows, &seq, p, out, &not_before);
    }
    out->admitted = out->calls - out->throttled;
    out->elapsed_s = (double)(end - t0) / 1000.0;
    rows_free(rows);
    sgx_http_cleanup(&h);
    sgx_free(p);
    return ok;
}

static sgx_row_t **rows_new(size_t nvals)
{
    sgx_row_t **rows = sgx_calloc(ROWS, sizeof *rows);
    for (size_t i = 0; i < ROWS; i++) {
        sgx_row_t *r = rows[i] = sgx_calloc(1, sizeof *r + 32 * nvals);
        for (size_t k = 0; k < 32 * nvals; k++) {
            r->data[k] = (unsigned char)(k * 31 + i * 7 + (i >> 8));
        }
        r->nvals = (uint16_t)nvals;
        for (size_t k = 0; k < nvals; k++) {
            r->vals[k] = (sgx_row_val_t){.kind = SGX_VAL_DIGEST, .len = 32,
                                         .off = (uint32_t)(32 * k)};
        }
        r->data_len = (uint16_t)(32 * nvals);
    }
    return rows;
}

static void rows_free(sgx_row_t **rows)
{
    for (size_t i = 0; rows && i < ROWS; i++) {
        sgx_free(rows[i]);
    }
    sgx_free(rows);
}

double sgx_bench_rl_measure(rl_dest_t *d, size_t nvals, int runs, sgx_bench_rl_run_fn run)
{
    double used[16], thr[16];
    runs = runs < 1 ? 1 : runs > 16 ? 16 : runs;
    for (int r = 0; r < runs; r++) {
        rl_run_t x;
        if (!run(d, nvals, &x)) {
            printf("RESULT stage=ratelimit_%s error=failed\n", d->name);
            return 0;
        }
        double allowed = d->limit * x.elapsed_s * 1000.0 / (double)d->window_ms;
        used[r] = 100.0 * (double)x.admitted / allowed;
        thr[r] = x.calls ? 100.0 * (double)x.throttled / (double)x.calls : 0;
        fprintf(stderr, "ratelimit %s run %d: %ld calls, %ld throttled, %ld admitted, %.1f s, "
                "%.0f allowed\n", d->name, r + 1, x.calls, x.throttled, x.admitted, x.elapsed_s,
                allowed);
    }
    double u = sgx_bench_median(used, (size_t)runs);
    printf("RESULT stage=ratelimit_%s quota_used_pct=%.1f throttled_pct=%.2f\n", d->name, u,
           sgx_bench_median(thr, (size_t)runs));
    fflush(stdout);
    return u;
}

double sgx_bench_rl_stage(rl_dest_t *d, const sgx_dest_settings_t *s, size_t nvals, int runs,
                          sgx_bench_rl_run_fn run)
{
    char errbuf[256] = "";
    double used = 0;
    if (d->def->init(s, &d->ctx, errbuf) == SGX_OK) {
        used = sgx_bench_rl_measure(d, nvals, runs, run);
    } else {
        printf("RESULT stage=ratelimit_%s error=init\n", d->name);
    }
    sgx_free(d->token);
    d->token = NULL;
    d->def->destroy(d->ctx);
    d->ctx = NULL;
    return used;
}

/* 10 M profiles, one row each (EMAIL+PHONE in one row), Meta's cap of 10,000 rows per request:
 * 1,000 calls. custom_audience allows per ad account and rolling hour 5,000 (development tier)
 * or 190,000 (standard tier) + 40 x active custom audiences (one here), at most 700,000
 * (https://developers.facebook.com/docs/marketing-api/overview/rate-limiting). Assumed: the
 * allowance is already in use by earlier traffic, so calls go at the sustained rate, the
 * measured share of the allowance; and the batches are full (tests/component shows they are
 * under pacing). A fresh allowance takes the first calls at once: then the export is bound by
 * segexport's throughput (make bench, stage pipeline), not by the limit. */
static void meta_10m(double used_pct)
{
    const double calls = 10e6 / 10000.0, frac = used_pct / 100.0;
    double dev_min = calls / (frac * 5040.0) * 60.0;
    double std_min = calls / (frac * 190040.0) * 60.0;
    printf("# 10M profiles to Meta: %.0f calls of 10,000 rows at %.1f%% of the allowance\n",
           calls, used_pct);
    printf("RESULT stage=ratelimit_facebook_10m minutes_dev_tier=%.1f minutes_standard_tier=%.2f "
           "seed_minutes=90\n", dev_min, std_min);
}

static void fb_reset(rl_dest_t *d)
{
    sgx_emu_fb_set_buc(d->emu, d->limit, d->window_ms);
}

static void meta(int runs)
{
    sgx_emu_fb_opts_t eo = {.auto_create = true, .buc_calls = 150, .buc_window_ms = 2500};
    sgx_emu_fb_t *e = NULL;
    char base[64];
    rl_dest_t d = {.name = "facebook", .def = &sgx_connector_facebook, .audience_id = "6001",
                   .limit = 150, .window_ms = 2500, .run_ms = 5000,
                   .limits = sgx_connector_facebook.limits};
    d.limits.usage_window_ms = 2500; /* config: limits.usage_window_ms, the emulator's window */
    if (sgx_emu_fb_start(&eo, &e) != SGX_OK) {
        printf("RESULT stage=ratelimit_facebook error=emulator\n");
        return;
    }
    d.emu = e;
    d.reset = fb_reset;
    snprintf(base, sizeof base, "http://127.0.0.1:%u", sgx_emu_fb_port(e));
    const char *k[4] = {"access_token", "base_url", "ad_account_id", "keys"};
    const char *v[4] = {"test-token", base, "act_42", "EMAIL,PHONE"};
    sgx_dest_settings_t s = {"facebook", 4, k, v};
    double used = sgx_bench_rl_stage(&d, &s, 2, runs, run_once);
    if (used > 0) {
        meta_10m(used);
    }
    sgx_emu_fb_stop(e);
}

static void criteo(int runs)
{
    /* 250 calls a minute is a request every 240 ms (the connector's min_interval_ms): scaled
     * to 20 calls per 5 s window, the same spacing, so the floor holds. */
    sgx_emu_criteo_opts_t eo = {.rate_limit = 20, .rate_window_s = 5};
    sgx_emu_criteo_t *e = NULL;
    char base[64];
    rl_dest_t d = {.name = "criteo", .def = &sgx_connector_criteo, .audience_id = "1001",
                   .limit = 20, .window_ms = 5000, .run_ms = 10000, .epoch_aligned = true,
                   .limits = sgx_connector_criteo.limits};
    if (sgx_emu_criteo_start(&eo, &e) != SGX_OK) {
        printf("RESULT stage=ratelimit_criteo error=emulator\n");
        return;
    }
    sgx_emu_criteo_add_audience(e, "1001");
    snprintf(base, sizeof base, "http://127.0.0.1:%u", sgx_emu_criteo_port(e));
    const char *k[4] = {"client_id", "client_secret", "advertiser_id", "base_url"};
    const char *v[4] = {"test-client", "test-secret", "777", base};
    sgx_dest_settings_t s = {"criteo", 4, k, v};
    sgx_bench_rl_stage(&d, &s, 1, runs, run_once);
    sgx_emu_criteo_stop(e);
}

void sgx_bench_ratelimit(int runs)
{
    meta(runs);
    criteo(runs);
    sgx_bench_ratelimit_jobs(runs);
}
