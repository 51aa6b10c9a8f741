/* Meta (Facebook) Marketing API, Customer File Custom Audiences: POST (add) / DELETE (remove)
 * {base_url}/{api_version}/{audience_id}/users with a form-encoded multi-key payload
 * (destinations.md §1). One file per job: fb.c (descriptor, config), fb_encode.c (body),
 * fb_request.c (URL/method), fb_classify.c (response -> verdict). */
#ifndef SGX_FB_H
#define SGX_FB_H

#include <stdbool.h>
#include <stddef.h>

#include "connectors/connector.h"

extern const sgx_connector_def_t sgx_connector_facebook;

/* The ctx built by init; immutable afterwards, so it can be shared by the worker threads
 * (keys) and the dispatcher (encode/prepare/classify) without locks. */
typedef struct {
    char *access_token_enc;   /* form-urlencoded access token */
    char appsecret_proof[65]; /* lowercase hex HMAC-SHA256(app_secret, access_token) or "" */
    char *api_version;
    char *base_url;           /* without trailing '/' */
    char *default_country;    /* lowercase alpha-2, or NULL */
    char *ad_account_id;      /* digits, without "act_", or NULL */
    sgx_key_t keys[SGX_MAX_ROW_VALS];
    size_t nkeys;
    char *payload_head;       /* "payload=" + urlencoded {"schema":[...],"is_raw":true,"data":[ */
    size_t payload_head_len;
    size_t max_bytes;
} sgx_fb_ctx_t;

/** @brief encode callback (fb_encode.c). */
sgx_err_t sgx_fb_encode(const void *ctx, const sgx_batch_t *batch, sgx_buf_t *out);
/** @brief prepare callback (fb_request.c). */
sgx_err_t sgx_fb_prepare(const void *ctx, const sgx_job_t *job, sgx_request_t *req);
/** @brief classify callback (fb_classify.c). */
void sgx_fb_classify(const void *ctx, const sgx_job_t *job, const sgx_response_t *resp,
                     sgx_classification_t *out);
/** @brief Pre-flight callbacks (fb_check.c): numeric ids, no creation, read the audience. */
sgx_err_t sgx_fb_validate_audience(const void *ctx, const char *audience_id, char *errbuf);
sgx_err_t sgx_fb_probe_prepare(const void *ctx, const char *audience_id, const char *auth_token,
                               sgx_request_t *req);
bool sgx_fb_probe_classify(const void *ctx, const char *audience_id, const sgx_response_t *resp,
                           char *reason);

#endif
