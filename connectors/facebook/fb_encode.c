/* Meta /users parameters, application/x-www-form-urlencoded: the body of an add (POST), the query
 * string of a removal (DELETE, fb_request.c):
 *   payload=<urlenc {"schema":[...],"is_raw":true,"data":[[...],...]}>
 *   &session=<urlenc {"session_id":..,"batch_seq":..,"last_batch_flag":..,"estimated_num_total":..}>
 *   &access_token=<urlenc>[&appsecret_proof=<hex>]
 *
 * Why the JSON is never built and then urlencoded: almost every byte of a batch is a hex digit
 * (unreserved, encodes to itself) or one of a handful of fixed punctuation marks whose encodings
 * are constants (%22 %2C %5B %5D). Writing the encoded form directly in one pass skips a second
 * full-size buffer and a per-byte table walk over ~1 MB per 10,000-row batch; only TEXT values
 * (EXTERN_ID, MADID) need the escape-then-encode step, done per byte below. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "connectors/conn_util.h"
#include "connectors/facebook/fb.h"

static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

/* RFC 3986 unreserved characters pass unencoded; everything else becomes %XX. */
static inline int unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static inline char *pct(char *w, unsigned char c)
{
    w[0] = '%';
    w[1] = hex_upper[c >> 4];
    w[2] = hex_upper[c & 15];
    return w + 3;
}

static inline char *put(char *w, const char *s, size_t n)
{
    memcpy(w, s, n);
    return w + n;
}
/* "" lit: only a string literal compiles here, so sizeof is its length, not a pointer's. */
#define PUT(w, lit) put((w), "" lit, sizeof(lit) - 1)

/* Largest encoding of one text byte: a control character, \u00XX -> %5Cu00xx (8 bytes). */
#define TEXT_MAX_PER_BYTE 8

/* One byte of a JSON string, escaped for JSON and then form-urlencoded. */
static char *put_text_byte(char *w, unsigned char c)
{
    if (unreserved(c)) {
        *w = (char)c;
        return w + 1;
    }
    switch (c) {
    case '"': return PUT(w, "%5C%22");
    case '\\': return PUT(w, "%5C%5C");
    case '\b': return PUT(w, "%5Cb");
    case '\f': return PUT(w, "%5Cf");
    case '\n': return PUT(w, "%5Cn");
    case '\r': return PUT(w, "%5Cr");
    case '\t': return PUT(w, "%5Ct");
    default: break;
    }
    if (c < 0x20) {
        w = PUT(w, "%5Cu00");
        w[0] = hex_lower[c >> 4];
        w[1] = hex_lower[c & 15];
        return w + 2;
    }
    return pct(w, c); /* UTF-8 bytes >= 0x80 pass through JSON as is */
}

/* Worst-case encoded size of one data row: [ "v" , "v" ] , */
static size_t row_bound(const sgx_row_t *row)
{
    size_t n = 6 + 3; /* %5B ... %5D and the %2C after it */
    for (size_t i = 0; i < row->nvals; i++) {
        const sgx_row_val_t *v = &row->vals[i];
        n += 9; /* %22 %22 %2C */
        n += v->kind == SGX_VAL_DIGEST ? 64 : (size_t)v->len * TEXT_MAX_PER_BYTE;
    }
    return n;
}

static sgx_err_t put_row(sgx_buf_t *out, const sgx_row_t *row, size_t nkeys, bool first)
{
    if (row->nvals != nkeys) {
        return SGX_ERR_INVALID;
    }
    sgx_buf_reserve(out, row_bound(row));
    char *w = out->data + out->len;
    if (!first) {
        w = PUT(w, "%2C");
    }
    w = PUT(w, "%5B");
    for (size_t i = 0; i < nkeys; i++) {
        const unsigned char *p;
        size_t n;
        sgx_val_kind_t kind = sgx_row_val(row, i, &p, &n);
        w = i ? PUT(w, "%2C%22") : PUT(w, "%22"); /* PUT needs a literal, not a ?: */
        if (kind == SGX_VAL_DIGEST) {
            if (n != 32) {
                return SGX_ERR_INVALID;
            }
            for (size_t j = 0; j < 32; j++) {
                w[2 * j] = hex_lower[p[j] >> 4];
                w[2 * j + 1] = hex_lower[p[j] & 15];
            }
            w += 64;
        } else if (kind == SGX_VAL_TEXT) {
            for (size_t j = 0; j < n; j++) {
                w = put_text_byte(w, p[j]);
            }
        }
        w = PUT(w, "%22");
    }
    w = PUT(w, "%5D");
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
    return SGX_OK;
}

