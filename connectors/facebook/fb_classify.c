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
    bool proof_refused; /* the message names appsecret_proof (checked, never copied) */
} fb_reply_t;

/* What a code says: RETRY (throttled or not), BLOCK_DEST (the account, token or permissions:
 * nothing can go), BLOCK_AUD (this audience cannot be written), SPLIT (the request as a whole was
 * refused for a reason that may concern only some rows). Row-level problems never come back as
 * an error: Meta counts them in num_invalid_entries of a 200 reply. */
typedef enum { FB_RETRY, FB_BLOCK_DEST, FB_BLOCK_AUTH, FB_BLOCK_AUD, FB_SPLIT } fb_action_t;

typedef struct {
    long long code;
    fb_action_t action;
    bool throttled;
} fb_code_rule_t;

/* Error codes with a fixed meaning whatever the HTTP status (destinations.md §1; [FB-err]
 * https://developers.facebook.com/docs/marketing-api/error-reference and the Graph error
 * handling guide; facebook-python-business-sdk facebookads/utils/fberrcodes.py). RudderStack's
 * networkHandler agrees on 1, 2, 4, 17 (retry).
 * 368 is retried, not blocked: Meta's Graph error-handling guide
 * (https://developers.facebook.com/docs/graph-api/guides/error-handling, "Error Codes") lists
 * 368 "Temporarily blocked for policies violations" with the recovery "Wait and retry the
 * operation", the same advice as for 1, 2, 4 and 17, and unlike the codes it tells you to fix
 * (190 get a new token, 200-299 handle the missing permission). RudderStack also retries it
 * (docs/errors.md). Capped backoff bounds the retries while the block lasts. */
static const fb_code_rule_t fb_code_rules[] = {
    {4, FB_RETRY, true},         /* application request limit */
    {17, FB_RETRY, true},        /* user request limit */
    {613, FB_RETRY, true},       /* calls within one hour exceeded (ad account) */
    {80003, FB_RETRY, true},     /* custom audience business-use-case limit */
    {80004, FB_RETRY, true},     /* ads management business-use-case limit */
    {1, FB_RETRY, false},        /* unknown error, possibly temporary */
    {2, FB_RETRY, false},        /* service temporarily unavailable */
    {10, FB_BLOCK_AUTH, false},  /* application does not have permission for this action */
    {102, FB_BLOCK_AUTH, false}, /* session key invalid or no longer valid */
    {190, FB_BLOCK_AUTH, false}, /* invalid or expired OAuth access token */
    {200, FB_BLOCK_AUTH, false}, /* permissions error (token lacks ads_management, ToS) */
    {294, FB_BLOCK_AUTH, false}, /* managing advertisements requires ads_management */
    {368, FB_RETRY, false},      /* temporarily blocked for policy violations: wait, retry */
    {2650, FB_BLOCK_AUD, false}, /* failed to update the custom audience */
    {100, FB_SPLIT, false},      /* invalid parameter: audience-level subcodes below */
    {105, FB_SPLIT, false},      /* too many parameters */
};

/* Code 100 subcodes that are about the audience, not the rows: 33 "object does not exist,
 * cannot be loaded due to missing permissions" (a deleted or mistyped audience id), 1487301
 * no_custom_audience_ownership (fberrcodes.py), 1713230 "Audience Upload Blocked" (the
 * audience's operation_status 471, destinations.md §1 [FB-users]). */
static const long long fb_audience_subcodes[] = {33, 1487301, 1713230};

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
    const char *msg = json_string_value(json_object_get(err, "message"));
    r->proof_refused = msg && strstr(msg, "appsecret_proof") != NULL;
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

/* X-Business-Use-Case-Usage: {"<id>":[{"type","call_count","total_cputime","total_time",
 * "estimated_time_to_regain_access"}]} (percentages; minutes), per the Graph rate-limiting page.
 * Reports the highest percentage of any entry as the usage, and returns the longest regain
 * time in ms (-1 when none is given). */
static int64_t read_buc(const sgx_response_t *resp, sgx_classification_t *out)
{
    static const char *const pcts[] = {"call_count", "total_cputime", "total_time"};
    const char *v;
    size_t n;
    if (!resp->headers ||
        sgx_response_header(resp, "X-Business-Use-Case-Usage", &v, &n) != SGX_OK) {
        return -1;
    }
    json_t *root = json_loadb(v, n, 0, NULL);
    long long max = 0, pct = -1;
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
            for (size_t k = 0; k < sizeof pcts / sizeof pcts[0]; k++) {
                json_t *p = json_object_get(entry, pcts[k]);
                pct = json_is_integer(p) && json_integer_value(p) > pct ? json_integer_value(p)
                                                                        : pct;
            }
        }
    }
    json_decref(root);
    if (pct >= 0) {
        out->has_usage = true;
        out->usage_pct = (uint16_t)(pct < 1000 ? pct : 1000);
    }
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

static void block(sgx_classification_t *out, sgx_block_scope_t scope, bool auth)
{
    verdict(out, SGX_CLS_FATAL, false);
    out->block_scope = (uint8_t)scope;
    out->block_auth = auth;
}

