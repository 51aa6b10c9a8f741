/* Meta emulator server: lifecycle, libmicrohttpd glue, request log and the unauthenticated
 * inspection endpoints under /_emulator/:
 *   GET  /_emulator/audiences/{id}   -> {"id","count","members":[sorted]} or 404
 *   POST /_emulator/audiences        {"id":"..."} creates one
 *   GET  /_emulator/stats            -> the sgx_emu_fb_stats_t counters
 *   POST /_emulator/faults           {"kind":"throttle|5xx|delay","count","code","param"} or
 *                                    {"kind":"random","p","max_delay_ms","seed"}
 *   GET  /_emulator/requests?last=N  -> last N request summaries (no row values)
 *   POST /_emulator/token            {"access_token":"..."} replaces the accepted token (revoke,
 *                                    rotate: the old one then gets code 190)
 *   POST /_emulator/refuse           {"member":"..."} refuses requests holding that row
 *   DELETE /_emulator/audiences/{id} deletes an audience (then code 100, subcode 33)
 * The Graph endpoints themselves are in facebook_graph.c (/users, GET of an audience) and
 * facebook_account.c (act_{id}/customaudiences: create, list). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "emulators/emu_common.h"
#include "emulators/facebook_priv.h"

#define FB_DEFAULT_TOKEN "test-token"
#define FB_DEFAULT_MAX_ROWS 10000
#define FB_DEFAULT_MAX_BODY ((size_t)16 << 20)

static sgx_emu_strset_t *set_of(const json_t *v)
{
    return v ? (sgx_emu_strset_t *)(intptr_t)json_integer_value(v) : NULL;
}

sgx_emu_strset_t *sgx_emu_fb_audience_locked(sgx_emu_fb_t *e, const char *id, bool create)
{
    sgx_emu_strset_t *set = set_of(json_object_get(e->audiences, id));
    if (set || !create || !*id) {
        return set;
    }
    set = sgx_emu_strset_new();
    /* json_object_set_new rejects ids that are not UTF-8, which then read as unknown. */
    if (json_object_set_new(e->audiences, id, json_integer((json_int_t)(intptr_t)set)) != 0) {
        sgx_emu_strset_destroy(set);
        return NULL;
    }
    return set;
}

/* Frees an audience's members and forgets its id. @locks_required e->mu (or sole owner). */
static void fb_drop_audience(sgx_emu_fb_t *e, const char *id)
{
    sgx_emu_strset_destroy(set_of(json_object_get(e->audiences, id)));
    json_object_del(e->audiences, id);
}

