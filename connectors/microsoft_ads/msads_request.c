/* Requests of the steps, with the headers Microsoft's own clients send for each:
 *   REST calls  (find, upload URL, status) the REST SDK (BingAds-Python-SDK main, 13.0.28 "RestApi": service_client.py
 *               create_rest_headers()): Authorization: Bearer <token>, CustomerAccountId,
 *               CustomerId, DeveloperToken, all strings
 *   upload      AuthenticationToken <token>, DeveloperToken, CustomerId, AccountId - what the
 *               SDK published on PyPI sends (bingads 13.0.30.1 bulk_service_manager.py
 *               _upload_file_by_url() + authorization.py enrich_headers()) and the Bulk upload
 *               guide shows (guides/bulk-download-upload, "HTTP POST"); the REST SDK sends
 *               Authorization: Bearer there instead, a form nothing documents
 *   result file bulk_operation.py download_result_file(): no credentials (a pre-signed URL) */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "connectors/conn_util.h"
#include "connectors/microsoft_ads/msads.h"
#include "base/mem.h"

/* @param upload false: a REST call (Authorization: Bearer, CustomerAccountId); true: the file
 * upload (AuthenticationToken, AccountId). */
static sgx_err_t api_headers(const sgx_msads_ctx_t *m, const sgx_job_t *job, bool upload,
                             sgx_request_t *req)
{
    if (!job->auth_token) {
        return SGX_ERR_INVALID;
    }
    size_t n = strlen(job->auth_token) + 8;
    char *bearer = sgx_malloc(n);
    snprintf(bearer, n, "%s%s", upload ? "" : "Bearer ", job->auth_token);
    const char *account_header = upload ? "AccountId" : "CustomerAccountId";
    sgx_err_t err = SGX_OK;
    if (sgx_request_add_header(req, upload ? "AuthenticationToken" : "Authorization", bearer) ||
        sgx_request_add_header(req, "DeveloperToken", m->developer_token) ||
        sgx_request_add_header(req, "CustomerId", m->customer_id) ||
        sgx_request_add_header(req, account_header, m->account_id)) {
        err = SGX_ERR_FULL;
    }
    sgx_conn_free_secret(bearer);
    return err;
}

static sgx_err_t json_post(const char *host, const char *path, sgx_request_t *req)
{
    size_t n = strlen(host) + strlen(path) + 1;
    req->url = sgx_malloc(n);
    snprintf(req->url, n, "%s%s", host, path);
    snprintf(req->method, sizeof req->method, "POST");
    req->content_type = sgx_strdup("application/json");
    req->body = &req->owned_body;
    return SGX_OK;
}

/* multipart/form-data with the file as the one part. The boundary is fixed text plus the
 * session id; a body that happens to contain it gets a different one. */
static void multipart(const sgx_job_t *job, const sgx_buf_t *csv, sgx_request_t *req)
{
    char boundary[72];
    uint64_t salt = job->batch ? job->batch->session_id : 0;
    do {
        snprintf(boundary, sizeof boundary, "sgx-msads-%016" PRIx64, salt++);
    } while (csv->len && memmem(csv->data, csv->len, boundary, strlen(boundary)));
    sgx_buf_t *b = &req->owned_body;
    sgx_buf_reserve(b, csv->len + 256);
    sgx_buf_puts(b, "--");
    sgx_buf_puts(b, boundary);
    sgx_buf_puts(b, "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.csv\""
                    "\r\nContent-Type: text/csv\r\n\r\n");
    if (csv->len) {
        sgx_buf_append(b, csv->data, csv->len);
    }
    sgx_buf_puts(b, "\r\n--");
    sgx_buf_puts(b, boundary);
    sgx_buf_puts(b, "--\r\n");
    char ct[128];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", boundary);
    req->content_type = sgx_strdup(ct);
    req->body = b;
}

int sgx_msads_step(const sgx_job_t *job)
{
    bool unknown = job->batch && !job->batch->audience_id && !job->state;
    return job->step == SGX_MSADS_STEP_URL && unknown ? SGX_MSADS_STEP_FIND : job->step;
}

