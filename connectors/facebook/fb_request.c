/* Meta /users request. POST adds members with the parameters as a form body; DELETE removes
 * them with the same parameters in the query string and no body. That is what the official
 * SDK does (facebook-python-business-sdk, facebook_business/api.py FacebookAdsApi.call: "if
 * method in ('GET', 'DELETE')" the params go to requests' `params=`, the URL; only other
 * methods send `data=`; CustomAudienceMixin.remove_users calls it with 'DELETE'). Graph does
 * not document reading a DELETE body, so none is sent. A batch whose audience is not known yet
 * first runs the search/create steps of fb_audience.c. */
#include <stdio.h>
#include <string.h>

#include "connectors/facebook/fb.h"
#include "base/mem.h"

/* Audience ids are Graph object ids (digits; letters, '_' and '-' tolerated for emulators).
 * Anything that could change the URL's shape ('/', '?', '#', '%', '.') is refused so a bad
 * config value cannot send a batch to another edge. */
static bool valid_audience_id(const char *id)
{
    static const char ok[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-";
    return id && *id && strspn(id, ok) == strlen(id);
}

/* Graph ids are at most 20 digits (a 64-bit number): the length budgeted before one is known. */
#define FB_ID_MAX 20

size_t sgx_fb_users_url_len(const sgx_fb_ctx_t *fb, const char *audience_id)
{
    size_t id = audience_id ? strlen(audience_id) : FB_ID_MAX;
    /* base "/" version "/" id "/users?" */
    return strlen(fb->base_url) + 1 + strlen(fb->api_version) + 1 + id + 7;
}

void sgx_fb_put_auth(const sgx_fb_ctx_t *fb, sgx_buf_t *out)
{
    sgx_buf_puts(out, "&access_token=");
    sgx_buf_puts(out, fb->access_token_enc);
    if (fb->appsecret_proof[0]) {
        sgx_buf_puts(out, "&appsecret_proof=");
        sgx_buf_puts(out, fb->appsecret_proof);
    }
}

sgx_err_t sgx_fb_prepare(const void *ctx, const sgx_job_t *job, sgx_request_t *req)
{
    const sgx_fb_ctx_t *fb = ctx;
    const sgx_batch_t *batch = job->batch;
    if (!batch) {
        return SGX_ERR_INVALID;
    }
    if (!batch->audience_id) {
        return sgx_fb_audience_prepare(fb, job, req);
    }
    if (!valid_audience_id(batch->audience_id) || !job->body) {
        return SGX_ERR_INVALID;
    }
    bool del = batch->op == SGX_OP_EXIT;
    sgx_buf_t url = {0};
    sgx_buf_reserve(&url, sgx_fb_users_url_len(fb, batch->audience_id) +
                              (del ? job->body->len : 0) + 1);
    sgx_buf_puts(&url, fb->base_url);
    sgx_buf_putc(&url, '/');
    sgx_buf_puts(&url, fb->api_version);
    sgx_buf_putc(&url, '/');
    sgx_buf_puts(&url, batch->audience_id);
    sgx_buf_puts(&url, "/users");
    if (del) {
        sgx_buf_putc(&url, '?');
        sgx_buf_append(&url, job->body->data, job->body->len);
    }
    if (del && url.len > fb->max_url) {
        sgx_buf_free(&url); /* encode sized it; only a token rotated to a longer one gets here */
        return SGX_ERR_TOO_LARGE;
    }
    req->url = url.data;
    snprintf(req->method, sizeof req->method, "%s", del ? "DELETE" : "POST");
    if (!del) {
        req->content_type = sgx_strdup("application/x-www-form-urlencoded");
        req->body = job->body;
    }
    return SGX_OK;
}
