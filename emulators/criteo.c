/* Criteo emulator server: lifecycle, libmicrohttpd glue, the CLI, and the unauthenticated
 * inspection endpoints under /_emulator/:
 *   GET  /_emulator/audiences/{id}  -> {"id","name"?,"count","members":[sorted]} or 404
 *   POST /_emulator/audiences       {"id":"..."} creates one
 *   GET  /_emulator/stats           -> the sgx_emu_criteo_stats_t counters
 *   POST /_emulator/faults          {"kind":"throttle|5xx|expire_tokens","count","code","param"}
 * The API itself is in criteo_api.c. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "emulators/criteo_priv.h"
#include "emulators/emu_common.h"

#define CRT_DEFAULT_ID "test-client"
#define CRT_DEFAULT_SECRET "test-secret"
#define CRT_DEFAULT_MAX_BODY ((size_t)16 << 20)
/* Supported at 2026-12: stable 2026-01 (until January 2027) and 2026-07, release candidate
 * 2027-01 (API Versioning Policy, developers.criteo.com/criteo-apis/docs/versioning-policy;
 * criteo-api-marketingsolutions-sdk publishes 2026.1, 2026.7 and 2027.1 builds, 2025.10 no
 * longer after 2026-06). */
#define CRT_DEFAULT_VERSIONS "2026-01,2026-07,2027-01"

json_t *sgx_emu_crt_audience_locked(sgx_emu_criteo_t *e, const char *id, bool create)
{
    return sgx_emu_set_get(e->audiences, id, create);
}

static enum MHD_Result admin_audience(sgx_emu_criteo_t *e, struct MHD_Connection *conn,
                                      const char *id)
{
    pthread_mutex_lock(&e->mu);
    json_t *set = sgx_emu_crt_audience_locked(e, id, false);
    json_t *reply = set ? json_pack("{s:s, s:I, s:o}", "id", id, "count",
                                    (json_int_t)json_object_size(set), "members",
                                    sgx_emu_sorted_keys_json(set))
                        : NULL;
    json_t *name = json_object_get(e->names, id);
    if (reply && name) {
        json_object_set(reply, "name", name);
    }
    pthread_mutex_unlock(&e->mu);
    if (!reply) {
        return sgx_emu_reply_error(conn, 404, "unknown audience");
    }
    return sgx_emu_reply_json(conn, 200, reply, NULL, NULL);
}

static json_t *stats_json(sgx_emu_criteo_t *e)
{
    sgx_emu_criteo_stats_t s;
    sgx_emu_criteo_stats(e, &s);
    const sgx_emu_counter_t f[] = {{"requests", s.requests},           {"token_requests", s.token_requests},
             {"tokens_issued", s.tokens_issued}, {"token_rejected", s.token_rejected},
             {"unauthorized", s.unauthorized},   {"expired", s.expired},
             {"add_requests", s.add_requests},   {"remove_requests", s.remove_requests},
             {"wipe_requests", s.wipe_requests}, {"create_requests", s.create_requests},
             {"search_requests", s.search_requests},
             {"identifiers_valid", s.identifiers_valid},
             {"identifiers_invalid", s.identifiers_invalid},
             {"max_identifiers", s.max_identifiers},
             {"throttled", s.throttled},         {"rate_limited", s.rate_limited},
             {"failed_5xx", s.failed_5xx},       {"rejected_4xx", s.rejected_4xx},
             {"peak_window_calls", s.peak_window_calls}};
    return SGX_EMU_COUNTERS_JSON(f);
}

static enum MHD_Result admin_faults(sgx_emu_criteo_t *e, struct MHD_Connection *conn,
                                    const json_t *req)
{
    const char *kind = json_string_value(json_object_get(req, "kind"));
    int count = (int)json_integer_value(json_object_get(req, "count"));
    int code = (int)json_integer_value(json_object_get(req, "code"));
    int param = (int)json_integer_value(json_object_get(req, "param"));
    if (kind && strcmp(kind, "throttle") == 0) {
        sgx_emu_criteo_inject(e, SGX_EMU_CRT_THROTTLE, count, code, param);
    } else if (kind && strcmp(kind, "5xx") == 0) {
        sgx_emu_criteo_inject(e, SGX_EMU_CRT_5XX, count, code, param);
    } else if (kind && strcmp(kind, "expire_tokens") == 0) {
        sgx_emu_criteo_expire_tokens(e);
    } else {
        return sgx_emu_reply_error(conn, 400, "kind must be throttle, 5xx or expire_tokens");
    }
    return sgx_emu_reply_ok(conn);
}

