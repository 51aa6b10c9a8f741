/* Dotdigital response -> verdict: errors common to every step, and the ENTER steps (the EXIT
 * job is dd_exit.c, the report-faults CSV dd_faults.c; see dotdigital.h for the steps).
 * Errors: v2 answers {"message":"<text> ERROR_<CODE>"}; only the ERROR_ code reaches reasons,
 * never the message (it can echo an e-mail). The codes and their meaning are Dotdigital's
 * "Error response types" (https://developer.dotdigital.com/docs/error-response-types).
 *
 * Two rate-limit schemes exist per API user
 * (https://developer.dotdigital.com/docs/call-rate-limits): tiered (per minute, HTTP 429 with
 * x-ratelimit-* headers; the -limit/-remaining/-reset of every answer go to the core's pacer as
 * a quota, as Criteo's do). x-ratelimit-reset is "the time in seconds until the rate limit
 * resets" in dotdigital-php src/Exception/TooManyRequestsException.php, a Unix time in some
 * answers, in which case the response's Date gives the delay (connectors have no clock). The
 * deprecated flat hourly allowance overflows with ERROR_APIUSAGE_EXCEEDED: "exceeded the
 * cut-off of 2000 API calls in a one hour period. You will be unable to make any further API
 * calls until the number of API calls made in the last hour goes below this figure" (error
 * response types). Both are throttles, never refusals. */
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connectors/conn_util.h"
#include "connectors/dotdigital/dotdigital.h"
#include "base/mem.h"

/* Import statuses that end a job unsuccessfully (destinations.md §4). */
static const char *const dd_failed_statuses[] = {
    "RejectedByWatchdog", "InvalidFileFormat", "Failed", "ExceedsAllowedContactLimit",
    "NotAvailableInThisVersion",
};

void sgx_dd_verdict(sgx_classification_t *out, sgx_verdict_t v, bool throttled, const char *fmt,
                    ...)
{
    va_list ap;
    out->verdict = v;
    out->throttled = throttled;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
}

/* The ERROR_[A-Z0-9_]+ token of an error body, or "". */
static void error_code(const sgx_response_t *resp, char *code, size_t cap)
{
    code[0] = '\0';
    const char *p = resp->body ? strstr(resp->body, "ERROR_") : NULL;
    if (!p) {
        return;
    }
    size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    snprintf(code, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
}

/* An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") as Unix seconds, or -1. */
static int64_t parse_http_date(const char *v, size_t n)
{
    char buf[64], mon[4] = "";
    int d = 0, y = 0, hh = 0, mm = 0, ss = 0;
    snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), v);
    if (sscanf(buf, "%*3s, %2d %3s %4d %2d:%2d:%2d", &d, mon, &y, &hh, &mm, &ss) != 6 ||
        !sgx_conn_month_index(mon)) {
        return -1;
    }
    return sgx_conn_days_from_civil(y, sgx_conn_month_index(mon), d) * 86400 + hh * 3600 + mm * 60 + ss;
}

static bool header_int(const sgx_response_t *resp, const char *name, int64_t *out)
{
    const char *v;
    size_t n;
    char buf[32];
    if (!resp->headers || sgx_response_header(resp, name, &v, &n) || n == 0 || n >= sizeof buf) {
        return false;
    }
    snprintf(buf, sizeof buf, "%.*s", (int)n, v);
    char *end = NULL;
    long long x = strtoll(buf, &end, 10);
    if (*end || x < 0) {
        return false;
    }
    *out = x;
    return true;
}

/* x-ratelimit-reset as ms from the answer: relative seconds, or Unix seconds less the answer's
 * Date. -1: absent or unreadable. */
static int64_t reset_ms(const sgx_response_t *resp)
{
    int64_t reset;
    const char *v;
    size_t n;
    if (!header_int(resp, "x-ratelimit-reset", &reset)) {
        return -1;
    }
    if (reset < 1000000000) {
        return reset * 1000; /* relative seconds */
    }
    if (sgx_response_header(resp, "Date", &v, &n)) {
        return -1;
    }
    int64_t now = parse_http_date(v, n);
    if (now < 0) {
        return -1;
    }
    /* Date has one-second resolution: a reset in the same second still waits a second. */
    return reset > now ? (reset - now) * 1000 : 1000;
}

/* Milliseconds until the rate-limit window reopens, or -1 (the core backs off). */
static int64_t ratelimit_retry_ms(const sgx_response_t *resp)
{
    int64_t secs;
    if (header_int(resp, "Retry-After", &secs)) {
        return secs * 1000;
    }
    return reset_ms(resp);
}

