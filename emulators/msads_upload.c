/* The file upload to an upload URL: multipart/form-data with a "file" part, CSV or ZIP
 * (guides/bulk-download-upload, "HTTP POST"), single use, 15 minutes, the row and size caps. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "emulators/msads_priv.h"

/* The "file" part of a multipart/form-data body. */
static bool multipart_file(struct MHD_Connection *conn, const sgx_emu_body_t *body,
                           const char **data, size_t *len)
{
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    const char *b = ct ? strstr(ct, "boundary=") : NULL;
    if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0 || !b || !body->buf.data) {
        return false;
    }
    char delim[128];
    int n = snprintf(delim, sizeof delim, "--%s", b + 9);
    if (n <= 2 || (size_t)n >= sizeof delim) {
        return false;
    }
    const char *s = body->buf.data, *end = s + body->buf.len;
    const char *start = memmem(s, body->buf.len, delim, (size_t)n);
    const char *hdr_end = start ? memmem(start, (size_t)(end - start), "\r\n\r\n", 4) : NULL;
    if (!hdr_end || !memmem(start, (size_t)(hdr_end - start), "name=\"file\"", 11)) {
        return false;
    }
    const char *fstart = hdr_end + 4;
    char close[132];
    int cn = snprintf(close, sizeof close, "\r\n%s", delim);
    const char *fend = memmem(fstart, (size_t)(end - fstart), close, (size_t)cn);
    if (!fend) {
        return false;
    }
    *data = fstart;
    *len = (size_t)(fend - fstart);
    return true;
}

/* The uploaded CSV: the part itself, or the one member of a ZIP part. */
static bool upload_csv(sgx_emu_msads_t *e, const char *data, size_t len, sgx_buf_t *out)
{
    sgx_buf_reset(out);
    if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0) {
        return sgx_emu_msads_unzip(data, len, e->max_bytes * 8, out) == SGX_OK;
    }
    sgx_buf_append(out, data, len);
    return true;
}

/* Records after the header row. */
static size_t csv_rows(const sgx_buf_t *f)
{
    size_t rows = 0;
    for (size_t i = 0; i < f->len; i++) {
        rows += f->data[i] == '\n';
    }
    return rows ? rows - 1 : 0;
}

void sgx_emu_msads_upload_locked(sgx_emu_msads_t *e, struct MHD_Connection *conn,
                                 const char *token, const sgx_emu_body_t *body,
                                 msads_reply_t *r)
{
    msads_job_t *j = sgx_emu_msads_find_job_locked(e, NULL, token);
    const char *data;
    size_t len;
    /* destinations.md §2: every upload refusal is HTTP 400 with a JSON body
     * {"TrackingId","RequestId","Code":322x,"ErrorCode","Message"}. */
    if (!j) {
        sgx_emu_msads_error(r, 400, 3221, "BulkServiceUploadUrlNotFound", "unknown upload URL");
    } else if (j->used) {
        /* The guide's own example reply (guides/bulk-download-upload, step 4). */
        e->stats.url_reused++;
        sgx_emu_msads_error(r, 400, 3224, "BulkServiceUrlAlreadyUsedForUpload",
                            "The URL has already been used for file upload.");
    } else if (sgx_emu_msads_now_ms() - j->issued_ms > (int64_t)e->url_ttl_s * 1000) {
        /* 3225-3227 as issue 11 quotes operation-error-codes (the upload range 3220-3227). */
        e->stats.url_expired++;
        sgx_emu_msads_error(r, 400, 3226, "BulkServiceUrlExpired", "The URL has expired.");
    } else if (e->too_many_n > 0) {
        e->too_many_n--;
        e->stats.too_many++;
        sgx_emu_msads_error(r, 400, 3227, "BulkServiceTooManyRequests",
                            "Too many requests; try again later.");
    } else if (body->overflow || !multipart_file(conn, body, &data, &len) || len > e->max_bytes) {
        /* Number and name not in our sources; the connector never sends such a file. */
        sgx_emu_msads_error(r, 400, 3220, "BulkServiceNoFileInUpload",
                            "expected multipart/form-data with one file part within 100 MB");
    } else if (!upload_csv(e, data, len, &j->file)) {
        sgx_emu_msads_error(r, 400, 3220, "BulkServiceNoFileInUpload",
                            "a ZIP upload must hold exactly one file");
    } else if (csv_rows(&j->file) > e->row_cap) {
        e->stats.row_count_exceeded++;
        sgx_buf_free(&j->file);
        sgx_emu_msads_error(r, 400, 3225, "BulkServiceFileRowCountExceeded",
                            "The file has more rows than allowed.");
    } else {
        j->used = j->uploaded = true;
        j->status = "FileUploaded";
        e->stats.uploads++;
        r->status = 200;
        r->json = json_pack("{s:s, s:s}", "TrackingId", "emu", "RequestId", j->request_id);
    }
    if (j && r->status != 200 && json_is_object(r->json)) {
        json_object_set_new(r->json, "RequestId", json_string(j->request_id));
    }
}

