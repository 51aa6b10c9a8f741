/* Responses of the steps -> verdicts. API errors arrive as
 *   {"TrackingId","RequestId","Code":3224,"ErrorCode":"...","Message"}        (upload)
 *   {"TrackingId","OperationErrors":[{"Code","ErrorCode","Message"}], ...}   (REST calls; the
 *   Campaign Management find's ApplicationFault: ApiFaultDetail with OperationErrors or
 *   AdApiFaultDetail with Errors, REST SDK campaign_management_service_api.py maps 400, 401,
 *   403 and 500 to ApplicationFault)
 * and the code decides (operation-error-codes, learn.microsoft.com/advertising/guides/
 * operation-error-codes; the upload range 3220-3227 per guides/bulk-download-upload):
 *   3224 BulkServiceUrlAlreadyUsedForUpload, 3226 BulkServiceUrlExpired -> a new upload URL
 *   3225 BulkServiceFileRowCountExceeded -> the batch is split (SPLIT)
 *   3227 BulkServiceTooManyRequests, 4204, 117 -> wait and retry (throttled)
 *   8003 terms not accepted (FATAL), 105/106 credentials refused.
 * The symbolic ErrorCode is matched as well as the number, so a renumbering cannot turn an
 * expiry into a dead-letter. Reasons carry codes and symbolic names only, never Message (it
 * may quote what we sent). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/conn_util.h"
#include "connectors/microsoft_ads/msads.h"
#include "base/mem.h"

#define CODE_TERMS 8003
#define CODE_THROTTLED 4204
#define CODE_CALL_RATE 117
#define CODE_URL_USED 3224
#define CODE_ROW_COUNT 3225
#define CODE_URL_EXPIRED 3226
#define CODE_TOO_MANY 3227
#define CODE_INVALID_CREDENTIALS 105
#define CODE_TOKEN_EXPIRED 109

typedef struct {
    json_t *root;  /* owned */
    long long code;
    char name[64]; /* ErrorCode, [A-Za-z0-9_] only */
    bool has_code;
} api_reply_t;

static void copy_name(char *dst, size_t cap, const char *src)
{
    sgx_conn_copy_token(dst, cap, src, "_", "");
}

static bool take_error(json_t *e, api_reply_t *r)
{
    json_t *c = json_object_get(e, "Code");
    if (!json_is_integer(c) && !(json_is_string(c) && *json_string_value(c))) {
        return false;
    }
    r->code = json_is_integer(c) ? json_integer_value(c) : atoll(json_string_value(c));
    r->has_code = true;
    copy_name(r->name, sizeof r->name, json_string_value(json_object_get(e, "ErrorCode")));
    return true;
}

/* The first error code found: top level, then OperationErrors, BatchErrors, Errors. */
static void parse_api(const sgx_response_t *resp, api_reply_t *r)
{
    memset(r, 0, sizeof *r);
    if (!resp->body || !resp->body_len) {
        return;
    }
    r->root = json_loadb(resp->body, resp->body_len, 0, NULL);
    if (!json_is_object(r->root) || take_error(r->root, r)) {
        return;
    }
    static const char *const lists[] = {"OperationErrors", "BatchErrors", "Errors"};
    for (size_t l = 0; l < 3; l++) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(r->root, lists[l]), i, e) {
            if (take_error(e, r)) {
                return;
            }
        }
    }
}

static int64_t retry_after_header(const sgx_response_t *resp)
{
    const char *v;
    size_t n;
    if (!resp->headers || sgx_response_header(resp, "Retry-After", &v, &n) != SGX_OK || !n ||
        v[0] < '0' || v[0] > '9') {
        return -1;
    }
    return atoll(v) * 1000;
}

