/* The Graph API side of the Meta emulator: /{version}/{audience}/users (POST add with a form body,
 * DELETE remove with the parameters in the query string), routing of
 * /{version}/act_{account}/customaudiences (facebook_account.c), GET /{version}/{audience},
 * authentication, the 414 for long targets, fault injection and Graph-shaped errors. Decisions
 * follow docs/destinations.md §1 and §6. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "emulators/facebook_payload.h"
#include "emulators/facebook_priv.h"


static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* fbtrace_id only has to differ between replies so logs can be correlated; 11 base62 chars. */
static void fb_trace_id(sgx_emu_fb_t *e, char out[12])
{
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint64_t x = splitmix64(atomic_fetch_add(&e->trace_seq, 1) ^ (uint64_t)(uintptr_t)e);
    for (int i = 0; i < 11; i++) {
        out[i] = alphabet[x % 62];
        x /= 62;
        if (x == 0) {
            x = splitmix64((uint64_t)i);
        }
    }
    out[11] = '\0';
}

void sgx_emu_fb_error(sgx_emu_fb_t *e, sgx_emu_fb_reply_t *r, unsigned status, int code,
                     int subcode, const char *type, const char *msg)
{
    char trace[12];
    fb_trace_id(e, trace);
    json_t *err = json_pack("{s:s, s:s, s:i, s:s}", "message", msg, "type", type, "code", code,
                            "fbtrace_id", trace);
    if (subcode) {
        json_object_set_new(err, "error_subcode", json_integer(subcode));
    }
    json_decref(r->json);
    r->json = json_pack("{s:o}", "error", err);
    r->status = status;
    r->code = code;
}

/* Graph answers bad paths and unknown versions alike: code 2500, HTTP 400. */
static void fb_unknown_path(sgx_emu_fb_t *e, sgx_emu_fb_reply_t *r)
{
    sgx_emu_fb_error(e, r, 400, 2500, 0, "OAuthException", "Unknown path components");
}

static void fb_throttle(sgx_emu_fb_t *e, sgx_emu_fb_reply_t *r, int code, int regain_minutes)
{
    static const struct {
        int code, subcode;
        const char *msg;
    } kinds[] = {
        {17, 2446079, "(#17) User request limit reached"},
        {4, 0, "(#4) Application request limit reached"},
        {613, 1487742, "(#613) There have been too many calls from this ad-account. Wait a bit "
                       "and try again."},
        {80003, 0, "(#80003) There have been too many calls to this ad-account. Wait a bit and "
                   "try again. For more info, please refer to "
                   "https://developers.facebook.com/docs/graph-api/overview/rate-limiting."},
    };
    size_t i = 0;
    for (size_t j = 0; j < sizeof kinds / sizeof kinds[0]; j++) {
        i = kinds[j].code == code ? j : i;
    }
    sgx_emu_fb_error(e, r, 400, kinds[i].code, kinds[i].subcode, "OAuthException", kinds[i].msg);
    json_object_set_new(json_object_get(r->json, "error"), "is_transient", json_true());
    snprintf(r->usage_hdr, sizeof r->usage_hdr,
             "{\"" FB_BUSINESS_ID "\":[{\"type\":\"custom_audience\",\"call_count\":100,"
             "\"total_cputime\":25,\"total_time\":25,\"estimated_time_to_regain_access\":%d}]}",
             regain_minutes);
    r->throttled = true;
}

