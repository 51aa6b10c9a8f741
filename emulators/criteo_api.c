/* The API side of the Criteo emulator: token endpoint, Bearer check, rate limit, injected
 * faults, contact-list amendments (JSON:API validation, set semantics), wipes, statistics and
 * the routing (segment search and creation are in criteo_segments.c). Decisions follow
 * docs/destinations.md §3 and §6 and the official SDK (docs/platform-notes.md). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/mem.h"
#include "emulators/criteo_priv.h"

#define SAMPLE_MAX 5

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void http_date(time_t t, char *out, size_t cap)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* A JSON:API error reply: {"errors":[{traceId,type,code,instance,title,detail}],"warnings":[]}
 * - CommonProblem (criteo-api-marketingsolutions-sdk 2026.7 model/common_problem.py), whose
 * `type` is one of unknown, access-control, authentication, authorization, availability,
 * deprecation, quota, validation; the SDK refuses any other value when it reads one. */
void sgx_emu_crt_error(sgx_emu_criteo_t *e, sgx_emu_crt_reply_t *r, unsigned status,
                       const char *type, const char *code, const char *instance,
                       const char *detail)
{
    char trace[40];
    pthread_mutex_lock(&e->mu);
    uint64_t seq = ++e->trace_seq;
    pthread_mutex_unlock(&e->mu);
    snprintf(trace, sizeof trace, "emu-%016" PRIx64, (uint64_t)(seq * UINT64_C(0x9e3779b97f4a7c15)));
    json_t *err = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "traceId", trace, "type", type,
                            "code", code, "instance", instance ? instance : "/", "title", code,
                            "detail", detail);
    json_decref(r->json);
    r->json = json_pack("{s:[o], s:[]}", "errors", err, "warnings");
    r->status = status;
}

/* ---- token endpoint ------------------------------------------------------------------------ */

static void crt_token(sgx_emu_criteo_t *e, struct MHD_Connection *conn, const sgx_emu_body_t *body,
                      sgx_emu_crt_reply_t *r)
{
    const char *ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    sgx_emu_form_t form = {0};
    bool form_ok = ctype && strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0 &&
                   !body->overflow &&
                   sgx_emu_form_parse(body->buf.data ? body->buf.data : "", body->buf.len,
                                      &form) == SGX_OK;
    if (!form_ok) {
        r->status = 400;
        r->json = json_pack("{s:s, s:s}", "error", "invalid_request", "error_description",
                            "expected an application/x-www-form-urlencoded body");
        goto out;
    }
    const char *grant = sgx_emu_form_get(&form, "grant_type", NULL);
    const char *id = sgx_emu_form_get(&form, "client_id", NULL);
    const char *secret = sgx_emu_form_get(&form, "client_secret", NULL);
    pthread_mutex_lock(&e->mu);
    bool secret_ok = secret && strcmp(secret, e->client_secret) == 0;
    pthread_mutex_unlock(&e->mu);
    if (!grant || strcmp(grant, "client_credentials") != 0) {
        r->status = 400;
        r->json = json_pack("{s:s}", "error", "unsupported_grant_type");
    } else if (!id || !secret_ok || strcmp(id, e->client_id) != 0) {
        /* A wrong or rotated-away secret: RFC 6749 §5.2 invalid_client, 401. */
        r->status = 401;
        r->json = json_pack("{s:s}", "error", "invalid_client");
    } else {
        char tok[64];
        int64_t now = now_ms();
        pthread_mutex_lock(&e->mu);
        uint64_t seq = ++e->token_seq;
        snprintf(tok, sizeof tok, "crt-%" PRIu64 "-%016" PRIx64, seq,
                 (uint64_t)((uint64_t)now * UINT64_C(0x2545F4914F6CDD1D) ^ seq));
        /* Drop expired tokens so a fast-refreshing client cannot grow the table forever; an
         * expired token then reads as unknown, which is the same 401. */
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(e->tokens, tmp, k, v) {
            if (json_integer_value(v) <= now) {
                json_object_del(e->tokens, k);
            }
        }
        json_object_set_new(e->tokens, tok, json_integer(now + (int64_t)e->token_ttl_s * 1000));
        e->stats.tokens_issued++;
        pthread_mutex_unlock(&e->mu);
        r->status = 200;
        /* refresh_token null: the SDK reads data['refresh_token'] unconditionally
         * (criteo-api-marketingsolutions-sdk 2026.7 criteo_auth.py RetryingOAuth). */
        r->json = json_pack("{s:s, s:s, s:i, s:n}", "access_token", tok, "token_type", "Bearer",
                            "expires_in", e->token_ttl_s, "refresh_token");
    }
out:
    sgx_emu_form_free(&form);
    pthread_mutex_lock(&e->mu);
    e->stats.token_requests++;
    e->stats.token_rejected += r->status != 200;
    pthread_mutex_unlock(&e->mu);
}