/* The tiered scheme's allowance on an answer, throttle or not: x-ratelimit-remaining calls
 * until x-ratelimit-reset (what is documented: emulators/dotdigital_limits.c). Reported for the
 * core's pacer, which spreads the calls left over the time to the reset. */
static void read_quota(const sgx_response_t *resp, sgx_classification_t *out)
{
    int64_t left, wait = reset_ms(resp);
    if (wait >= 0 && header_int(resp, "x-ratelimit-remaining", &left)) {
        out->has_quota = true;
        out->quota_remaining = left;
        out->quota_reset_ms = wait;
    }
}

/* The flat scheme documents no reset: its hour rolls, so the allowance comes back call by call.
 * Without Retry-After or x-ratelimit-reset the destination waits this long, then probes. */
#define DD_APIUSAGE_WAIT_MS 60000

static void throttle(const sgx_response_t *resp, const char *code, sgx_classification_t *out)
{
    const char *scope;
    size_t n;
    bool has = resp->headers &&
               sgx_response_header(resp, "x-ratelimit-scope", &scope, &n) == SGX_OK && n < 32 &&
               strspn(scope, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") >= n;
    char sc[32];
    snprintf(sc, sizeof sc, "%.*s", has ? (int)n : 0, has ? scope : "");
    out->retry_after_ms = ratelimit_retry_ms(resp);
    if (strcmp(code, "ERROR_APIUSAGE_EXCEEDED") == 0) {
        sgx_dd_verdict(out, SGX_CLS_RETRY, true, "dd_api_usage_exceeded status=%ld",
                       resp->status);
        if (out->retry_after_ms < 0) {
            out->retry_after_ms = DD_APIUSAGE_WAIT_MS;
        }
    } else {
        sgx_dd_verdict(out, SGX_CLS_RETRY, true, "dd_throttled scope=%s", has ? sc : "unknown");
    }
}

/* Refusals of the account or of one address book (error response types): nothing goes until a
 * person acts, and new credentials would not help (block_auth stays false). */
static const struct {
    const char *code;
    const char *reason;
    uint8_t scope;
} dd_blocks[] = {
    {"ERROR_ADDRESSBOOK_NOT_FOUND", "dd_error code=ERROR_ADDRESSBOOK_NOT_FOUND",
     SGX_BLOCK_AUDIENCE}, /* deleted, or an id of another account */
    {"ERROR_ADDRESSBOOK_NOTWRITABLE", "dd_error code=ERROR_ADDRESSBOOK_NOTWRITABLE: the address "
     "book cannot be written through the API (e.g. 'Test')", SGX_BLOCK_AUDIENCE},
    {"ERROR_FEATURENOTACTIVE", "dd_feature_not_active: the feature is not enabled on this account",
     SGX_BLOCK_DEST},
    {"ERROR_ACCOUNT_INVALID", "dd_account_invalid: the account does not exist or has restrictions "
     "placed on it (contact Dotdigital)", SGX_BLOCK_DEST},
    {"ERROR_CANNOT_PERFORM_OPERATION_ON_ACCOUNT", "dd_operation_not_permitted: the account may "
     "not perform this operation", SGX_BLOCK_DEST},
};

static bool account_block(const char *code, long st, sgx_classification_t *out)
{
    for (size_t i = 0; code[0] && i < sizeof dd_blocks / sizeof dd_blocks[0]; i++) {
        if (strcmp(code, dd_blocks[i].code) == 0) {
            sgx_dd_verdict(out, SGX_CLS_FATAL, false, "%s status=%ld", dd_blocks[i].reason, st);
            out->block_scope = dd_blocks[i].scope;
            return true;
        }
    }
    return false;
}

/* 401 is the API user; a 403 without an error code is the regional endpoint ("you cannot use an
 * API endpoint belonging to a different region, and instead will receive a 403 - Forbidden:
 * Access is denied", https://developer.dotdigital.com/docs/api-end-points); a 403 with another
 * code names what it is about and is not called a region problem. */
static void auth_block(const char *code, long st, sgx_classification_t *out)
{
    if (st == 401) {
        sgx_dd_verdict(out, SGX_CLS_FATAL, false, "dd_unauthorized: check api_user/api_password");
    } else if (!code[0]) {
        sgx_dd_verdict(out, SGX_CLS_FATAL, false, "dd_forbidden: wrong region for this account "
                       "(set region r1/r2/r3) or the API user lacks access");
    } else {
        sgx_dd_verdict(out, SGX_CLS_FATAL, false, "dd_forbidden code=%s status=%ld", code, st);
    }
    out->block_auth = true;
}

void sgx_dd_classify_error(const sgx_dd_ctx_t *dd, const sgx_response_t *resp,
                           sgx_classification_t *out)
{
    char code[64];
    error_code(resp, code, sizeof code);
    long st = resp->status;
    if (st == 429 || strcmp(code, "ERROR_APIUSAGE_EXCEEDED") == 0) {
        throttle(resp, code, out);
    } else if (st >= 400 && st < 500 && account_block(code, st, out)) {
        return;
    } else if (st == 401 || st == 403) {
        auth_block(code, st, out);
    } else if (st >= 500 || st < 400) {
        sgx_dd_verdict(out, SGX_CLS_RETRY, false, "http_status=%ld", st);
    } else if (strcmp(code, "ERROR_ADDRESSBOOK_IN_USE") == 0) {
        /* "in use - retrying later may succeed" (error response types) */
        sgx_dd_verdict(out, SGX_CLS_RETRY, false, "dd_error code=%s status=%ld", code, st);
    } else if (strcmp(code, "ERROR_IMPORT_TOOMANYACTIVEIMPORTS") == 0 ||
               (resp->body && strcasestr(resp->body, "too many active imports"))) {
        /* The account's 25 concurrent imports are in use (perhaps by other clients). */
        sgx_dd_verdict(out, SGX_CLS_RETRY, true, "dd_too_many_active_imports");
        out->retry_after_ms = 5 * dd->poll_ms;
    } else {
        /* The request as a whole was refused (a data field, the file): perhaps for a few
         * rows only, so the core splits it until the bad rows are isolated. */
        sgx_dd_verdict(out, SGX_CLS_REJECTED, false, "dd_error code=%s status=%ld",
                       code[0] ? code : "none", st);
        out->split = true;
    }
}

static json_t *parse_object(const sgx_response_t *resp)
{
    json_t *root = resp->body_len ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    if (!json_is_object(root)) {
        json_decref(root);
        return NULL;
    }
    return root;
}

static bool ok_status(const sgx_response_t *resp)
{
    return resp->status >= 200 && resp->status < 300;
}

/* ---- final verdicts ------------------------------------------------------------------------ */

static int cmp_fault(const void *a, const void *b)
{
    return strcmp(((const sgx_dd_fault_t *)a)->email, ((const sgx_dd_fault_t *)b)->email);
}

static void add_rejected(sgx_classification_t *out, uint32_t i, const char *reason, size_t *cap)
{
    if (out->nrejected == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        out->rejected_idx = sgx_realloc(out->rejected_idx, *cap * sizeof *out->rejected_idx);
        out->row_reasons = sgx_realloc(out->row_reasons, *cap * sizeof *out->row_reasons);
    }
    out->rejected_idx[out->nrejected] = i;
    out->row_reasons[out->nrejected++] = sgx_strdup(reason);
}

void sgx_dd_finish(const sgx_dd_ctx_t *dd, const sgx_batch_t *batch, sgx_dd_fault_t *faults,
                   size_t nfaults, sgx_classification_t *out)
{
    size_t cap = 0;
    if (nfaults) {
        qsort(faults, nfaults, sizeof *faults, cmp_fault);
    }
    for (size_t i = 0; i < batch->nrows; i++) {
        size_t n;
        const char *email = sgx_dd_row_email(dd, batch->rows[i], &n);
        if (!email) {
            add_rejected(out, (uint32_t)i, "dd_no_email", &cap);
            continue;
        }
        if (!nfaults) {
            continue;
        }
        char key[SGX_NORM_MAX + 1];
        snprintf(key, sizeof key, "%.*s", (int)n, email);
        sgx_dd_fault_t probe = {.email = key};
        const sgx_dd_fault_t *f = bsearch(&probe, faults, nfaults, sizeof *faults, cmp_fault);
        if (f) {
            char why[128];
            snprintf(why, sizeof why, "dd_import_fault=%s", f->reason);
            add_rejected(out, (uint32_t)i, why, &cap);
        }
    }
    bool enter = batch->op == SGX_OP_ENTER;
    if (out->nrejected) {
        sgx_dd_verdict(out, SGX_CLS_PARTIAL, false, "dd_rows_not_%s=%ld",
                       enter ? "imported" : "removed", (long)out->nrejected);
    } else {
        sgx_dd_verdict(out, SGX_CLS_DELIVERED, false, "dd_%s", enter ? "imported" : "removed");
    }
}

/* ---- steps ----------------------------------------------------------------------------------- */

static bool valid_guid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n < 64 &&
           strspn(s, "0123456789abcdefABCDEF-ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ") == n;
}

