/* The Graph API side of the Meta emulator: /{version}/{audience}/users (POST add, DELETE remove),
 * /{version}/act_{account}/customaudiences, authentication, fault injection and Graph-shaped
 * errors. Decisions follow docs/destinations.md §1 and §6. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "emulators/facebook_payload.h"
#include "emulators/facebook_priv.h"

/* Business id reported in the usage header; any stable number will do for a client. */
#define FB_BUSINESS_ID "100000000000001"

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

static void fb_error(sgx_emu_fb_t *e, sgx_emu_fb_reply_t *r, unsigned status, int code,
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
    fb_error(e, r, 400, 2500, 0, "OAuthException", "Unknown path components");
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
    fb_error(e, r, 400, kinds[i].code, kinds[i].subcode, "OAuthException", kinds[i].msg);
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
        fb_error(e, r, 500, 2, 0, "OAuthException",
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
static bool fb_auth(sgx_emu_fb_t *e, struct MHD_Connection *conn, const sgx_emu_form_t *form,
                    sgx_emu_fb_reply_t *r)
{
    const char *tok = fb_param(conn, form, "access_token");
    if (!tok || !*tok) {
        fb_error(e, r, 400, 190, 0, "OAuthException",
                 "An access token is required to request this resource.");
        return false;
    }
    pthread_mutex_lock(&e->mu);
    bool tok_ok = strcmp(tok, e->token) == 0;
    char *want_proof = e->proof ? sgx_strdup(e->proof) : NULL;
    pthread_mutex_unlock(&e->mu);
    if (!tok_ok) {
        sgx_free(want_proof);
        fb_error(e, r, 400, 190, 0, "OAuthException",
                 "Invalid OAuth access token - Cannot parse access token");
        return false;
    }
    const char *proof = want_proof ? fb_param(conn, form, "appsecret_proof") : NULL;
    bool proof_bad = want_proof && (!proof || strcmp(proof, want_proof) != 0);
    sgx_free(want_proof);
    if (proof_bad) {
        fb_error(e, r, 400, 100, 0, "GraphMethodException",
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
        fb_error(e, r, 400, 100, 0, "OAuthException",
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
        fb_error(e, r, 400, 100, 33, "GraphMethodException", msg);
    }
    return ok;
}

static void fb_apply(sgx_emu_fb_t *e, const char *aud, bool add, const sgx_emu_fb_batch_t *b)
{
    pthread_mutex_lock(&e->mu);
    json_t *set = sgx_emu_fb_audience_locked(e, aud, false);
    const char *m = b->members.data;
    for (size_t i = 0; set && i < b->n_members; i++) {
        size_t len = strlen(m);
        /* Member strings come from parsed JSON, so they are valid UTF-8 already. */
        if (add) {
            json_object_setn_new_nocheck(set, m, len, json_true());
        } else {
            json_object_deln(set, m, len);
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
    if (!fb_auth(e, conn, form, r) || !fb_audience_ready(e, aud, add, r) ||
        !fb_session(e, form, sid, sizeof sid, r)) {
        return;
    }
    size_t len = 0;
    const char *payload = sgx_emu_form_get(form, "payload", &len);
    if (!payload) {
        fb_error(e, r, 400, 100, 0, "OAuthException", "(#100) The parameter payload is required");
        return;
    }
    char msg[256];
    sgx_emu_fb_batch_t batch;
    if (sgx_emu_fb_payload_parse(payload, len, e->max_rows, &batch, msg, sizeof msg) != SGX_OK) {
        fb_error(e, r, 400, 100, 0, "OAuthException", msg);
        sgx_emu_fb_batch_free(&batch);
        return;
    }
    if (fb_refused(e, &batch)) {
        /* Graph validates the whole payload before applying any of it: one malformed data row
         * refuses the request with code 100 and nothing is applied (destinations.md §6). */
        fb_error(e, r, 400, 100, 0, "OAuthException",
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

static bool one_of(const char *v, const char *const *allowed)
{
    for (; v && *allowed; allowed++) {
        if (strcmp(v, *allowed) == 0) {
            return true;
        }
    }
    return false;
}

static void fb_create(sgx_emu_fb_t *e, struct MHD_Connection *conn, const sgx_emu_form_t *form,
                      sgx_emu_fb_reply_t *r)
{
    static const char *const subtypes[] = {"CUSTOM", NULL};
    static const char *const sources[] = {"USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY",
                                          "BOTH_USER_AND_PARTNER_PROVIDED", NULL};
    if (!fb_auth(e, conn, form, r)) {
        return;
    }
    const char *name = sgx_emu_form_get(form, "name", NULL);
    if (!name || !*name || !one_of(sgx_emu_form_get(form, "subtype", NULL), subtypes) ||
        !one_of(sgx_emu_form_get(form, "customer_file_source", NULL), sources)) {
        fb_error(e, r, 400, 100, 0, "OAuthException",
                 "(#100) name, subtype=CUSTOM and a valid customer_file_source are required");
        return;
    }
    char id[32];
    pthread_mutex_lock(&e->mu);
    snprintf(id, sizeof id, "%" PRIu64, UINT64_C(23850000000000000) + ++e->next_id);
    sgx_emu_fb_audience_locked(e, id, true);
    pthread_mutex_unlock(&e->mu);
    r->status = 200;
    r->json = json_pack("{s:s}", "id", id);
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
    if (!fb_auth(e, conn, &none, r)) {
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
        fb_error(e, r, 400, 100, 33, "GraphMethodException", msg);
        return;
    }
    const char *fields = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "fields");
    json_t *node = json_pack("{s:s}", "id", aud);
    char list[256], *save = NULL;
    snprintf(list, sizeof list, "%s", fields ? fields : "id");
    for (char *f = strtok_r(list, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        if (strcmp(f, "name") == 0) {
            json_object_set_new(node, "name", json_sprintf("Customer list %s", aud));
        } else if (strcmp(f, "operation_status") == 0) {
            json_object_set_new(node, f, json_pack("{s:i, s:s}", "code", 200, "description",
                                                   "Normal"));
        } else if (strcmp(f, "permission_for_actions") == 0) {
            json_object_set_new(node, f, json_pack("{s:b, s:b, s:b}", "can_edit", 1,
                                                   "can_see_insight", 1, "can_share", 1));
        } else if (strcmp(f, "id") != 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "(#100) Tried accessing nonexisting field (%.40s) on node "
                     "type (CustomAudience)", f);
            json_decref(node);
            fb_error(e, r, 400, 100, 0, "OAuthException", msg);
            return;
        }
    }
    r->status = 200;
    r->json = node;
}

void sgx_emu_fb_graph(sgx_emu_fb_t *e, struct MHD_Connection *conn, const char *method,
                      const sgx_emu_path_t *path, const sgx_emu_body_t *body,
                      sgx_emu_fb_reply_t *r)
{
    bool post = strcmp(method, "POST") == 0, del = strcmp(method, "DELETE") == 0;
    bool users = path->n == 3 && strcmp(path->seg[2], "users") == 0 && (post || del);
    bool create = path->n == 3 && strcmp(path->seg[2], "customaudiences") == 0 && post &&
                  strncmp(path->seg[1], "act_", 4) == 0;
    bool read = path->n == 2 && strcmp(method, "GET") == 0;
    if (!(users || create || read) || !is_version(path->seg[0])) {
        fb_unknown_path(e, r);
        return;
    }
    snprintf(r->audience, sizeof r->audience, "%s", path->seg[1]);
    if (read) {
        fb_read_audience(e, conn, path->seg[1], r);
        return;
    }
    if (users) {
        pthread_mutex_lock(&e->mu);
        *(post ? &e->stats.add_requests : &e->stats.remove_requests) += 1;
        pthread_mutex_unlock(&e->mu);
        if (fb_fault(e, r)) {
            return;
        }
    }
    if (body->overflow) {
        fb_error(e, r, 413, 100, 0, "OAuthException", "(#100) Request body is too large");
        return;
    }
    sgx_emu_form_t form;
    if (sgx_emu_form_parse(body->buf.data ? body->buf.data : "", body->buf.len, &form)) {
        fb_error(e, r, 400, 100, 0, "OAuthException", "(#100) Malformed form-encoded body");
    } else if (users) {
        fb_users(e, conn, &form, path->seg[1], post, r);
    } else {
        fb_create(e, conn, &form, r);
    }
    sgx_emu_form_free(&form);
}