/* ---- checks before every API call ---------------------------------------------------------- */

static bool crt_auth(sgx_emu_criteo_t *e, struct MHD_Connection *conn, sgx_emu_crt_reply_t *r)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    const char *why = NULL;
    bool expired = false;
    if (!h || strncmp(h, "Bearer ", 7) != 0 || !h[7]) {
        why = "missing Bearer token";
    } else {
        pthread_mutex_lock(&e->mu);
        json_t *exp = json_object_get(e->tokens, h + 7);
        expired = exp && json_integer_value(exp) <= now_ms();
        pthread_mutex_unlock(&e->mu);
        why = !exp ? "unknown token" : expired ? "token expired" : NULL;
    }
    if (!why) {
        return true;
    }
    pthread_mutex_lock(&e->mu);
    e->stats.unauthorized++;
    e->stats.expired += expired;
    pthread_mutex_unlock(&e->mu);
    sgx_emu_crt_error(e, r, 401, "authentication", expired ? "token-expired" : "unauthorized", NULL, why);
    return false;
}

static void throttle_reply(sgx_emu_criteo_t *e, sgx_emu_crt_reply_t *r, long long limit,
                           long long reset, time_t now)
{
    sgx_emu_crt_error(e, r, 429, "quota", "too-many-requests", NULL,
              "API rate limit exceeded; retry after x-ratelimit-reset");
    r->ratelimit = true;
    r->rl_limit = limit;
    r->rl_remaining = 0;
    r->rl_reset = reset;
    http_date(now, r->date, sizeof r->date);
}

/* Injected faults first, then the rate limit. Returns true when *r holds a failure. */
static bool crt_limits(sgx_emu_criteo_t *e, sgx_emu_crt_reply_t *r)
{
    time_t now = time(NULL);
    int64_t win = (int64_t)now / e->rate_window_s;
    long long reset = (long long)(win + 1) * e->rate_window_s;
    pthread_mutex_lock(&e->mu);
    bool fault = e->fault_left > 0;
    sgx_emu_crt_fault_t kind = e->fault;
    int code = e->fault_code, param = e->fault_param;
    if (fault) {
        e->fault_left--;
    }
    if (win != e->win) {
        e->win = win;
        e->win_calls = 0;
    }
    e->win_calls++;
    if ((uint64_t)e->win_calls > e->stats.peak_window_calls) {
        e->stats.peak_window_calls = (uint64_t)e->win_calls;
    }
    bool limited = !fault && e->rate_limit > 0 && e->win_calls > e->rate_limit;
    int remaining = e->rate_limit > 0 && e->win_calls < e->rate_limit
                        ? e->rate_limit - e->win_calls : 0;
    e->stats.rate_limited += limited;
    pthread_mutex_unlock(&e->mu);
    if (fault && kind == SGX_EMU_CRT_THROTTLE) {
        throttle_reply(e, r, e->rate_limit, (long long)now + param, now);
        return true;
    }
    if (fault) {
        sgx_emu_crt_error(e, r, code >= 500 && code <= 599 ? (unsigned)code : 503, "availability",
                  "internal-error", NULL, "injected server error");
        return true;
    }
    if (limited) {
        throttle_reply(e, r, e->rate_limit, reset, now);
        return true;
    }
    if (e->rate_limit > 0) {
        r->ratelimit = true;
        r->rl_limit = e->rate_limit;
        r->rl_remaining = remaining;
        r->rl_reset = reset;
    }
    return false;
}

/* ---- contact-list amendment ---------------------------------------------------------------- */

static bool all_hex_lower(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f')) {
            return false;
        }
    }
    return true;
}

/* local@domain.tld, no whitespace or controls, one '@'. */
static bool plausible_email(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    if (!at || at == s || memchr(at + 1, '@', n - (size_t)(at + 1 - s))) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f) {
            return false;
        }
    }
    const char *dot = memrchr(at + 1, '.', n - (size_t)(at + 1 - s));
    return dot && dot > at + 1 && dot < s + n - 1;
}