/* The documented symbolic names of the upload codes, for a reply whose number differs. */
static long long code_of(const api_reply_t *r)
{
    static const struct {
        const char *name;
        long long code;
    } names[] = {{"BulkServiceUrlAlreadyUsedForUpload", CODE_URL_USED},
                 {"BulkServiceFileRowCountExceeded", CODE_ROW_COUNT},
                 {"BulkServiceUrlExpired", CODE_URL_EXPIRED},
                 {"BulkServiceTooManyRequests", CODE_TOO_MANY}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(r->name, names[i].name) == 0) {
            return names[i].code;
        }
    }
    return r->code;
}

/* Decides by error code. @returns false when the code says nothing definite. */
static bool by_code(const sgx_msads_ctx_t *m, const sgx_job_t *job, const sgx_response_t *resp,
                    const api_reply_t *r, sgx_classification_t *out)
{
    if (!r->has_code) {
        return false;
    }
    snprintf(out->reason, sizeof out->reason, "msads_error code=%lld %s", r->code, r->name);
    switch (code_of(r)) {
    case CODE_TERMS:
        out->verdict = SGX_CLS_FATAL;
        snprintf(out->reason, sizeof out->reason, "%s", SGX_MSADS_TERMS_REASON);
        return true;
    case CODE_THROTTLED:
    case CODE_CALL_RATE:
    case CODE_TOO_MANY:
        out->verdict = SGX_CLS_RETRY;
        out->throttled = true;
        out->retry_after_ms = retry_after_header(resp);
        if (out->retry_after_ms < 0) {
            out->retry_after_ms = r->code == CODE_CALL_RATE ? 60000 : m->throttle_wait_ms;
        }
        return true;
    case CODE_URL_USED:
    case CODE_URL_EXPIRED:
        if (job->step != SGX_MSADS_STEP_UPLOAD) {
            return false;
        }
        out->verdict = SGX_CLS_NEXT_STEP; /* a fresh URL, the same file */
        out->next_step = SGX_MSADS_STEP_URL;
        out->retry_after_ms = 0;
        return true;
    case CODE_ROW_COUNT:
        /* Too many rows for one file (4,000,000 in production, 20,000 in the sandbox): the
         * same file would fail again, so the core sends each half as its own file. */
        out->verdict = SGX_CLS_SPLIT;
        return true;
    case CODE_TOKEN_EXPIRED:
        out->verdict = SGX_CLS_REAUTH;
        return true;
    case CODE_INVALID_CREDENTIALS:
        if (resp->status == 401) {
            out->verdict = SGX_CLS_REAUTH;
        } else {
            out->verdict = SGX_CLS_FATAL; /* developer token / customer / account refused */
            out->block_auth = true;
            snprintf(out->reason, sizeof out->reason,
                     "msads_error code=105 InvalidCredentials: check developer_token, "
                     "customer_id and account_id");
        }
        return true;
    default:
        return false;
    }
}

static void by_status(long status, sgx_classification_t *out, bool keep_reason)
{
    if (!keep_reason) {
        snprintf(out->reason, sizeof out->reason, "http_status=%ld", status);
    }
    if (status == 401) {
        out->verdict = SGX_CLS_REAUTH;
    } else if (status == 429) {
        out->verdict = SGX_CLS_RETRY;
        out->throttled = true;
    } else if (status >= 500 || status == 408) {
        out->verdict = SGX_CLS_RETRY;
    } else if (status >= 400) {
        out->verdict = SGX_CLS_REJECTED;
    } else {
        out->verdict = SGX_CLS_RETRY;
    }
}

/* Ids and URLs from the service go into the state text (newline separated) and into later
 * requests: refuse anything with spaces or control characters. */
static bool clean_text(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= max) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] > 0x7e || s[i] == '"' ||
            s[i] == '\\') {
            return false;
        }
    }
    return true;
}

static bool http_url(const char *u)
{
    return u && sgx_conn_http_scheme(u) &&
           clean_text(u, 4096);
}

