/* Microsoft Advertising emulator: server lifecycle, the OAuth token endpoint, header checks,
 * inspection endpoints and fault injection. The bulk job is in msads_bulk.c, the upload in
 * msads_upload.c, the SOAP face in msads_soap.c, ZIP handling in msads_zip.c and the
 * standalone `microsoft_ads` subcommand in msads_main.c. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "emulators/emu_common.h"
#include "emulators/msads_priv.h"

#define SCOPE "https://ads.microsoft.com/msads.manage"

int64_t sgx_emu_msads_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sgx_emu_msads_error(msads_reply_t *r, unsigned status, int code, const char *name,
                         const char *msg)
{
    r->status = status;
    json_decref(r->json);
    r->json = json_pack("{s:s, s:i, s:s, s:s}", "TrackingId", "emu-tracking", "Code", code,
                        "ErrorCode", name, "Message", msg);
}

/* The access token of a request. REST calls: `Authorization: Bearer <token>`, as the official
 * REST SDK sends it (BingAds-Python-SDK main 13.0.28 service_client.py create_rest_headers() ->
 * authorization.py OAuthAuthorization.enrich_headers()); an AuthenticationToken header there
 * is the SOAP API's (its soap:Header element, msads_soap.c) and is refused. The file upload:
 * the SDK published on PyPI (bingads 13.0.30.1, bulk_service_manager.py _upload_file_by_url())
 * and the Bulk upload guide (guides/bulk-download-upload, "HTTP POST") send AuthenticationToken,
 * the REST SDK sends Authorization: Bearer: both are accepted there. */
static const char *access_token(struct MHD_Connection *conn, bool upload)
{
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (auth && strncmp(auth, "Bearer ", 7) == 0 && auth[7]) {
        return auth + 7;
    }
    return upload ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "AuthenticationToken")
                  : NULL;
}

bool sgx_emu_msads_check_headers_locked(sgx_emu_msads_t *e, struct MHD_Connection *conn,
                                        bool upload, msads_reply_t *r)
{
    const char *tok = access_token(conn, upload);
    const char *dev = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "DeveloperToken");
    const char *cust = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "CustomerId");
    /* REST calls carry CustomerAccountId (create_rest_headers); the upload carries AccountId
     * (_upload_file_by_url and the guide's example), CustomerAccountId accepted as well. */
    const char *acct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "CustomerAccountId");
    if (upload && !acct) {
        acct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "AccountId");
    }
    return sgx_emu_msads_check_creds_locked(e, tok, dev, cust, acct, upload, r);
}

bool sgx_emu_msads_check_creds_locked(sgx_emu_msads_t *e, const char *tok, const char *dev,
                                      const char *cust, const char *acct, bool upload,
                                      msads_reply_t *r)
{
    json_t *exp = tok ? json_object_get(e->tokens, tok) : NULL;
    if (!exp) {
        e->stats.unauthorized++;
        sgx_emu_msads_error(r, 401, 105, "InvalidCredentials",
                            upload ? "invalid Authorization or AuthenticationToken"
                                   : "invalid Authorization: Bearer token");
        return false;
    }
    if (sgx_emu_msads_now_ms() >= json_integer_value(exp)) {
        e->stats.unauthorized++;
        sgx_emu_msads_error(r, 401, 109, "AuthenticationTokenExpired", "the token expired");
        return false;
    }
    if (!dev || strcmp(dev, e->dev_token) != 0 || !cust || strcmp(cust, e->customer) != 0 ||
        !acct || strcmp(acct, e->account) != 0) {
        sgx_emu_msads_error(r, 400, 105, "InvalidCredentials",
                            upload ? "DeveloperToken, CustomerId or AccountId refused"
                                   : "DeveloperToken, CustomerId or CustomerAccountId refused");
        return false;
    }
    return true;
}