double sgx_emu_fb_rand_locked(sgx_emu_fb_t *e)
{
    /* xorshift64*: tiny, and deterministic for a given seed, which is all the tests need. */
    e->rng ^= e->rng >> 12;
    e->rng ^= e->rng << 25;
    e->rng ^= e->rng >> 27;
    return (double)((e->rng * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static enum MHD_Result fb_admin_audience(sgx_emu_fb_t *e, struct MHD_Connection *conn,
                                         const char *id)
{
    pthread_mutex_lock(&e->mu);
    sgx_emu_strset_t *set = sgx_emu_fb_audience_locked(e, id, false);
    json_t *reply = set ? json_pack("{s:s, s:I, s:o}", "id", id, "count",
                                    (json_int_t)sgx_emu_strset_count(set), "members",
                                    sgx_emu_strset_sorted_json(set))
                        : NULL;
    pthread_mutex_unlock(&e->mu);
    if (!reply) {
        return sgx_emu_reply_error(conn, 404, "unknown audience");
    }
    return sgx_emu_reply_json(conn, 200, reply, NULL, NULL);
}

static enum MHD_Result fb_admin_create(sgx_emu_fb_t *e, struct MHD_Connection *conn,
                                       const json_t *req)
{
    const char *id = json_string_value(json_object_get(req, "id"));
    if (!id || !*id) {
        return sgx_emu_reply_error(conn, 400, "expected {\"id\":\"...\"}");
    }
    sgx_emu_fb_add_audience(e, id);
    return sgx_emu_reply_json(conn, 200, json_pack("{s:s}", "id", id), NULL, NULL);
}

static enum MHD_Result fb_admin_faults(sgx_emu_fb_t *e, struct MHD_Connection *conn,
                                       const json_t *req)
{
    static const struct {
        const char *name;
        sgx_emu_fault_kind_t kind;
    } kinds[] = {{"throttle", SGX_EMU_FAULT_THROTTLE},
                 {"5xx", SGX_EMU_FAULT_5XX},
                 {"delay", SGX_EMU_FAULT_DELAY},
                 {"unconfirmed", SGX_EMU_FAULT_UNCONFIRMED}};
    const char *kind = json_string_value(json_object_get(req, "kind"));
    int count = (int)json_integer_value(json_object_get(req, "count"));
    int code = (int)json_integer_value(json_object_get(req, "code"));
    int param = (int)json_integer_value(json_object_get(req, "param"));
    if (kind && strcmp(kind, "random") == 0) {
        sgx_emu_fb_random_faults(e, json_number_value(json_object_get(req, "p")),
                                 (int)json_integer_value(json_object_get(req, "max_delay_ms")),
                                 (unsigned)json_integer_value(json_object_get(req, "seed")));
        return sgx_emu_reply_ok(conn);
    }
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(kind, kinds[i].name) == 0) {
            sgx_emu_fb_inject(e, kinds[i].kind, count, code, param);
            return sgx_emu_reply_ok(conn);
        }
    }
    return sgx_emu_reply_error(conn, 400,
                               "kind must be throttle, 5xx, delay, unconfirmed or random");
}

static enum MHD_Result fb_admin_set(sgx_emu_fb_t *e, struct MHD_Connection *conn,
                                    const char *what, const json_t *req)
{
    const char *key = strcmp(what, "token") == 0 ? "access_token" : "member";
    const char *v = json_string_value(json_object_get(req, key));
    if (!v || !*v) {
        return sgx_emu_reply_error(conn, 400, "expected a non-empty string value");
    }
    if (strcmp(what, "token") == 0) {
        sgx_emu_fb_set_token(e, v);
    } else {
        sgx_emu_fb_refuse_member(e, v);
    }
    return sgx_emu_reply_ok(conn);
}

static json_t *fb_stats_json(sgx_emu_fb_t *e)
{
    sgx_emu_fb_stats_t s;
    sgx_emu_fb_stats(e, &s);
    const sgx_emu_counter_t f[] = {
        {"requests", s.requests},           {"add_requests", s.add_requests},
        {"remove_requests", s.remove_requests}, {"rows_received", s.rows_received},
        {"rows_invalid", s.rows_invalid},   {"throttled", s.throttled},
        {"failed_5xx", s.failed_5xx},       {"rejected_4xx", s.rejected_4xx}};
    return SGX_EMU_COUNTERS_JSON(f);
}

static json_t *fb_requests_json(sgx_emu_fb_t *e, struct MHD_Connection *conn)
{
    const char *last = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "last");
    long want = last ? strtol(last, NULL, 10) : 20;
    json_t *arr = json_array();
    pthread_mutex_lock(&e->mu);
    uint64_t avail = e->log_total < SGX_EMU_FB_LOG_SIZE ? e->log_total : SGX_EMU_FB_LOG_SIZE;
    uint64_t n = want < 0 ? 0 : (uint64_t)want < avail ? (uint64_t)want : avail;
    for (uint64_t i = e->log_total - n; i < e->log_total; i++) {
        const sgx_emu_fb_logent_t *ent = &e->log[i % SGX_EMU_FB_LOG_SIZE];
        json_array_append_new(arr, json_pack("{s:s, s:s?, s:I, s:i, s:i}", "method", ent->method,
                                             "audience", ent->audience[0] ? ent->audience : NULL,
                                             "rows", (json_int_t)ent->rows, "status",
                                             (int)ent->status, "code", ent->code));
    }
    pthread_mutex_unlock(&e->mu);
    return arr;
}

static enum MHD_Result fb_admin(sgx_emu_fb_t *e, struct MHD_Connection *conn, const char *method,
                                const sgx_emu_path_t *path, const sgx_emu_body_t *body)
{
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    const char *what = path->n > 1 ? path->seg[1] : "";
    if (get && path->n == 3 && strcmp(what, "audiences") == 0) {
        return fb_admin_audience(e, conn, path->seg[2]);
    }
    if (strcmp(method, "DELETE") == 0 && path->n == 3 && strcmp(what, "audiences") == 0) {
        sgx_emu_fb_delete_audience(e, path->seg[2]);
        return sgx_emu_reply_ok(conn);
    }
    if (get && path->n == 2 && strcmp(what, "stats") == 0) {
        return sgx_emu_reply_json(conn, 200, fb_stats_json(e), NULL, NULL);
    }
    if (get && path->n == 2 && strcmp(what, "requests") == 0) {
        return sgx_emu_reply_json(conn, 200, fb_requests_json(e, conn), NULL, NULL);
    }
    if (!post || path->n != 2 || body->overflow) {
        return sgx_emu_reply_error(conn, 404, "no such emulator endpoint");
    }
    json_t *req = sgx_emu_body_json(body);
    enum MHD_Result ret;
    if (!json_is_object(req)) {
        ret = sgx_emu_reply_error(conn, 400, "expected a JSON object");
    } else if (strcmp(what, "audiences") == 0) {
        ret = fb_admin_create(e, conn, req);
    } else if (strcmp(what, "faults") == 0) {
        ret = fb_admin_faults(e, conn, req);
    } else if (strcmp(what, "token") == 0 || strcmp(what, "refuse") == 0) {
        ret = fb_admin_set(e, conn, what, req);
    } else {
        ret = sgx_emu_reply_error(conn, 404, "no such emulator endpoint");
    }
    json_decref(req);
    return ret;
}

