/* Dotdigital response -> verdict, per step (see dotdigital.h for the steps).
 * Errors: v2 answers {"message":"<text> ERROR_<CODE>"}; only the ERROR_ code reaches reasons,
 * never the message (it can echo an e-mail). 429 carries x-ratelimit-* headers; the reset may
 * be a Unix time, in which case the response's Date gives the delay (connectors have no
 * clock). Faulty import rows come back from report-faults as CSV with an Email column and, when
 * present, a Reason column (the emulator's format; the real file's columns are UNCONFIRMED). */
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

__attribute__((format(printf, 4, 5))) static void verdict(sgx_classification_t *out,
                                                          sgx_verdict_t v, bool throttled,
                                                          const char *fmt, ...)
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

/* Milliseconds until the rate-limit window reopens, or -1 (the core backs off). */
static int64_t ratelimit_retry_ms(const sgx_response_t *resp)
{
    int64_t secs, reset;
    if (header_int(resp, "Retry-After", &secs)) {
        return secs * 1000;
    }
    if (!header_int(resp, "x-ratelimit-reset", &reset)) {
        return -1;
    }
    if (reset < 1000000000) {
        return reset * 1000; /* relative seconds */
    }
    const char *v;
    size_t n;
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

/* Non-2xx answers, the same for every step. */
static void classify_error(const sgx_dd_ctx_t *dd, const sgx_response_t *resp,
                           sgx_classification_t *out)
{
    char code[64];
    error_code(resp, code, sizeof code);
    long st = resp->status;
    if (st == 429) {
        const char *scope;
        size_t n;
        bool has = resp->headers &&
                   sgx_response_header(resp, "x-ratelimit-scope", &scope, &n) == SGX_OK &&
                   n < 32 && strspn(scope, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789_-") >= n;
        char sc[32];
        snprintf(sc, sizeof sc, "%.*s", has ? (int)n : 0, has ? scope : "");
        verdict(out, SGX_CLS_RETRY, true, "dd_throttled scope=%s", has ? sc : "unknown");
        out->retry_after_ms = ratelimit_retry_ms(resp);
    } else if (st == 401 || st == 403) {
        /* Credentials or the account's region: nothing can go until a person fixes them
         * (https://developer.dotdigital.com/docs/getting-started-with-the-api: 401 bad API
         * user, 403 wrong region endpoint or no access). */
        verdict(out, SGX_CLS_FATAL, false, st == 401 ? "dd_unauthorized: check api_user/"
                "api_password" : "dd_forbidden: wrong region for this account (set region "
                "r1/r2/r3) or the API user lacks access");
        out->block_auth = true;
    } else if (st == 404 && strcmp(code, "ERROR_ADDRESSBOOK_NOT_FOUND") == 0) {
        verdict(out, SGX_CLS_FATAL, false, "dd_error code=%s status=%ld", code, st);
        out->block_scope = SGX_BLOCK_AUDIENCE; /* deleted, or an id of another account */
    } else if (st >= 500 || st < 400) {
        verdict(out, SGX_CLS_RETRY, false, "http_status=%ld", st);
    } else if (strcmp(code, "ERROR_IMPORT_TOOMANYACTIVEIMPORTS") == 0 ||
               (resp->body && strcasestr(resp->body, "too many active imports"))) {
        /* The account's 25 concurrent imports are in use (perhaps by other clients). */
        verdict(out, SGX_CLS_RETRY, true, "dd_too_many_active_imports");
        out->retry_after_ms = 5 * dd->poll_ms;
    } else {
        /* The request as a whole was refused (a data field, the file): perhaps for a few
         * rows only, so the core splits it until the bad rows are isolated. */
        verdict(out, SGX_CLS_REJECTED, false, "dd_error code=%s status=%ld",
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

typedef struct {
    char *email; /* lowercased, owned */
    char *reason;
} dd_fault_t;

static int cmp_fault(const void *a, const void *b)
{
    return strcmp(((const dd_fault_t *)a)->email, ((const dd_fault_t *)b)->email);
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

/* Rows without an e-mail, and rows whose e-mail is among the faults, are rejected. */
static void finish(const sgx_dd_ctx_t *dd, const sgx_batch_t *batch, dd_fault_t *faults,
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
        dd_fault_t probe = {.email = key};
        const dd_fault_t *f = bsearch(&probe, faults, nfaults, sizeof *faults, cmp_fault);
        if (f) {
            char why[128];
            snprintf(why, sizeof why, "dd_import_fault=%s", f->reason);
            add_rejected(out, (uint32_t)i, why, &cap);
        }
    }
    if (out->nrejected) {
        char what[16];
        snprintf(what, sizeof what, "%s", batch->op == SGX_OP_ENTER ? "imported" : "removed");
        verdict(out, SGX_CLS_PARTIAL, false, "dd_rows_not_%s=%ld", what, (long)out->nrejected);
    } else {
        verdict(out, SGX_CLS_DELIVERED, false, "dd_%s",
                batch->op == SGX_OP_ENTER ? "imported" : "removed");
    }
}

/* ---- report-faults CSV ----------------------------------------------------------------------- */

/* Reads one RFC 4180 field at *p into out (unquoted); *eol is set when the record ends. */
static void csv_field(const char **p, const char *end, sgx_buf_t *out, bool *eol)
{
    const char *s = *p;
    sgx_buf_reset(out);
    *eol = false;
    if (s < end && *s == '"') {
        for (s++; s < end; s++) {
            if (*s == '"' && s + 1 < end && s[1] == '"') {
                sgx_buf_putc(out, '"');
                s++;
            } else if (*s == '"') {
                s++;
                break;
            } else {
                sgx_buf_putc(out, *s);
            }
        }
    }
    while (s < end && *s != ',' && *s != '\n' && *s != '\r') {
        sgx_buf_putc(out, *s++);
    }
    if (s < end && *s == ',') {
        s++;
    } else {
        *eol = true;
        s += s < end && *s == '\r';
        s += s < end && *s == '\n';
    }
    *p = s;
}

/* Reasons go to DLQ headers: keep [A-Za-z0-9_.-], nothing else. */
static char *clean_reason(const char *s, size_t n)
{
    char *r = sgx_malloc(n < 48 ? n + 1 : 49);
    size_t k = 0;
    for (size_t i = 0; i < n && k < 48; i++) {
        char c = s[i];
        if (isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-') {
            r[k++] = c;
        }
    }
    r[k] = '\0';
    if (!k) {
        sgx_free(r);
        r = sgx_strdup("unspecified");
    }
    return r;
}

static void lower_ascii(char *s)
{
    for (; *s; s++) {
        *s = (char)tolower((unsigned char)*s);
    }
}

/* @returns the faults listed in body, or -1 when it has no Email column. */
static long parse_faults(const char *body, size_t len, dd_fault_t **out)
{
    const char *p = body, *end = body + len;
    sgx_buf_t f = {0};
    bool eol = false;
    long email_col = -1, reason_col = -1, col = 0, n = 0, cap = 0;
    for (; p < end && !eol; col++) {
        csv_field(&p, end, &f, &eol);
        const char *name = f.data ? f.data : "";
        email_col = strcasecmp(name, "Email") == 0 ? col : email_col;
        reason_col = strcasecmp(name, "Reason") == 0 ? col : reason_col;
    }
    *out = NULL;
    while (email_col >= 0 && p < end) {
        char *email = NULL, *reason = NULL;
        eol = false;
        for (col = 0; p < end && !eol; col++) {
            csv_field(&p, end, &f, &eol);
            if (col == email_col && f.len) {
                email = sgx_strdup(f.data);
            } else if (col == reason_col) {
                reason = clean_reason(f.data ? f.data : "", f.len);
            }
        }
        if (!email) {
            sgx_free(reason);
            continue; /* a blank line */
        }
        lower_ascii(email);
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = sgx_realloc(*out, (size_t)cap * sizeof **out);
        }
        (*out)[n++] = (dd_fault_t){email, reason ? reason : sgx_strdup("unspecified")};
    }
    sgx_buf_free(&f);
    return email_col < 0 ? -1 : n;
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
        verdict(out, SGX_CLS_RETRY, false, "dd_unparsable_response status=%ld", resp->status);
    } else {
        size_t n = strlen(guid) + 4;
        out->state = sgx_malloc(n);
        snprintf(out->state, n, "%s 0", guid);
        verdict(out, SGX_CLS_NEXT_STEP, false, "dd_import_started");
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
        verdict(out, SGX_CLS_RETRY, false, "dd_unparsable_response status=%ld", resp->status);
    } else if (strcmp(status, "Finished") == 0) {
        verdict(out, SGX_CLS_NEXT_STEP, false, "dd_import_finished");
        out->next_step = 2;
        out->retry_after_ms = 0;
    } else if (failed) {
        verdict(out, SGX_CLS_REJECTED, false, "dd_import_status=%s", status);
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
        verdict(out, SGX_CLS_NEXT_STEP, false, "dd_import_not_finished%s polls=%lld",
                out->overdue ? " overdue" : "", polls + 1);
        out->next_step = 1;
        out->retry_after_ms = dd->poll_ms;
    }
    json_decref(root);
}

static void enter_faults(const sgx_dd_ctx_t *dd, const sgx_job_t *job,
                         const sgx_response_t *resp, sgx_classification_t *out)
{
    dd_fault_t *faults = NULL;
    long n = resp->body_len ? parse_faults(resp->body, resp->body_len, &faults) : 0;
    if (n < 0) {
        verdict(out, SGX_CLS_RETRY, false, "dd_unparsable_report_faults");
        return;
    }
    finish(dd, job->batch, faults, (size_t)n, out);
    for (long i = 0; i < n; i++) {
        sgx_free(faults[i].email);
        sgx_free(faults[i].reason);
    }
    sgx_free(faults);
}

/* EXIT: after a lookup or a delete, decide the next step from the ids collected so far. */
static void exit_advance(const sgx_dd_ctx_t *dd, const sgx_batch_t *batch, const char *ids,
                         size_t ids_len, size_t nids, size_t next, sgx_classification_t *out)
{
    next = sgx_dd_next_email_row(dd, batch, next);
    if (next >= batch->nrows && nids == 0) {
        finish(dd, batch, NULL, 0, out);
        return;
    }
    char phase = (next >= batch->nrows || nids >= SGX_DD_DELETE_CHUNK) ? 'D' : 'R';
    size_t n = ids_len + 32;
    out->state = sgx_malloc(n);
    snprintf(out->state, n, "%c%zu;%.*s", phase, next, (int)ids_len, ids);
    verdict(out, SGX_CLS_NEXT_STEP, false, "%s",
            phase == 'D' ? "dd_delete_contacts" : "dd_resolve_contact");
    out->retry_after_ms = 0;
}

static void exit_step(const sgx_dd_ctx_t *dd, const sgx_job_t *job, const sgx_response_t *resp,
                      sgx_classification_t *out)
{
    sgx_dd_exit_state_t st;
    if (sgx_dd_exit_state_parse(job->state, &st)) {
        verdict(out, SGX_CLS_REJECTED, false, "dd_bad_job_state");
        return;
    }
    if (st.phase == 'D') {
        if (!ok_status(resp)) {
            classify_error(dd, resp, out);
        } else {
            exit_advance(dd, job->batch, "", 0, 0, st.next, out);
        }
        return;
    }
    size_t row = sgx_dd_next_email_row(dd, job->batch, st.next);
    if (resp->status == 404) {
        /* Not a contact of the account: already absent from every address book. */
        exit_advance(dd, job->batch, st.ids, st.ids_len, st.nids, row + 1, out);
        return;
    }
    if (!ok_status(resp)) {
        classify_error(dd, resp, out);
        return;
    }
    json_t *root = parse_object(resp);
    json_t *id = json_object_get(root, "id");
    if (!json_is_integer(id) || json_integer_value(id) <= 0) {
        verdict(out, SGX_CLS_RETRY, false, "dd_unparsable_response status=%ld", resp->status);
    } else {
        sgx_buf_t ids = {0};
        sgx_buf_append(&ids, st.ids, st.ids_len);
        char num[24];
        snprintf(num, sizeof num, "%s%" PRId64, st.ids_len ? "," : "",
                 (int64_t)json_integer_value(id));
        sgx_buf_puts(&ids, num);
        exit_advance(dd, job->batch, ids.data, ids.len, st.nids + 1, row + 1, out);
        sgx_buf_free(&ids);
    }
    json_decref(root);
}

void sgx_dd_classify(const void *ctx, const sgx_job_t *job, const sgx_response_t *resp,
                     sgx_classification_t *out)
{
    const sgx_dd_ctx_t *dd = ctx;
    out->retry_after_ms = -1;
    if (resp->transport_error || resp->status == 0) {
        verdict(out, SGX_CLS_RETRY, false, "transport_error");
        return;
    }
    if (job->batch->op == SGX_OP_EXIT) {
        exit_step(dd, job, resp, out);
        return;
    }
    if (!ok_status(resp)) {
        classify_error(dd, resp, out);
    } else if (job->step == 0) {
        enter_started(dd, resp, out);
    } else if (job->step == 1) {
        enter_polled(dd, job, resp, out);
    } else {
        enter_faults(dd, job, resp, out);
    }
}