static void token(sgx_emu_msads_t *e, const sgx_emu_body_t *body, msads_reply_t *r)
{
    sgx_emu_form_t f = {0};
    r->status = 400;
    if (sgx_emu_form_parse(body->buf.data ? body->buf.data : "", body->buf.len, &f) != SGX_OK) {
        r->json = json_pack("{s:s}", "error", "invalid_request");
        sgx_emu_form_free(&f);
        return;
    }
    const char *grant = sgx_emu_form_get(&f, "grant_type", NULL);
    const char *client = sgx_emu_form_get(&f, "client_id", NULL);
    const char *refresh = sgx_emu_form_get(&f, "refresh_token", NULL);
    const char *scope = sgx_emu_form_get(&f, "scope", NULL);
    pthread_mutex_lock(&e->mu);
    e->stats.token_requests++;
    if (!grant || strcmp(grant, "refresh_token") != 0) {
        r->json = json_pack("{s:s}", "error", "unsupported_grant_type");
    } else if (!client || strcmp(client, e->client) != 0) {
        r->json = json_pack("{s:s}", "error", "invalid_client");
    } else if (!refresh || !json_object_get(e->refresh_valid, refresh)) {
        e->stats.refresh_refused++;
        r->json = json_pack("{s:s}", "error", "invalid_grant");
    } else if (!scope || !strstr(scope, SCOPE)) {
        r->json = json_pack("{s:s}", "error", "invalid_scope");
    } else {
        char at[64];
        snprintf(at, sizeof at, "emu-at-%llu", (unsigned long long)++e->seq);
        json_object_set_new(e->tokens, at,
                            json_integer(sgx_emu_msads_now_ms() + e->token_ttl_s * 1000LL));
        /* Every grant returns a new refresh token that replaces the old one (Microsoft
         * identity platform; guides/authentication-oauth-get-tokens "Get the access_token,
         * refresh_token, and expires_in values"; the SDK passes each new pair to
         * token_refreshed_callback to be stored). The old one is not revoked at once - it
         * ages out (90 days, or when the user's consent changes): replicas sharing a token
         * keep working. sgx_emu_msads_retire_refresh_tokens() models that ageing: every
         * refresh token but the newest stops working. */
        if (e->rotate_refresh) {
            sgx_free(e->refresh);
            char rt[64];
            snprintf(rt, sizeof rt, "emu-rt-%llu", (unsigned long long)++e->seq);
            e->refresh = sgx_strdup(rt);
            json_object_set_new(e->refresh_valid, rt, json_true());
        }
        r->status = 200;
        r->json = json_pack("{s:s, s:s, s:i, s:s, s:s}", "access_token", at, "token_type",
                            "Bearer", "expires_in", e->token_ttl_s, "refresh_token", e->refresh,
                            "scope", SCOPE);
    }
    pthread_mutex_unlock(&e->mu);
    sgx_emu_form_free(&f);
}

static json_t *audience_json(sgx_emu_msads_t *e, const char *id)
{
    pthread_mutex_lock(&e->mu);
    json_t *set = json_object_get(e->lists, id), *out = NULL;
    if (set) {
        out = json_pack("{s:s, s:s?, s:I, s:o}", "id", id, "name",
                        json_string_value(json_object_get(e->names, id)), "count",
                        (json_int_t)json_object_size(set), "members",
                        sgx_emu_sorted_keys_json(set));
    }
    pthread_mutex_unlock(&e->mu);
    return out;
}

static json_t *stats_json(sgx_emu_msads_t *e)
{
    sgx_emu_msads_stats_t s;
    sgx_emu_msads_stats(e, &s);
    const sgx_emu_counter_t f[] = {
        {"requests", s.requests},           {"token_requests", s.token_requests},
        {"url_requests", s.url_requests},   {"uploads", s.uploads},
        {"status_requests", s.status_requests}, {"result_requests", s.result_requests},
        {"audience_queries", s.audience_queries},
        {"unauthorized", s.unauthorized},   {"throttled", s.throttled},
        {"failed_5xx", s.failed_5xx},       {"url_reused", s.url_reused},
        {"url_expired", s.url_expired},     {"terms_refused", s.terms_refused},
        {"row_count_exceeded", s.row_count_exceeded}, {"too_many", s.too_many},
        {"refresh_refused", s.refresh_refused},
        {"rows_received", s.rows_received}, {"rows_failed", s.rows_failed},
        {"lists_created", s.lists_created}, {"jobs_completed", s.jobs_completed},
        {"jobs_failed", s.jobs_failed}};
    return SGX_EMU_COUNTERS_JSON(f);
}