static void put_tail(const sgx_fb_ctx_t *fb, const sgx_batch_t *batch, sgx_buf_t *out)
{
    char session[160];
    int n = snprintf(session, sizeof session,
                     "{\"session_id\":%" PRIu64 ",\"batch_seq\":%" PRIu32
                     ",\"last_batch_flag\":%s,\"estimated_num_total\":%zu}",
                     batch->session_id, batch->batch_seq, batch->last_batch ? "true" : "false",
                     batch->nrows);
    sgx_buf_puts(out, "%5D%7D&session=");
    sgx_conn_urlencode(out, session, (size_t)n, NULL);
    sgx_fb_put_auth(fb, out);
}

/* A removal's parameters become its query string, so they get what is left of FB_MAX_URL after
 * the URL's path; an add's go in the body, bounded by max_bytes. Too large -> SGX_ERR_TOO_LARGE,
 * and the core halves the batch until it fits (pipeline/dispatch_req.c encode_fitting), or,
 * when it accepts a cut (sgx_batch_t.fits), the rows stop where they fit. */
#define FB_URL_SLACK 256

static size_t param_limit(const sgx_fb_ctx_t *fb, const sgx_batch_t *batch)
{
    if (batch->op != SGX_OP_EXIT) {
        return fb->max_bytes;
    }
    size_t path = sgx_fb_users_url_len(fb, batch->audience_id);
    size_t room = fb->max_url > path ? fb->max_url - path : 0;
    return room < fb->max_bytes ? room : fb->max_bytes;
}

/* What a first encode of a removal may fill. FB_URL_SLACK: a batch encoded now is encoded
 * again with a rotated access token (the core re-encodes after a rotation, without a cut); a
 * longer token must not push it past the bound, where it could only be refused, not split. */
static size_t first_limit(const sgx_batch_t *batch, size_t limit)
{
    if (batch->op != SGX_OP_EXIT) {
        return limit;
    }
    return limit > FB_URL_SLACK ? limit - FB_URL_SLACK : 0;
}

/* Length of the parameters after the rows for a batch of nrows (the session's
 * estimated_num_total is the row count, so the tail grows with its digits). */
static size_t tail_len(const sgx_fb_ctx_t *fb, const sgx_batch_t *batch, size_t nrows)
{
    sgx_batch_t b = *batch;
    b.nrows = nrows;
    sgx_buf_t tail = {0};
    put_tail(fb, &b, &tail);
    size_t n = tail.len;
    sgx_buf_free(&tail);
    return n;
}

/* Ends the parameters after the first n rows (the rows from n on are cut off: out holds
 * rows_end[n - 1] bytes of rows) and reports n through batch->fits (sgx_batch_t.fits). */
static void cut_at(const sgx_fb_ctx_t *fb, const sgx_batch_t *batch, sgx_buf_t *out,
                   size_t rows_end, size_t n)
{
    sgx_batch_t b = *batch;
    b.nrows = n;
    out->len = rows_end;
    out->data[out->len] = '\0';
    put_tail(fb, &b, out);
    *batch->fits = n;
}

sgx_err_t sgx_fb_encode(const void *ctx, const sgx_batch_t *batch, sgx_buf_t *out)
{
    const sgx_fb_ctx_t *fb = ctx;
    size_t start = out->len;
    sgx_err_t err = SGX_OK;
    if (batch->nrows == 0 || !batch->rows) {
        return SGX_ERR_INVALID;
    }
    /* A first encode (the core's, batch->fits set: it accepts a cut) keeps FB_URL_SLACK free;
     * a re-encode of rows that fitted once (fits NULL) may use it. Rows stop where the tail
     * still fits and the request carries what fits: one pass, where failing and halving took
     * eight. */
    size_t limit = batch->fits ? first_limit(batch, param_limit(fb, batch))
                               : param_limit(fb, batch);
    size_t tail_max = batch->fits ? tail_len(fb, batch, batch->nrows) : 0;
    size_t rows_limit = limit > tail_max ? limit - tail_max : 0;
    sgx_buf_append(out, fb->payload_head, fb->payload_head_len);
    for (size_t i = 0; i < batch->nrows; i++) {
        size_t before = out->len;
        if ((err = put_row(out, batch->rows[i], fb->nkeys, i == 0)) != SGX_OK) {
            goto fail;
        }
        if (batch->fits && out->len - start > rows_limit) {
            if (i == 0) {
                err = SGX_ERR_TOO_LARGE; /* not even one row fits with its tail */
                goto fail;
            }
            cut_at(fb, batch, out, before, i);
            return SGX_OK;
        }
        if (out->len - start > limit) {
            err = SGX_ERR_TOO_LARGE; /* stop early: the core splits the batch and retries */
            goto fail;
        }
    }
    put_tail(fb, batch, out);
    if (out->len - start > limit) {
        err = SGX_ERR_TOO_LARGE;
        goto fail;
    }
    return SGX_OK;
fail:
    /* Leave out as it was: the caller may reuse it for the split halves. */
    out->len = start;
    out->data[start] = '\0';
    return err;
}
