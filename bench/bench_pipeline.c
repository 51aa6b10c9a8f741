/* Full-pipeline stage: the real pipeline (demo configuration through the real parser) reads
 * the preloaded topic and delivers to the in-process Meta emulator. Each run uses a fresh
 * consumer group and fresh audiences, is timed from the first consumed record to the last
 * final one (the mock's ~3 s first-join delay is not the pipeline's), and only counts when
 * every record is accounted for: consumed once, no offset gap, every row delivered or every
 * keyless event dead-lettered, and (with verify) every audience exactly as the log implies. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "bench/bench.h"
#include "bench/bench_curve.h"
#include "bench/bench_e2e.h"

#define STALL_S 60.0
#define MAX_TASKS 512

/* Thread snapshots: before start, just after start (tells pipeline threads apart), at the
 * first consumed record and at the last final one (the timed window). */
typedef struct {
    sgx_bench_task_t v[4][MAX_TASKS];
    size_t n[4];
    double busy[4], idle[4]; /* machine-wide CPU seconds at the same moments */
} task_views_t;

enum { TV_BEFORE, TV_STARTED, TV_FIRST, TV_DONE };

/* A fresh group (reads from the start) and fresh, empty audiences for run r. */
static void prepare_run(sgx_bench_data_t *d, const sgx_bench_opts_t *o, int r)
{
    sgx_config_t *cfg = d->env.cfg;
    sgx_dest_config_t *dc = &cfg->dests[0];
    char buf[64];
    snprintf(buf, sizeof buf, "bench-pipeline-%d-%d", (int)getpid(), r);
    sgx_bench_set_kafka(cfg, "group.id", buf);
    dc->limits.linger_ms = o->linger_ms;
    if (o->workers > 0) {
        cfg->workers = o->workers;
    }
    if (o->max_inflight > 0) {
        dc->limits.max_inflight = o->max_inflight;
    }
    if (o->max_inflight_events > 0) {
        cfg->max_inflight_events = (size_t)o->max_inflight_events;
    }
    for (size_t s = 0; s < dc->naudiences; s++) {
        snprintf(buf, sizeof buf, "2386%02d%09zu", r % 100, s);
        sgx_free(dc->audience_ids[s]);
        dc->audience_ids[s] = sgx_strdup(buf);
        sgx_emu_fb_add_audience(d->env.fb, buf);
    }
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One timeline line: where the records are at this moment of the run. */
static void timeline(const sgx_bench_data_t *d, const sgx_stats_t *st, double t)
{
    sgx_emu_fb_stats_t e;
    sgx_emu_fb_stats(d->env.fb, &e);
    fprintf(stderr,
            "  t=%6.3f consumed %7" PRIu64 " done %7" PRIu64 " inflight %7" PRId64
            " dlq-acked %5" PRIu64 " paused %d requests %5" PRIu64 " rows-at-emulator %7" PRIu64 "\n",
            t, (uint64_t)SGX_GET(st->consumed), (uint64_t)SGX_GET(st->done),
            (int64_t)SGX_GET(st->inflight), (uint64_t)SGX_GET(st->dead_lettered),
            (int)SGX_GET(st->paused),
            (uint64_t)SGX_GET(st->dest[0].requests), e.rows_received);
}

/* Waits for every record to be final. @returns false on a stall. */
static bool watch(const sgx_bench_data_t *d, const sgx_bench_opts_t *o, const sgx_stats_t *st,
                  task_views_t *tv, sgx_curve_t *curve, double *t_first, double *t_done)
{
    double last = sgx_bench_now(), next_line = 0, next_sample = 0;
    uint64_t last_done = 0;
    *t_first = 0;
    for (;;) {
        nap_ms(1);
        double now = sgx_bench_now();
        if (o->timeline_ms > 0 && *t_first > 0 && now >= next_line) {
            timeline(d, st, now - *t_first);
            next_line = now + o->timeline_ms / 1000.0;
        }
        if (*t_first == 0 && SGX_GET(st->consumed) > 0) {
            *t_first = now;
            tv->n[TV_FIRST] = sgx_bench_tasks(tv->v[TV_FIRST], MAX_TASKS);
            sgx_bench_machine_cpu(&tv->busy[TV_FIRST], &tv->idle[TV_FIRST]);
        }
        if (*t_first > 0 && now >= next_sample) {
            sgx_curve_sample(curve, st, d->n, now - *t_first);
            next_sample = now + 0.01;
        }
        uint64_t done = SGX_GET(st->done);
        if (done >= d->n) {
            *t_done = now;
            sgx_curve_sample(curve, st, d->n, now - *t_first);
            tv->n[TV_DONE] = sgx_bench_tasks(tv->v[TV_DONE], MAX_TASKS);
            sgx_bench_machine_cpu(&tv->busy[TV_DONE], &tv->idle[TV_DONE]);
            return true;
        }
        if (done != last_done) {
            last_done = done;
            last = now;
        } else if (now - last > STALL_S) {
            return false;
        }
    }
}

/* Which part of the process a thread belongs to (see task_views_t). */
static const char *task_role(const task_views_t *tv, const sgx_bench_task_t *t, int workers,
                             char *buf, size_t cap)
{
    bool rdk = strncmp(t->comm, "rdk:", 4) == 0;
    if (sgx_bench_task_find(tv->v[TV_BEFORE], tv->n[TV_BEFORE], t->tid)) {
        return rdk ? "mock-cluster" : "bench-main+registry";
    }
    if (!sgx_bench_task_find(tv->v[TV_STARTED], tv->n[TV_STARTED], t->tid)) {
        return rdk ? "librdkafka" : "emulator";
    }
    if (rdk) {
        return "librdkafka";
    }
    /* sgx_pipeline_start creates the workers, then the dispatcher, then the poll thread. */
    int idx = 0;
    for (size_t i = 0; i < tv->n[TV_STARTED]; i++) {
        const sgx_bench_task_t *s = &tv->v[TV_STARTED][i];
        if (s->tid == t->tid) {
            break;
        }
        if (strncmp(s->comm, "rdk:", 4) != 0 &&
            !sgx_bench_task_find(tv->v[TV_BEFORE], tv->n[TV_BEFORE], s->tid)) {
            idx++;
        }
    }
    if (idx < workers) {
        snprintf(buf, cap, "worker%d", idx);
        return buf;
    }
    return idx == workers ? "dispatcher" : "poll";
}

/* One line: CPU seconds per thread role over the timed window. */
static void print_threads(const task_views_t *tv, int workers, double wall)
{
    char names[16][24];
    double cpu[16] = {0};
    size_t nroles = 0;
    for (size_t i = 0; i < tv->n[TV_DONE]; i++) {
        const sgx_bench_task_t *t = &tv->v[TV_DONE][i];
        const sgx_bench_task_t *t0 = sgx_bench_task_find(tv->v[TV_FIRST], tv->n[TV_FIRST], t->tid);
        char buf[24];
        const char *role = task_role(tv, t, workers, buf, sizeof buf);
        size_t k = 0;
        while (k < nroles && strcmp(names[k], role) != 0) {
            k++;
        }
        if (k == nroles && nroles < 16) {
            snprintf(names[nroles++], sizeof names[0], "%s", role);
        }
        if (k < 16) {
            cpu[k] += t->cpu_s - (t0 ? t0->cpu_s : 0);
        }
    }
    double total = 0;
    fprintf(stderr, "  cpu per thread over %.2f s (%% of one core):", wall);
    for (size_t k = 0; k < nroles; k++) {
        total += cpu[k];
        fprintf(stderr, " %s %.0f%%", names[k], 100 * cpu[k] / wall);
    }
    double busy = tv->busy[TV_DONE] - tv->busy[TV_FIRST];
    double idle = tv->idle[TV_DONE] - tv->idle[TV_FIRST];
    fprintf(stderr, "; total %.0f%%; whole machine %.0f%% busy, other processes ~%.0f%%\n",
            100 * total / wall, busy + idle > 0 ? 100 * busy / (busy + idle) : 0.0,
            100 * (busy - total) / wall);
}

/* Everything must be accounted for, or the run does not count. */
static bool check_run(const sgx_bench_data_t *d, const sgx_stats_t *st,
                      const sgx_emu_fb_stats_t *e0, const sgx_emu_fb_stats_t *e1)
{
    const sgx_dest_stats_t *ds = &st->dest[0];
    uint64_t dlq = d->truth.expected_dlq, rows = SGX_GET(ds->rows_delivered);
    uint64_t emu_rows = e1->rows_received - e0->rows_received;
    bool ok = SGX_GET(st->consumed) == d->n && SGX_GET(st->done) == d->n &&
              SGX_GET(st->offset_gaps) == 0 && SGX_GET(st->dead_lettered) == dlq &&
              SGX_GET(ds->rows_no_key) == dlq && SGX_GET(ds->rows_rejected) == 0 &&
              rows + SGX_GET(ds->rows_coalesced) == d->n - dlq && emu_rows == rows;
    if (!ok) {
        fprintf(stderr,
                "bench pipeline: accounting FAILED: consumed %" PRIu64 " done %" PRIu64
                " of %zu, gaps %" PRIu64 ", dead-lettered %" PRIu64 " and no-key %" PRIu64
                " (expected %" PRIu64 "), rows delivered %" PRIu64 " + coalesced %" PRIu64
                " (expected %" PRIu64 "), rejected %" PRIu64 ", emulator received %" PRIu64
                "\n",
                (uint64_t)SGX_GET(st->consumed), (uint64_t)SGX_GET(st->done), d->n,
                (uint64_t)SGX_GET(st->offset_gaps), (uint64_t)SGX_GET(st->dead_lettered),
                (uint64_t)SGX_GET(ds->rows_no_key), dlq, rows,
                (uint64_t)SGX_GET(ds->rows_coalesced), d->n - dlq,
                (uint64_t)SGX_GET(ds->rows_rejected), emu_rows);
    }
    return ok;
}

/* Where final, committable and committed records stand at a quarter, half and three quarters
 * of the run (fractions of its records). */
static void print_curve(const sgx_curve_t *c)
{
    fprintf(stderr, "  commit curve (final / committable / committed):");
    for (int q = 1; q <= 3; q++) {
        sgx_curve_point_t p = sgx_curve_at(c, q / 4.0);
        fprintf(stderr, " %d%%: %.0f / %.0f / %.0f%%", q * 25, 100 * p.done, 100 * p.stored,
                100 * p.committed);
    }
    fprintf(stderr, "; committable trails final by %.1f%% at most\n",
            100 * sgx_curve_max_trail(c));
    if (getenv("SGX_BENCH_CURVE")) { /* the whole curve, to see where the trail is widest */
        for (size_t i = 0; i < c->n; i++) {
            fprintf(stderr, "  curve t=%.3f final=%.4f committable=%.4f committed=%.4f\n",
                    c->p[i].t, c->p[i].done, c->p[i].stored, c->p[i].committed);
        }
    }
}

/* Commit latency: from the last acknowledgement (t_done) to every offset committed, sampled
 * apart from the run's curve so its quarter points stay those of the run. @returns ms, or -1
 * when the commits did not all land within 10 s. */
static double commit_latency_ms(const sgx_bench_data_t *d, const sgx_stats_t *st, double t_done)
{
    sgx_curve_t wait = {0};
    double ms = -1;
    for (double now = sgx_bench_now(); now - t_done < 10.0; now = sgx_bench_now()) {
        sgx_curve_sample(&wait, st, d->n, now - t_done);
        if (wait.p[wait.n - 1].committed >= 1.0 - 1e-9) {
            ms = 1000 * (now - t_done);
            break;
        }
        nap_ms(1);
    }
    sgx_curve_free(&wait);
    return ms;
}

/* One run. @returns events/s, or 0 when the run failed a check. */
static double pipeline_once(sgx_bench_data_t *d, const sgx_bench_opts_t *o, int r,
                            task_views_t *tv, sgx_curve_t *curve, double *latency_ms)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_pipeline_t *pipe = NULL;
    sgx_emu_fb_stats_t e0, e1;
    prepare_run(d, o, r);
    sgx_emu_fb_stats(d->env.fb, &e0);
    tv->n[TV_BEFORE] = sgx_bench_tasks(tv->v[TV_BEFORE], MAX_TASKS);
    double start = sgx_bench_now(), t_first = 0, t_done = 0;
    if (sgx_pipeline_start(d->env.cfg, &pipe, errbuf)) {
        fprintf(stderr, "bench pipeline: %s\n", errbuf);
        return 0;
    }
    tv->n[TV_STARTED] = sgx_bench_tasks(tv->v[TV_STARTED], MAX_TASKS);
    sgx_stats_t *st = sgx_pipeline_stats(pipe);
    bool finished = watch(d, o, st, tv, curve, &t_first, &t_done);
    *latency_ms = finished ? commit_latency_ms(d, st, t_done) : -1;
    uint64_t pauses = SGX_GET(st->pauses); /* before the stop, whose drain pauses once more */
    sgx_pipeline_stop(pipe, finished);
    sgx_emu_fb_stats(d->env.fb, &e1);
    double rate = 0;
    if (!finished) {
        fprintf(stderr, "bench pipeline: run %d stalled at %" PRIu64 " of %zu\n", r,
                (uint64_t)SGX_GET(st->done), d->n);
    } else if (check_run(d, st, &e0, &e1)) {
        rate = (double)(d->n - 1) / (t_done - t_first);
    }
    const sgx_dest_stats_t *ds = &st->dest[0];
    fprintf(stderr,
            "pipeline run %d: %.0f events/s over %.2f s (first record %.1f s after start), "
            "%" PRIu64 " requests, %" PRIu64 " rows coalesced, %" PRIu64 " backpressure pauses\n",
            r, rate, t_done - t_first, t_first - start, (uint64_t)SGX_GET(ds->requests),
            (uint64_t)SGX_GET(ds->rows_coalesced), pauses);
    if (finished) {
        print_threads(tv, d->env.cfg->workers, t_done - t_first);
        print_curve(curve);
        fprintf(stderr, "  last acknowledgement to every offset committed: %.0f ms\n",
                *latency_ms);
    }
    if (rate > 0 && o->verify) {
        char report[256];
        if (!sgx_demo_verify(sgx_emu_fb_port(d->env.fb), d->env.cfg->dests[0].audience_ids,
                             &d->truth, report, sizeof report)) {
            rate = 0;
        }
        fprintf(stderr, "  verification: %s %s\n", rate > 0 ? "PASS" : "FAIL", report);
    }
    sgx_pipeline_destroy(pipe);
    return rate;
}