static void enter_started(const sgx_dd_ctx_t *dd, const sgx_response_t *resp,
                          sgx_classification_t *out)
{
    json_t *root = parse_object(resp);
    const char *guid = json_string_value(json_object_get(root, "id"));
    if (!valid_guid(guid)) {
        sgx_dd_verdict(out, SGX_CLS_RETRY, false, "dd_unparsable_response status=%ld",
                       resp->status);
    } else {
        size_t n = strlen(guid) + 4;
        out->state = sgx_malloc(n);
        snprintf(out->state, n, "%s 0", guid);
        sgx_dd_verdict(out, SGX_CLS_NEXT_STEP, false, "dd_import_started");
        out->next_step = 1;
        out->retry_after_ms = dd->poll_ms;
    }
    json_decref(root);
}

static void enter_polled(const sgx_dd_ctx_t *dd, const sgx_job_t *job,
                         const sgx_response_t *resp, sgx_classification_t *out)
{
    json_t *root = parse_object(resp);
    const char *status = json_string_value(json_object_get(root, "status"));
    const char *sp = job->state ? strchr(job->state, ' ') : NULL;
    long long polls = sp ? atoll(sp + 1) : 0;
    bool failed = false;
    for (size_t i = 0; status && i < sizeof dd_failed_statuses / sizeof *dd_failed_statuses; i++) {
        failed = failed || strcmp(status, dd_failed_statuses[i]) == 0;
    }
    if (!status) {
        sgx_dd_verdict(out, SGX_CLS_RETRY, false, "dd_unparsable_response status=%ld",
                       resp->status);
    } else if (strcmp(status, "Finished") == 0) {
        sgx_dd_verdict(out, SGX_CLS_NEXT_STEP, false, "dd_import_finished");
        out->next_step = 2;
        out->retry_after_ms = 0;
    } else if (failed) {
        sgx_dd_verdict(out, SGX_CLS_REJECTED, false, "dd_import_status=%s", status);
    } else {
        /* NotFinished, Unknown or a status this code does not know yet: keep polling. Past
         * import_timeout_s the import may still finish and add its contacts (v2 cannot cancel
         * an import), so it is never given up: an EXIT held behind it would run first and the
         * late import would re-add the contact. The core polls it slowly instead. */
        size_t guid_len = sp ? (size_t)(sp - job->state) : strlen(job->state ? job->state : "");
        size_t n = guid_len + 24;
        out->state = sgx_malloc(n);
        snprintf(out->state, n, "%.*s %lld", (int)guid_len, job->state ? job->state : "",
                 polls + 1);
        out->overdue = polls + 1 >= dd->max_polls;
        sgx_dd_verdict(out, SGX_CLS_NEXT_STEP, false, "dd_import_not_finished%s polls=%lld",
                out->overdue ? " overdue" : "", polls + 1);
        out->next_step = 1;
        out->retry_after_ms = dd->poll_ms;
    }
    json_decref(root);
}

