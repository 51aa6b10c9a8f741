/* Criteo responses -> verdicts, and the token response. Errors arrive as
 *   {"errors":[{"traceId","type","code","instance","title","detail"}],"warnings":[...]}
 * Reasons carry the HTTP status and the error `code` only: `detail`, `title`, `instance` and
 * `sampleInvalidIdentifiers` can echo the identifiers we sent. Throttling is HTTP 429 with
 * x-ratelimit-reset (epoch seconds); a connector has no clock, so the wait is reset minus the
 * response's own Date header. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connectors/conn_util.h"
#include "connectors/criteo/criteo.h"
#include "base/mem.h"

#define CRT_DEFAULT_TTL_S 900

typedef struct {
    bool object;
    size_t nerrors;
    char code[64]; /* first error's code, [A-Za-z0-9_.-] only, else "unexpected" */
    bool has_counts;
    long long nb_valid, nb_invalid;
    char *created_id; /* owned: data[0].id (or data.id) */
} crt_reply_t;

/* Copies a code only when it is a short identifier, so a surprising value cannot carry data
 * into logs or DLQ headers. */
static void copy_code(char *dst, size_t cap, const char *src)
{
    sgx_conn_copy_token(dst, cap, src, "_.-", "unexpected");
}

char *sgx_criteo_entity_id(const json_t *entity)
{
    json_t *id = json_object_get(entity, "id");
    char buf[32];
    if (json_is_string(id) && json_string_length(id) > 0 && json_string_length(id) <= 64) {
        return sgx_strdup(json_string_value(id));
    }
    if (json_is_integer(id) && json_integer_value(id) > 0) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        return sgx_strdup(buf);
    }
    return NULL;
}

static void parse_data(json_t *data, crt_reply_t *r)
{
    json_t *entity = json_is_array(data) ? json_array_get(data, 0) : data;
    if (!json_is_object(entity)) {
        return;
    }
    r->created_id = sgx_criteo_entity_id(entity);
    json_t *attrs = json_object_get(entity, "attributes");
    json_t *valid = json_object_get(attrs, "nbValidIdentifiers");
    json_t *invalid = json_object_get(attrs, "nbInvalidIdentifiers");
    if (json_is_integer(valid) || json_is_integer(invalid)) {
        r->has_counts = true;
        r->nb_valid = json_integer_value(valid); /* 0 when not an integer */
        r->nb_invalid = json_integer_value(invalid);
    }
}

static void parse_reply(const sgx_response_t *resp, crt_reply_t *r)
{
    memset(r, 0, sizeof *r);
    if (!resp->body || resp->body_len == 0) {
        return;
    }
    json_t *root = json_loadb(resp->body, resp->body_len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return;
    }
    r->object = true;
    json_t *errors = json_object_get(root, "errors");
    if (json_is_array(errors) && json_array_size(errors) > 0) {
        r->nerrors = json_array_size(errors);
        json_t *first = json_array_get(errors, 0);
        copy_code(r->code, sizeof r->code, json_string_value(json_object_get(first, "code")));
    }
    parse_data(json_object_get(root, "data"), r);
    json_decref(root);
}