static void fb_record(sgx_emu_fb_t *e, const char *method, const sgx_emu_fb_reply_t *r)
{
    pthread_mutex_lock(&e->mu);
    e->stats.requests++;
    if (r->throttled) {
        e->stats.throttled++;
    } else if (r->status >= 500) {
        e->stats.failed_5xx++;
    } else if (r->status >= 400) {
        e->stats.rejected_4xx++;
    }
    sgx_emu_fb_logent_t *ent = &e->log[e->log_total++ % SGX_EMU_FB_LOG_SIZE];
    snprintf(ent->method, sizeof ent->method, "%s", method);
    snprintf(ent->audience, sizeof ent->audience, "%s", r->audience);
    ent->rows = r->rows;
    ent->status = r->status;
    ent->code = r->code;
    pthread_mutex_unlock(&e->mu);
}

static enum MHD_Result fb_serve_graph(sgx_emu_fb_t *e, struct MHD_Connection *conn,
                                      const char *method, const sgx_emu_path_t *path,
                                      const sgx_emu_body_t *body)
{
    sgx_emu_fb_reply_t r;
    memset(&r, 0, sizeof r);
    sgx_emu_fb_graph(e, conn, method, path, body, &r);
    fb_record(e, method, &r);
    if (r.text) {
        json_decref(r.json);
        return sgx_emu_reply(conn, r.status, "text/plain", r.text, strlen(r.text), NULL, NULL);
    }
    return sgx_emu_reply_json(conn, r.status, r.json,
                              r.usage_hdr[0] ? "X-Business-Use-Case-Usage" : NULL, r.usage_hdr);
}

static enum MHD_Result fb_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    sgx_emu_fb_t *e = cls;
    (void)version;
    sgx_emu_body_t *body = sgx_emu_collect(con_cls, e->max_body, upload_data, upload_data_size);
    if (!body) {
        return MHD_YES;
    }
    sgx_emu_path_t path;
    bool fits = sgx_emu_path_split(url, &path) == SGX_OK;
    enum MHD_Result ret;
    if (fits && path.n > 0 && strcmp(path.seg[0], "_emulator") == 0) {
        ret = fb_admin(e, conn, method, &path, body);
    } else {
        ret = fb_serve_graph(e, conn, method, &path, body);
    }
    sgx_emu_path_free(&path);
    return ret;
}

/* appsecret_proof = lowercase hex HMAC-SHA256(key = app secret, message = access token). */
static char *fb_proof(const char *secret, const char *token)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)token, strlen(token),
         md, &md_len);
    char *hex = sgx_malloc(md_len * 2 + 1);
    for (unsigned int i = 0; i < md_len; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    hex[md_len * 2] = '\0';
    return hex;
}

/* Business-use-case limits (https://developers.facebook.com/docs/graph-api/overview/rate-limiting
 * "Business Use Case Rate Limits", and https://developers.facebook.com/docs/marketing-api/overview/
 * rate-limiting): calls are counted over a rolling hour per business object and use case; the
 * X-Business-Use-Case-Usage header reports, per object id, entries {type, call_count,
 * total_cputime, total_time (percent of the allowance), estimated_time_to_regain_access
 * (minutes)}, and "when the call count reaches 100%" requests fail until it drops. That the
 * custom_audience use case refuses with code 80003 is only partially confirmed: the error-code
 * table lists 80003 for custom audiences, but no page shows a /users reply carrying it. The
 * emulator models call_count only; the time figures are reported as a quarter of it. */
bool sgx_emu_fb_buc_take(sgx_emu_fb_t *e, sgx_emu_fb_reply_t *r, int *regain_min)
{
    int64_t now = sgx_emu_rl_now_ms();
    pthread_mutex_lock(&e->mu);
    if (e->buc.limit <= 0) {
        pthread_mutex_unlock(&e->mu);
        return true;
    }
    bool ok = sgx_emu_rl_take(&e->buc, now);
    int pct = sgx_emu_rl_pct(&e->buc, now);
    *regain_min = (int)(sgx_emu_rl_regain_ms(&e->buc, now) / 60000);
    pthread_mutex_unlock(&e->mu);
    snprintf(r->usage_hdr, sizeof r->usage_hdr,
             "{\"" FB_BUSINESS_ID "\":[{\"type\":\"custom_audience\",\"call_count\":%d,"
             "\"total_cputime\":%d,\"total_time\":%d,\"estimated_time_to_regain_access\":0}]}",
             pct, pct / 4, pct / 4);
    return ok;
}

