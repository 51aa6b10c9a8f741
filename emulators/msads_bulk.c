/* The emulated bulk job: upload URL, status progression, validation and application of the
 * file at completion, and the result file. The upload itself is in msads_upload.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "emulators/msads_priv.h"

#define RESULT_HEADER                                                                          \
    "\xEF\xBB\xBFType,Status,Id,Parent Id,Client Id,Modified Time,Name,Description,Scope,"     \
    "Audience,Action Type,Sub Type,Text,Error,Error Number\r\n"

/* ---- a small CSV reader, independent of the connector's ---------------------------------- */

#define EMU_MAX_COLS 32

typedef struct {
    const char *p, *end;
    char *f[EMU_MAX_COLS];
    size_t n;
} emu_csv_t;

static void csv_clear(emu_csv_t *c)
{
    for (size_t i = 0; i < EMU_MAX_COLS; i++) {
        sgx_free(c->f[i]);
        c->f[i] = NULL;
    }
    c->n = 0;
}

static bool csv_read(emu_csv_t *c)
{
    csv_clear(c);
    if (c->p >= c->end) {
        return false;
    }
    for (;;) {
        sgx_buf_t b = {0};
        sgx_buf_reserve(&b, 0);
        b.data[0] = '\0'; /* reserve does not terminate a fresh buffer */
        bool quoted = c->p < c->end && *c->p == '"';
        if (quoted) {
            for (c->p++; c->p < c->end; c->p++) {
                if (*c->p == '"' && c->p + 1 < c->end && c->p[1] == '"') {
                    sgx_buf_putc(&b, '"');
                    c->p++;
                } else if (*c->p == '"') {
                    c->p++;
                    break;
                } else {
                    sgx_buf_putc(&b, *c->p);
                }
            }
        }
        for (; c->p < c->end && *c->p != ',' && *c->p != '\r' && *c->p != '\n'; c->p++) {
            sgx_buf_putc(&b, *c->p);
        }
        if (c->n < EMU_MAX_COLS) {
            c->f[c->n] = b.data;
        } else {
            sgx_buf_free(&b);
        }
        c->n++;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '\r') {
            c->p++;
        }
        if (c->p < c->end && *c->p == '\n') {
            c->p++;
        }
        return true;
    }
}

static const char *fld(const emu_csv_t *c, int i)
{
    return i >= 0 && (size_t)i < c->n && i < EMU_MAX_COLS && c->f[i] ? c->f[i] : "";
}

static void put_field(sgx_buf_t *o, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        sgx_buf_puts(o, s);
        return;
    }
    sgx_buf_putc(o, '"');
    for (; *s; s++) {
        if (*s == '"') {
            sgx_buf_putc(o, '"');
        }
        sgx_buf_putc(o, *s);
    }
    sgx_buf_putc(o, '"');
}

enum { K_TYPE, K_STATUS, K_ID, K_PARENT, K_CLIENT, K_NAME, K_SCOPE, K_AUD, K_ACTION, K_SUB,
       K_TEXT, K__N };
static const char *const k_names[K__N] = {"Type", "Status", "Id", "Parent Id", "Client Id",
                                          "Name", "Scope", "Audience", "Action Type", "Sub Type",
                                          "Text"};

/* One result record: Type,Status,Id,Parent Id,Client Id,,Name,,Scope,Audience,Action,Sub,Text,
 * Error,Error Number. */
static void result_row(sgx_buf_t *o, const char *type, const char *id, const char *parent,
                       const emu_csv_t *c, const int *ki, const char *err, int errnum)
{
    const char *cells[15] = {type, fld(c, ki[K_STATUS]), id, parent, fld(c, ki[K_CLIENT]), "",
                             fld(c, ki[K_NAME]), "", fld(c, ki[K_SCOPE]), fld(c, ki[K_AUD]),
                             fld(c, ki[K_ACTION]), fld(c, ki[K_SUB]), fld(c, ki[K_TEXT]),
                             err ? err : "", ""};
    char num[16] = "";
    if (err) {
        snprintf(num, sizeof num, "%d", errnum);
    }
    cells[14] = num;
    for (int i = 0; i < 15; i++) {
        if (i) {
            sgx_buf_putc(o, ',');
        }
        put_field(o, cells[i]);
    }
    sgx_buf_puts(o, "\r\n");
}