/* GetAudiencesByIds without AudienceIds: "If this element is null or empty, then you are
 * effectively requesting all customer and account scoped audiences for the specified account"
 * (campaign-management-service/getaudiencesbyids); Type is required and filters them. The REST
 * adapter: POST /CampaignManagement/v13/Audiences/QueryByIds, GetAudiencesByIdsRequest
 * {"Type","ReturnAdditionalFields","AudienceIds"}, unset fields omitted (REST SDK
 * openapi_client/api/campaign_management_service_api.py _get_audiences_by_ids_serialize,
 * models/campaign/get_audiences_by_ids_request.py to_dict exclude_none). */
static sgx_err_t find_request(const sgx_msads_ctx_t *m, const sgx_job_t *job,
                              sgx_request_t *req)
{
    json_post(m->campaign_url, "/CampaignManagement/v13/Audiences/QueryByIds", req);
    sgx_buf_puts(&req->owned_body, "{\"Type\":\"CustomerList\"}");
    return api_headers(m, job, false, req);
}

/* The file upload. A find that came after the file was encoded gave the batch the id of an
 * existing list: the file, built to create one, is built again for that id. */
static sgx_err_t upload_request(const sgx_msads_ctx_t *m, const sgx_job_t *job,
                                const sgx_msads_state_t *st, sgx_request_t *req)
{
    sgx_buf_t again = {0};
    const sgx_buf_t *csv = job->body;
    sgx_err_t err = SGX_OK;
    if (job->batch && job->batch->audience_id && sgx_msads_body_creates(job->body)) {
        err = sgx_msads_encode(m, job->batch, &again);
        csv = &again;
    }
    if (!err) {
        req->url = sgx_strdup(st->upload_url);
        snprintf(req->method, sizeof req->method, "POST");
        multipart(job, csv, req);
        err = api_headers(m, job, true, req);
    }
    sgx_buf_free(&again);
    return err;
}

sgx_err_t sgx_msads_prepare(const void *ctx, const sgx_job_t *job, sgx_request_t *req)
{
    const sgx_msads_ctx_t *m = ctx;
    sgx_msads_state_t st;
    sgx_err_t err = SGX_OK;
    if (sgx_msads_step(job) == SGX_MSADS_STEP_FIND) {
        return find_request(m, job, req);
    }
    if (job->step == SGX_MSADS_STEP_URL) {
        json_post(m->base_url, "/Bulk/v13/BulkUploadUrl/Query", req);
        /* GetBulkUploadUrlRequest (openapi_client/models/bulk): AccountId is a string (the
         * REST schema's int64-as-string), ResponseMode the enum name. */
        sgx_buf_puts(&req->owned_body, "{\"ResponseMode\":\"ErrorsAndResults\",\"AccountId\":\"");
        sgx_buf_puts(&req->owned_body, m->account_id); /* checked: digits */
        sgx_buf_puts(&req->owned_body, "\"}");
        return api_headers(m, job, false, req);
    }
    if (job->step < 0 || job->step > SGX_MSADS_STEP_RESULT ||
        sgx_msads_state_parse(job->state, &st) != SGX_OK) {
        return SGX_ERR_INVALID;
    }
    switch (job->step) {
    case SGX_MSADS_STEP_UPLOAD:
        err = upload_request(m, job, &st, req);
        break;
    case SGX_MSADS_STEP_STATUS:
        json_post(m->base_url, "/Bulk/v13/BulkUploadStatus/Query", req);
        sgx_buf_puts(&req->owned_body, "{\"RequestId\":\"");
        sgx_buf_puts(&req->owned_body, st.request_id); /* checked: [A-Za-z0-9-] */
        sgx_buf_puts(&req->owned_body, "\"}");
        err = api_headers(m, job, false, req);
        break;
    default:
        if (!st.result_url) {
            err = SGX_ERR_INVALID;
            break;
        }
        req->url = sgx_strdup(st.result_url);
        snprintf(req->method, sizeof req->method, "GET");
        break;
    }
    sgx_msads_state_free(&st);
    return err;
}
