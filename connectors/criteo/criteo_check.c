/* Criteo pre-flight: segment ids are numbers; "" creates a segment, which needs advertiser_id
 * (AudienceSegmentCreateEntityV1.advertiserId is required, criteo-api-python-sdk). The online
 * probe reads the segment's contact-list statistics, a GET that changes nothing:
 *   GET /{version}/marketing-solutions/audience-segments/{id}/contact-list/statistics
 * (AudienceApi.get_audience_segment_contact_list_statistics, criteo-api-python-sdk
 * docs/AudienceApi.md): 200 for a contact-list segment the app may use, 403 when the
 * advertiser is not granted to the app, 404 for an unknown segment. */
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "connectors/conn_util.h"
#include "connectors/criteo/criteo.h"

sgx_err_t sgx_criteo_validate_audience(const void *ctx, const char *audience_id, char *errbuf)
{
    const sgx_criteo_ctx_t *c = ctx;
    return sgx_conn_numeric_audience(audience_id, "audience segment id", c->advertiser_id != NULL,
                                     "creating a segment needs the advertiser_id setting",
                                     errbuf);
}

sgx_err_t sgx_criteo_probe_prepare(const void *ctx, const char *audience_id,
                                   const char *auth_token, sgx_request_t *req)
{
    const sgx_criteo_ctx_t *c = ctx;
    if (!auth_token || !*auth_token || !audience_id || !*audience_id ||
        strspn(audience_id, "0123456789") != strlen(audience_id)) {
        return SGX_ERR_INVALID;
    }
    size_t n = strlen(c->base_url) + strlen(c->api_version) + strlen(audience_id) + 96;
    req->url = sgx_malloc(n);
    snprintf(req->url, n, "%s/%s/marketing-solutions/audience-segments/%s/contact-list/statistics",
             c->base_url, c->api_version, audience_id);
    snprintf(req->method, sizeof req->method, "GET");
    size_t tn = strlen(auth_token) + sizeof "Bearer ";
    char *bearer = sgx_malloc(tn);
    snprintf(bearer, tn, "Bearer %s", auth_token);
    sgx_err_t err = sgx_request_add_header(req, "Authorization", bearer);
    sgx_conn_free_secret(bearer);
    return err ? err : sgx_request_add_header(req, "Accept", "application/json");
}

bool sgx_criteo_probe_classify(const void *ctx, const char *audience_id,
                               const sgx_response_t *resp, char *reason)
{
    (void)ctx;
    (void)audience_id;
    return sgx_conn_probe_status(resp, "criteo", reason);
}
