/* `segexport demo`: everything in one process on loopback, then a verdict. */
#include "cli/cmd_demo.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "cli/demo/demo.h"
#include "cli/demo/demo_env.h"
#include "codecs/schema_canonical.h"
#include "pipeline/dispatch_req.h"
#include "pipeline/pipeline.h"

#define TOPIC "segment-membership"
#define DLQ_TOPIC "segexport-dlq"

static int parse_dests(const char *list, unsigned *mask)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *mask = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int kind = sgx_dest_kind_parse(tok);
        if (kind < 0) {
            return -1;
        }
        *mask |= 1u << kind;
    }
    return *mask ? 0 : -1;
}

/* A non-negative decimal that fits max: "-5", "", "12x" and overflow are refused. */
static int parse_count(const char *opt, const char *text, unsigned long long max,
                       unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end || errno || v > max) {
        fprintf(stderr, "demo: --%s takes a whole number from 0 to %llu, not \"%s\"\n", opt,
                max, text);
        return -1;
    }
    *out = v;
    return 0;
}

static void demo_usage(FILE *f)
{
    fprintf(f, "usage: segexport demo [--events N] [--profiles N] [--partitions N] [--bad N]\n"
               "                      [--seed N] [--log-level LEVEL]\n"
               "                      [--destinations facebook,microsoft_ads,criteo,dotdigital]\n"
               "  --events N        events to produce (default 1000000)\n"
               "  --profiles N      distinct profiles (default 200000)\n"
               "  --partitions N    partitions of the demo topic (default 12)\n"
               "  --bad N           malformed records mixed in (default 60)\n"
               "  --seed N          generator seed (default 42)\n"
               "  --log-level L     error, warn, info (default) or debug\n"
               "  --destinations L  comma list (default facebook)\n"
               "  -h, --help        this help\n");
}

/* The long name of option ch, for messages. */
static const char *optname(const struct option *opts, int ch)
{
    for (; opts->name; opts++) {
        if (opts->val == ch) {
            return opts->name;
        }
    }
    return "?";
}

