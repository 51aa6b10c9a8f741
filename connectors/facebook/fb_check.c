/* Meta pre-flight: audience ids are Graph object ids (numbers); "" asks for the audience to be
 * found by name or created (fb_audience.c), which needs an ad_account_id. The online probe
 * reads the custom audience node:
 *   GET /{version}/{custom_audience_id}?fields=id,name,operation_status,permission_for_actions
 * (Custom Audience reference, fields permission_for_actions{can_edit} and operation_status:
 * https://developers.facebook.com/docs/marketing-api/reference/custom-audience). A GET carries
 * its parameters in the query string, as the official SDK sends them (facebook_business/api.py). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "connectors/conn_util.h"
#include "connectors/facebook/fb.h"

sgx_err_t sgx_fb_validate_audience(const void *ctx, const char *audience_id, char *errbuf)
{
    const sgx_fb_ctx_t *fb = ctx;
    return sgx_conn_numeric_audience(audience_id, "custom audience id", fb->ad_account_id != NULL,
                                     "set ad_account_id so segexport can find or create the "
                                     "audience (named after the segment), or give its id",
                                     errbuf);
}

sgx_err_t sgx_fb_probe_prepare(const void *ctx, const char *audience_id, const char *auth_token,
                               sgx_request_t *req)
{
    const sgx_fb_ctx_t *fb = ctx;
    (void)auth_token;
    if (!audience_id || !*audience_id || strspn(audience_id, "0123456789") != strlen(audience_id)) {
        return SGX_ERR_INVALID;
    }
    sgx_buf_t url = {0};
    sgx_buf_puts(&url, fb->base_url);
    sgx_buf_putc(&url, '/');
    sgx_buf_puts(&url, fb->api_version);
    sgx_buf_putc(&url, '/');
    sgx_buf_puts(&url, audience_id);
    sgx_buf_puts(&url, "?fields=id%2Cname%2Coperation_status%2Cpermission_for_actions"
                       "&access_token=");
    sgx_buf_puts(&url, fb->access_token_enc);
    if (fb->appsecret_proof[0]) {
        sgx_buf_puts(&url, "&appsecret_proof=");
        sgx_buf_puts(&url, fb->appsecret_proof);
    }
    req->url = url.data;
    snprintf(req->method, sizeof req->method, "GET");
    return SGX_OK;
}

/* Graph error codes that name the problem an operator fixes (error-reference). */
static void error_reason(json_t *err, long status, char *reason)
{
    long long code = json_integer_value(json_object_get(err, "code"));
    const char *what = code == 190                               ? "access token invalid or expired"
                       : code == 100                             ? "audience not found or not readable"
                       : code == 200 || code == 294 || code == 10 ? "permission missing (ads_management)"
                       : code == 4 || code == 17 || code == 613   ? "throttled, try again later"
                                                                  : "request refused";
    snprintf(reason, 128, "meta_%lld: %s (HTTP %ld)", code, what, status);
}

bool sgx_fb_probe_classify(const void *ctx, const char *audience_id, const sgx_response_t *resp,
                           char *reason)
{
    (void)ctx;
    json_t *root = json_loadb(resp->body, resp->body_len, 0, NULL);
    json_t *err = json_object_get(root, "error");
    bool ok = false;
    if (resp->status == 0) {
        snprintf(reason, 128, "transport error %d (unreachable, TLS or timeout)",
                 resp->transport_error);
    } else if (json_is_object(err)) {
        error_reason(err, resp->status, reason);
    } else if (resp->status != 200 || !json_is_object(root)) {
        snprintf(reason, 128, "unexpected answer (HTTP %ld)", resp->status);
    } else if (!json_string_value(json_object_get(root, "id")) ||
               strcmp(json_string_value(json_object_get(root, "id")), audience_id) != 0) {
        snprintf(reason, 128, "answer is not this audience");
    } else if (json_is_false(json_object_get(json_object_get(root, "permission_for_actions"),
                                             "can_edit"))) {
        snprintf(reason, 128, "audience is not writable by this token "
                              "(permission_for_actions.can_edit=false)");
    } else {
        ok = true;
    }
    json_decref(root);
    return ok;
}