static bool admin_fault(sgx_emu_msads_t *e, const json_t *req)
{
    const char *kind = json_string_value(json_object_get(req, "kind"));
    int count = (int)json_integer_value(json_object_get(req, "count"));
    if (!kind) {
        return false;
    }
    if (strcmp(kind, "throttle") == 0) {
        sgx_emu_msads_inject_throttle(e, count);
    } else if (strcmp(kind, "5xx") == 0) {
        int code = (int)json_integer_value(json_object_get(req, "code"));
        sgx_emu_msads_inject_5xx(e, count, code ? code : 503);
    } else if (strcmp(kind, "expire_tokens") == 0) {
        sgx_emu_msads_expire_tokens(e);
    } else if (strcmp(kind, "expire_urls") == 0) {
        sgx_emu_msads_expire_urls(e);
    } else if (strcmp(kind, "fail_prefix") == 0) {
        sgx_emu_msads_fail_prefix(e, json_string_value(json_object_get(req, "prefix")));
    } else if (strcmp(kind, "fail_upload") == 0) {
        sgx_emu_msads_fail_uploads(e, count);
    } else if (strcmp(kind, "retire_refresh_tokens") == 0) {
        sgx_emu_msads_retire_refresh_tokens(e);
    } else if (strcmp(kind, "too_many") == 0) {
        sgx_emu_msads_inject_too_many(e, count);
    } else if (strcmp(kind, "final_status") == 0) {
        static const char *const known[] = {"Failed", "Expired", "Aborted", "SomethingNew"};
        const char *st = json_string_value(json_object_get(req, "status"));
        const char *pick = NULL;
        for (size_t i = 0; st && i < sizeof known / sizeof known[0]; i++) {
            pick = strcmp(st, known[i]) == 0 ? known[i] : pick;
        }
        if (!pick) {
            return false;
        }
        sgx_emu_msads_final_status(e, pick);
    } else if (strcmp(kind, "terms") == 0) {
        sgx_emu_msads_set_terms(e, json_is_true(json_object_get(req, "accepted")));
    } else {
        return false;
    }
    return true;
}

static void admin(sgx_emu_msads_t *e, const char *method, const sgx_emu_path_t *path,
                  const sgx_emu_body_t *body, msads_reply_t *r)
{
    const char *what = path->n > 1 ? path->seg[1] : "";
    r->status = 200;
    if (strcmp(method, "GET") == 0 && path->n == 3 && strcmp(what, "audiences") == 0) {
        r->json = audience_json(e, path->seg[2]);
        if (!r->json) {
            r->status = 404;
            r->json = json_pack("{s:s}", "error", "unknown audience");
        }
        return;
    }
    if (strcmp(method, "GET") == 0 && path->n == 2 && strcmp(what, "stats") == 0) {
        r->json = stats_json(e);
        return;
    }
    json_t *req = sgx_emu_body_json(body);
    const char *id = json_string_value(json_object_get(req, "id"));
    const char *name = json_string_value(json_object_get(req, "name"));
    if (strcmp(method, "POST") == 0 && path->n == 2 && strcmp(what, "audiences") == 0 && id) {
        if (name) {
            sgx_emu_msads_add_named_list(e, id, name);
        } else {
            sgx_emu_msads_add_list(e, id);
        }
        r->json = json_pack("{s:s}", "id", id);
    } else if (strcmp(method, "POST") == 0 && path->n == 2 && strcmp(what, "faults") == 0 &&
               admin_fault(e, req)) {
        r->json = json_pack("{s:b}", "ok", 1);
    } else {
        r->status = 404;
        r->json = json_pack("{s:s}", "error", "no such emulator endpoint");
    }
    json_decref(req);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    sgx_emu_msads_t *e = cls;
    (void)version;
    sgx_emu_body_t *body = sgx_emu_collect(con_cls, e->max_bytes + 65536, upload_data, upload_data_size);
    if (!body) {
        return MHD_YES;
    }
    sgx_emu_path_t path;
    msads_reply_t r = {.status = 404};
    bool fits = sgx_emu_path_split(url, &path) == SGX_OK;
    if (fits && path.n > 0 && strcmp(path.seg[0], "_emulator") == 0) {
        admin(e, method, &path, body, &r);
    } else {
        pthread_mutex_lock(&e->mu);
        e->stats.requests++;
        pthread_mutex_unlock(&e->mu);
        if (fits && path.n > 0 && strcmp(path.seg[path.n - 1], "token") == 0 &&
            strcmp(method, "POST") == 0) {
            token(e, body, &r);
        } else if (fits) {
            sgx_emu_msads_bulk(e, conn, method, &path, body, &r);
        } else {
            sgx_emu_msads_error(&r, 404, 0, "NotFound", "no such endpoint");
        }
    }
    sgx_emu_path_free(&path);
    enum MHD_Result ret;
    if (r.json) {
        ret = sgx_emu_reply_json(conn, r.status, r.json, NULL, NULL);
    } else {
        ret = sgx_emu_reply(conn, r.status, r.ctype ? r.ctype : "text/plain",
                            r.csv.data ? r.csv.data : "", r.csv.len, NULL, NULL);
    }
    sgx_buf_free(&r.csv);
    return ret;
}

