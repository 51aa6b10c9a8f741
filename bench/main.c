/* Benchmark driver (`make bench`): loads N events into the mock cluster once, then runs each
 * stage several times and prints one line per figure, `RESULT stage=<name> <metric>=<median>`.
 * Stages that read the preloaded data also print their ratio to the consume-only baseline,
 * measured first in the same process: the pipeline cannot go faster than raw consumption.
 * Progress and per-run detail go to stderr. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "bench/bench.h"
#include "bench/bench_e2e.h"

#define STAGE_NAMES                                                                            \
    "consume, decode, normalize_hash, rowbuild, pipeline, ring, reject, audiences, "           \
    "emulator_facebook, ratelimit, all"
/* Stages that "all" leaves out: micro-benchmarks of one mechanism, run by name. */
#define STAGES_BY_NAME_ONLY " ring reject audiences emulator_facebook ratelimit "

static void usage(void)
{
    fprintf(stderr,
            "usage: segexport-bench [--events N] [--runs R] [--stage NAME] [--linger-ms MS]\n"
            "                       [--workers W] [--no-verify] [--timeline-ms MS]\n"
            "                       [--kafka PROPERTY=VALUE]... (added to the configuration)\n"
            "  what-if (beyond the configuration's limits): [--max-inflight REQUESTS]\n"
            "                       [--max-inflight-events N]\n"
            "  stages: %s (default all but ring, reject, audiences, emulator_facebook, ratelimit)\n",
            STAGE_NAMES);
}

static void print_header(const sgx_bench_opts_t *o)
{
    char model[128] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            snprintf(model, sizeof model, "%s", colon + 2);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    }
    if (f) {
        fclose(f);
    }
#if defined(__OPTIMIZE__) && defined(NDEBUG)
    const char *build = "optimized, NDEBUG (Release/RelWithDebInfo)";
#elif defined(__OPTIMIZE__)
    const char *build = "optimized, assertions on";
#else
    const char *build = "NOT optimized (Debug): figures are meaningless";
#endif
    printf("# segexport-bench: nproc=%ld cpu=\"%s\"\n", sysconf(_SC_NPROCESSORS_ONLN), model);
    printf("# build: %s, compiler %s, librdkafka %s\n", build, __VERSION__,
           rd_kafka_version_str());
    printf("# events=%zu runs=%d linger_ms=%d workers=%s medians of runs\n", o->events, o->runs,
           o->linger_ms, o->workers > 0 ? "override" : "config");
    if (o->workers > 0) {
        printf("# workers=%d\n", o->workers);
    }
    fflush(stdout);
}

static void result(const char *stage, double rate, double base)
{
    if (rate <= 0) {
        printf("RESULT stage=%s error=failed_checks\n", stage);
    } else if (base > 0) {
        printf("RESULT stage=%s events_per_s=%.0f ratio_vs_consume=%.2f\n", stage, rate,
               rate / base);
    } else {
        printf("RESULT stage=%s events_per_s=%.0f\n", stage, rate);
    }
    fflush(stdout);
}

static int parse_args(int argc, char **argv, sgx_bench_opts_t *o, const char **stage)
{
    static const struct option longopts[] = {
        {"events", required_argument, NULL, 'e'},    {"runs", required_argument, NULL, 'r'},
        {"stage", required_argument, NULL, 's'},     {"linger-ms", required_argument, NULL, 'l'},
        {"workers", required_argument, NULL, 'w'},   {"no-verify", no_argument, NULL, 'n'},
        {"max-inflight", required_argument, NULL, 'i'},
        {"max-inflight-events", required_argument, NULL, 'm'},
        {"timeline-ms", required_argument, NULL, 't'},
        {"kafka", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    *o = (sgx_bench_opts_t){.events = 1000000, .runs = 5, .linger_ms = 20, .verify = 1};
    *stage = "all";
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'e': o->events = (size_t)atol(optarg); break;
        case 'r': o->runs = atoi(optarg); break;
        case 's': *stage = optarg; break;
        case 'l': o->linger_ms = atoi(optarg); break;
        case 'w': o->workers = atoi(optarg); break;
        case 'n': o->verify = 0; break;
        case 'i': o->max_inflight = atoi(optarg); break;
        case 'm': o->max_inflight_events = atol(optarg); break;
        case 't': o->timeline_ms = atoi(optarg); break;
        case 'k':
            if (o->nkafka == 8 || !strchr(optarg, '=')) {
                return -1;
            }
            o->kafka[o->nkafka++] = optarg;
            break;
        default: return -1;
        }
    }
    if (o->events < 2 || o->runs < 1 || o->runs > 64 || o->linger_ms < 0 || optind != argc) {
        return -1;
    }
    return strstr(STAGE_NAMES, *stage) ? 0 : -1;
}

static bool wants(const char *stage, const char *name)
{
    char padded[32];
    snprintf(padded, sizeof padded, " %s ", name);
    return strcmp(stage, name) == 0 ||
           (strcmp(stage, "all") == 0 && !strstr(STAGES_BY_NAME_ONLY, padded));
}

int main(int argc, char **argv)
{
    sgx_bench_opts_t o;
    const char *stage;
    if (parse_args(argc, argv, &o, &stage)) {
        usage();
        return 2;
    }
    sgx_log_set_level(SGX_LOG_WARN);
    print_header(&o);
    bool kafka = wants(stage, "consume") || wants(stage, "rowbuild") || wants(stage, "pipeline");
    sgx_bench_data_t d;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    int rc = 0;
    memset(&d, 0, sizeof d);
    if (kafka && sgx_bench_preload(&o, &d, errbuf)) {
        fprintf(stderr, "bench: %s\n", errbuf);
        printf("RESULT stage=preload error=failed\n");
        sgx_bench_data_free(&d);
        return 1;
    }
    double base = 0;
    if (wants(stage, "consume")) {
        base = sgx_bench_consume(&d, &o);
        result("consume", base, 0);
        rc |= base <= 0;
    }
    if (wants(stage, "decode")) {
        sgx_bench_decode(o.events, o.runs);
    }
    if (wants(stage, "normalize_hash")) {
        sgx_bench_normalize(o.events, o.runs);
    }
    if (wants(stage, "rowbuild")) {
        double rate = sgx_bench_rowbuild(&d, &o);
        result("rowbuild", rate, base);
        rc |= rate <= 0;
    }
    if (wants(stage, "ring")) {
        sgx_bench_ring(o.events, o.runs);
    }
    if (wants(stage, "audiences")) {
        sgx_bench_audiences(10000);
    }
    if (wants(stage, "emulator_facebook")) {
        sgx_bench_emulator_facebook(o.runs);
    }
    if (wants(stage, "ratelimit")) {
        sgx_bench_ratelimit(o.runs);
    }
    if (wants(stage, "reject")) {
        sgx_bench_reject(100000, 20000, o.runs);
    }
    if (wants(stage, "pipeline")) {
        double rate = sgx_bench_pipeline(&d, &o);
        result("pipeline_facebook", rate, base);
        result("pipeline", rate, base);
        rc |= rate <= 0;
    }
    sgx_bench_data_free(&d);
    return rc;
}