/* File-local references: list row Id (negative or real) -> real id, action, error. */
typedef struct {
    char ref[32];
    char real[32];
    char action[8];
    int err;
    const char *err_name;
} list_ref_t;

static bool is_hex64(const char *s)
{
    if (strlen(s) != 64) {
        return false;
    }
    for (int i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

static bool digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s);
}

typedef struct {
    sgx_emu_msads_t *e;
    msads_job_t *job;
    list_ref_t refs[64];
    size_t nrefs;
    bool any_error;
} proc_t;

static void on_list(proc_t *p, const emu_csv_t *c, const int *ki)
{
    sgx_emu_msads_t *e = p->e;
    list_ref_t *r = p->nrefs < 64 ? &p->refs[p->nrefs++] : &p->refs[63];
    memset(r, 0, sizeof *r);
    const char *id = fld(c, ki[K_ID]), *action = fld(c, ki[K_ACTION]);
    snprintf(r->ref, sizeof r->ref, "%s", id);
    snprintf(r->action, sizeof r->action, "%s", action);
    if (strcmp(action, "Add") && strcmp(action, "Remove") && strcmp(action, "Replace")) {
        r->err = 8001, r->err_name = "InvalidCustomerListActionType";
    } else if (!e->terms) {
        r->err = 8003, r->err_name = "CustomerListTermsAndConditionsNotAccepted";
    } else if (id[0] == '-' && digits(id + 1)) {
        const char *name = fld(c, ki[K_AUD]);
        if (!*name || strlen(name) > 128) {
            r->err = 8000, r->err_name = "InvalidCustomerListName";
        } else {
            snprintf(r->real, sizeof r->real, "%llu", (unsigned long long)e->next_list++);
            json_object_set_new(e->lists, r->real, json_object());
            json_object_set_new(e->names, r->real, json_string(name));
            e->stats.lists_created++;
        }
    } else if (digits(id) && json_object_get(e->lists, id)) {
        snprintf(r->real, sizeof r->real, "%s", id);
    } else {
        r->err = 8000, r->err_name = "InvalidCustomerListId";
    }
    if (r->err) {
        p->any_error = true;
        result_row(&p->job->result, "Customer List Error", id, "", c, ki, r->err_name, r->err);
        return;
    }
    if (strcmp(action, "Replace") == 0) {
        json_object_clear(json_object_get(e->lists, r->real));
    }
    if (!p->job->errors_only) {
        result_row(&p->job->result, "Customer List", r->real, "", c, ki, NULL, 0);
    }
}

static void on_item(proc_t *p, const emu_csv_t *c, const int *ki)
{
    sgx_emu_msads_t *e = p->e;
    const char *parent = fld(c, ki[K_PARENT]), *text = fld(c, ki[K_TEXT]);
    list_ref_t *r = NULL;
    for (size_t i = p->nrefs; i-- > 0;) {
        if (strcmp(p->refs[i].ref, parent) == 0) {
            r = &p->refs[i];
            break;
        }
    }
    int err = 0;
    const char *name = NULL;
    char lower[65] = "";
    if (!r) {
        err = 8000, name = "InvalidCustomerListId"; /* no Customer List row before it */
    } else if (r->err) {
        err = r->err, name = r->err_name;
    } else if (strcmp(fld(c, ki[K_SUB]), "Email") != 0) {
        err = 8002, name = "CustomerListItemSubTypeNotSupported";
    } else if (!is_hex64(text)) {
        err = 8004, name = "EmailMustBeHashed";
    } else {
        for (int i = 0; i < 64; i++) {
            lower[i] = (char)tolower((unsigned char)text[i]);
        }
        if (e->fail_prefix[0] && strncmp(lower, e->fail_prefix, strlen(e->fail_prefix)) == 0) {
            err = 8004, name = "EmailMustBeHashed";
        }
    }
    e->stats.rows_received++;
    if (err) {
        p->any_error = true;
        e->stats.rows_failed++;
        result_row(&p->job->result, "Customer List Item Error", "", r ? r->real : parent, c,
                   ki, name, err);
        return;
    }
    json_t *set = json_object_get(e->lists, r->real);
    if (strcmp(r->action, "Remove") == 0) {
        json_object_del(set, lower);
    } else {
        json_object_set_new(set, lower, json_true());
    }
    if (!p->job->errors_only) {
        result_row(&p->job->result, "Customer List Item", "", r->real, c, ki, NULL, 0);
    }
}