bool sgx_criteo_parse_http_date(const char *s, size_t n, int64_t *out)
{
    char buf[64], wday[4], mon[4], zone[4];
    int d, y, hh, mm, ss, used = 0;
    if (n == 0 || n >= sizeof buf) {
        return false;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (sscanf(buf, "%3[A-Za-z], %d %3s %d %d:%d:%d %3s%n", wday, &d, mon, &y, &hh, &mm, &ss, zone,
               &used) != 8 ||
        (size_t)used != n || strlen(wday) != 3 || strcmp(zone, "GMT") != 0) {
        return false;
    }
    int m = strlen(mon) == 3 ? sgx_conn_month_index(mon) : 0;
    if (m == 0 || d < 1 || d > 31 || y < 1970 || hh > 23 || mm > 59 || ss > 60 || hh < 0 ||
        mm < 0 || ss < 0) {
        return false;
    }
    *out = sgx_conn_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    return true;
}

/* reset - Date in ms, or -1 when either header is missing or unreadable. */
static int64_t ratelimit_wait_ms(const sgx_response_t *resp)
{
    const char *v, *dv;
    size_t n, dn;
    int64_t date;
    if (!resp->headers || sgx_response_header(resp, "x-ratelimit-reset", &v, &n) != SGX_OK ||
        sgx_response_header(resp, "Date", &dv, &dn) != SGX_OK ||
        !sgx_criteo_parse_http_date(dv, dn, &date)) {
        return -1;
    }
    char num[24];
    char *end = NULL;
    if (n == 0 || n >= sizeof num) {
        return -1;
    }
    memcpy(num, v, n);
    num[n] = '\0';
    long long reset = strtoll(num, &end, 10);
    if (*end || reset <= 0) {
        return -1;
    }
    /* Date is truncated to the second, so reset - Date never undershoots the real wait. */
    return reset > date ? (int64_t)(reset - date) * 1000 : 0;
}

static void set(sgx_classification_t *out, sgx_verdict_t v, bool throttled, long status,
                const crt_reply_t *r, const char *what)
{
    out->verdict = v;
    out->throttled = throttled;
    int n = snprintf(out->reason, sizeof out->reason, "%s status=%ld", what, status);
    if (r->code[0] && n > 0 && (size_t)n < sizeof out->reason) {
        snprintf(out->reason + n, sizeof out->reason - (size_t)n, " code=%s", r->code);
    }
}

static void block(sgx_classification_t *out, long status, const crt_reply_t *r, const char *what,
                  sgx_block_scope_t scope, bool auth)
{
    set(out, SGX_CLS_FATAL, false, status, r, what);
    out->block_scope = (uint8_t)scope;
    out->block_auth = auth;
}

static void classify_ok(const sgx_job_t *job, long status, crt_reply_t *r,
                        sgx_classification_t *out)
{
    bool creating = job->step == SGX_CRITEO_STEP_CREATE && !job->batch->audience_id;
    if (!r->object) {
        set(out, SGX_CLS_RETRY, false, status, r, "unparsable_response");
    } else if (r->nerrors) {
        /* errors[] on a 2xx refuses the request as a whole: perhaps for some rows only. */
        set(out, SGX_CLS_REJECTED, false, status, r, "criteo_error");
        out->split = !creating;
    } else if (creating && r->created_id) {
        out->verdict = SGX_CLS_NEXT_STEP;
        out->next_step = SGX_CRITEO_STEP_PATCH;
        out->retry_after_ms = 0;
        out->created_audience_id = r->created_id;
        r->created_id = NULL;
        snprintf(out->reason, sizeof out->reason, "segment_created");
    } else if (creating) {
        /* Retrying could create the segment twice: stop and say why. */
        set(out, SGX_CLS_REJECTED, false, status, r, "create_response_without_id");
    } else if (r->has_counts) {
        out->verdict = SGX_CLS_DELIVERED;
        /* Invalid identifiers were received: retrying cannot fix them; only counts go out. */
        snprintf(out->reason, sizeof out->reason, "nbValidIdentifiers=%lld "
                 "nbInvalidIdentifiers=%lld", r->nb_valid, r->nb_invalid);
    } else if (job->attempt + 1 >= SGX_UNCONFIRMED_RETRIES) {
        /* The documented 200 is a ContactlistAmendment with nbValidIdentifiers and
         * nbInvalidIdentifiers (destinations.md §3 [CRT-ref]); without them nothing says the
         * rows were applied: retried, then the destination is blocked, never acknowledged. */
        block(out, status, r, "criteo_unconfirmed", SGX_BLOCK_DEST, false);
    } else {
        set(out, SGX_CLS_RETRY, false, status, r, "criteo_unconfirmed");
    }
}

/* Non-2xx replies. */
static void classify_status(const sgx_job_t *job, long st, const crt_reply_t *r,
                            const sgx_response_t *resp, sgx_classification_t *out)
{
    if (st == 401) {
        set(out, SGX_CLS_REAUTH, false, st, r, "unauthorized");
    } else if (st == 429) {
        set(out, SGX_CLS_RETRY, true, st, r, "rate_limited");
        out->retry_after_ms = ratelimit_wait_ms(resp);
    } else if (st >= 500 || st == 408) {
        set(out, SGX_CLS_RETRY, false, st, r, "server_error");
    } else if (st == 403) {
        /* The app is not allowed on this advertiser (or lost the consent): no row can go. */
        block(out, st, r, "forbidden", SGX_BLOCK_DEST, true);
    } else if (st == 410) {
        /* A decommissioned API version answers 410 Gone ("API Versioning Policy",
         * developers.criteo.com/criteo-apis/docs/versioning-policy): api_version must move. */
        block(out, st, r, "api_version_gone", SGX_BLOCK_DEST, false);
    } else if (st == 404 && job->batch->audience_id) {
        /* The audience segment id does not exist for this advertiser. */
        block(out, st, r, "audience_not_found", SGX_BLOCK_AUDIENCE, false);
    } else if (st == 404) {
        /* search and create are fixed routes: a 404 there is the version or base_url. */
        block(out, st, r, "route_not_found", SGX_BLOCK_DEST, false);
    } else if (st >= 400) {
        set(out, SGX_CLS_REJECTED, false, st, r, "criteo_error");
        out->split = job->batch->audience_id != NULL;
    } else {
        set(out, SGX_CLS_RETRY, false, st, r, "unexpected_status");
    }
}

/* Every Criteo API response carries x-ratelimit-limit/-remaining/-reset
 * (https://developers.criteo.com/criteo-apis/docs/rate-limits): reported for the core's pacer. */
static void read_quota(const sgx_response_t *resp, sgx_classification_t *out)
{
    const char *v;
    size_t n;
    char num[24];
    int64_t wait = ratelimit_wait_ms(resp);
    if (wait < 0 || sgx_response_header(resp, "x-ratelimit-remaining", &v, &n) != SGX_OK ||
        n == 0 || n >= sizeof num) {
        return;
    }
    memcpy(num, v, n);
    num[n] = '\0';
    char *end = NULL;
    long long left = strtoll(num, &end, 10);
    if (*end || left < 0) {
        return;
    }
    out->has_quota = true;
    out->quota_remaining = left;
    out->quota_reset_ms = wait;
}

void sgx_criteo_classify(const void *ctx, const sgx_job_t *job, const sgx_response_t *resp,
                         sgx_classification_t *out)
{
    out->retry_after_ms = -1;
    bool creating = !job->batch->audience_id && job->step == SGX_CRITEO_STEP_CREATE;
    long st = resp->status;
    if (resp->transport_error || st == 0) {
        out->verdict = SGX_CLS_RETRY;
        snprintf(out->reason, sizeof out->reason, "transport_error");
    } else if (st >= 200 && st < 300 && !job->batch->audience_id &&
               job->step == SGX_CRITEO_STEP_SEARCH) {
        sgx_criteo_classify_search(ctx, job, resp, out);
        read_quota(resp, out);
        return;
    } else {
        crt_reply_t r;
        parse_reply(resp, &r);
        if (st >= 200 && st < 300) {
            classify_ok(job, st, &r, out);
        } else {
            classify_status(job, st, &r, resp, out);
        }
        sgx_free(r.created_id);
    }
    /* A creation that may or may not have happened is never sent again blindly: the job goes
     * back to the search, which finds the segment if the first attempt made it. */
    if (creating && (out->verdict == SGX_CLS_RETRY || out->verdict == SGX_CLS_REAUTH)) {
        out->next_step = SGX_CRITEO_STEP_SEARCH;
    }    read_quota(resp, out);
}

/* A token goes into an Authorization header: visible ASCII only. */
static bool header_safe(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
            return false;
        }
    }
    return true;
}

