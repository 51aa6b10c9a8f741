/* Meta /users request: POST adds members, DELETE removes them, same URL and form body
 * (the official SDKs issue DELETE /{id}/users with identical payload/session). */
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

sgx_err_t sgx_fb_prepare(const void *ctx, const sgx_job_t *job, sgx_request_t *req)
{
    const sgx_fb_ctx_t *fb = ctx;
    const sgx_batch_t *batch = job->batch;
    if (!batch || job->step != 0 || !valid_audience_id(batch->audience_id)) {
        return SGX_ERR_INVALID;
    }
    size_t n = strlen(fb->base_url) + strlen(fb->api_version) + strlen(batch->audience_id) + 16;
    req->url = sgx_malloc(n);
    snprintf(req->url, n, "%s/%s/%s/users", fb->base_url, fb->api_version, batch->audience_id);
    snprintf(req->method, sizeof req->method, "%s", batch->op == SGX_OP_EXIT ? "DELETE" : "POST");
    req->content_type = sgx_strdup("application/x-www-form-urlencoded");
    req->body = job->body;
    return SGX_OK;
}
