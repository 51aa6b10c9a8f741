/* segexport: argv, configuration, signals and wiring only. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "cli/cmd_demo.h"
#include "cli/cmd_normalize.h"
#include "config/config.h"
#include "connectors/registry.h"
#include "pipeline/pipeline.h"

static void usage(void)
{
    fprintf(stderr,
            "usage:\n"
            "  segexport run -c FILE [--log-level LEVEL]   run the service\n"
            "  segexport check -c FILE                     validate a configuration\n"
            "  segexport demo [--events N] [--profiles N] [--log-level LEVEL]\n"
            "  segexport normalize --destination D [--default-country CC]  (JSON Lines)\n");
}

/* Finds -c FILE and --log-level LEVEL; returns the config path or NULL. */
static const char *parse_common(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 2; i + 1 < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
            path = argv[++i];
        } else if (strcmp(argv[i], "--log-level") == 0) {
            int level = sgx_log_level_parse(argv[++i]);
            if (level < 0) {
                fprintf(stderr, "segexport: unknown log level\n");
                return NULL;
            }
            sgx_log_set_level((sgx_log_level_t)level);
        }
    }
    return path;
}

static int cmd_check(sgx_config_t *cfg)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    int rc = 0;
    for (size_t i = 0; i < cfg->ndests; i++) {
        const sgx_dest_config_t *d = &cfg->dests[i];
        void *ctx = NULL;
        if (d->def->init(&d->settings, &ctx, errbuf)) {
            fprintf(stderr, "segexport: destination %s: %s\n", d->name, errbuf);
            rc = 1;
        } else {
            d->def->destroy(ctx);
        }
    }
    if (rc == 0) {
        printf("configuration OK: %zu topic(s), %zu destination(s), dead-letter topic %s\n",
               cfg->ntopics, cfg->ndests, cfg->dead_letter_topic);
    }
    return rc;
}

/* SIGTERM/SIGINT are taken with sigwait in the main thread: every other thread starts with
 * them blocked, so the graceful stop runs in ordinary code, not in a handler. */
static int cmd_run(const sgx_config_t *cfg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_pipeline_t *p = NULL;
    if (sgx_pipeline_start(cfg, &p, errbuf)) {
        fprintf(stderr, "segexport: %s\n", errbuf);
        return 1;
    }
    SGX_INFO("main", "running: %zu topic(s) -> %zu destination(s)", cfg->ntopics, cfg->ndests);
    int sig = 0;
    sigwait(&set, &sig);
    SGX_INFO("main", "signal %d: stopping intake, finishing in-flight work (grace %d ms)", sig,
             cfg->shutdown_grace_ms);
    sgx_pipeline_stop(p, true);
    sgx_pipeline_destroy(p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "demo") == 0) {
        return sgx_cmd_demo(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "normalize") == 0) {
        return sgx_cmd_normalize(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "run") != 0 && strcmp(cmd, "check") != 0) {
        usage();
        return 2;
    }
    const char *path = parse_common(argc, argv);
    if (!path) {
        usage();
        return 2;
    }
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_config_t *cfg = NULL;
    if (sgx_config_load(path, &cfg, errbuf)) {
        fprintf(stderr, "segexport: %s: %s\n", path, errbuf);
        return 1;
    }
    int rc = strcmp(cmd, "check") == 0 ? cmd_check(cfg) : cmd_run(cfg);
    sgx_config_free(cfg);
    return rc;
}
