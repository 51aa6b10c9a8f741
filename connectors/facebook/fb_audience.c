/* Meta audiences for segments configured as "": found by name, else created, idempotently.
 *
 *   step 0, search: GET /{v}/act_{ad_account_id}/customaudiences?fields=id,name
 *                   &filtering=[{"field":"name","operator":"EQUAL","value":"<segment>"}]
 *     Ad Account Customaudiences reference, Reading: `filtering` is a list of Filter Objects
 *     {field, operator (EQUAL, ...), value}; the reply is {"data":[...],"paging":{}}
 *     (https://developers.facebook.com/docs/marketing-api/reference/ad-account/customaudiences;
 *     the SDK's AdAccount.get_custom_audiences takes 'filtering': 'list<Object>').
 *   step 1, create: POST /{v}/act_{ad_account_id}/customaudiences, form body name, subtype=CUSTOM,
 *     customer_file_source, description (Custom Audiences guide [FB-guide]; the SDK's
 *     AdAccount.create_custom_audience) -> {"id":"<custom audience id>"}.
 *   step 2: the /users upload (fb_request.c), once the core has recorded the id.
 *
 * Both a found and a created audience come back in created_audience_id, so the core keeps it
 * (and persists it at state_path) and never searches again. A create whose answer is lost
 * (transport error, 5xx) goes back to the search: the audience may exist already, and creating
 * it twice would leave a duplicate in the ad account. The audience name is the segment id. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "connectors/conn_util.h"
#include "connectors/facebook/fb.h"

#define FB_DESCRIPTION "Segment membership managed by segexport"

static void put_edge(const sgx_fb_ctx_t *fb, sgx_buf_t *url)
{
    sgx_buf_puts(url, fb->base_url);
    sgx_buf_putc(url, '/');
    sgx_buf_puts(url, fb->api_version);
    sgx_buf_puts(url, "/act_");
    sgx_buf_puts(url, fb->ad_account_id);
    sgx_buf_puts(url, "/customaudiences");
}

static void put_param(sgx_buf_t *out, const char *name, const char *value)
{
    sgx_buf_puts(out, name);
    sgx_buf_putc(out, '=');
    sgx_conn_urlencode(out, value, strlen(value), NULL);
}

static void search_request(const sgx_fb_ctx_t *fb, const char *segment, sgx_request_t *req)
{
    sgx_buf_t filter = {0}, url = {0};
    sgx_buf_puts(&filter, "[{\"field\":\"name\",\"operator\":\"EQUAL\",\"value\":\"");
    sgx_conn_json_escape(&filter, segment, strlen(segment));
    sgx_buf_puts(&filter, "\"}]");
    put_edge(fb, &url);
    sgx_buf_puts(&url, "?fields=id%2Cname&");
    put_param(&url, "filtering", filter.data);
    sgx_fb_put_auth(fb, &url);
    sgx_buf_free(&filter);
    req->url = url.data;
    snprintf(req->method, sizeof req->method, "GET");
}

static void create_request(const sgx_fb_ctx_t *fb, const char *segment, sgx_request_t *req)
{
    sgx_buf_t url = {0};
    put_edge(fb, &url);
    req->url = url.data;
    sgx_buf_t *b = &req->owned_body;
    put_param(b, "name", segment);
    sgx_buf_puts(b, "&subtype=CUSTOM&");
    put_param(b, "customer_file_source", fb->file_source);
    sgx_buf_putc(b, '&');
    put_param(b, "description", FB_DESCRIPTION);
    sgx_fb_put_auth(fb, b);
    req->body = &req->owned_body;
    req->content_type = sgx_strdup("application/x-www-form-urlencoded");
    snprintf(req->method, sizeof req->method, "POST");
}

sgx_err_t sgx_fb_audience_prepare(const sgx_fb_ctx_t *fb, const sgx_job_t *job,
                                  sgx_request_t *req)
{
    const sgx_batch_t *batch = job->batch;
    /* Only an ENTER may create (the core acknowledges removals from an audience that does not
     * exist); without an ad account there is nowhere to create (validate_audience says so). */
    if (!fb->ad_account_id || batch->op != SGX_OP_ENTER || !batch->segment ||
        !*batch->segment) {
        return SGX_ERR_INVALID;
    }
    if (job->step == FB_STEP_SEARCH) {
        search_request(fb, batch->segment, req);
        return SGX_OK;
    }
    if (job->step == FB_STEP_CREATE) {
        create_request(fb, batch->segment, req);
        return SGX_OK;
    }
    return SGX_ERR_INVALID; /* FB_STEP_USERS runs with the id the core recorded */
}

/* A Graph id: digits only, so it can go into a URL path unchecked later. */
static bool graph_id(const char *id)
{
    return id && *id && strlen(id) <= 20 && strspn(id, "0123456789") == strlen(id);
}

static void found(sgx_classification_t *out, const char *id, const char *what)
{
    out->verdict = SGX_CLS_NEXT_STEP;
    out->next_step = FB_STEP_USERS;
    out->retry_after_ms = 0;
    out->created_audience_id = sgx_strdup(id);
    snprintf(out->reason, sizeof out->reason, "meta_audience_%s", what);
}

/* {"data":[{"id","name"},...]}: the first entry whose name is exactly the segment (the filter
 * is Graph's; the comparison here keeps a looser match on Graph's side from being taken). */
static bool classify_search(const sgx_job_t *job, json_t *root, sgx_classification_t *out)
{
    json_t *data = json_object_get(root, "data"), *item;
    size_t i;
    if (!json_is_array(data)) {
        return false;
    }
    json_array_foreach(data, i, item) {
        const char *name = json_string_value(json_object_get(item, "name"));
        const char *id = json_string_value(json_object_get(item, "id"));
        if (name && strcmp(name, job->batch->segment) == 0 && graph_id(id)) {
            found(out, id, "found");
            return true;
        }
    }
    out->verdict = SGX_CLS_NEXT_STEP;
    out->next_step = FB_STEP_CREATE;
    out->retry_after_ms = 0;
    snprintf(out->reason, sizeof out->reason, "meta_audience_absent");
    return true;
}

static bool classify_create(json_t *root, sgx_classification_t *out)
{
    const char *id = json_string_value(json_object_get(root, "id"));
    if (!graph_id(id)) {
        return false;
    }
    found(out, id, "created");
    return true;
}

void sgx_fb_audience_classify(const sgx_job_t *job, const sgx_response_t *resp,
                              sgx_classification_t *out)
{
    bool create = job->step == FB_STEP_CREATE;
    json_t *root = NULL;
    bool done = false;
    if (resp->status >= 200 && resp->status < 300 && resp->body) {
        root = json_loadb(resp->body, resp->body_len, 0, NULL);
        if (json_is_object(root) && !json_object_get(root, "error")) {
            done = create ? classify_create(root, out) : classify_search(job, root, out);
        }
    }
    json_decref(root);
    if (done) {
        return;
    }
    sgx_fb_classify_management(resp, out);
    if (create && out->verdict == SGX_CLS_RETRY && !out->throttled) {
        out->next_step = FB_STEP_SEARCH; /* it may have been created: look before creating */
    }
}