/* Validates and applies the file. @returns the final status. @locks_required e->mu. */
static const char *process_locked(sgx_emu_msads_t *e, msads_job_t *job)
{
    if (e->fail_uploads_n > 0) {
        e->fail_uploads_n--;
        return "Failed";
    }
    if (e->final_status) {
        /* Failed, Expired, Aborted or a status the SDK does not know: all final
         * (bulk_operation.py BulkUploadOperation.get_status()/track()). */
        const char *st = e->final_status;
        e->final_status = NULL;
        return st;
    }
    const sgx_buf_t *f = &job->file;
    if (f->len < 3 || memcmp(f->data, "\xEF\xBB\xBF", 3) != 0) {
        return "UploadFileFormatNotSupported"; /* UTF-8 files need a BOM */
    }
    emu_csv_t c = {.p = f->data + 3, .end = f->data + f->len};
    int ki[K__N];
    const char *status = "UploadFileFormatNotSupported";
    if (!csv_read(&c) || strcmp(fld(&c, 0), "Type") != 0) {
        goto out;
    }
    for (int k = 0; k < K__N; k++) {
        ki[k] = -1;
        for (size_t i = 0; i < c.n && i < EMU_MAX_COLS; i++) {
            if (strcmp(c.f[i], k_names[k]) == 0) {
                ki[k] = (int)i;
            }
        }
    }
    if (ki[K_TYPE] != 0 || !csv_read(&c) || strcmp(fld(&c, 0), "Format Version") != 0 ||
        strcmp(fld(&c, ki[K_NAME]), "6.0") != 0) {
        goto out;
    }
    sgx_buf_puts(&job->result, RESULT_HEADER "Format Version,,,,,,6.0,,,,,,,,\r\n");
    proc_t p = {.e = e, .job = job};
    while (csv_read(&c)) {
        const char *type = fld(&c, 0);
        if (c.n == 1 && !*type) {
            continue; /* blank line */
        }
        if (strcmp(type, "Customer List") == 0) {
            on_list(&p, &c, ki);
        } else if (strcmp(type, "Customer List Item") == 0) {
            on_item(&p, &c, ki);
        } else {
            char t[96];
            snprintf(t, sizeof t, "%.80s Error", type);
            result_row(&job->result, t, "", "", &c, ki, "EntityNotSupported", 1);
            p.any_error = true;
        }
    }
    status = p.any_error ? "CompletedWithErrors" : "Completed";
out:
    csv_clear(&c);
    return status;
}

msads_job_t *sgx_emu_msads_find_job_locked(sgx_emu_msads_t *e, const char *request_id,
                                           const char *url_token)
{
    for (msads_job_t *j = e->jobs; j; j = j->next) {
        if ((request_id && strcmp(j->request_id, request_id) == 0) ||
            (url_token && strcmp(j->url_token, url_token) == 0)) {
            return j;
        }
    }
    return NULL;
}

void sgx_emu_msads_free_jobs(sgx_emu_msads_t *e)
{
    while (e->jobs) {
        msads_job_t *j = e->jobs;
        e->jobs = j->next;
        sgx_buf_free(&j->file);
        sgx_buf_free(&j->result);
        sgx_free(j);
    }
}

