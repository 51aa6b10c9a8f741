/* Server lifecycle shared by the destination emulators (see emu_common.h). */
#include "emulators/emu_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

static void conn_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
    sgx_emu_body_t *body = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (body) {
        sgx_emu_body_free(body);
        sgx_free(body);
        *con_cls = NULL;
    }
}

sgx_err_t sgx_emu_server_start(const char *listen_host, uint16_t port,
                               MHD_AccessHandlerCallback access, void *cls,
                               struct MHD_Daemon **mhd, uint16_t *bound_port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, listen_host ? listen_host : "127.0.0.1", &sa.sin_addr) != 1) {
        return SGX_ERR_CONFIG;
    }
    *mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_THREAD_PER_CONNECTION, port,
                            NULL, NULL, access, cls, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_NOTIFY_COMPLETED, conn_completed, NULL,
                            MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_END);
    if (!*mhd) {
        return SGX_ERR_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(*mhd, MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = info ? info->port : port;
    return SGX_OK;
}

sgx_emu_body_t *sgx_emu_collect(void **con_cls, size_t cap, const char *upload_data,
                                size_t *upload_data_size)
{
    sgx_emu_body_t *body = *con_cls;
    if (!body) {
        body = sgx_calloc(1, sizeof *body);
        sgx_emu_body_init(body, cap);
        *con_cls = body;
        return NULL;
    }
    if (*upload_data_size) {
        sgx_emu_body_append(body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return NULL;
    }
    return body;
}

int sgx_emu_parse_listen(const char *arg, char *host, size_t cap, uint16_t *port)
{
    const char *colon = strrchr(arg, ':');
    char *end = NULL;
    long p = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == arg || (size_t)(colon - arg) >= cap || *end || p < 0 || p > 65535) {
        return -1;
    }
    memcpy(host, arg, (size_t)(colon - arg));
    host[colon - arg] = '\0';
    *port = (uint16_t)p;
    return 0;
}

void sgx_emu_block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

void sgx_emu_serve_until_signal(const char *host, uint16_t port, const sigset_t *set)
{
    printf("listening on %s:%u\n", host, port);
    fflush(stdout);
    int sig = 0;
    sigwait(set, &sig);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *sgx_emu_sorted_keys_json(const json_t *set)
{
    size_t n = json_object_size(set), i = 0;
    const char **keys = sgx_malloc((n ? n : 1) * sizeof *keys);
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)set, key, val) {
        keys[i++] = key;
    }
    qsort(keys, n, sizeof *keys, cmp_str_ptr);
    json_t *arr = json_array();
    for (i = 0; i < n; i++) {
        json_array_append_new(arr, json_string_nocheck(keys[i]));
    }
    sgx_free(keys);
    return arr;
}

enum MHD_Result sgx_emu_reply_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    return sgx_emu_reply_json(conn, status, json_pack("{s:s}", "error", msg), NULL, NULL);
}

enum MHD_Result sgx_emu_reply_ok(struct MHD_Connection *conn)
{
    return sgx_emu_reply_json(conn, 200, json_pack("{s:b}", "ok", 1), NULL, NULL);
}

json_t *sgx_emu_body_json(const sgx_emu_body_t *body)
{
    return json_loadb(body->buf.data ? body->buf.data : "", body->buf.len, 0, NULL);
}

json_t *sgx_emu_set_get(json_t *sets, const char *id, bool create)
{
    json_t *set = json_object_get(sets, id);
    /* json_object_set_new rejects ids that are not UTF-8, which then read as unknown. */
    if (!set && create && *id && json_object_set_new(sets, id, json_object()) == 0) {
        set = json_object_get(sets, id);
    }
    return set;
}

bool sgx_emu_find_by_name(const json_t *names, const char *name, char *out, size_t cap)
{
    const char *id;
    json_t *v;
    json_object_foreach((json_t *)names, id, v) {
        if (strcmp(json_string_value(v), name) == 0) {
            snprintf(out, cap, "%s", id);
            return true;
        }
    }
    return false;
}

void sgx_emu_expire_tokens(json_t *tokens)
{
    const char *k;
    json_t *v;
    json_object_foreach(tokens, k, v) {
        json_integer_set(v, 0);
    }
}

json_t *sgx_emu_counters_json(const sgx_emu_counter_t *c, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        json_object_set_new(o, c[i].name, json_integer((json_int_t)c[i].v));
    }
    return o;
}

void sgx_emu_for_each_csv(const char *csv, void (*add)(void *ctx, const char *id), void *ctx)
{
    if (!csv) {
        return;
    }
    char *copy = sgx_strdup(csv), *save = NULL;
    for (char *id = strtok_r(copy, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
        add(ctx, id);
    }
    sgx_free(copy);
}