static enum MHD_Result admin(sgx_emu_criteo_t *e, struct MHD_Connection *conn,
                             const char *method, const sgx_emu_path_t *path,
                             const sgx_emu_body_t *body)
{
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    const char *what = path->n > 1 ? path->seg[1] : "";
    if (get && path->n == 3 && strcmp(what, "audiences") == 0) {
        return admin_audience(e, conn, path->seg[2]);
    }
    if (get && path->n == 2 && strcmp(what, "stats") == 0) {
        return sgx_emu_reply_json(conn, 200, stats_json(e), NULL, NULL);
    }
    if (!post || path->n != 2 || body->overflow) {
        return sgx_emu_reply_error(conn, 404, "no such emulator endpoint");
    }
    json_t *req = sgx_emu_body_json(body);
    const char *id = json_string_value(json_object_get(req, "id"));
    enum MHD_Result ret;
    if (!json_is_object(req)) {
        ret = sgx_emu_reply_error(conn, 400, "expected a JSON object");
    } else if (strcmp(what, "audiences") == 0 && id && *id) {
        sgx_emu_criteo_add_audience(e, id);
        ret = sgx_emu_reply_json(conn, 200, json_pack("{s:s}", "id", id), NULL, NULL);
    } else if (strcmp(what, "faults") == 0) {
        ret = admin_faults(e, conn, req);
    } else {
        ret = sgx_emu_reply_error(conn, 404, "no such emulator endpoint");
    }
    json_decref(req);
    return ret;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, sgx_emu_crt_reply_t *r)
{
    char *text = json_dumps(r->json, JSON_COMPACT);
    json_decref(r->json);
    r->json = NULL;
    if (!text) {
        return MHD_NO;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (r->ratelimit) {
        char v[32];
        snprintf(v, sizeof v, "%lld", r->rl_limit);
        MHD_add_response_header(resp, "x-ratelimit-limit", v);
        snprintf(v, sizeof v, "%lld", r->rl_remaining);
        MHD_add_response_header(resp, "x-ratelimit-remaining", v);
        snprintf(v, sizeof v, "%lld", r->rl_reset);
        MHD_add_response_header(resp, "x-ratelimit-reset", v);
    }
    if (r->date[0]) {
        /* The same clock reading as x-ratelimit-reset, so a client can subtract the two. */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_DATE, r->date);
    }
    enum MHD_Result ret = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result crt_access(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    sgx_emu_criteo_t *e = cls;
    (void)version;
    sgx_emu_body_t *body = sgx_emu_collect(con_cls, e->max_body, upload_data, upload_data_size);
    if (!body) {
        return MHD_YES;
    }
    sgx_emu_path_t path;
    bool fits = sgx_emu_path_split(url, &path) == SGX_OK;
    enum MHD_Result ret;
    if (fits && path.n > 0 && strcmp(path.seg[0], "_emulator") == 0) {
        ret = admin(e, conn, method, &path, body);
    } else {
        sgx_emu_crt_reply_t r;
        memset(&r, 0, sizeof r);
        if (fits) {
            sgx_emu_crt_api(e, conn, method, &path, body, &r);
        }
        if (!r.json) {
            r.status = 404;
            r.json = json_pack("{s:[{s:s}], s:[]}", "errors", "code", "route-not-found",
                               "warnings");
        }
        ret = send_reply(conn, &r);
    }
    sgx_emu_path_free(&path);
    return ret;
}

static void add_version(void *e, const char *v)
{
    json_object_set_new(((sgx_emu_criteo_t *)e)->versions, v, json_true());
}

sgx_err_t sgx_emu_criteo_start(const sgx_emu_criteo_opts_t *o, sgx_emu_criteo_t **out)
{
    *out = NULL;
    sgx_emu_criteo_t *e = sgx_calloc(1, sizeof *e);
    e->client_id = sgx_strdup(o->client_id ? o->client_id : CRT_DEFAULT_ID);
    e->client_secret = sgx_strdup(o->client_secret ? o->client_secret : CRT_DEFAULT_SECRET);
    e->token_ttl_s = o->token_ttl_s > 0 ? o->token_ttl_s : 900;
    e->max_identifiers = o->max_identifiers ? o->max_identifiers : 50000;
    e->rate_limit = o->rate_limit ? o->rate_limit : 250;
    e->rate_window_s = o->rate_window_s > 0 ? o->rate_window_s : 60;
    e->max_body = o->max_body_bytes ? o->max_body_bytes : CRT_DEFAULT_MAX_BODY;
    e->auto_create = o->auto_create;
    e->audiences = json_object();
    e->names = json_object();
    e->advertisers = json_object();
    e->versions = json_object();
    sgx_emu_for_each_csv(o->versions ? o->versions : CRT_DEFAULT_VERSIONS, add_version, e);
    e->tokens = json_object();
    e->win = -1;
    pthread_mutex_init(&e->mu, NULL);
    sgx_err_t err = sgx_emu_server_start(o->listen_host, o->port, crt_access, e, &e->mhd, &e->port);
    if (err) {
        sgx_emu_criteo_stop(e);
        return err;
    }
    *out = e;
    return SGX_OK;
}

uint16_t sgx_emu_criteo_port(const sgx_emu_criteo_t *e)
{
    return e->port;
}

void sgx_emu_criteo_stop(sgx_emu_criteo_t *e)
{
    if (!e) {
        return;
    }
    if (e->mhd) {
        MHD_stop_daemon(e->mhd);
    }
    json_decref(e->audiences);
    json_decref(e->names);
    json_decref(e->advertisers);
    json_decref(e->versions);
    json_decref(e->tokens);
    pthread_mutex_destroy(&e->mu);
    sgx_free(e->client_id);
    sgx_free(e->client_secret);
    sgx_free(e);
}

void sgx_emu_criteo_add_audience(sgx_emu_criteo_t *e, const char *id)
{
    pthread_mutex_lock(&e->mu);
    sgx_emu_crt_audience_locked(e, id, true);
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_criteo_create_segment(sgx_emu_criteo_t *e, const char *advertiser,
                                   const char *name, char *out, size_t cap)
{
    pthread_mutex_lock(&e->mu);
    sgx_emu_crt_create_locked(e, advertiser, name, out, cap);
    pthread_mutex_unlock(&e->mu);
}

bool sgx_emu_criteo_find_by_name(sgx_emu_criteo_t *e, const char *name, char *out, size_t cap)
{
    pthread_mutex_lock(&e->mu);
    bool found = sgx_emu_find_by_name(e->names, name, out, cap);
    pthread_mutex_unlock(&e->mu);
    return found;
}

long sgx_emu_criteo_count(sgx_emu_criteo_t *e, const char *id)
{
    pthread_mutex_lock(&e->mu);
    json_t *set = sgx_emu_crt_audience_locked(e, id, false);
    long n = set ? (long)json_object_size(set) : -1;
    pthread_mutex_unlock(&e->mu);
    return n;
}

void sgx_emu_criteo_inject(sgx_emu_criteo_t *e, sgx_emu_crt_fault_t kind, int count, int code,
                           int param)
{
    pthread_mutex_lock(&e->mu);
    e->fault = kind;
    e->fault_left = count;
    e->fault_code = code;
    e->fault_param = param;
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_criteo_expire_tokens(sgx_emu_criteo_t *e)
{
    pthread_mutex_lock(&e->mu);
    sgx_emu_expire_tokens(e->tokens);
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_criteo_set_client_secret(sgx_emu_criteo_t *e, const char *secret)
{
    char *s = sgx_strdup(secret);
    pthread_mutex_lock(&e->mu);
    sgx_free(e->client_secret);
    e->client_secret = s;
    sgx_emu_expire_tokens(e->tokens);
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_criteo_stats(sgx_emu_criteo_t *e, sgx_emu_criteo_stats_t *out)
{
    pthread_mutex_lock(&e->mu);
    *out = e->stats;
    pthread_mutex_unlock(&e->mu);
}

/* ---- `segexport-emulator criteo` ------------------------------------------------------------ */

static int usage(void)
{
    fprintf(stderr, "usage: segexport-emulator criteo --listen HOST:PORT [--client-id ID] "
                    "[--client-secret S] [--audiences id1,id2] [--token-ttl SECONDS] "
                    "[--rate-limit N] [--rate-window SECONDS] [--max-identifiers N] "
                    "[--auto-create] [--versions 2026-07,...]\n");
    return 2;
}

static void add_audience_cb(void *e, const char *id)
{
    sgx_emu_criteo_add_audience(e, id);
}

int sgx_emu_criteo_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},   {"client-id", required_argument, NULL, 'i'},
        {"client-secret", required_argument, NULL, 's'},
        {"audiences", required_argument, NULL, 'a'}, {"token-ttl", required_argument, NULL, 't'},
        {"rate-limit", required_argument, NULL, 'r'},
        {"rate-window", required_argument, NULL, 'w'},
        {"max-identifiers", required_argument, NULL, 'm'},
        {"auto-create", no_argument, NULL, 'c'},
        {"versions", required_argument, NULL, 'v'},  {NULL, 0, NULL, 0}};
    sgx_emu_criteo_opts_t o = {.port = 0};
    char host[64] = "127.0.0.1";
    const char *audiences = NULL;
    bool listen = false;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (sgx_emu_parse_listen(optarg, host, sizeof host, &o.port) != 0) {
                return usage();
            }
            listen = true;
            break;
        case 'i': o.client_id = optarg; break;
        case 's': o.client_secret = optarg; break;
        case 'a': audiences = optarg; break;
        case 't': o.token_ttl_s = atoi(optarg); break;
        case 'r': o.rate_limit = atoi(optarg); break;
        case 'w': o.rate_window_s = atoi(optarg); break;
        case 'm': o.max_identifiers = (size_t)strtoul(optarg, NULL, 10); break;
        case 'c': o.auto_create = true; break;
        case 'v': o.versions = optarg; break;
        default: return usage();
        }
    }
    if (!listen) {
        return usage();
    }
    o.listen_host = host;
    sigset_t set;
    sgx_emu_block_signals(&set);
    sgx_emu_criteo_t *e = NULL;
    sgx_err_t err = sgx_emu_criteo_start(&o, &e);
    if (err) {
        fprintf(stderr, "segexport-emulator: cannot listen on %s:%u: %s\n", host, o.port,
                sgx_err_str(err));
        return 1;
    }
    sgx_emu_for_each_csv(audiences, add_audience_cb, e);
    sgx_emu_serve_until_signal(host, sgx_emu_criteo_port(e), &set);
    sgx_emu_criteo_stop(e);
    return 0;
}