sgx_err_t sgx_emu_fb_start(const sgx_emu_fb_opts_t *o, sgx_emu_fb_t **out)
{
    *out = NULL;
    sgx_emu_fb_t *e = sgx_calloc(1, sizeof *e);
    e->token = sgx_strdup(o->access_token ? o->access_token : FB_DEFAULT_TOKEN);
    e->secret = o->app_secret ? sgx_strdup(o->app_secret) : NULL;
    e->proof = o->app_secret ? fb_proof(o->app_secret, e->token) : NULL;
    e->refused = json_object();
    e->max_rows = o->max_rows ? o->max_rows : FB_DEFAULT_MAX_ROWS;
    e->max_body = o->max_body_bytes ? o->max_body_bytes : FB_DEFAULT_MAX_BODY;
    e->auto_create = o->auto_create;
    e->audiences = json_object();
    e->meta = json_object();
    e->rng = 1;
    sgx_emu_rl_init(&e->buc, o->buc_calls, o->buc_window_ms > 0 ? o->buc_window_ms : 3600000);
    pthread_mutex_init(&e->mu, NULL);
    sgx_err_t err = sgx_emu_server_start(o->listen_host, o->port, fb_access, e, &e->mhd, &e->port);
    if (err) {
        sgx_emu_fb_stop(e);
        return err;
    }
    *out = e;
    return SGX_OK;
}

uint16_t sgx_emu_fb_port(const sgx_emu_fb_t *e)
{
    return e->port;
}

void sgx_emu_fb_stop(sgx_emu_fb_t *e)
{
    if (!e) {
        return;
    }
    if (e->mhd) {
        MHD_stop_daemon(e->mhd);
    }
    const char *id;
    json_t *v;
    json_object_foreach(e->audiences, id, v) {
        sgx_emu_strset_destroy(set_of(v));
    }
    json_decref(e->audiences);
    json_decref(e->meta);
    json_decref(e->refused);
    sgx_emu_rl_free(&e->buc);
    pthread_mutex_destroy(&e->mu);
    sgx_free(e->token);
    sgx_free(e->secret);
    sgx_free(e->proof);
    sgx_free(e);
}

void sgx_emu_fb_add_audience(sgx_emu_fb_t *e, const char *audience_id)
{
    pthread_mutex_lock(&e->mu);
    sgx_emu_fb_audience_locked(e, audience_id, true);
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_fb_set_token(sgx_emu_fb_t *e, const char *token)
{
    char *proof = e->secret ? fb_proof(e->secret, token) : NULL;
    pthread_mutex_lock(&e->mu);
    sgx_free(e->token);
    sgx_free(e->proof);
    e->token = sgx_strdup(token);
    e->proof = proof;
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_fb_delete_audience(sgx_emu_fb_t *e, const char *audience_id)
{
    pthread_mutex_lock(&e->mu);
    fb_drop_audience(e, audience_id);
    json_object_del(e->meta, audience_id);
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_fb_refuse_member(sgx_emu_fb_t *e, const char *member)
{
    pthread_mutex_lock(&e->mu);
    json_object_set_new(e->refused, member, json_true());
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_fb_inject(sgx_emu_fb_t *e, sgx_emu_fault_kind_t kind, int count, int code, int param)
{
    pthread_mutex_lock(&e->mu);
    e->fault = (sgx_emu_fb_fault_t){.kind = kind, .remaining = count, .code = code, .param = param};
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_fb_set_buc(sgx_emu_fb_t *e, int calls, int64_t window_ms)
{
    pthread_mutex_lock(&e->mu);
    sgx_emu_rl_free(&e->buc);
    sgx_emu_rl_init(&e->buc, calls, window_ms > 0 ? window_ms : 3600000);
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_fb_random_faults(sgx_emu_fb_t *e, double p, int max_delay_ms, unsigned seed)
{
    pthread_mutex_lock(&e->mu);
    e->rnd_p = p > 0 ? (p < 1 ? p : 1) : 0;
    e->rnd_max_delay_ms = max_delay_ms > 0 ? max_delay_ms : 0;
    e->rng = ((uint64_t)seed << 1) | 1; /* xorshift must never hold 0 */
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_fb_stats(sgx_emu_fb_t *e, sgx_emu_fb_stats_t *out)
{
    pthread_mutex_lock(&e->mu);
    *out = e->stats;
    pthread_mutex_unlock(&e->mu);
}