static int parse_args(int argc, char **argv, sgx_demo_opts_t *o)
{
    static const struct option longopts[] = {
        {"events", required_argument, NULL, 'e'},   {"profiles", required_argument, NULL, 'p'},
        {"log-level", required_argument, NULL, 'l'}, {"partitions", required_argument, NULL, 'n'},
        {"bad", required_argument, NULL, 'b'},      {"seed", required_argument, NULL, 's'},
        {"destinations", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (sgx_demo_opts_t){.events = 1000000, .profiles = 200000, .segments = 20,
                           .partitions = 12, .bad = 60, .seed = 42, .window = 120000};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        unsigned long long v = 0;
        if (ch == 'e' || ch == 'p' || ch == 'n' || ch == 'b' || ch == 's') {
            unsigned long long max = ch == 'n' ? 10000 : ch == 's' ? UINT_MAX : 1ull << 40;
            if (parse_count(optname(longopts, ch), optarg, max, &v)) {
                return -1;
            }
        }
        switch (ch) {
        case 'h': return 1;
        case 'e': o->events = (size_t)v; break;
        case 'p': o->profiles = (size_t)v; break;
        case 'n': o->partitions = (int)v; break;
        case 'b': o->bad = (size_t)v; break;
        case 's': o->seed = (unsigned)v; break;
        case 'd':
            if (parse_dests(optarg, &o->dests)) {
                fprintf(stderr, "demo: --destinations takes a comma list of facebook, "
                                "microsoft_ads, criteo, dotdigital\n");
                return -1;
            }
            break;
        case 'l':
            if (sgx_log_level_parse(optarg) < 0) {
                fprintf(stderr, "demo: --log-level must be error, warn, info or debug\n");
                return -1;
            }
            sgx_log_set_level((sgx_log_level_t)sgx_log_level_parse(optarg));
            break;
        default:
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "demo: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    if (o->events == 0 || o->profiles == 0 || o->partitions < 1 || o->bad > o->events) {
        fprintf(stderr, "demo: --events, --profiles and --partitions must be positive, --bad <= --events\n");
        return -1;
    }
    return 0;
}

#define STALL_MS 120000

typedef enum { WATCH_DONE, WATCH_STALLED, WATCH_SIGNAL } watch_t;

/* Shows progress once a second until every produced record is final. @returns WATCH_STALLED
 * when nothing moved for STALL_MS (the demo fails instead of hanging), WATCH_SIGNAL when a
 * signal of `sigs` (blocked in every thread) arrived, its number in *sig. */
static watch_t watch(sgx_pipeline_t *p, const sgx_demo_truth_t *t, const sigset_t *sigs,
                     double *elapsed, int *sig)
{
    sgx_stats_t *st = sgx_pipeline_stats(p);
    int64_t start = sgx_now_ms(), last = start, moved = start;
    uint64_t last_done = 0;
    for (;;) {
        const struct timespec tick = {0, 100000000};
        *sig = sigtimedwait(sigs, NULL, &tick);
        if (*sig > 0) {
            *elapsed = (double)(sgx_now_ms() - start) / 1000.0;
            return WATCH_SIGNAL;
        }
        uint64_t done = SGX_GET(st->done);
        bool finished = atomic_load(&t->finished) && done == atomic_load(&t->produced) &&
                        SGX_GET(st->inflight) == 0;
        int64_t now = sgx_now_ms();
        if (now - last >= 1000 || finished) {
            SGX_INFO("demo", "consumed %llu, acknowledged %llu, in flight %lld, %.0f events/s%s",
                     (unsigned long long)SGX_GET(st->consumed), (unsigned long long)done,
                     (long long)SGX_GET(st->inflight),
                     (double)(done - last_done) * 1000.0 / (double)(now - last + 1),
                     SGX_GET(st->paused) ? " (paused: backpressure)" : "");
            if (done != last_done) {
                moved = now;
            }
            last = now;
            last_done = done;
        }
        if (finished) {
            *elapsed = (double)(now - start) / 1000.0;
            return WATCH_DONE;
        }
        if (now - moved > STALL_MS) {
            SGX_ERROR("demo", "no progress for %d s: giving up", STALL_MS / 1000);
            return WATCH_STALLED;
        }
    }
}

/* After SIGINT/SIGTERM: what was done before the graceful stop, without a verdict (the log was
 * not produced to its end, so there is nothing complete to verify against). */
static void report_interrupted(sgx_pipeline_t *p, int sig, double elapsed)
{
    sgx_stats_t *st = sgx_pipeline_stats(p);
    printf("\n== segexport demo summary (interrupted by signal %d after %.1f s) ==\n", sig,
           elapsed);
    printf("  events consumed:      %llu\n", (unsigned long long)SGX_GET(st->consumed));
    printf("  records final:        %llu (acknowledged or dead-lettered)\n",
           (unsigned long long)SGX_GET(st->done));
    printf("  dead-lettered:        %llu\n", (unsigned long long)SGX_GET(st->dead_lettered));
    printf("  left unacknowledged:  %lld (not committed)\n", (long long)SGX_GET(st->inflight));
    printf("verification: SKIPPED (interrupted)\n");
    fflush(stdout);
}

int sgx_cmd_demo(int argc, char **argv)
{
    sgx_demo_opts_t o;
    int prc = parse_args(argc, argv, &o);
    if (prc != 0) {
        demo_usage(prc > 0 ? stdout : stderr);
        return prc > 0 ? 0 : 2;
    }
    /* Blocked before any thread starts, so only watch() takes them: a graceful stop. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    sgx_demo_env_t env;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_demo_env_up(&env, &o, TOPIC, DLQ_TOPIC, errbuf)) {
        fprintf(stderr, "demo: %s\n", errbuf);
        sgx_demo_env_down(&env);
        return 1;
    }
    sgx_demo_truth_t truth = {.profiles = o.profiles, .segments = o.segments};
    truth.state = sgx_calloc(o.profiles * o.segments, 1);
    sgx_pipeline_t *pipe = NULL;
    sgx_demo_gen_t *gen = NULL;
    int rc = 1;
    if (sgx_pipeline_start(env.cfg, &pipe, errbuf) ||
        sgx_demo_gen_start(env.bootstrap, TOPIC, env.schema_id, &o, sgx_pipeline_stats(pipe),
                           &truth, &gen, errbuf)) {
        fprintf(stderr, "demo: %s\n", errbuf);
        goto out;
    }
    SGX_INFO("demo", "producing %zu events over %zu profiles and %zu segments (+%zu malformed)",
             o.events, o.profiles, o.segments, o.bad);
    double elapsed = 0;
    int sig = 0;
    watch_t w = watch(pipe, &truth, &sigs, &elapsed, &sig);
    if (w == WATCH_SIGNAL) {
        SGX_INFO("demo", "signal %d: stopping the upstream, finishing in-flight work", sig);
        sgx_demo_gen_stop(gen);
        sgx_demo_gen_join(gen);
        gen = NULL;
        sgx_pipeline_stop(pipe, true);
        report_interrupted(pipe, sig, elapsed);
        rc = 128 + sig;
        goto out;
    }
    if (w == WATCH_STALLED) {
        sgx_pipeline_stop(pipe, false);
        printf("verification: FAIL the pipeline stalled before every record was final\n");
        goto out;
    }
    sgx_demo_gen_join(gen);
    gen = NULL;
    sgx_pipeline_stop(pipe, true);
    rc = sgx_demo_report(&env, pipe, &truth, elapsed) ? 0 : 1;
out:
    sgx_demo_gen_join(gen);
    sgx_pipeline_destroy(pipe);
    sgx_demo_env_down(&env);
    sgx_free(truth.state);
    return rc;
}
