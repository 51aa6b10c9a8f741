/* Meta Graph response -> verdict. Graph errors arrive as
 *   {"error":{"message","type","code","error_subcode","is_transient","fbtrace_id"}}
 * and the error code, not the HTTP status, is what says whether a call may succeed later:
 * throttling comes back as 400 as often as 429. Reasons carry code/subcode/type only, never
 * "message" or "invalid_entry_samples", which can echo the identifiers we sent. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "connectors/conn_util.h"
#include "connectors/facebook/fb.h"

typedef struct {
    bool object;       /* the body is a JSON object */
    bool has_error;
    bool is_transient;
    bool has_subcode;
    long long code;
    long long subcode;
    char type[48];     /* [A-Za-z0-9_.] only, else "unexpected" */
    long long num_received, num_invalid;
    bool has_counts;
} fb_reply_t;

typedef struct {
    long long code;
    sgx_verdict_t verdict;
    bool throttled;
} fb_code_rule_t;

/* Error codes with a fixed meaning whatever the HTTP status (destinations.md §1; RudderStack's
 * networkHandler agrees on 1, 2, 4, 17, 100, 190, 294, 368, 2650). */
static const fb_code_rule_t fb_code_rules[] = {
    {4, SGX_CLS_RETRY, true},         /* application request limit */
    {17, SGX_CLS_RETRY, true},        /* user request limit */
    {613, SGX_CLS_RETRY, true},       /* calls within one hour exceeded (ad account) */
    {80003, SGX_CLS_RETRY, true},     /* custom audience business-use-case limit */
    {80004, SGX_CLS_RETRY, true},     /* ads management business-use-case limit */
    {1, SGX_CLS_RETRY, false},        /* unknown error, possibly temporary */
    {2, SGX_CLS_RETRY, false},        /* service temporarily unavailable */
    {100, SGX_CLS_REJECTED, false},   /* invalid parameter; 100/1713230 = audience blocked */
    {105, SGX_CLS_REJECTED, false},   /* too many parameters */
    {190, SGX_CLS_REJECTED, false},   /* invalid OAuth token */
    {200, SGX_CLS_REJECTED, false},   /* permissions */
    {294, SGX_CLS_REJECTED, false},   /* needs ads_management */
    {368, SGX_CLS_REJECTED, false},   /* blocked as abusive */
    {2650, SGX_CLS_REJECTED, false},  /* failed to update the custom audience */
};

static const fb_code_rule_t *find_rule(long long code)
{
    for (size_t i = 0; i < sizeof fb_code_rules / sizeof fb_code_rules[0]; i++) {
        if (fb_code_rules[i].code == code) {
            return &fb_code_rules[i];
        }
    }
    return NULL;
}

/* Graph types are class names (OAuthException, GraphMethodException). Anything else is not
 * copied at all, so a surprising value cannot carry data into logs or DLQ headers. */
static void copy_type(char *dst, size_t cap, const char *src)
{
    sgx_conn_copy_token(dst, cap, src, "_.", "unexpected");
}

static void parse_error(json_t *err, fb_reply_t *r)
{
    json_t *v;
    r->has_error = true;
    if ((v = json_object_get(err, "code")) && json_is_integer(v)) {
        r->code = json_integer_value(v);
    }
    if ((v = json_object_get(err, "error_subcode")) && json_is_integer(v)) {
        r->subcode = json_integer_value(v);
        r->has_subcode = true;
    }
    r->is_transient = json_is_true(json_object_get(err, "is_transient"));
    copy_type(r->type, sizeof r->type, json_string_value(json_object_get(err, "type")));
}

static void parse_reply(const sgx_response_t *resp, fb_reply_t *r)
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
    json_t *err = json_object_get(root, "error");
    if (json_is_object(err)) {
        parse_error(err, r);
    }
    json_t *rec = json_object_get(root, "num_received");
    json_t *inv = json_object_get(root, "num_invalid_entries");
    if (json_is_integer(rec) || json_is_integer(inv)) {
        r->has_counts = true;
        r->num_received = json_integer_value(rec); /* 0 when not an integer */
        r->num_invalid = json_integer_value(inv);
    }
    json_decref(root);
}

/* Minutes until the business-use-case quota returns, max over every entry of
 * X-Business-Use-Case-Usage: {"<id>":[{"type":..,"estimated_time_to_regain_access":N}]}. */