static void fb_5xx(sgx_emu_fb_t *e, sgx_emu_fb_reply_t *r, int status)
{
    if (status == 500) {
        sgx_emu_fb_error(e, r, 500, 2, 0, "OAuthException",
                 "An unexpected error has occurred. Please retry your request later.");
        json_object_set_new(json_object_get(r->json, "error"), "is_transient", json_true());
        return;
    }
    /* 502/503 come from Meta's edge proxies, which answer in plain text, not Graph JSON. */
    r->status = status >= 500 && status <= 599 ? (unsigned)status : 503;
    r->text = r->status == 502 ? "Bad Gateway\n" : "Service Unavailable\n";
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Consumes one pending injected fault, or rolls the random ones. Sleeps outside the lock.
 * Returns true when *r now holds a failure. */
static bool fb_fault(sgx_emu_fb_t *e, sgx_emu_fb_reply_t *r)
{
    sgx_emu_fb_fault_t f = {.remaining = 0};
    int delay = 0;
    bool fail = false;
    pthread_mutex_lock(&e->mu);
    if (e->fault.remaining > 0) {
        f = e->fault;
        e->fault.remaining--;
    } else if (e->rnd_p > 0) {
        /* Always draw both numbers so the sequence depends only on the request count. */
        double a = sgx_emu_fb_rand_locked(e), b = sgx_emu_fb_rand_locked(e);
        fail = a < e->rnd_p;
        delay = b < e->rnd_p ? (int)(sgx_emu_fb_rand_locked(e) * (e->rnd_max_delay_ms + 1)) : 0;
    }
    pthread_mutex_unlock(&e->mu);
    if (f.remaining > 0 && f.kind == SGX_EMU_FAULT_THROTTLE) {
        fb_throttle(e, r, f.code, f.param);
        return true;
    }
    if (f.remaining > 0 && f.kind == SGX_EMU_FAULT_5XX) {
        fb_5xx(e, r, f.code);
        return true;
    }
    if (f.remaining > 0 && f.kind == SGX_EMU_FAULT_UNCONFIRMED) {
        /* Not a documented Graph reply: what an intermediary that swallowed the body returns.
         * The documented success carries num_received (destinations.md §1 [FB-users]). */
        r->status = 200;
        r->json = json_object();
        return true;
    }
    delay = f.remaining > 0 && f.kind == SGX_EMU_FAULT_DELAY ? f.param : delay;
    if (delay > 0) {
        sleep_ms(delay);
    }
    if (fail) {
        fb_5xx(e, r, 503);
    }
    return fail;
}

static const char *fb_param(struct MHD_Connection *conn, const sgx_emu_form_t *form,
                            const char *key)
{
    const char *v = sgx_emu_form_get(form, key, NULL);
    return v ? v : MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
}

/* A token that is not the current one (never issued, revoked, or replaced by a rotation) is
 * refused with code 190, type OAuthException ([FB-errfmt] "Access token errors"); a wrong
 * appsecret_proof with code 100, GraphMethodException
 * (https://developers.facebook.com/docs/graph-api/securing-requests/). */
bool sgx_emu_fb_auth(sgx_emu_fb_t *e, struct MHD_Connection *conn, const sgx_emu_form_t *form,
                    sgx_emu_fb_reply_t *r)
{
    const char *tok = fb_param(conn, form, "access_token");
    if (!tok || !*tok) {
        sgx_emu_fb_error(e, r, 400, 190, 0, "OAuthException",
                 "An access token is required to request this resource.");
        return false;
    }
    pthread_mutex_lock(&e->mu);
    bool tok_ok = strcmp(tok, e->token) == 0;
    char *want_proof = e->proof ? sgx_strdup(e->proof) : NULL;
    pthread_mutex_unlock(&e->mu);
    if (!tok_ok) {
        sgx_free(want_proof);
        sgx_emu_fb_error(e, r, 400, 190, 0, "OAuthException",
                 "Invalid OAuth access token - Cannot parse access token");
        return false;
    }
    const char *proof = want_proof ? fb_param(conn, form, "appsecret_proof") : NULL;
    bool proof_bad = want_proof && (!proof || strcmp(proof, want_proof) != 0);
    sgx_free(want_proof);
    if (proof_bad) {
        sgx_emu_fb_error(e, r, 400, 100, 0, "GraphMethodException",
                 "Invalid appsecret_proof provided in the API argument");
        return false;
    }
    return true;
}

/* Validates the optional `session` parameter and picks the session id echoed back. */
static bool fb_session(sgx_emu_fb_t *e, const sgx_emu_form_t *form, char *sid, size_t sid_len,
                       sgx_emu_fb_reply_t *r)
{
    size_t len = 0;
    const char *text = sgx_emu_form_get(form, "session", &len);
    if (!text) {
        snprintf(sid, sid_len, "%" PRIu64, 1000000 + atomic_fetch_add(&e->trace_seq, 1));
        return true;
    }
    json_t *s = json_loadb(text, len, 0, NULL);
    const json_t *id = json_object_get(s, "session_id");
    const json_t *seq = json_object_get(s, "batch_seq");
    const json_t *last = json_object_get(s, "last_batch_flag");
    const json_t *total = json_object_get(s, "estimated_num_total");
    bool ok = json_is_integer(id) && json_integer_value(id) >= 0 && json_is_integer(seq) &&
              json_integer_value(seq) >= 1 && json_is_boolean(last) &&
              (!total || json_is_integer(total));
    if (ok) {
        snprintf(sid, sid_len, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
    } else {
        sgx_emu_fb_error(e, r, 400, 100, 0, "OAuthException",
                 "(#100) session must be {\"session_id\":int,\"batch_seq\":int>=1,"
                 "\"last_batch_flag\":bool,\"estimated_num_total\":int}");
    }
    json_decref(s);
    return ok;
}

static bool fb_audience_ready(sgx_emu_fb_t *e, const char *aud, bool add, sgx_emu_fb_reply_t *r)
{
    pthread_mutex_lock(&e->mu);
    bool ok = sgx_emu_fb_audience_locked(e, aud, e->auto_create) != NULL;
    pthread_mutex_unlock(&e->mu);
    if (!ok) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "Unsupported %s request. Object with ID '%.40s' does not exist, cannot be loaded "
                 "due to missing permissions, or does not support this operation",
                 add ? "post" : "delete", aud);
        sgx_emu_fb_error(e, r, 400, 100, 33, "GraphMethodException", msg);
    }
    return ok;
}