double sgx_bench_pipeline(sgx_bench_data_t *d, const sgx_bench_opts_t *o)
{
    task_views_t *tv = sgx_calloc(1, sizeof *tv);
    double *rates = sgx_calloc((size_t)o->runs, sizeof *rates);
    /* committed 25/50/75, trail, commit latency */
    double *fig = sgx_calloc((size_t)o->runs * 5, sizeof *fig);
    double median = 0;
    sgx_log_level_t level = SGX_LOG_WARN;
    sgx_log_set_level(level);
    for (int r = 0; r < o->runs; r++) {
        sgx_curve_t curve = {0};
        rates[r] = pipeline_once(d, o, r, tv, &curve, &fig[4 * o->runs + r]);
        for (int q = 0; q < 3 && curve.n; q++) {
            fig[q * o->runs + r] = 100 * sgx_curve_at(&curve, (q + 1) / 4.0).committed;
        }
        fig[3 * o->runs + r] = curve.n ? 100 * sgx_curve_max_trail(&curve) : 100;
        sgx_curve_free(&curve);
        if (rates[r] == 0) {
            goto out;
        }
    }
    median = sgx_bench_median(rates, (size_t)o->runs);
    printf("RESULT stage=commit_curve committed_pct_at_25=%.0f committed_pct_at_50=%.0f "
           "committed_pct_at_75=%.0f committable_max_trail_pct=%.1f commit_latency_ms=%.0f\n",
           sgx_bench_median(fig, (size_t)o->runs), sgx_bench_median(fig + o->runs, (size_t)o->runs),
           sgx_bench_median(fig + 2 * o->runs, (size_t)o->runs),
           sgx_bench_median(fig + 3 * o->runs, (size_t)o->runs),
           sgx_bench_median(fig + 4 * o->runs, (size_t)o->runs));
out:
    sgx_free(fig);
    sgx_free(rates);
    sgx_free(tv);
    return median;
}