sgx_err_t sgx_criteo_auth_parse(const void *ctx, const sgx_response_t *resp, char **token,
                                int64_t *expires_in_ms, char *reason)
{
    (void)ctx;
    *token = NULL;
    if (resp->transport_error || resp->status == 0) {
        snprintf(reason, 128, "transport_error");
        return SGX_ERR_HTTP;
    }
    json_t *root = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    char code[64];
    copy_code(code, sizeof code, json_string_value(json_object_get(root, "error")));
    sgx_err_t err = SGX_ERR_HTTP;
    const char *tok = json_string_value(json_object_get(root, "access_token"));
    const char *type = json_string_value(json_object_get(root, "token_type"));
    json_t *ttl = json_object_get(root, "expires_in");
    if (resp->status < 200 || resp->status >= 300) {
        snprintf(reason, 128, "token_status=%ld%s%s", resp->status, code[0] ? " error=" : "",
                 code);
    } else if (!tok || !*tok || !header_safe(tok) || strlen(tok) > 8192) {
        snprintf(reason, 128, "token_response_without_access_token");
    } else if (type && strcasecmp(type, "Bearer") != 0) {
        snprintf(reason, 128, "token_type_not_bearer");
    } else if (ttl && (!json_is_integer(ttl) || json_integer_value(ttl) <= 0)) {
        snprintf(reason, 128, "token_expires_in_invalid");
    } else {
        *token = sgx_strdup(tok);
        *expires_in_ms = (ttl ? (int64_t)json_integer_value(ttl) : CRT_DEFAULT_TTL_S) * 1000;
        err = SGX_OK;
    }
    json_decref(root);
    return err;
}