static void fb_apply(sgx_emu_fb_t *e, const char *aud, bool add, const sgx_emu_fb_batch_t *b)
{
    pthread_mutex_lock(&e->mu);
    sgx_emu_strset_t *set = sgx_emu_fb_audience_locked(e, aud, false);
    const char *m = b->members.data;
    for (size_t i = 0; set && i < b->n_members; i++) {
        size_t len = strlen(m);
        /* Member strings come from parsed JSON, so they are valid UTF-8 already. */
        if (add) {
            sgx_emu_strset_add(set, m, len);
        } else {
            sgx_emu_strset_del(set, m, len);
        }
        m += len + 1;
    }
    e->stats.rows_received += b->num_received;
    e->stats.rows_invalid += b->num_invalid;
    pthread_mutex_unlock(&e->mu);
}

static bool fb_refused(sgx_emu_fb_t *e, const sgx_emu_fb_batch_t *b)
{
    bool refused = false;
    pthread_mutex_lock(&e->mu);
    const char *m = b->members.data;
    for (size_t i = 0; json_object_size(e->refused) && !refused && i < b->n_members; i++) {
        refused = json_object_get(e->refused, m) != NULL;
        m += strlen(m) + 1;
    }
    pthread_mutex_unlock(&e->mu);
    return refused;
}

static void fb_users(sgx_emu_fb_t *e, struct MHD_Connection *conn, const sgx_emu_form_t *form,
                     const char *aud, bool add, sgx_emu_fb_reply_t *r)
{
    char sid[32];
    if (!sgx_emu_fb_auth(e, conn, form, r) || !fb_audience_ready(e, aud, add, r) ||
        !fb_session(e, form, sid, sizeof sid, r)) {
        return;
    }
    size_t len = 0;
    const char *payload = sgx_emu_form_get(form, "payload", &len);
    if (!payload) {
        sgx_emu_fb_error(e, r, 400, 100, 0, "OAuthException", "(#100) The parameter payload is required");
        return;
    }
    char msg[256];
    sgx_emu_fb_batch_t batch;
    if (sgx_emu_fb_payload_parse(payload, len, e->max_rows, &batch, msg, sizeof msg) != SGX_OK) {
        sgx_emu_fb_error(e, r, 400, 100, 0, "OAuthException", msg);
        sgx_emu_fb_batch_free(&batch);
        return;
    }
    if (fb_refused(e, &batch)) {
        /* Graph validates the whole payload before applying any of it: one malformed data row
         * refuses the request with code 100 and nothing is applied (destinations.md §6). */
        sgx_emu_fb_error(e, r, 400, 100, 0, "OAuthException",
                 "(#100) Invalid parameter: a data row does not match the schema");
        sgx_emu_fb_batch_free(&batch);
        return;
    }
    fb_apply(e, aud, add, &batch);
    r->status = 200;
    r->rows = batch.num_received;
    r->json = json_pack("{s:s, s:s, s:I, s:I, s:O}", "audience_id", aud, "session_id", sid,
                        "num_received", (json_int_t)batch.num_received, "num_invalid_entries",
                        (json_int_t)batch.num_invalid, "invalid_entry_samples", batch.samples);
    sgx_emu_fb_batch_free(&batch);
}