static void apply_action(fb_action_t a, const fb_reply_t *r, sgx_classification_t *out)
{
    bool aud_sub = false;
    for (size_t i = 0; i < sizeof fb_audience_subcodes / sizeof *fb_audience_subcodes; i++) {
        aud_sub = aud_sub || (r->has_subcode && r->subcode == fb_audience_subcodes[i]);
    }
    if (a == FB_SPLIT && r->code == 100 && r->proof_refused) {
        a = FB_BLOCK_AUTH; /* app_secret does not match the token: no row is at fault */
    } else if (a == FB_SPLIT && r->code == 100 && aud_sub) {
        a = FB_BLOCK_AUD;
    }
    switch (a) {
    case FB_RETRY:
        verdict(out, SGX_CLS_RETRY, false);
        break;
    case FB_BLOCK_DEST:
    case FB_BLOCK_AUTH:
        block(out, SGX_BLOCK_DEST, a == FB_BLOCK_AUTH);
        break;
    case FB_BLOCK_AUD:
        block(out, SGX_BLOCK_AUDIENCE, false);
        break;
    case FB_SPLIT:
        verdict(out, SGX_CLS_REJECTED, false);
        out->split = true;
        break;
    }
}

/* A Graph error object decided by its code; false when the code says nothing definite. */
static bool classify_error(const fb_reply_t *r, sgx_classification_t *out)
{
    const fb_code_rule_t *rule = find_rule(r->code);
    set_error_reason(out, r);
    if (rule && rule->throttled) {
        verdict(out, SGX_CLS_RETRY, true);
    } else if ((rule && rule->action == FB_RETRY) || r->is_transient) {
        verdict(out, SGX_CLS_RETRY, false);
    } else if (rule) {
        apply_action(rule->action, r, out);
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
    } else if (status == 401 || status == 403) {
        block(out, SGX_BLOCK_DEST, true);
    } else if (status == 404) {
        block(out, SGX_BLOCK_AUDIENCE, false);
    } else if (status >= 400) {
        /* unexplained, or 414 (a removal's URL too long for a server on the path): may
         * concern some rows only, and halves are shorter */
        verdict(out, SGX_CLS_REJECTED, false);
        out->split = true;
    } else {
        verdict(out, SGX_CLS_RETRY, false); /* 1xx/3xx or 2xx with an unknown error */
    }
}

/* A 2xx that does not confirm every row sent ({} or a short num_received) is not a delivery:
 * retried a few times, then the destination is blocked rather than the rows acknowledged. */
static bool unconfirmed(const sgx_job_t *job, const fb_reply_t *r, sgx_classification_t *out)
{
    size_t sent = job && job->batch ? job->batch->nrows : 0;
    if (r->has_counts && r->num_received >= 0 && (size_t)r->num_received >= sent) {
        return false;
    }
    snprintf(out->reason, sizeof out->reason, "meta_unconfirmed num_received=%lld of %zu",
             r->has_counts ? r->num_received : -1LL, sent);
    if (job && job->attempt + 1 >= SGX_UNCONFIRMED_RETRIES) {
        block(out, SGX_BLOCK_DEST, false);
    } else {
        verdict(out, SGX_CLS_RETRY, false);
    }
    return true;
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

static bool transport_failed(const sgx_response_t *resp, sgx_classification_t *out)
{
    out->retry_after_ms = -1;
    if (!resp->transport_error && resp->status != 0) {
        return false;
    }
    verdict(out, SGX_CLS_RETRY, false);
    snprintf(out->reason, sizeof out->reason, "transport_error");
    return true;
}

static void unparsable(long status, sgx_classification_t *out)
{
    verdict(out, SGX_CLS_RETRY, false);
    snprintf(out->reason, sizeof out->reason, "unparsable_response status=%ld", status);
}

/* A refusal: by error code when it says something definite, else by HTTP status. */
static void classify_refusal(const sgx_response_t *resp, const fb_reply_t *r,
                             sgx_classification_t *out)
{
    if (!r->has_error || !classify_error(r, out)) {
        classify_status(resp->status, out, r->has_error);
    }
    int64_t regain = read_buc(resp, out);
    if (out->throttled) {
        out->retry_after_ms = regain;
    }
}

/* A refused search or create says nothing about rows: what would split the upload of rows
 * blocks the audience here, so a wrong customer_file_source or a name Graph refuses is reported
 * once instead of dead-lettering every row in halves. */
void sgx_fb_classify_management(const sgx_response_t *resp, sgx_classification_t *out)
{
    if (transport_failed(resp, out)) {
        return;
    }
    fb_reply_t r;
    parse_reply(resp, &r);
    if (resp->status >= 200 && resp->status < 300 && !r.has_error) {
        unparsable(resp->status, out);
        return;
    }
    classify_refusal(resp, &r, out);
    if (out->verdict == SGX_CLS_REJECTED) {
        out->split = false;
        block(out, SGX_BLOCK_AUDIENCE, false);
    }
}

void sgx_fb_classify(const void *ctx, const sgx_job_t *job, const sgx_response_t *resp,
                     sgx_classification_t *out)
{
    (void)ctx;
    if (job && job->batch && !job->batch->audience_id) {
        sgx_fb_audience_classify(job, resp, out);
        return;
    }
    if (transport_failed(resp, out)) {
        return;
    }
    fb_reply_t r;
    parse_reply(resp, &r);
    bool ok = resp->status >= 200 && resp->status < 300;
    if (ok) {
        read_buc(resp, out); /* refusals read it in classify_refusal */
    }
    if (ok && r.object && !r.has_error) {
        if (!unconfirmed(job, &r, out)) {
            classify_delivered(&r, out);
        }
        return;
    }
    if (ok && !r.object) {
        unparsable(resp->status, out);
        return;
    }
    classify_refusal(resp, &r, out);
}
