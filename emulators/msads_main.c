/* `segexport-emulator microsoft_ads …`: the Microsoft Advertising emulator as a process. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulators/emu_common.h"
#include "emulators/msads.h"

/* ---- standalone ---------------------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: segexport-emulator microsoft_ads --listen HOST:PORT "
                    "[--developer-token T] [--customer-id C] [--account-id A] [--client-id I] "
                    "[--refresh-token R] [--token-ttl S] [--polls N] [--lists id1,id2] "
                    "[--terms-not-accepted] [--fixed-refresh-token] [--api-calls N] [--api-window-ms MS]\n");
    return 2;
}

static void add_list_cb(void *e, const char *id)
{
    sgx_emu_msads_add_list(e, id);
}

int sgx_emu_msads_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'}, {"developer-token", required_argument, NULL, 'd'},
        {"customer-id", required_argument, NULL, 'c'}, {"account-id", required_argument, NULL, 'a'},
        {"client-id", required_argument, NULL, 'i'}, {"refresh-token", required_argument, NULL, 'r'},
        {"token-ttl", required_argument, NULL, 't'}, {"polls", required_argument, NULL, 'p'},
        {"lists", required_argument, NULL, 'L'}, {"terms-not-accepted", no_argument, NULL, 'T'},
        {"fixed-refresh-token", no_argument, NULL, 'F'},
        {"api-calls", required_argument, NULL, 'A'}, {"api-window-ms", required_argument, NULL, 'W'},
        {NULL, 0, NULL, 0}};
    sgx_emu_msads_opts_t o = {.terms_accepted = true};
    char host[64] = "127.0.0.1";
    const char *lists = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'l': {
            const char *colon = strrchr(optarg, ':');
            if (!colon || colon == optarg || (size_t)(colon - optarg) >= sizeof host) {
                return usage();
            }
            memcpy(host, optarg, (size_t)(colon - optarg));
            host[colon - optarg] = '\0';
            o.port = (uint16_t)atoi(colon + 1);
            break;
        }
        case 'd': o.developer_token = optarg; break;
        case 'c': o.customer_id = optarg; break;
        case 'a': o.account_id = optarg; break;
        case 'i': o.client_id = optarg; break;
        case 'r': o.refresh_token = optarg; break;
        case 't': o.token_ttl_s = atoi(optarg); break;
        case 'p': o.polls_before_done = atoi(optarg); break;
        case 'L': lists = optarg; break;
        case 'T': o.terms_accepted = false; break;
        case 'F': o.fixed_refresh = true; break;
        case 'A': o.api_calls = atoi(optarg); break;
        case 'W': o.api_window_ms = atoll(optarg); break;
        default: return usage();
        }
    }
    o.listen_host = host;
    sigset_t set;
    sgx_emu_block_signals(&set);
    sgx_emu_msads_t *e = NULL;
    if (sgx_emu_msads_start(&o, &e) != SGX_OK) {
        fprintf(stderr, "segexport-emulator: cannot listen on %s:%u\n", host, o.port);
        return 1;
    }
    sgx_emu_for_each_csv(lists, add_list_cb, e);
    sgx_emu_serve_until_signal(host, sgx_emu_msads_port(e), &set);
    sgx_emu_msads_stop(e);
    return 0;
}