static bool valid_identifier(const char *type, const char *s, size_t n)
{
    if (n == 0) {
        return false;
    }
    if (strcmp(type, "email") != 0) {
        return true; /* other types are opaque to the emulator */
    }
    return ((n == 64 || n == 32) && all_hex_lower(s, n)) || plausible_email(s, n);
}

typedef struct {
    const char *op, *type;
    json_t *ids; /* borrowed from the request */
} amendment_t;

/* Validates the ContactlistAmendment; false with *r set on the first violation. */
static bool parse_amendment(sgx_emu_criteo_t *e, json_t *root, const char *inst, amendment_t *a,
                            sgx_emu_crt_reply_t *r)
{
    static const char *const types[] = {"email", "madid", "identityLink", "gum", "phoneNumber",
                                        NULL};
    json_t *data = json_object_get(root, "data");
    json_t *attrs = json_object_get(data, "attributes");
    const char *dtype = json_string_value(json_object_get(data, "type"));
    a->op = json_string_value(json_object_get(attrs, "operation"));
    json_t *itype = json_object_get(attrs, "identifierType");
    a->type = itype ? json_string_value(itype) : "email";
    a->ids = json_object_get(attrs, "identifiers");
    char detail[128];
    if (!json_is_object(data) || !dtype || strcmp(dtype, "ContactlistAmendment") != 0) {
        sgx_emu_crt_error(e, r, 400, "validation", "invalid-data-type", inst,
                  "data.type must be ContactlistAmendment");
    } else if (!json_is_object(attrs)) {
        sgx_emu_crt_error(e, r, 400, "validation", "missing-attributes", inst,
                  "data.attributes is required");
    } else if (!a->op || (strcmp(a->op, "add") != 0 && strcmp(a->op, "remove") != 0)) {
        sgx_emu_crt_error(e, r, 400, "validation", "invalid-operation", inst,
                  "attributes.operation must be add or remove");
    } else if (!a->type) {
        sgx_emu_crt_error(e, r, 400, "validation", "invalid-identifier-type", inst,
                  "attributes.identifierType must be a string");
    } else {
        size_t k = 0;
        while (types[k] && strcmp(types[k], a->type) != 0) {
            k++;
        }
        if (!types[k]) {
            sgx_emu_crt_error(e, r, 400, "validation", "invalid-identifier-type", inst,
                      "attributes.identifierType must be one of email, madid, identityLink, "
                      "gum, phoneNumber");
        } else if (strcmp(a->type, "gum") == 0 &&
                   !json_is_integer(json_object_get(attrs, "gumCallerId"))) {
            sgx_emu_crt_error(e, r, 400, "validation", "missing-gum-caller-id", inst,
                      "attributes.gumCallerId (integer) is required for identifierType gum");
        } else if (!json_is_array(a->ids)) {
            sgx_emu_crt_error(e, r, 400, "validation", "invalid-identifiers", inst,
                      "attributes.identifiers must be an array of strings");
        } else if (json_array_size(a->ids) > e->max_identifiers) {
            snprintf(detail, sizeof detail, "at most %zu identifiers per request",
                     e->max_identifiers);
            sgx_emu_crt_error(e, r, 400, "validation", "too-many-identifiers", inst, detail);
        } else {
            size_t i;
            json_t *v;
            json_array_foreach(a->ids, i, v) {
                if (!json_is_string(v)) {
                    sgx_emu_crt_error(e, r, 400, "validation", "invalid-identifiers", inst,
                              "attributes.identifiers must be an array of strings");
                    return false;
                }
            }
            return true;
        }
    }
    return false;
}

