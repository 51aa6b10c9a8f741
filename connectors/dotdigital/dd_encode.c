/* Dotdigital import file: CSV (RFC 4180, CRLF line ends) with the header
 *   Email,FIRSTNAME,LASTNAME,…     (the configured fields, in order)
 * and one line per row that has an e-mail; rows without one are left out here and rejected
 * by classify (Dotdigital keys contacts by e-mail). Values are plain text (destinations.md §7):
 * an absent value is an empty field. EXIT batches encode the Email column only: the body sizes
 * the batch, and the job's steps read the e-mails from the rows. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "connectors/conn_util.h"
#include "connectors/dotdigital/dotdigital.h"

const char *sgx_dd_row_email(const sgx_dd_ctx_t *dd, const sgx_row_t *row, size_t *len)
{
    const unsigned char *p;
    if (dd->email_idx >= row->nvals || sgx_row_val(row, dd->email_idx, &p, len) != SGX_VAL_TEXT ||
        *len == 0) {
        return NULL;
    }
    return (const char *)p;
}

size_t sgx_dd_next_email_row(const sgx_dd_ctx_t *dd, const sgx_batch_t *batch, size_t from)
{
    size_t len;
    while (from < batch->nrows && !sgx_dd_row_email(dd, batch->rows[from], &len)) {
        from++;
    }
    return from < batch->nrows ? from : batch->nrows;
}

sgx_err_t sgx_dd_encode(const void *ctx, const sgx_batch_t *batch, sgx_buf_t *out)
{
    const sgx_dd_ctx_t *dd = ctx;
    bool enter = batch->op == SGX_OP_ENTER;
    size_t ncols = enter ? dd->nkeys : 1;
    for (size_t k = 0; k < ncols; k++) {
        size_t key = enter ? k : dd->email_idx;
        if (k) {
            sgx_buf_putc(out, ',');
        }
        sgx_buf_puts(out, sgx_dd_column(dd->keys[key]));
    }
    sgx_buf_puts(out, "\r\n");
    for (size_t i = 0; i < batch->nrows; i++) {
        const sgx_row_t *row = batch->rows[i];
        size_t elen;
        if (!sgx_dd_row_email(dd, row, &elen)) {
            continue;
        }
        for (size_t k = 0; k < ncols; k++) {
            size_t key = enter ? k : dd->email_idx;
            const unsigned char *p;
            size_t n;
            if (k) {
                sgx_buf_putc(out, ',');
            }
            if (key < row->nvals && sgx_row_val(row, key, &p, &n) == SGX_VAL_TEXT) {
                sgx_conn_csv_field(out, (const char *)p, n);
            }
        }
        sgx_buf_puts(out, "\r\n");
    }
    return SGX_OK;
}

void sgx_dd_multipart(const sgx_buf_t *csv, uint64_t session_id, sgx_buf_t *out,
                      char boundary[64])
{
    char delim[72];
    int n = snprintf(boundary, 64, "segexport-%016" PRIx64, session_id);
    /* A boundary must not occur in the content: lengthen it until it does not. */
    for (;;) {
        int d = snprintf(delim, sizeof delim, "--%s", boundary);
        if (!csv->len || !memmem(csv->data, csv->len, delim, (size_t)d) || n >= 62) {
            break;
        }
        boundary[n++] = 'x';
        boundary[n] = '\0';
    }
    char head[256];
    snprintf(head, sizeof head,
             "--%s\r\nContent-Disposition: form-data; name=\"file\"; "
             "filename=\"segexport-%016" PRIx64 ".csv\"\r\nContent-Type: text/csv\r\n\r\n",
             boundary, session_id);
    sgx_buf_reserve(out, strlen(head) + csv->len + 96);
    sgx_buf_puts(out, head);
    if (csv->len) {
        sgx_buf_append(out, csv->data, csv->len);
    }
    sgx_buf_puts(out, "\r\n--");
    sgx_buf_puts(out, boundary);
    sgx_buf_puts(out, "--\r\n");
}