static void got_upload_url(const api_reply_t *r, sgx_classification_t *out)
{
    const char *id = json_string_value(json_object_get(r->root, "RequestId"));
    const char *url = json_string_value(json_object_get(r->root, "UploadUrl"));
    if (!clean_text(id, sizeof ((sgx_msads_state_t *)0)->request_id) || !http_url(url)) {
        out->verdict = SGX_CLS_RETRY;
        snprintf(out->reason, sizeof out->reason, "msads_unexpected_reply step=0");
        return;
    }
    sgx_msads_state_t st = {.upload_url = (char *)url};
    snprintf(st.request_id, sizeof st.request_id, "%s", id);
    out->verdict = SGX_CLS_NEXT_STEP;
    out->next_step = SGX_MSADS_STEP_UPLOAD;
    out->retry_after_ms = 0;
    out->state = sgx_msads_state_format(&st);
    snprintf(out->reason, sizeof out->reason, "upload url received");
}

/* Microsoft: wait about a minute per 10,000 rows before the first poll, then poll every
 * minute; the base is poll_interval_ms. */
static int64_t first_poll_ms(const sgx_msads_ctx_t *m, const sgx_job_t *job)
{
    size_t rows = job->batch ? job->batch->nrows : 0;
    size_t units = (rows + 9999) / 10000;
    return m->poll_interval_ms * (int64_t)(units ? units : 1);
}

/* The statuses of a job still running. Everything else is final: the SDK's
 * BulkUploadOperation.track() (bingads/v13/bulk/bulk_operation.py) polls only while the status
 * is InProgress, FileUploaded or PendingFileUpload, and get_status() lists Completed,
 * CompletedWithErrors, Failed, Expired and Aborted as final. An unknown status is final too:
 * polling it forever would hold the batch's offsets for good. */
static bool still_running(const char *status)
{
    return strcmp(status, "InProgress") == 0 || strcmp(status, "FileUploaded") == 0 ||
           strcmp(status, "PendingFileUpload") == 0;
}

static void poll_again(const sgx_msads_ctx_t *m, sgx_msads_state_t *st, const char *name,
                       sgx_classification_t *out)
{
    st->polls++;
    out->verdict = SGX_CLS_NEXT_STEP;
    out->next_step = SGX_MSADS_STEP_STATUS;
    out->retry_after_ms = m->poll_interval_ms;
    /* The uploaded file may still be applied: never given up, polled slowly by the core. */
    out->overdue = st->polls >= m->max_polls;
    out->state = sgx_msads_state_format(st);
    snprintf(out->reason, sizeof out->reason, "msads_upload_status=%s polls=%ld", name,
             st->polls);
}

static void got_status(const sgx_msads_ctx_t *m, const sgx_job_t *job, const api_reply_t *r,
                       sgx_classification_t *out)
{
    const char *status = json_string_value(json_object_get(r->root, "RequestStatus"));
    const char *result = json_string_value(json_object_get(r->root, "ResultFileUrl"));
    sgx_msads_state_t st;
    if (!status || sgx_msads_state_parse(job->state, &st) != SGX_OK) {
        out->verdict = SGX_CLS_RETRY;
        snprintf(out->reason, sizeof out->reason, "msads_unexpected_reply step=2");
        return;
    }
    char name[40];
    copy_name(name, sizeof name, status);
    bool with_errors = strcmp(status, "CompletedWithErrors") == 0;
    bool done = with_errors || strcmp(status, "Completed") == 0;
    bool need_file = with_errors || (done && !job->batch->audience_id);
    if (still_running(status)) {
        poll_again(m, &st, name, out);
    } else if (strcmp(status, "UploadFileRowCountExceeded") == 0) {
        out->verdict = SGX_CLS_SPLIT; /* as error 3225: the file holds too many rows */
        snprintf(out->reason, sizeof out->reason, "msads_upload_status=%s", name);
    } else if (!done) {
        /* Failed, Expired, Aborted, UploadFileFormatNotSupported or a status we do not know:
         * the job is over and applied nothing we can tell. */
        out->verdict = SGX_CLS_REJECTED;
        snprintf(out->reason, sizeof out->reason, "msads_upload_status=%s", name);
    } else if (!need_file) {
        out->verdict = SGX_CLS_DELIVERED;
        snprintf(out->reason, sizeof out->reason, "msads_upload_status=Completed");
    } else if (http_url(result)) {
        sgx_free(st.result_url);
        st.result_url = sgx_strdup(result);
        out->verdict = SGX_CLS_NEXT_STEP;
        out->next_step = SGX_MSADS_STEP_RESULT;
        out->retry_after_ms = 0;
        out->state = sgx_msads_state_format(&st);
        snprintf(out->reason, sizeof out->reason, "msads_upload_status=%s", name);
    } else {
        poll_again(m, &st, name, out); /* final without a usable file URL yet */
    }
    sgx_msads_state_free(&st);
}