bool sgx_emu_msads_api_faults_locked(sgx_emu_msads_t *e, msads_reply_t *r)
{
    if (e->fail5xx_n > 0) {
        e->fail5xx_n--;
        e->stats.failed_5xx++;
        r->status = (unsigned)e->fail5xx_status;
        sgx_buf_puts(&r->csv, "upstream unavailable");
        r->ctype = "text/plain";
        return true;
    }
    /* "BulkServiceNoMoreCallsPermittedForTheTimePeriod" (operation error codes, 4204): the
     * service counts calls per time period; the period and count are not published, so both
     * are options. A refused call is not counted. */
    if (e->throttle_n > 0 || !sgx_emu_rl_take(&e->calls, sgx_emu_rl_now_ms())) {
        e->throttle_n -= e->throttle_n > 0;
        e->stats.throttled++;
        sgx_emu_msads_error(r, 400, 4204, "BulkServiceNoMoreCallsPermittedForTheTimePeriod",
                            "no more bulk calls permitted for the time period");
        return true;
    }
    return false;
}

void sgx_emu_msads_upload_url_locked(sgx_emu_msads_t *e, const json_t *req, msads_reply_t *r)
{
    /* The REST schema types AccountId as a string (the official SDK's generated model,
     * openapi_client/models/bulk/get_bulk_upload_url_request.py: StrictStr), the int64 of the
     * SOAP reference carried as text; a JSON number is not what the schema describes. The
     * error number for a wrongly typed field is ours (the docs name none). */
    json_t *acct = json_object_get(req, "AccountId");
    const char *mode = json_string_value(json_object_get(req, "ResponseMode"));
    if (acct && !json_is_string(acct)) {
        sgx_emu_msads_error(r, 400, 100, "InvalidRequest",
                            "AccountId must be a string (int64 as text)");
        return;
    }
    const char *a = json_string_value(acct);
    if (!a || strcmp(a, e->account) != 0) {
        sgx_emu_msads_error(r, 400, 105, "InvalidCredentials", "AccountId is not accessible");
        return;
    }
    if (!e->terms) {
        e->stats.terms_refused++;
        sgx_emu_msads_error(r, 400, 8003, "CustomerListTermsAndConditionsNotAccepted",
                            "accept the Customer Match terms in the web UI");
        return;
    }
    msads_job_t *j = sgx_calloc(1, sizeof *j);
    uint64_t n = ++e->seq;
    snprintf(j->request_id, sizeof j->request_id, "req-%llu", (unsigned long long)n);
    snprintf(j->url_token, sizeof j->url_token, "u%llu-%08llx", (unsigned long long)n,
             (unsigned long long)((n * 0x9E3779B97F4A7C15ULL) >> 32));
    j->issued_ms = sgx_emu_msads_now_ms();
    j->errors_only = !mode || strcmp(mode, "ErrorsAndResults") != 0;
    j->status = "PendingFileUpload";
    j->next = e->jobs;
    e->jobs = j;
    char url[160];
    snprintf(url, sizeof url, "http://%s:%u/upload/%s", e->host, (unsigned)e->port, j->url_token);
    r->status = 200;
    r->json = json_pack("{s:s, s:s}", "RequestId", j->request_id, "UploadUrl", url);
}

void sgx_emu_msads_upload_status_locked(sgx_emu_msads_t *e, const json_t *req,
                                        msads_reply_t *r)
{
    const char *id = json_string_value(json_object_get(req, "RequestId"));
    msads_job_t *j = id ? sgx_emu_msads_find_job_locked(e, id, NULL) : NULL;
    if (!j) {
        sgx_emu_msads_error(r, 400, 3100, "BulkServiceInvalidRequestId", "unknown RequestId");
        return;
    }
    int pct = 0;
    if (j->uploaded && !j->final && e->stall) {
        j->status = "InProgress"; /* a slow service: no progress, nothing applied yet */
    } else if (j->uploaded && !j->final) {
        j->polls++;
        if (j->polls <= e->polls_before_done) {
            j->status = j->polls == 1 ? "FileUploaded" : "InProgress";
            pct = j->polls * 100 / (e->polls_before_done + 1);
        } else {
            j->status = process_locked(e, j);
            j->final = true;
            sgx_buf_free(&j->file);
            bool ok = strncmp(j->status, "Completed", 9) == 0;
            if (ok) {
                e->stats.jobs_completed++;
            } else {
                e->stats.jobs_failed++;
            }
        }
    }
    char url[160] = "";
    if (j->final && strncmp(j->status, "Completed", 9) == 0) {
        snprintf(url, sizeof url, "http://%s:%u/results/%s", e->host, (unsigned)e->port,
                 j->request_id);
        pct = 100;
    }
    r->status = 200;
    r->json = json_pack("{s:s, s:i, s:s?, s:n}", "RequestStatus", j->status, "PercentComplete",
                        pct, "ResultFileUrl", url[0] ? url : NULL, "Errors");
}

