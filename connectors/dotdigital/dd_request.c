/* Dotdigital requests for each step of a job. Every request carries HTTP Basic auth and the
 * region's Host (so a base_url override keeps the region check honest).
 *
 * Job state grammar (text, owned by the core between steps):
 *   ENTER steps 1-2: "<import guid> <polls so far>"
 *   EXIT:            "R<next>;<ids>"  resolve the first row >= next with an e-mail
 *                    "D<next>;<ids>"  delete ids from the address book, then resolve from next
 *                    NULL             the start, same as "R0;"
 *   ids: comma-separated decimal contact ids, at most SGX_DD_DELETE_CHUNK. */
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

sgx_err_t sgx_dd_exit_state_parse(const char *state, sgx_dd_exit_state_t *st)
{
    memset(st, 0, sizeof *st);
    st->phase = 'R';
    st->ids = "";
    if (!state) {
        return SGX_OK;
    }
    if (state[0] != 'R' && state[0] != 'D') {
        return SGX_ERR_INVALID;
    }
    st->phase = state[0];
    char *end = NULL;
    unsigned long long next = strtoull(state + 1, &end, 10);
    if (end == state + 1 || *end != ';') {
        return SGX_ERR_INVALID;
    }
    st->next = (size_t)next;
    st->ids = end + 1;
    st->ids_len = strlen(st->ids);
    if (strspn(st->ids, "0123456789,") != st->ids_len) {
        return SGX_ERR_INVALID;
    }
    for (size_t i = 0; i < st->ids_len; i++) {
        st->nids += st->ids[i] == ',';
    }
    st->nids += st->ids_len > 0;
    return SGX_OK;
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

static sgx_err_t prepare_exit(const sgx_dd_ctx_t *dd, const sgx_job_t *job, sgx_request_t *req)
{
    const sgx_batch_t *batch = job->batch;
    sgx_dd_exit_state_t st;
    if (sgx_dd_exit_state_parse(job->state, &st)) {
        return SGX_ERR_INVALID;
    }
    if (st.phase == 'D') {
        if (!st.nids) {
            return SGX_ERR_INVALID;
        }
        put_url(req, dd, "/v2/address-books/", batch->audience_id, "/contacts/delete");
        snprintf(req->method, sizeof req->method, "POST");
        sgx_buf_putc(&req->owned_body, '[');
        sgx_buf_append(&req->owned_body, st.ids, st.ids_len);
        sgx_buf_putc(&req->owned_body, ']');
        req->content_type = sgx_strdup("application/json");
        req->body = &req->owned_body;
        return SGX_OK;
    }
    size_t i = sgx_dd_next_email_row(dd, batch, st.next), elen = 0;
    if (i >= batch->nrows) {
        return SGX_ERR_MISSING_FIELD; /* no row of the batch has an e-mail */
    }
    const char *email = sgx_dd_row_email(dd, batch->rows[i], &elen);
    sgx_buf_t url = {0};
    sgx_buf_puts(&url, dd->base_url);
    sgx_buf_puts(&url, "/v2/contacts/");
    /* Path-safe e-mail: RFC 3986 unreserved and '@' kept, everything else %XX ('+' included). */
    sgx_conn_urlencode(&url, email, elen, "@");
    req->url = url.data;
    snprintf(req->method, sizeof req->method, "GET");
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
                                              : prepare_exit(dd, job, req);
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