static json_t *apply_amendment(sgx_emu_criteo_t *e, const char *aud, const amendment_t *a)
{
    bool add = strcmp(a->op, "add") == 0;
    size_t i, nvalid = 0, ninvalid = 0;
    json_t *v, *samples = json_array();
    pthread_mutex_lock(&e->mu);
    json_t *set = sgx_emu_crt_audience_locked(e, aud, false);
    json_array_foreach(a->ids, i, v) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (!valid_identifier(a->type, s, n)) {
            ninvalid++;
            if (json_array_size(samples) < SAMPLE_MAX) {
                json_array_append_new(samples, json_stringn(s, n));
            }
            continue;
        }
        nvalid++;
        if (add) {
            json_object_setn_new_nocheck(set, s, n, json_true());
        } else {
            json_object_deln(set, s, n);
        }
    }
    *(add ? &e->stats.add_requests : &e->stats.remove_requests) += 1;
    e->stats.identifiers_valid += nvalid;
    e->stats.identifiers_invalid += ninvalid;
    if (json_array_size(a->ids) > e->stats.max_identifiers) {
        e->stats.max_identifiers = json_array_size(a->ids);
    }
    pthread_mutex_unlock(&e->mu);
    char date[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* ModifyAudienceResponse / ContactlistOperationAttributes (SDK 2026.7): contactListId is
     * an integer (int, none_type); a non-numeric emulator id reads as null. */
    char *end = NULL;
    long long num = strtoll(aud, &end, 10);
    json_t *list_id = *aud && !*end && num > 0 ? json_integer(num) : json_null();
    json_t *attrs = json_pack("{s:o, s:s, s:s, s:s, s:I, s:I, s:o}", "contactListId", list_id,
                              "operation", a->op, "requestDate", date, "identifierType", a->type,
                              "nbValidIdentifiers", (json_int_t)nvalid, "nbInvalidIdentifiers",
                              (json_int_t)ninvalid, "sampleInvalidIdentifiers", samples);
    return json_pack("{s:{s:s, s:s, s:o}, s:[], s:[]}", "data", "type", "ContactlistAmendment",
                     "id", aud, "attributes", attrs, "errors", "warnings");
}

static bool audience_exists(sgx_emu_criteo_t *e, const char *aud)
{
    pthread_mutex_lock(&e->mu);
    bool ok = sgx_emu_crt_audience_locked(e, aud, e->auto_create) != NULL;
    pthread_mutex_unlock(&e->mu);
    return ok;
}

json_t *sgx_emu_crt_load_json(sgx_emu_criteo_t *e, struct MHD_Connection *conn,
                              const sgx_emu_body_t *body, const char *inst,
                              sgx_emu_crt_reply_t *r)
{
    const char *ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (body->overflow) {
        sgx_emu_crt_error(e, r, 413, "validation", "payload-too-large", inst, "request body too large");
        return NULL;
    }
    if (!ctype || strncasecmp(ctype, "application/json", 16) != 0) {
        sgx_emu_crt_error(e, r, 415, "validation", "unsupported-media-type", inst,
                  "Content-Type must be application/json");
        return NULL;
    }
    json_t *root = json_loadb(body->buf.data ? body->buf.data : "", body->buf.len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        sgx_emu_crt_error(e, r, 400, "validation", "invalid-json", inst, "body must be a JSON object");
        return NULL;
    }
    return root;
}

static void crt_contact_list(sgx_emu_criteo_t *e, struct MHD_Connection *conn, bool wipe,
                             const char *aud, const char *inst, const sgx_emu_body_t *body,
                             sgx_emu_crt_reply_t *r)
{
    if (wipe) {
        pthread_mutex_lock(&e->mu);
        json_t *set = sgx_emu_crt_audience_locked(e, aud, false);
        if (set) {
            json_object_clear(set);
            e->stats.wipe_requests++;
        }
        pthread_mutex_unlock(&e->mu);
        if (!set) {
            sgx_emu_crt_error(e, r, 404, "validation", "audience-segment-not-found", inst,
                      "unknown audience segment");
            return;
        }
        r->status = 200;
        r->json = json_pack("{s:{s:s, s:s}, s:[], s:[]}", "data", "type", "AudienceSegment",
                            "id", aud, "errors", "warnings");
        return;
    }
    json_t *root = sgx_emu_crt_load_json(e, conn, body, inst, r);
    amendment_t a;
    if (!root || !parse_amendment(e, root, inst, &a, r)) {
        json_decref(root);
        return;
    }
    if (!audience_exists(e, aud)) {
        sgx_emu_crt_error(e, r, 404, "validation", "audience-segment-not-found", inst,
                  "unknown audience segment");
    } else {
        r->status = 200;
        r->json = apply_amendment(e, aud, &a);
    }
    json_decref(root);
}

/* GET .../audience-segments/{id}/contact-list/statistics: read-only counts of a contact-list
 * segment (AudienceApi.get_audience_segment_contact_list_statistics, criteo-api-python-sdk
 * docs/AudienceApi.md; ContactListStatisticsEntityV1: numberOfIdentifiers, numberOfMatches,
 * matchRate). The emulator does no matching, so it reports every identifier as matched. */