static void classify_result_file(const sgx_job_t *job, const sgx_response_t *resp,
                                 sgx_classification_t *out)
{
    if (resp->status == 200) {
        sgx_msads_read_result(job->batch, resp->body, resp->body_len, out);
        if (out->verdict == SGX_CLS_FATAL) {
            /* The job is final and applied nothing (a list-level error such as 8003); its result
             * file will never change. Once a person fixes the cause only a new upload of the same
             * file helps: start over at step 0 (after the core's FATAL wait) instead of reading
             * this file forever. */
            out->next_step = SGX_MSADS_STEP_URL;
        }
        return;
    }
    if (resp->status == 403 || resp->status == 404 || resp->status == 410) {
        /* The file URL lives 5 minutes: ask the status again for a fresh one. */
        out->verdict = SGX_CLS_NEXT_STEP;
        out->next_step = SGX_MSADS_STEP_STATUS;
        out->retry_after_ms = 0;
        snprintf(out->reason, sizeof out->reason, "msads_result_file http_status=%ld",
                 resp->status);
        return;
    }
    by_status(resp->status, out, false);
    if (out->verdict == SGX_CLS_REJECTED || out->verdict == SGX_CLS_REAUTH) {
        out->verdict = SGX_CLS_RETRY; /* the upload happened; never drop rows for the file */
    }
}

void sgx_msads_classify(const void *ctx, const sgx_job_t *job, const sgx_response_t *resp,
                        sgx_classification_t *out)
{
    const sgx_msads_ctx_t *m = ctx;
    out->retry_after_ms = -1;
    if (resp->transport_error || resp->status == 0) {
        out->verdict = SGX_CLS_RETRY;
        snprintf(out->reason, sizeof out->reason, "transport_error step=%d", job->step);
        return;
    }
    if (job->step == SGX_MSADS_STEP_RESULT) {
        classify_result_file(job, resp, out);
        return;
    }
    api_reply_t r;
    parse_api(resp, &r);
    bool ok = resp->status >= 200 && resp->status < 300;
    if (!by_code(m, job, resp, &r, out)) {
        if (!ok) {
            by_status(resp->status, out, r.has_code);
        } else if (sgx_msads_step(job) == SGX_MSADS_STEP_FIND) {
            sgx_msads_read_find(job->batch, r.root, out);
        } else if (job->step == SGX_MSADS_STEP_URL) {
            got_upload_url(&r, out);
        } else if (job->step == SGX_MSADS_STEP_UPLOAD) {
            out->verdict = SGX_CLS_NEXT_STEP;
            out->next_step = SGX_MSADS_STEP_STATUS;
            out->retry_after_ms = first_poll_ms(m, job);
            snprintf(out->reason, sizeof out->reason, "file uploaded");
        } else if (job->step == SGX_MSADS_STEP_STATUS) {
            got_status(m, job, &r, out);
        } else {
            out->verdict = SGX_CLS_REJECTED;
            snprintf(out->reason, sizeof out->reason, "msads_unknown_step=%d", job->step);
        }
    }
    json_decref(r.root);
}
