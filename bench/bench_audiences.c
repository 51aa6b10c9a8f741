/* What configured audiences cost when they see no traffic: resident memory of a dispatcher
 * with n audiences (one Meta destination, nothing ever sent), and the CPU its loop burns while
 * idle. The dispatcher is started on its own (no Kafka, no workers); the destination's
 * base_url is never contacted. Figures: RSS growth per audience, idle CPU ms per second. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench/bench.h"
#include "config/config.h"
#include "pipeline/dispatcher.h"
#include "base/mem.h"

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = atol(line + 6);
        }
    }
    if (f) {
        fclose(f);
    }
    return kb;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static sgx_config_t *config_with(size_t n)
{
    sgx_buf_t y = {0};
    sgx_buf_puts(&y, "kafka:\n  bootstrap.servers: \"127.0.0.1:9\"\n  group.id: bench\n"
                     "topics: [t]\ndead_letter_topic: dlq\n"
                     "schema_registry:\n  url: http://127.0.0.1:9\n"
                     "destinations:\n  - name: meta\n    type: facebook\n"
                     "    settings:\n      access_token: tok\n      base_url: http://127.0.0.1:9\n"
                     "    segments:\n");
    char line[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(line, sizeof line, "      seg-%zu: \"%zu\"\n", i, 100000 + i);
        sgx_buf_puts(&y, line);
    }
    sgx_config_t *cfg = NULL;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_config_parse(y.data, y.len, &cfg, errbuf)) {
        fprintf(stderr, "bench audiences: %s\n", errbuf);
    }
    sgx_buf_free(&y);
    return cfg;
}

void sgx_bench_audiences(size_t n)
{
    sgx_config_t *cfg = config_with(n);
    sgx_dest_t dest = {0};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (!cfg || cfg->dests[0].def->init(&cfg->dests[0].settings, &dest.ctx, errbuf)) {
        printf("RESULT stage=audiences error=setup\n");
        sgx_config_free(cfg);
        return;
    }
    dest.cfg = &cfg->dests[0];
    dest.def = dest.cfg->def;
    dest.def->keys(dest.ctx, &dest.keys, &dest.nkeys);
    static sgx_stats_t stats;
    sgx_ring_t *in = NULL, *done = NULL;
    atomic_bool flush = false, quit = false;
    sgx_ring_new(1024, &in);
    sgx_ring_new(1024, &done);
    sgx_dispatcher_opts_t o = {.dests = &dest, .ndests = 1, .inputs = &in, .ninputs = 1,
                               .done = done, .stats = &stats, .flush_now = &flush,
                               .quit = &quit, .retry_base_ms = 200, .retry_cap_ms = 30000,
                               .request_timeout_ms = 30000, .seed = 1};
    long before = rss_kb();
    sgx_dispatcher_t *d = NULL;
    if (sgx_dispatcher_start(&o, &d)) {
        printf("RESULT stage=audiences error=dispatcher\n");
    } else {
        usleep(300000); /* past its first iterations */
        long after = rss_kb();
        double c0 = cpu_s(), t0 = sgx_bench_now();
        usleep(2000000);
        double cpu = (cpu_s() - c0) / (sgx_bench_now() - t0);
        printf("RESULT stage=audiences audiences=%zu dispatcher_rss_mb=%.1f "
               "bytes_per_idle_audience=%.0f idle_cpu_ms_per_s=%.1f\n",
               n, (double)(after - before) / 1024, (double)(after - before) * 1024 / (double)n,
               cpu * 1000);
        atomic_store(&quit, true);
        sgx_dispatcher_join(d);
    }
    dest.def->destroy(dest.ctx);
    sgx_ring_destroy(in);
    sgx_ring_destroy(done);
    sgx_config_free(cfg);
}
