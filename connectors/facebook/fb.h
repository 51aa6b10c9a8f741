/* Meta (Facebook) Marketing API, Customer File Custom Audiences: POST (add) / DELETE (remove)
 * {base_url}/{api_version}/{audience_id}/users with a multi-key payload (destinations.md §1).
 * A POST carries its parameters as a form body; a DELETE carries them in the query string, as
 * the official SDK sends them (facebook_business/api.py FacebookAdsApi.call), so removal
 * batches are sized by URL length (FB_MAX_URL). Audiences configured as "" are found by name
 * or created in the ad account first (fb_audience.c). One file per job: fb.c (descriptor,
 * config), fb_encode.c (parameters), fb_request.c (URL/method), fb_classify.c (response ->
 * verdict), fb_audience.c (search/create), fb_check.c (pre-flight). */
#ifndef SGX_FB_H
#define SGX_FB_H

#include <stdbool.h>
#include <stddef.h>

#include "connectors/connector.h"

/* Longest request URL a removal may use, scheme to query included. Meta documents no limit for
 * Graph URLs; RFC 9110 §4.1 recommends that senders and recipients support URIs of at least
 * 8000 octets, so that is the most any server on the path is expected to take (the emulator
 * answers 414 past it, as an HTTP server does: RFC 9110 §15.5.15). */
#define FB_MAX_URL 8000

extern const sgx_connector_def_t sgx_connector_facebook;

/* The ctx built by init; immutable afterwards, so it can be shared by the worker threads
 * (keys) and the dispatcher (encode/prepare/classify) without locks. */
typedef struct {
    char *access_token_enc;   /* form-urlencoded access token */
    char appsecret_proof[65]; /* lowercase hex HMAC-SHA256(app_secret, access_token) or "" */
    char *api_version;
    char *base_url;           /* without trailing '/' */
    char *default_country;    /* lowercase alpha-2, or NULL */
    char *ad_account_id;      /* digits, without "act_", or NULL: then nothing is created */
    char *file_source;        /* customer_file_source of created audiences */
    sgx_key_t keys[SGX_MAX_ROW_VALS];
    size_t nkeys;
    char *payload_head;       /* "payload=" + urlencoded {"schema":[...],"is_raw":true,"data":[ */
    size_t payload_head_len;
    size_t max_bytes;
    size_t max_url;           /* FB_MAX_URL; a field so tests can lower it */
} sgx_fb_ctx_t;

/* Steps of a batch whose audience is not known yet (audience_id NULL): search it by name, create
 * it when absent, then upload. A batch with an audience id is a single /users step. */
enum { FB_STEP_SEARCH = 0, FB_STEP_CREATE = 1, FB_STEP_USERS = 2 };

/** @brief encode callback (fb_encode.c). */
sgx_err_t sgx_fb_encode(const void *ctx, const sgx_batch_t *batch, sgx_buf_t *out);
/** @brief prepare callback (fb_request.c). */
sgx_err_t sgx_fb_prepare(const void *ctx, const sgx_job_t *job, sgx_request_t *req);
/** @brief classify callback (fb_classify.c). */
void sgx_fb_classify(const void *ctx, const sgx_job_t *job, const sgx_response_t *resp,
                     sgx_classification_t *out);
/** @brief Length of "{base}/{version}/{audience_id}/users?" (fb_request.c). */
size_t sgx_fb_users_url_len(const sgx_fb_ctx_t *fb, const char *audience_id);
/** @brief Appends "&access_token=..[&appsecret_proof=..]" (fb_request.c). */
void sgx_fb_put_auth(const sgx_fb_ctx_t *fb, sgx_buf_t *out);
/** @brief Search and create requests for a batch without an audience (fb_audience.c). */
sgx_err_t sgx_fb_audience_prepare(const sgx_fb_ctx_t *fb, const sgx_job_t *job,
                                  sgx_request_t *req);
/** @brief Classifies the search or create reply (fb_audience.c). */
void sgx_fb_audience_classify(const sgx_job_t *job, const sgx_response_t *resp,
                              sgx_classification_t *out);
/** @brief Graph error -> verdict for a management call (fb_classify.c): like the /users call,
 *  but a refused parameter blocks the audience instead of splitting the rows. */
void sgx_fb_classify_management(const sgx_response_t *resp, sgx_classification_t *out);
/** @brief Pre-flight callbacks (fb_check.c): numeric ids, no creation, read the audience. */
sgx_err_t sgx_fb_validate_audience(const void *ctx, const char *audience_id, char *errbuf);
sgx_err_t sgx_fb_probe_prepare(const void *ctx, const char *audience_id, const char *auth_token,
                               sgx_request_t *req);
bool sgx_fb_probe_classify(const void *ctx, const char *audience_id, const sgx_response_t *resp,
                           char *reason);

#endif