/* An unreadable report cannot say which rows were refused. The import is Finished, so most rows
 * were applied, but none is known to be: after SGX_UNCONFIRMED_RETRIES reads the whole batch is
 * dead-lettered (not split: that would import it again) as dd_report_unparsable, rather than
 * acknowledged as delivered or retried for ever (docs/errors.md). */
static void enter_faults(const sgx_dd_ctx_t *dd, const sgx_job_t *job,
                         const sgx_response_t *resp, sgx_classification_t *out)
{
    sgx_dd_fault_t *faults = NULL;
    long n = sgx_dd_parse_faults(resp->body ? resp->body : "", resp->body_len, &faults);
    if (n < 0) {
        bool last = job->attempt + 1 >= SGX_UNCONFIRMED_RETRIES;
        sgx_dd_verdict(out, last ? SGX_CLS_REJECTED : SGX_CLS_RETRY, false,
                       "dd_report_unparsable attempt=%d", job->attempt + 1);
        return;
    }
    sgx_dd_finish(dd, job->batch, faults, (size_t)n, out);
    sgx_dd_faults_free(faults, n);
}

void sgx_dd_classify(const void *ctx, const sgx_job_t *job, const sgx_response_t *resp,
                     sgx_classification_t *out)
{
    const sgx_dd_ctx_t *dd = ctx;
    out->retry_after_ms = -1;
    if (resp->transport_error || resp->status == 0) {
        sgx_dd_verdict(out, SGX_CLS_RETRY, false, "transport_error");
        return;
    }
    if (job->batch->op == SGX_OP_EXIT) {
        sgx_dd_classify_exit(dd, job, resp, out); /* a 404 there can mean "already absent" */
    } else if (!ok_status(resp)) {
        sgx_dd_classify_error(dd, resp, out);
    } else if (job->step == 0) {
        enter_started(dd, resp, out);
    } else if (job->step == 1) {
        enter_polled(dd, job, resp, out);
    } else {
        enter_faults(dd, job, resp, out);
    }
    read_quota(resp, out);
}
