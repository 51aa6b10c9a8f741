/* Criteo requests: the segment creation (step 0 for a segment without an audience id) and the
 * contact-list amendment (PATCH add/remove). Every request carries the current Bearer token. */
#include <stdio.h>
#include <string.h>

#include "connectors/conn_util.h"
#include "connectors/criteo/criteo.h"
#include "base/mem.h"

/* Segment ids are numbers; letters, '_' and '-' are tolerated for emulators. Anything that could
 * change the URL's shape ('/', '?', '#', '%', '.') is refused. */
static bool valid_id(const char *id)
{
    static const char ok[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-";
    return id && *id && strlen(id) <= 64 && strspn(id, ok) == strlen(id);
}

static sgx_err_t common(const sgx_criteo_ctx_t *c, const sgx_job_t *job, sgx_request_t *req,
                        const char *method, const char *path)
{
    if (!job->auth_token || !*job->auth_token) {
        return SGX_ERR_INVALID;
    }
    size_t n = strlen(c->base_url) + strlen(c->api_version) + strlen(path) + 64;
    req->url = sgx_malloc(n);
    snprintf(req->url, n, "%s/%s/marketing-solutions/audience-segments/%s", c->base_url,
             c->api_version, path);
    snprintf(req->method, sizeof req->method, "%s", method);
    req->content_type = sgx_strdup("application/json");
    size_t tn = strlen(job->auth_token) + sizeof "Bearer ";
    char *bearer = sgx_malloc(tn);
    snprintf(bearer, tn, "Bearer %s", job->auth_token);
    sgx_err_t err = sgx_request_add_header(req, "Authorization", bearer);
    sgx_free(bearer);
    if (!err) {
        err = sgx_request_add_header(req, "Accept", "application/json");
    }
    return err;
}

/* {"data":[{"type":"AudienceSegment","attributes":{"advertiserId":"..","name":"<segment>",
 *  "description":"..","contactList":{}}}]} */
static sgx_err_t prepare_create(const sgx_criteo_ctx_t *c, const sgx_job_t *job,
                                sgx_request_t *req)
{
    const char *seg = job->batch->segment;
    if (!c->advertiser_id || !seg || !*seg) {
        return SGX_ERR_CONFIG; /* nothing to create the segment under: rows are rejected */
    }
    sgx_err_t err = common(c, job, req, "POST", "create");
    if (err) {
        return err;
    }
    sgx_buf_t *b = &req->owned_body;
    sgx_buf_puts(b, "{\"data\":[{\"type\":\"AudienceSegment\",\"attributes\":{\"advertiserId\":\"");
    sgx_buf_puts(b, c->advertiser_id);
    sgx_buf_puts(b, "\",\"name\":\"");
    sgx_conn_json_escape(b, seg, strlen(seg));
    sgx_buf_puts(b, "\",\"description\":\"segexport segment ");
    sgx_conn_json_escape(b, seg, strlen(seg));
    sgx_buf_puts(b, "\",\"contactList\":{}}}]}");
    req->body = b;
    return SGX_OK;
}

sgx_err_t sgx_criteo_prepare(const void *ctx, const sgx_job_t *job, sgx_request_t *req)
{
    const sgx_criteo_ctx_t *c = ctx;
    const sgx_batch_t *batch = job->batch;
    if (!batch || job->step < 0 || job->step > 1) {
        return SGX_ERR_INVALID;
    }
    if (!batch->audience_id) {
        return job->step == 0 ? prepare_create(c, job, req) : SGX_ERR_INVALID;
    }
    if (!valid_id(batch->audience_id)) {
        return SGX_ERR_INVALID;
    }
    char path[128];
    snprintf(path, sizeof path, "%s/contact-list", batch->audience_id);
    sgx_err_t err = common(c, job, req, "PATCH", path);
    req->body = job->body;
    return err;
}