void sgx_emu_msads_bulk(sgx_emu_msads_t *e, struct MHD_Connection *conn, const char *method,
                        const sgx_emu_path_t *path, const sgx_emu_body_t *body,
                        msads_reply_t *r)
{
    bool post = strcmp(method, "POST") == 0;
    pthread_mutex_lock(&e->mu);
    if (!post && path->n == 2 && strcmp(path->seg[0], "results") == 0 &&
        strcmp(method, "GET") == 0) {
        msads_job_t *j = sgx_emu_msads_find_job_locked(e, path->seg[1], NULL);
        e->stats.result_requests++;
        char member[64];
        snprintf(member, sizeof member, "%s.csv", j ? j->request_id : "");
        if (j && j->final && j->result.len && !e->results_gone &&
            sgx_emu_msads_zip(member, j->result.data, j->result.len, &r->csv) == SGX_OK) {
            r->status = 200;
            r->ctype = "application/zip";
        } else {
            r->status = 404;
            r->ctype = "text/plain";
            sgx_buf_puts(&r->csv, "not found");
        }
    } else if (post && path->n == 2 && strcmp(path->seg[0], "upload") == 0) {
        if (sgx_emu_msads_check_headers_locked(e, conn, true, r)) {
            sgx_emu_msads_upload_locked(e, conn, path->seg[1], body, r);
        }
    } else if (post && path->n == 4 && strcmp(path->seg[0], "Bulk") == 0 &&
               strcmp(path->seg[1], "v13") == 0 && strcmp(path->seg[3], "Query") == 0 &&
               (strcmp(path->seg[2], "BulkUploadUrl") == 0 ||
                strcmp(path->seg[2], "BulkUploadStatus") == 0)) {
        bool is_url = strcmp(path->seg[2], "BulkUploadUrl") == 0;
        if (is_url) {
            e->stats.url_requests++;
        } else {
            e->stats.status_requests++;
        }
        json_t *req = json_loadb(body->buf.data ? body->buf.data : "", body->buf.len, 0, NULL);
        if (!sgx_emu_msads_api_faults_locked(e, r) &&
            sgx_emu_msads_check_headers_locked(e, conn, false, r)) {
            if (!json_is_object(req)) {
                sgx_emu_msads_error(r, 400, 100, "NullRequest", "expected a JSON object");
            } else if (is_url) {
                sgx_emu_msads_upload_url_locked(e, req, r);
            } else {
                sgx_emu_msads_upload_status_locked(e, req, r);
            }
        }
        json_decref(req);
    } else if (post && path->n == 5 && strcmp(path->seg[0], "Api") == 0 &&
               strcmp(path->seg[4], "BulkService.svc") == 0) {
        sgx_emu_msads_soap_locked(e, body, r);
    } else if (post && path->n == 5 && strcmp(path->seg[0], "Api") == 0 &&
               strcmp(path->seg[4], "CampaignManagementService.svc") == 0) {
        sgx_emu_msads_campaign_locked(e, conn, false, body, r);
    } else if (post && path->n == 4 && strcmp(path->seg[0], "CampaignManagement") == 0 &&
               strcmp(path->seg[1], "v13") == 0 && strcmp(path->seg[2], "Audiences") == 0 &&
               strcmp(path->seg[3], "QueryByIds") == 0) {
        sgx_emu_msads_campaign_locked(e, conn, true, body, r);
    } else {
        sgx_emu_msads_error(r, 404, 0, "NotFound", "no such endpoint");
    }
    pthread_mutex_unlock(&e->mu);
}