/* "v" digits ".0", as in v25.0. */
static bool is_version(const char *v)
{
    size_t digits = 0;
    if (*v++ != 'v') {
        return false;
    }
    while (isdigit((unsigned char)v[digits])) {
        digits++;
    }
    return digits > 0 && strcmp(v + digits, ".0") == 0;
}

/* GET /{version}/{custom_audience_id}?fields=... reads the node (Custom Audience reference,
 * https://developers.facebook.com/docs/marketing-api/reference/custom-audience: fields id, name,
 * operation_status {code, description}, permission_for_actions {can_edit, ...}); an unknown
 * field is Graph's (#100) "Tried accessing nonexisting field", an unknown id code 100 subcode 33
 * (error-handling guide). Names are not kept by this emulator, so a stable one is made up. */
static void fb_read_audience(sgx_emu_fb_t *e, struct MHD_Connection *conn, const char *aud,
                             sgx_emu_fb_reply_t *r)
{
    const sgx_emu_form_t none = {0};
    if (!sgx_emu_fb_auth(e, conn, &none, r)) {
        return;
    }
    pthread_mutex_lock(&e->mu);
    bool exists = sgx_emu_fb_audience_locked(e, aud, false) != NULL;
    pthread_mutex_unlock(&e->mu);
    if (!exists) {
        char msg[256];
        snprintf(msg, sizeof msg, "Unsupported get request. Object with ID '%.40s' does not exist, "
                 "cannot be loaded due to missing permissions, or does not support this operation",
                 aud);
        sgx_emu_fb_error(e, r, 400, 100, 33, "GraphMethodException", msg);
        return;
    }
    const char *fields = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "fields");
    json_t *node = json_pack("{s:s}", "id", aud);
    char list[256], *save = NULL;
    snprintf(list, sizeof list, "%s", fields ? fields : "id");
    for (char *f = strtok_r(list, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        if (strcmp(f, "name") == 0) {
            pthread_mutex_lock(&e->mu);
            const char *name = json_string_value(json_object_get(json_object_get(e->meta, aud),
                                                                 "name"));
            json_object_set_new(node, "name", name ? json_string(name)
                                                   : json_sprintf("Customer list %s", aud));
            pthread_mutex_unlock(&e->mu);
        } else if (strcmp(f, "operation_status") == 0) {
            json_object_set_new(node, f, json_pack("{s:i, s:s}", "code", 200, "description",
                                                   "Normal"));
        } else if (strcmp(f, "permission_for_actions") == 0) {
            json_object_set_new(node, f, json_pack("{s:b, s:b, s:b}", "can_edit", 1,
                                                   "can_see_insight", 1, "can_share", 1));
        } else if (strcmp(f, "id") != 0) {
            json_decref(node);
            sgx_emu_fb_no_field(e, r, f);
            return;
        }
    }
    r->status = 200;
    r->json = node;
}

/* Path and query as the client sent them, near enough: segments re-joined, query re-encoded. */
static size_t target_len(const sgx_emu_path_t *path, size_t query_len)
{
    size_t n = query_len ? 1 + query_len : 0;
    for (size_t i = 0; i < path->n; i++) {
        n += 1 + strlen(path->seg[i]);
    }
    return n;
}

/* A request target past SGX_EMU_FB_MAX_TARGET: refused before any Graph handling, in plain text
 * as an HTTP server's 414 is (RFC 9110 §15.5.15). */
static bool too_long(const sgx_emu_path_t *path, size_t query_len, sgx_emu_fb_reply_t *r)
{
    if (target_len(path, query_len) <= SGX_EMU_FB_MAX_TARGET) {
        return false;
    }
    r->status = 414;
    r->text = "URI Too Long\n";
    return true;
}