#define DEF(v, d) sgx_strdup((v) ? (v) : (d))

sgx_err_t sgx_emu_msads_start(const sgx_emu_msads_opts_t *o, sgx_emu_msads_t **out)
{
    *out = NULL;
    const char *host = o->listen_host ? o->listen_host : "127.0.0.1";
    sgx_emu_msads_t *e = sgx_calloc(1, sizeof *e);
    snprintf(e->host, sizeof e->host, "%s", host);
    e->dev_token = DEF(o->developer_token, SGX_EMU_MSADS_DEV_TOKEN);
    e->customer = DEF(o->customer_id, SGX_EMU_MSADS_CUSTOMER);
    e->account = DEF(o->account_id, SGX_EMU_MSADS_ACCOUNT);
    e->client = DEF(o->client_id, SGX_EMU_MSADS_CLIENT);
    e->refresh = DEF(o->refresh_token, SGX_EMU_MSADS_REFRESH);
    e->refresh_valid = json_object();
    json_object_set_new(e->refresh_valid, e->refresh, json_true());
    e->token_ttl_s = o->token_ttl_s > 0 ? o->token_ttl_s : 3600;
    e->url_ttl_s = o->url_ttl_s > 0 ? o->url_ttl_s : 900;
    e->polls_before_done = o->polls_before_done > 0 ? o->polls_before_done : 0;
    e->row_cap = o->row_cap ? o->row_cap : 4000000;
    e->max_bytes = o->max_bytes ? o->max_bytes : (size_t)100 << 20;
    e->terms = o->terms_accepted;
    e->rotate_refresh = !o->fixed_refresh;
    e->lists = json_object();
    e->names = json_object();
    e->tokens = json_object();
    e->next_list = 9100000001ULL;
    sgx_emu_rl_init(&e->calls, o->api_calls, o->api_window_ms > 0 ? o->api_window_ms : 60000);
    pthread_mutex_init(&e->mu, NULL);
    sgx_err_t err = sgx_emu_server_start(o->listen_host, o->port, on_access, e, &e->mhd, &e->port);
    if (err) {
        sgx_emu_msads_stop(e);
        return err;
    }
    *out = e;
    return SGX_OK;
}

uint16_t sgx_emu_msads_port(const sgx_emu_msads_t *e)
{
    return e->port;
}

void sgx_emu_msads_stop(sgx_emu_msads_t *e)
{
    if (!e) {
        return;
    }
    if (e->mhd) {
        MHD_stop_daemon(e->mhd);
    }
    sgx_emu_msads_free_jobs(e);
    json_decref(e->lists);
    json_decref(e->names);
    json_decref(e->tokens);
    sgx_emu_rl_free(&e->calls);
    pthread_mutex_destroy(&e->mu);
    sgx_free(e->dev_token);
    sgx_free(e->customer);
    sgx_free(e->account);
    sgx_free(e->client);
    sgx_free(e->refresh);
    json_decref(e->refresh_valid);
    sgx_free(e);
}

