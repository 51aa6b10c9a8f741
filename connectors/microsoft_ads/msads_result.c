/* The result file of a finished upload (bulk-file-schema.md): a CSV with the upload's columns
 * plus Error and Error Number; failed rows come back as "<Type> Error" records echoing the
 * Client Id, and with ResponseMode ErrorsAndResults the Customer List record echoes the real Id
 * of a list created through a negative reference. Linear in the file; no copies of values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/microsoft_ads/msads.h"
#include "base/mem.h"

#define MAX_COLS 64

typedef struct {
    const char *p, *end;
    sgx_buf_t scratch[MAX_COLS]; /* unquoted field text */
    size_t n;
} csv_t;

/* Reads one record; @returns false at the end of input. Quoted fields may hold , " CR LF. */
static bool csv_next(csv_t *c)
{
    if (c->p >= c->end) {
        return false;
    }
    c->n = 0;
    for (;;) {
        sgx_buf_t *f = c->n < MAX_COLS ? &c->scratch[c->n] : NULL;
        if (f) {
            sgx_buf_reset(f);
            sgx_buf_reserve(f, 0);
            f->data[0] = '\0'; /* reserve does not terminate a fresh buffer */
        }
        if (c->p < c->end && *c->p == '"') {
            c->p++;
            while (c->p < c->end) {
                if (*c->p == '"' && c->p + 1 < c->end && c->p[1] == '"') {
                    c->p += 2;
                    if (f) sgx_buf_putc(f, '"');
                } else if (*c->p == '"') {
                    c->p++;
                    break;
                } else {
                    if (f) sgx_buf_putc(f, *c->p);
                    c->p++;
                }
            }
        }
        while (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
            if (f) sgx_buf_putc(f, *c->p);
            c->p++;
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

static const char *col(const csv_t *c, int i)
{
    return i >= 0 && (size_t)i < c->n && (size_t)i < MAX_COLS ? c->scratch[i].data : "";
}

static void csv_free(csv_t *c)
{
    for (size_t i = 0; i < MAX_COLS; i++) {
        sgx_buf_free(&c->scratch[i]);
    }
}

enum { C_TYPE, C_ID, C_PARENT, C_CLIENT, C_ERROR, C_ERRNUM, C__N };
static const char *const col_names[C__N] = {"Type", "Id", "Parent Id", "Client Id", "Error",
                                            "Error Number"};

/* "r<digits>" with the index inside the batch. */
static bool row_index(const char *client, size_t nrows, size_t *idx)
{
    if (client[0] != 'r' || !sgx_msads_digits(client + 1, strlen(client + 1))) {
        return false;
    }
    unsigned long long v = strtoull(client + 1, NULL, 10);
    if (v >= nrows) {
        return false;
    }
    *idx = (size_t)v;
    return true;
}

static void error_reason(char *dst, size_t cap, const char *num, const char *name)
{
    char clean[64] = "";
    size_t n = strlen(name);
    if (n < sizeof clean &&
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n) {
        memcpy(clean, name, n + 1);
    }
    long long code = atoll(num);
    snprintf(dst, cap, "msads_row_error code=%lld %s", code, clean);
}

typedef struct {
    uint8_t *bad;      /* per batch row */
    char **why;        /* per batch row, owned */
    size_t nbad;
    size_t unmapped;   /* error records we cannot tie to a row */
    bool list_error;
    long long list_code;
    char list_reason[128];
    char *created;     /* owned */
} result_t;

static void on_record(const csv_t *c, const int *ci, const sgx_batch_t *b, result_t *r)
{
    const char *type = col(c, ci[C_TYPE]);
    size_t tl = strlen(type);
    bool is_error = tl > 6 && strcmp(type + tl - 6, " Error") == 0;
    if (!is_error) {
        const char *id = col(c, ci[C_ID]);
        if (strcmp(type, "Customer List") == 0 && !b->audience_id && !r->created &&
            sgx_msads_digits(id, strlen(id))) {
            r->created = sgx_strdup(id);
        }
        return;
    }
    size_t idx;
    if (strcmp(type, "Customer List Item Error") == 0 &&
        row_index(col(c, ci[C_CLIENT]), b->nrows, &idx)) {
        if (!r->bad[idx]) {
            char why[128];
            error_reason(why, sizeof why, col(c, ci[C_ERRNUM]), col(c, ci[C_ERROR]));
            r->bad[idx] = 1;
            r->why[idx] = sgx_strdup(why);
            r->nbad++;
        }
    } else if (strcmp(type, "Customer List Item Error") == 0) {
        r->unmapped++;
    } else if (!r->list_error) {
        /* The list record, the format version or anything else: the whole file failed. */
        r->list_error = true;
        r->list_code = atoll(col(c, ci[C_ERRNUM]));
        char why[128];
        error_reason(why, sizeof why, col(c, ci[C_ERRNUM]), col(c, ci[C_ERROR]));
        snprintf(r->list_reason, sizeof r->list_reason, "msads_list_%.100s",
                 why + strlen("msads_row_"));
    }
}

static void to_verdict(const sgx_batch_t *b, result_t *r, sgx_classification_t *out)
{
    if (r->list_error && r->list_code == 8003) {
        out->verdict = SGX_CLS_FATAL;
        snprintf(out->reason, sizeof out->reason, "%s", SGX_MSADS_TERMS_REASON);
        return;
    }
    if (r->list_error && r->list_code == 8000) {
        /* InvalidCustomerListId/Name: the list does not exist in this account (deleted, or a
         * wrong id): nothing about the rows, so that audience is blocked, not dead-lettered
         * (guides/operation-error-codes.md). */
        out->verdict = SGX_CLS_FATAL;
        out->block_scope = SGX_BLOCK_AUDIENCE;
        snprintf(out->reason, sizeof out->reason, "%s", r->list_reason);
        return;
    }
    if (r->list_error || r->unmapped) {
        out->verdict = SGX_CLS_REJECTED;
        if (r->list_error) {
            snprintf(out->reason, sizeof out->reason, "%s", r->list_reason);
        } else {
            snprintf(out->reason, sizeof out->reason, "msads_unmapped_row_errors=%zu",
                     r->unmapped);
        }
        return;
    }
    if (!b->audience_id && !r->created) {
        out->verdict = SGX_CLS_REJECTED;
        snprintf(out->reason, sizeof out->reason, "msads_created_list_id_missing");
        return;
    }
    out->created_audience_id = r->created;
    r->created = NULL;
    if (r->nbad == 0) {
        out->verdict = SGX_CLS_DELIVERED;
        snprintf(out->reason, sizeof out->reason, "msads_result rows_failed=0");
        return;
    }
    out->verdict = SGX_CLS_PARTIAL;
    out->rejected_idx = sgx_malloc(r->nbad * sizeof *out->rejected_idx);
    out->row_reasons = sgx_calloc(r->nbad, sizeof *out->row_reasons);
    for (size_t i = 0; i < b->nrows; i++) {
        if (r->bad[i]) {
            out->rejected_idx[out->nrejected] = (uint32_t)i;
            out->row_reasons[out->nrejected++] = r->why[i];
            r->why[i] = NULL;
        }
    }
    snprintf(out->reason, sizeof out->reason, "msads_result rows_failed=%zu of %zu", r->nbad,
             b->nrows);
}

void sgx_msads_parse_result(const sgx_batch_t *b, const char *body, size_t len,
                            sgx_classification_t *out)
{
    csv_t c = {.p = body ? body : "", .end = (body ? body : "") + (body ? len : 0)};
    if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
        c.p += 3;
    }
    int ci[C__N];
    bool header = false;
    result_t r = {.bad = sgx_calloc(b->nrows + 1, 1),
                  .why = sgx_calloc(b->nrows + 1, sizeof(char *))};
    while (csv_next(&c)) {
        if (!header) {
            for (int k = 0; k < C__N; k++) {
                ci[k] = -1;
                for (size_t i = 0; i < c.n && i < MAX_COLS; i++) {
                    if (strcmp(col(&c, (int)i), col_names[k]) == 0) {
                        ci[k] = (int)i;
                    }
                }
            }
            header = ci[C_TYPE] == 0;
            if (!header) {
                break;
            }
            continue;
        }
        on_record(&c, ci, b, &r);
    }
    if (!header || ci[C_CLIENT] < 0 || ci[C_ERRNUM] < 0) {
        out->verdict = SGX_CLS_RETRY; /* not a result file (a proxy page?): fetch it again */
        snprintf(out->reason, sizeof out->reason, "msads_unparsable_result_file");
    } else {
        to_verdict(b, &r, out);
    }
    for (size_t i = 0; i < b->nrows; i++) {
        sgx_free(r.why[i]);
    }
    sgx_free(r.why);
    sgx_free(r.bad);
    sgx_free(r.created);
    csv_free(&c);
}

/* A result file above this is refused rather than inflated: 4,000,000 rows with results run to
 * ~700 MB of CSV. */
#define MSADS_RESULT_CAP ((size_t)1 << 30)

void sgx_msads_read_result(const sgx_batch_t *b, const char *body, size_t len,
                           sgx_classification_t *out)
{
    if (!sgx_msads_is_zip(body, len)) {
        /* Not what the service serves; a plain CSV is still read, anything else retried. */
        sgx_msads_parse_result(b, body, len, out);
        return;
    }
    sgx_buf_t csv = {0};
    sgx_err_t err = sgx_msads_unzip(body, len, MSADS_RESULT_CAP, &csv);
    if (err == SGX_OK) {
        sgx_msads_parse_result(b, csv.data, csv.len, out);
    } else {
        out->verdict = SGX_CLS_RETRY; /* a truncated download: fetch it again */
        snprintf(out->reason, sizeof out->reason, "msads_unreadable_result_zip %s",
                 sgx_err_str(err));
    }
    sgx_buf_free(&csv);
}
