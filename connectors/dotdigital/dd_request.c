/* Dotdigital requests for each step of a job. Every request carries HTTP Basic auth and the
 * region's Host (so a base_url override keeps the region check honest).
 *
 * Job state (text, owned by the core between steps):
 *   ENTER steps 1-2: "<import guid> <polls so far>"
 *   EXIT:            see sgx_dd_exit_state_t (dotdigital.h, dd_exit.c) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/conn_util.h"
#include "connectors/dotdigital/dotdigital.h"
#include "base/mem.h"

/* Address books are integer ids: anything else could change the URL's shape. */
static bool valid_book_id(const char *id)
{
    return id && *id && strlen(id) < 20 && strspn(id, "0123456789") == strlen(id);
}

/* base_url + a + b + c (b, c may be NULL). */
static void put_url(sgx_request_t *req, const sgx_dd_ctx_t *dd, const char *a, const char *b,
                    const char *c)
{
    sgx_buf_t url = {0};
    sgx_buf_puts(&url, dd->base_url);
    sgx_buf_puts(&url, a);
    sgx_buf_puts(&url, b ? b : "");
    sgx_buf_puts(&url, c ? c : "");
    req->url = url.data;
}

/* The import guid from an ENTER state; only [0-9A-Za-z-] so it cannot reshape the URL. */
static bool state_guid(const char *state, char *guid, size_t cap)
{
    size_t n = state ? strcspn(state, " ") : 0;
    static const char ok[] = "0123456789abcdefABCDEF-ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ";
    if (n == 0 || n >= cap || strspn(state, ok) < n) {
        return false;
    }
    memcpy(guid, state, n);
    guid[n] = '\0';
    return true;
}

static sgx_err_t prepare_enter(const sgx_dd_ctx_t *dd, const sgx_job_t *job, sgx_request_t *req)
{
    const sgx_batch_t *batch = job->batch;
    char guid[64];
    if (job->step == 0) {
        char boundary[64], ctype[128];
        put_url(req, dd, "/v2/address-books/", batch->audience_id, "/contacts/import");
        snprintf(req->method, sizeof req->method, "POST");
        sgx_dd_multipart(job->body, batch->session_id, &req->owned_body, boundary);
        snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s", boundary);
        req->content_type = sgx_strdup(ctype);
        req->body = &req->owned_body;
        return SGX_OK;
    }
    if ((job->step != 1 && job->step != 2) || !state_guid(job->state, guid, sizeof guid)) {
        return SGX_ERR_INVALID;
    }
    put_url(req, dd, "/v2/contacts/import/", guid, job->step == 1 ? NULL : "/report-faults");
    snprintf(req->method, sizeof req->method, "GET");
    return SGX_OK;
}

/* POST .../contacts/delete with the state's ids as a JSON array of int32. */
static sgx_err_t prepare_delete(const sgx_dd_ctx_t *dd, const sgx_batch_t *batch,
                                const sgx_dd_exit_state_t *st, sgx_request_t *req)
{
    if (!st->nids) {
        return SGX_ERR_INVALID;
    }
    put_url(req, dd, "/v2/address-books/", batch->audience_id, "/contacts/delete");
    snprintf(req->method, sizeof req->method, "POST");
    sgx_buf_putc(&req->owned_body, '[');
    sgx_buf_append(&req->owned_body, st->ids, st->ids_len);
    sgx_buf_putc(&req->owned_body, ']');
    req->content_type = sgx_strdup("application/json");
    req->body = &req->owned_body;
    return SGX_OK;
}

sgx_err_t sgx_dd_prepare_exit(const sgx_dd_ctx_t *dd, const sgx_job_t *job, sgx_request_t *req)
{
    const sgx_batch_t *batch = job->batch;
    sgx_dd_exit_state_t st;
    if (sgx_dd_exit_state_parse(job->state, &st)) {
        return SGX_ERR_INVALID;
    }
    if (st.phase == 'D' || st.phase == 'T') {
        return prepare_delete(dd, batch, &st, req);
    }
    snprintf(req->method, sizeof req->method, "GET");
    if (st.phase == 'B') {
        put_url(req, dd, "/v2/address-books/", batch->audience_id, NULL);
        return SGX_OK;
    }
    if (st.phase == 'S') {
        char q[80];
        snprintf(q, sizeof q, "/contacts?withFullData=false&select=%d&skip=%zu", SGX_DD_PAGE,
                 st.pos);
        put_url(req, dd, "/v2/address-books/", batch->audience_id, q);
        return SGX_OK;
    }
    size_t i = sgx_dd_exit_next_row(dd, batch, &st, st.pos), elen = 0;
    if (i >= batch->nrows) {
        return SGX_ERR_MISSING_FIELD; /* no row left to resolve */
    }
    const char *email = sgx_dd_row_email(dd, batch->rows[i], &elen);
    sgx_buf_t url = {0};
    sgx_buf_puts(&url, dd->base_url);
    sgx_buf_puts(&url, "/v2/contacts/");
    /* Path-safe e-mail: RFC 3986 unreserved and '@' kept, everything else %XX ('+' included). */
    sgx_conn_urlencode(&url, email, elen, "@");
    req->url = url.data;
    return SGX_OK;
}

sgx_err_t sgx_dd_prepare(const void *ctx, const sgx_job_t *job, sgx_request_t *req)
{
    const sgx_dd_ctx_t *dd = ctx;
    const sgx_batch_t *batch = job->batch;
    if (!batch || !valid_book_id(batch->audience_id)) {
        return SGX_ERR_INVALID; /* creating address books is not supported: configure ids */
    }
    sgx_err_t err = batch->op == SGX_OP_ENTER ? prepare_enter(dd, job, req)
                                              : sgx_dd_prepare_exit(dd, job, req);
    if (err) {
        return err;
    }
    if (sgx_request_add_header(req, "Authorization", dd->auth_header) ||
        sgx_request_add_header(req, "Host", dd->host_header) ||
        sgx_request_add_header(req, "Accept", "application/json")) {
        return SGX_ERR_FULL;
    }
    return SGX_OK;
}
