/* segexport: argv, configuration, signals and wiring only. */
#include <curl/curl.h>
#include <getopt.h>
#include <pthread.h>
#include <librdkafka/rdkafka.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/cmd_check.h"
#include "cli/cmd_demo.h"
#include "cli/cmd_normalize.h"
#include "config/config.h"
#include "connectors/registry.h"
#include "pipeline/pipeline.h"

#ifndef SGX_VERSION
#define SGX_VERSION "unknown"
#endif
#ifndef SGX_AVRO_VERSION
#define SGX_AVRO_VERSION "unknown"
#endif

/* Exit codes: 0 done, 1 failed (config, start, unacknowledged records at stop), 2 usage. */
enum { EXIT_USAGE = 2, EXIT_UNACKED = 3 };

static void usage(FILE *f)
{
    fprintf(f,
            "usage: segexport COMMAND [OPTIONS]\n"
            "\n"
            "commands:\n"
            "  run -c FILE [--log-level LEVEL] [--log-format FORMAT]\n"
            "                                         run the service until SIGTERM/SIGINT\n"
            "  check -c FILE [--online] [--log-level LEVEL] [--log-format FORMAT]\n"
            "                                         validate a configuration and exit\n"
            "  demo [OPTIONS]                         embedded end-to-end demo (demo --help)\n"
            "  normalize --destination D [--default-country CC]\n"
            "                                         normalize JSON Lines from stdin\n"
            "\n"
            "options:\n"
            "  -h, --help       this help (also after a command: segexport run --help)\n"
            "  --version        versions of segexport and its libraries\n");
}

static void usage_run(FILE *f, const char *cmd)
{
    bool check = strcmp(cmd, "check") == 0;
    fprintf(f,
            "usage: segexport %s -c FILE%s [--log-level LEVEL] [--log-format FORMAT]\n"
            "  -c, --config FILE      the YAML configuration (see README)\n"
            "%s"
            "  --log-level LEVEL      error, warn, info (default) or debug\n"
            "  --log-format FORMAT    text or json (default: log_format in the config, text)\n"
            "  -h, --help             this help\n",
            cmd, check ? " [--online]" : "",
            check ? "  --online               also contact the broker, the registry and each\n"
                    "                         destination (read-only calls), one line per check\n"
                  : "");
}

static void version(void)
{
    printf("segexport %s\n", SGX_VERSION);
    printf("librdkafka %s\n", rd_kafka_version_str());
    printf("libcurl %s\n", curl_version_info(CURLVERSION_NOW)->version);
    printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
    printf("avro-c %s\n", SGX_AVRO_VERSION);
}

/* Parses the options of run and check; unknown options and stray arguments are errors.
 * @param path out: the config path (borrowed from argv). @param format out: --log-format, -1
 * when absent. @param online out: --online, which only check accepts. @returns 0, 1 for
 * --help, -1 usage. */
