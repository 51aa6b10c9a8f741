/* segexport-emulator: runs one destination emulator as a standalone process for demos and system
 * tests. Each platform is a subcommand in `platforms`; adding one means adding a row. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "emulators/criteo.h"
#include "emulators/dotdigital.h"
#include "emulators/emu_common.h"
#include "emulators/facebook.h"
#include "emulators/msads.h"
#include "emulators/registry.h"

typedef int (*emu_run_fn)(int argc, char **argv);

static int run_facebook(int argc, char **argv);
static int run_registry(int argc, char **argv);

static const struct {
    const char *name;
    emu_run_fn run;
    const char *usage;
} platforms[] = {
    {"facebook", run_facebook,
     "facebook --listen HOST:PORT [--access-token T] [--app-secret S] [--audiences id1,id2] "
     "[--auto-create] [--buc-calls N] [--buc-window-ms MS]"},
    {"registry", run_registry, "registry --listen HOST:PORT   (Confluent Schema Registry double)"},
    {"microsoft_ads", sgx_emu_msads_main, "microsoft_ads --listen HOST:PORT [options]"},
    {"criteo", sgx_emu_criteo_main, "criteo --listen HOST:PORT [options]"},
    {"dotdigital", sgx_emu_dotdigital_main, "dotdigital --listen HOST:PORT [options]"},
};

static void usage(void)
{
    fprintf(stderr, "usage: segexport-emulator <platform> [options]\n");
    for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++) {
        fprintf(stderr, "  segexport-emulator %s\n", platforms[i].usage);
    }
}

static int run_registry(int argc, char **argv)
{
    static const struct option longopts[] = {{"listen", required_argument, NULL, 'l'},
                                              {NULL, 0, NULL, 0}};
    char host[64] = "127.0.0.1";
    uint16_t port = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c != 'l' || sgx_emu_parse_listen(optarg, host, sizeof host, &port) != 0) {
            usage();
            return 2;
        }
    }
    sigset_t set;
    sgx_emu_block_signals(&set);
    sgx_emu_registry_t *reg = NULL;
    sgx_err_t err = sgx_emu_registry_start(host, port, &reg);
    if (err) {
        fprintf(stderr, "segexport-emulator: cannot listen on %s:%u: %s\n", host, port,
                sgx_err_str(err));
        return 1;
    }
    sgx_emu_serve_until_signal(host, sgx_emu_registry_port(reg), &set);
    sgx_emu_registry_stop(reg);
    return 0;
}

static void add_audiences(sgx_emu_fb_t *e, const char *list)
{
    char *copy = sgx_strdup(list), *save = NULL;
    for (char *id = strtok_r(copy, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
        sgx_emu_fb_add_audience(e, id);
    }
    sgx_free(copy);
}

static int run_facebook(int argc, char **argv)
{
    static const struct option longopts[] = {{"listen", required_argument, NULL, 'l'},
                                              {"access-token", required_argument, NULL, 't'},
                                              {"app-secret", required_argument, NULL, 's'},
                                              {"audiences", required_argument, NULL, 'a'},
                                              {"auto-create", no_argument, NULL, 'c'},
                                              {"buc-calls", required_argument, NULL, 'b'},
                                              {"buc-window-ms", required_argument, NULL, 'w'},
                                              {NULL, 0, NULL, 0}};
    sgx_emu_fb_opts_t o = {.port = 0};
    char host[64] = "127.0.0.1";
    const char *audiences = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (sgx_emu_parse_listen(optarg, host, sizeof host, &o.port) != 0) {
                usage();
                return 2;
            }
            break;
        case 't':
            o.access_token = optarg;
            break;
        case 's':
            o.app_secret = optarg;
            break;
        case 'a':
            audiences = optarg;
            break;
        case 'c':
            o.auto_create = true;
            break;
        case 'b':
            o.buc_calls = atoi(optarg);
            break;
        case 'w':
            o.buc_window_ms = atoll(optarg);
            break;
        default:
            usage();
            return 2;
        }
    }
    o.listen_host = host;
    sigset_t set;
    sgx_emu_block_signals(&set);
    sgx_emu_fb_t *e = NULL;
    sgx_err_t err = sgx_emu_fb_start(&o, &e);
    if (err) {
        fprintf(stderr, "segexport-emulator: cannot listen on %s:%u: %s\n", host, o.port,
                sgx_err_str(err));
        return 1;
    }
    if (audiences) {
        add_audiences(e, audiences);
    }
    sgx_emu_serve_until_signal(host, sgx_emu_fb_port(e), &set);
    sgx_emu_fb_stop(e);
    return 0;
}

int main(int argc, char **argv)
{
    for (size_t i = 0; argc > 1 && i < sizeof platforms / sizeof platforms[0]; i++) {
        if (strcmp(argv[1], platforms[i].name) == 0) {
            return platforms[i].run(argc - 1, argv + 1);
        }
    }
    usage();
    return 2;
}