static int64_t buc_retry_after_ms(const sgx_response_t *resp)
{
    const char *v;
    size_t n;
    if (!resp->headers ||
        sgx_response_header(resp, "X-Business-Use-Case-Usage", &v, &n) != SGX_OK) {
        return -1;
    }
    json_t *root = json_loadb(v, n, 0, NULL);
    long long max = 0;
    const char *id;
    json_t *list;
    json_object_foreach(root, id, list) {
        size_t i;
        json_t *entry;
        json_array_foreach(list, i, entry) {
            json_t *t = json_object_get(entry, "estimated_time_to_regain_access");
            if (json_is_integer(t) && json_integer_value(t) > max) {
                max = json_integer_value(t);
            }
        }
    }
    json_decref(root);
    return max > 0 ? (int64_t)max * 60000 : -1;
}

static void set_error_reason(sgx_classification_t *out, const fb_reply_t *r)
{
    int n = snprintf(out->reason, sizeof out->reason, "meta_error code=%lld", r->code);
    if (r->has_subcode && n > 0 && (size_t)n < sizeof out->reason) {
        n += snprintf(out->reason + n, sizeof out->reason - (size_t)n, " subcode=%lld",
                      r->subcode);
    }
    if (r->type[0] && n > 0 && (size_t)n < sizeof out->reason) {
        snprintf(out->reason + n, sizeof out->reason - (size_t)n, " type=%s", r->type);
    }
}

static void verdict(sgx_classification_t *out, sgx_verdict_t v, bool throttled)
{
    out->verdict = v;
    out->throttled = throttled;
}

/* A Graph error object decided by its code; false when the code says nothing definite. */
static bool classify_error(const fb_reply_t *r, sgx_classification_t *out)
{
    const fb_code_rule_t *rule = find_rule(r->code);
    set_error_reason(out, r);
    if (rule && rule->throttled) {
        verdict(out, SGX_CLS_RETRY, true);
    } else if ((rule && rule->verdict == SGX_CLS_RETRY) || r->is_transient) {
        verdict(out, SGX_CLS_RETRY, false);
    } else if (rule) {
        verdict(out, rule->verdict, false);
    } else {
        return false;
    }
    return true;
}

static void classify_status(long status, sgx_classification_t *out, bool keep_reason)
{
    if (!keep_reason) {
        snprintf(out->reason, sizeof out->reason, "http_status=%ld", status);
    }
    if (status == 429) {
        verdict(out, SGX_CLS_RETRY, true);
    } else if (status >= 500) {
        verdict(out, SGX_CLS_RETRY, false);
    } else if (status >= 400) {
        verdict(out, SGX_CLS_REJECTED, false);
    } else {
        verdict(out, SGX_CLS_RETRY, false); /* 1xx/3xx or 2xx with an unknown error */
    }
}

static void classify_delivered(const fb_reply_t *r, sgx_classification_t *out)
{
    verdict(out, SGX_CLS_DELIVERED, false);
    /* Rows Meta counted as invalid were still received: retrying cannot fix them, and the
     * counts go to logs/metrics through the reason (samples are PII and are not copied). */
    if (r->has_counts) {
        snprintf(out->reason, sizeof out->reason, "num_received=%lld num_invalid_entries=%lld",
                 r->num_received, r->num_invalid);
    } else {
        snprintf(out->reason, sizeof out->reason, "delivered");
    }
}

void sgx_fb_classify(const void *ctx, const sgx_job_t *job, const sgx_response_t *resp,
                     sgx_classification_t *out)
{
    (void)ctx;
    (void)job;
    out->retry_after_ms = -1;
    if (resp->transport_error || resp->status == 0) {
        verdict(out, SGX_CLS_RETRY, false);
        snprintf(out->reason, sizeof out->reason, "transport_error");
        return;
    }
    fb_reply_t r;
    parse_reply(resp, &r);
    bool ok = resp->status >= 200 && resp->status < 300;
    if (ok && r.object && !r.has_error) {
        classify_delivered(&r, out);
        return;
    }
    if (ok && !r.object) {
        verdict(out, SGX_CLS_RETRY, false);
        snprintf(out->reason, sizeof out->reason, "unparsable_response status=%ld",
                 resp->status);
        return;
    }
    if (!r.has_error || !classify_error(&r, out)) {
        classify_status(resp->status, out, r.has_error);
    }
    if (out->throttled) {
        out->retry_after_ms = buc_retry_after_ms(resp);
    }
}