/* DELETE /{v}/{id}/users takes its parameters from the query string only: the official SDK sends
 * a DELETE's params there (facebook_business/api.py FacebookAdsApi.call), and Graph documents no
 * DELETE body, so a body is not read. Parameters sent only in a body are therefore missing: no
 * access_token is code 190, no payload code 100 (fb_users), as Graph answers a request without
 * them ([FB-errfmt]). */
static void fb_remove_or_search(sgx_emu_fb_t *e, struct MHD_Connection *conn, const char *id,
                                bool remove, sgx_emu_fb_reply_t *r)
{
    sgx_emu_form_t form;
    /* The arguments as libmicrohttpd decoded them (a stray '%' stays as it is, as before when
     * the re-encoded query string was parsed again). */
    sgx_emu_form_from_query(conn, &form);
    if (remove) {
        fb_users(e, conn, &form, id, false, r);
    } else {
        sgx_emu_fb_search(e, conn, &form, id + 4, r); /* id is act_{account} */
    }
    sgx_emu_form_free(&form);
}

/* POST: parameters from the form body; access_token may also be in the query (fb_param), where
 * the SDK's FacebookSession puts it for every call. */
static void fb_post(sgx_emu_fb_t *e, struct MHD_Connection *conn, const sgx_emu_path_t *path,
                    const sgx_emu_body_t *body, bool users, sgx_emu_fb_reply_t *r)
{
    if (body->overflow) {
        sgx_emu_fb_error(e, r, 413, 100, 0, "OAuthException", "(#100) Request body is too large");
        return;
    }
    sgx_emu_form_t form;
    if (sgx_emu_form_parse(body->buf.data ? body->buf.data : "", body->buf.len, &form)) {
        sgx_emu_fb_error(e, r, 400, 100, 0, "OAuthException", "(#100) Malformed form-encoded body");
    } else if (users) {
        fb_users(e, conn, &form, path->seg[1], true, r);
    } else {
        sgx_emu_fb_create(e, conn, &form, path->seg[1] + 4, r);
    }
    sgx_emu_form_free(&form);
}

/* act_ followed by digits: an ad account id ([FB-acct]). */
static bool is_account(const char *seg)
{
    return strncmp(seg, "act_", 4) == 0 && seg[4] && strspn(seg + 4, "0123456789") ==
                                                        strlen(seg + 4);
}

void sgx_emu_fb_graph(sgx_emu_fb_t *e, struct MHD_Connection *conn, const char *method,
                      const sgx_emu_path_t *path, const sgx_emu_body_t *body,
                      sgx_emu_fb_reply_t *r)
{
    bool post = strcmp(method, "POST") == 0, del = strcmp(method, "DELETE") == 0;
    bool get = strcmp(method, "GET") == 0;
    bool users = path->n == 3 && strcmp(path->seg[2], "users") == 0 && (post || del);
    bool account = path->n == 3 && strcmp(path->seg[2], "customaudiences") == 0 &&
                   (post || get) && is_account(path->seg[1]);
    bool read = path->n == 2 && get;
    int regain_min = 0;
    if (!(users || account || read) || !is_version(path->seg[0])) {
        fb_unknown_path(e, r);
        return;
    }
    snprintf(r->audience, sizeof r->audience, "%s", path->seg[1]);
    sgx_buf_t query = {0};
    if (too_long(path, sgx_emu_fb_query(conn, &query), r)) {
        sgx_buf_free(&query);
        return;
    }
    if (users) {
        pthread_mutex_lock(&e->mu);
        *(post ? &e->stats.add_requests : &e->stats.remove_requests) += 1;
        pthread_mutex_unlock(&e->mu);
    }
    if (read) {
        fb_read_audience(e, conn, path->seg[1], r);
    } else if (users && fb_fault(e, r)) {
        /* the injected or random fault is the reply */
    } else if (users && !sgx_emu_fb_buc_take(e, r, &regain_min)) {
        fb_throttle(e, r, 80003, regain_min); /* its usage header says call_count 100 */
    } else if ((users && del) || (account && get)) {
        fb_remove_or_search(e, conn, path->seg[1], users, r);
    } else {
        fb_post(e, conn, path, body, users, r);
    }
    sgx_buf_free(&query);
}