void sgx_emu_msads_add_list(sgx_emu_msads_t *e, const char *id)
{
    pthread_mutex_lock(&e->mu);
    if (!json_object_get(e->lists, id)) {
        json_object_set_new(e->lists, id, json_object());
    }
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_add_named_list(sgx_emu_msads_t *e, const char *id, const char *name)
{
    sgx_emu_msads_add_list(e, id);
    pthread_mutex_lock(&e->mu);
    json_object_set_new(e->names, id, json_string(name));
    pthread_mutex_unlock(&e->mu);
}

long sgx_emu_msads_list_count(sgx_emu_msads_t *e, const char *id, const char *member)
{
    pthread_mutex_lock(&e->mu);
    json_t *set = json_object_get(e->lists, id);
    long n = !set ? -1 : member ? json_object_get(set, member) != NULL
                               : (long)json_object_size(set);
    pthread_mutex_unlock(&e->mu);
    return n;
}

bool sgx_emu_msads_find_list(sgx_emu_msads_t *e, const char *name, char *id, size_t cap)
{
    pthread_mutex_lock(&e->mu);
    bool found = sgx_emu_find_by_name(e->names, name, id, cap);
    pthread_mutex_unlock(&e->mu);
    return found;
}

void sgx_emu_msads_inject_throttle(sgx_emu_msads_t *e, int n)
{
    pthread_mutex_lock(&e->mu);
    e->throttle_n = n;
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_inject_5xx(sgx_emu_msads_t *e, int n, int status)
{
    pthread_mutex_lock(&e->mu);
    e->fail5xx_n = n;
    e->fail5xx_status = status >= 500 && status <= 599 ? status : 503;
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_expire_tokens(sgx_emu_msads_t *e)
{
    pthread_mutex_lock(&e->mu);
    sgx_emu_expire_tokens(e->tokens);
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_expire_urls(sgx_emu_msads_t *e)
{
    pthread_mutex_lock(&e->mu);
    for (msads_job_t *j = e->jobs; j; j = j->next) {
        j->issued_ms -= (int64_t)e->url_ttl_s * 1000 + 1;
    }
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_fail_prefix(sgx_emu_msads_t *e, const char *prefix)
{
    pthread_mutex_lock(&e->mu);
    snprintf(e->fail_prefix, sizeof e->fail_prefix, "%s", prefix ? prefix : "");
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_stall_jobs(sgx_emu_msads_t *e, bool stall)
{
    pthread_mutex_lock(&e->mu);
    e->stall = stall;
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_expire_results(sgx_emu_msads_t *e, bool gone)
{
    pthread_mutex_lock(&e->mu);
    e->results_gone = gone;
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_fail_uploads(sgx_emu_msads_t *e, int n)
{
    pthread_mutex_lock(&e->mu);
    e->fail_uploads_n = n;
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_set_row_cap(sgx_emu_msads_t *e, size_t n)
{
    pthread_mutex_lock(&e->mu);
    e->row_cap = n ? n : 4000000;
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_inject_too_many(sgx_emu_msads_t *e, int n)
{
    pthread_mutex_lock(&e->mu);
    e->too_many_n = n;
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_final_status(sgx_emu_msads_t *e, const char *status)
{
    pthread_mutex_lock(&e->mu);
    e->final_status = status;
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_retire_refresh_tokens(sgx_emu_msads_t *e)
{
    pthread_mutex_lock(&e->mu);
    json_object_clear(e->refresh_valid);
    json_object_set_new(e->refresh_valid, e->refresh, json_true());
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_refresh_token(sgx_emu_msads_t *e, char *out, size_t cap)
{
    pthread_mutex_lock(&e->mu);
    snprintf(out, cap, "%s", e->refresh);
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_set_terms(sgx_emu_msads_t *e, bool accepted)
{
    pthread_mutex_lock(&e->mu);
    e->terms = accepted;
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_msads_stats(sgx_emu_msads_t *e, sgx_emu_msads_stats_t *out)
{
    pthread_mutex_lock(&e->mu);
    *out = e->stats;
    pthread_mutex_unlock(&e->mu);
}
