/* Criteo requests. A batch whose segment has no audience id yet runs
 *   step 0  POST .../audience-segments/search?limit=100&offset=N   (job->state = N, paged)
 *   step 1  POST .../audience-segments/create                      (only when not found)
 *   step 2  PATCH .../audience-segments/{id}/contact-list
 * and a batch with an audience id runs the PATCH at whatever step it is. Every request carries
 * the current Bearer token. */
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

/* AudienceSegmentSearchInputV1 (criteo-api-marketingsolutions-sdk 2026.7, AudienceApi
 * .search_audience_segments): the filters are advertiserIds, audienceSegmentIds and
 * audienceSegmentTypes only, AND'ed; there is no name filter, so the name is matched over the
 * pages in classify. limit (query, 0..100, default 50) and offset (query, default 0) page. */
static sgx_err_t prepare_search(const sgx_criteo_ctx_t *c, const sgx_job_t *job,
                                sgx_request_t *req)
{
    const char *off = job->state && *job->state ? job->state : "0";
    if (strspn(off, "0123456789") != strlen(off) || strlen(off) > 9) {
        return SGX_ERR_INVALID;
    }
    char path[64];
    snprintf(path, sizeof path, "search?limit=%d&offset=%s", SGX_CRITEO_SEARCH_LIMIT, off);
    sgx_err_t err = common(c, job, req, "POST", path);
    if (err) {
        return err;
    }
    sgx_buf_t *b = &req->owned_body;
    sgx_buf_puts(b, "{\"data\":{\"type\":\"AudienceSegment\",\"attributes\":{\"advertiserIds\":[\"");
    sgx_buf_puts(b, c->advertiser_id);
    sgx_buf_puts(b, "\"],\"audienceSegmentTypes\":[\"ContactList\"]}}}");
    req->body = b;
    return SGX_OK;
}

/* AudienceSegmentBulkCreateInputV1: {"data":[{"type":"AudienceSegment","attributes":
 *  {"advertiserId":"..","name":"<segment>","description":"..","contactList":{}}}]} */
static sgx_err_t prepare_create(const sgx_criteo_ctx_t *c, const sgx_job_t *job,
                                sgx_request_t *req)
{
    const char *seg = job->batch->segment;
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
    if (!batch || job->step < SGX_CRITEO_STEP_SEARCH || job->step > SGX_CRITEO_STEP_PATCH) {
        return SGX_ERR_INVALID;
    }
    if (!batch->audience_id) {
        if (!c->advertiser_id || !batch->segment || !*batch->segment) {
            return SGX_ERR_CONFIG; /* nothing to find or create the segment under */
        }
        if (job->step == SGX_CRITEO_STEP_SEARCH) {
            return prepare_search(c, job, req);
        }
        return job->step == SGX_CRITEO_STEP_CREATE ? prepare_create(c, job, req)
                                                   : SGX_ERR_INVALID;
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