static int parse_run_opts(int argc, char **argv, const char **path, int *format, bool *online)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"log-level", required_argument, NULL, 'l'},
        {"log-format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
        {"online", no_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    *path = NULL;
    *format = -1;
    *online = false;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': *path = optarg; break;
        case 'h': return 1;
        case 'o':
            if (strcmp(argv[0], "check") != 0) {
                fprintf(stderr, "segexport: unknown option %s\n", argv[optind - 1]);
                return -1;
            }
            *online = true;
            break;
        case 'l':
            if (sgx_log_level_parse(optarg) < 0) {
                fprintf(stderr, "segexport: --log-level must be error, warn, info or debug\n");
                return -1;
            }
            sgx_log_set_level((sgx_log_level_t)sgx_log_level_parse(optarg));
            break;
        case 'f':
            *format = sgx_log_format_parse(optarg);
            if (*format < 0) {
                fprintf(stderr, "segexport: --log-format must be text or json\n");
                return -1;
            }
            break;
        case ':':
            fprintf(stderr, "segexport: option %s needs a value\n", argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "segexport: unknown option %s\n", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "segexport: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    if (!*path) {
        fprintf(stderr, "segexport: -c FILE is required\n");
        return -1;
    }
    return 0;
}

/* Waits for SIGTERM/SIGINT; SIGHUP is logged and ignored (configuration is read once: a
 * reload would have to re-plan every audience's fences and in-flight rows, while a rolling
 * restart gets the same result with the guarantees already tested). */
static int wait_stop_signal(const sigset_t *set)
{
    for (;;) {
        int sig = 0;
        sigwait(set, &sig);
        if (sig != SIGHUP) {
            return sig;
        }
        SGX_WARN("main", "SIGHUP ignored: configuration is not reloaded; restart to apply "
                         "changes (SIGTERM stops gracefully)");
    }
}

/* Serves signals while the graceful stop runs: a second SIGTERM/SIGINT ends the process at
 * once, as a crash would (nothing unacknowledged was committed, so its records are redelivered
 * to the next owner). */
static void *second_signal(void *arg)
{
    const sigset_t *set = arg;
    int sig = wait_stop_signal(set);
    SGX_WARN("main", "second signal %d: exiting at once; unacknowledged records will be "
                     "redelivered",
             sig);
    _exit(128 + sig);
    return NULL;
}

/* SIGTERM/SIGINT/SIGHUP are taken with sigwait: every other thread starts with them blocked,
 * so the graceful stop runs in ordinary code, not in a handler. */
static int cmd_run(const sgx_config_t *cfg)
{
    static sigset_t set; /* read by second_signal until _exit or process end */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_pipeline_t *p = NULL;
    if (sgx_pipeline_start(cfg, &p, errbuf)) {
        SGX_ERROR("main", "cannot start: %s", errbuf); /* in the configured log format */
        return 1;
    }
    SGX_INFO("main", "running: %zu topic(s) -> %zu destination(s)", cfg->ntopics, cfg->ndests);
    int sig = wait_stop_signal(&set);
    SGX_INFO("main", "signal %d: stopping intake, finishing in-flight work (grace %d ms)", sig,
             cfg->shutdown_grace_ms);
    pthread_t watcher;
    if (pthread_create(&watcher, NULL, second_signal, &set) == 0) {
        pthread_detach(watcher);
    }
    sgx_pipeline_stop(p, true);
    int64_t unacked = SGX_GET(sgx_pipeline_stats(p)->inflight);
    sgx_pipeline_destroy(p);
    if (unacked > 0) {
        SGX_ERROR("main", "grace period ended with %lld record(s) unacknowledged: they were not "
                          "committed and will be redelivered",
                  (long long)unacked);
        return EXIT_UNACKED;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        version();
        return 0;
    }
    if (strcmp(cmd, "demo") == 0) {
        return sgx_cmd_demo(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "normalize") == 0) {
        return sgx_cmd_normalize(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "run") != 0 && strcmp(cmd, "check") != 0) {
        fprintf(stderr, "segexport: unknown command \"%s\"\n", cmd);
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *path = NULL;
    int format = -1;
    bool online = false;
    int prc = parse_run_opts(argc - 1, argv + 1, &path, &format, &online);
    if (prc != 0) {
        usage_run(prc > 0 ? stdout : stderr, cmd);
        return prc > 0 ? 0 : EXIT_USAGE;
    }
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_config_t *cfg = NULL;
    if (format >= 0) {
        sgx_log_set_format((sgx_log_format_t)format); /* config errors come out in it too */
    }
    if (sgx_config_load(path, &cfg, errbuf)) {
        fprintf(stderr, "segexport: %s: %s\n", path, errbuf);
        return 1;
    }
    sgx_log_set_format((sgx_log_format_t)(format >= 0 ? format : cfg->log_format));
    int rc = 1;
    if (strcmp(cmd, "check") == 0) {
        rc = sgx_cmd_check(cfg, online);
    } else if (sgx_config_check(cfg, errbuf)) { /* run refuses what check refuses */
        fprintf(stderr, "segexport: %s: %s\n", path, errbuf);
    } else {
        rc = cmd_run(cfg);
    }
    sgx_config_free(cfg);
    return rc;
}