static void crt_statistics(sgx_emu_criteo_t *e, const char *aud, const char *inst,
                           sgx_emu_crt_reply_t *r)
{
    pthread_mutex_lock(&e->mu);
    json_t *set = sgx_emu_crt_audience_locked(e, aud, false);
    json_int_t n = set ? (json_int_t)json_object_size(set) : 0;
    pthread_mutex_unlock(&e->mu);
    if (!set) {
        sgx_emu_crt_error(e, r, 404, "validation", "audience-segment-not-found", inst,
                  "unknown audience segment");
        return;
    }
    r->status = 200;
    r->json = json_pack("{s:{s:s, s:s, s:{s:I, s:I, s:f}}, s:[], s:[]}", "data", "type",
                        "ContactlistStatistics", "id", aud, "attributes", "numberOfIdentifiers",
                        n, "numberOfMatches", n, "matchRate", n ? 1.0 : 0.0, "errors",
                        "warnings");
}

void sgx_emu_crt_api(sgx_emu_criteo_t *e, struct MHD_Connection *conn, const char *method,
                     const sgx_emu_path_t *path, const sgx_emu_body_t *body,
                     sgx_emu_crt_reply_t *r)
{
    bool post = strcmp(method, "POST") == 0, patch = strcmp(method, "PATCH") == 0,
         del = strcmp(method, "DELETE") == 0;
    if (path->n == 2 && strcmp(path->seg[0], "oauth2") == 0 && strcmp(path->seg[1], "token") == 0
        && post) {
        crt_token(e, conn, body, r);
        return;
    }
    sgx_emu_crt_ver_t ver = path->n >= 4 ? sgx_emu_crt_version(e, path->seg[0])
                                         : SGX_EMU_CRT_V_NONE;
    bool base = path->n >= 4 && ver != SGX_EMU_CRT_V_NONE &&
                strcmp(path->seg[1], "marketing-solutions") == 0 &&
                strcmp(path->seg[2], "audience-segments") == 0;
    bool create = base && path->n == 4 && strcmp(path->seg[3], "create") == 0 && post;
    bool search = base && path->n == 4 && strcmp(path->seg[3], "search") == 0 && post;
    bool list = base && path->n == 5 && strcmp(path->seg[4], "contact-list") == 0 &&
                (patch || del);
    bool stats = base && path->n == 6 && strcmp(path->seg[4], "contact-list") == 0 &&
                 strcmp(path->seg[5], "statistics") == 0 && strcmp(method, "GET") == 0;
    char inst[160];
    snprintf(inst, sizeof inst, "/%s/%s", path->n > 0 ? path->seg[0] : "",
             path->n > 3 ? path->seg[3] : "");
    pthread_mutex_lock(&e->mu);
    e->stats.requests++;
    pthread_mutex_unlock(&e->mu);
    if (!create && !search && !list && !stats) {
        sgx_emu_crt_error(e, r, 404, "validation", "route-not-found", inst, "no such route");
    } else if (ver == SGX_EMU_CRT_V_GONE) {
        /* "Decommissioned: Returns 410 Gone" (API Versioning Policy,
         * developers.criteo.com/criteo-apis/docs/versioning-policy). Fall-forward to the
         * current stable version is not emulated: a stale api_version must show in tests. */
        sgx_emu_crt_error(e, r, 410, "deprecation", "version-decommissioned", inst,
                          "this API version is decommissioned; use a supported version");
    } else if (crt_auth(e, conn, r) && !crt_limits(e, r)) {
        if (search) {
            sgx_emu_crt_search(e, conn, inst, body, r);
        } else if (stats) {
            crt_statistics(e, path->seg[3], inst, r);
        } else if (create) {
            sgx_emu_crt_create(e, conn, inst, body, r);
        } else {
            crt_contact_list(e, conn, del, path->seg[3], inst, body, r);
        }
    }
    pthread_mutex_lock(&e->mu);
    if (r->status == 429) {
        e->stats.throttled++;
    } else if (r->status >= 500) {
        e->stats.failed_5xx++;
    } else if (r->status >= 400 && r->status != 401) {
        e->stats.rejected_4xx++;
    }
    pthread_mutex_unlock(&e->mu);
}
