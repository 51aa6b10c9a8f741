/* Criteo Marketing Solutions API, contact-list audience segments (destinations.md §3):
 *   POST {base_url}/oauth2/token                                   client credentials
 *   POST {base_url}/{version}/marketing-solutions/audience-segments/search?limit&offset
 *        (step 0, when the segment has no audience id yet: find it by name, page by page)
 *   POST {base_url}/{version}/marketing-solutions/audience-segments/create   (step 1, only
 *        when the search found no segment of that name)
 *   PATCH {base_url}/{version}/marketing-solutions/audience-segments/{id}/contact-list
 *        ContactlistAmendment add|remove, identifierType email          (step 2, or any step
 *        once the batch has an audience id)
 * One file per job: criteo.c (descriptor, config, token request/parse), criteo_encode.c (the
 * amendment body), criteo_request.c (URL/method, creation body), criteo_classify.c (response ->
 * verdict). */
#ifndef SGX_CONNECTOR_CRITEO_H
#define SGX_CONNECTOR_CRITEO_H

#include <stdint.h>

#include "connectors/connector.h"

extern const sgx_connector_def_t sgx_connector_criteo;

#define SGX_CRITEO_MAX_IDENTIFIERS 50000
/* Segments per search page: the API's maximum (AudienceApi.search_audience_segments limit,
 * inclusive_maximum 100). */
#define SGX_CRITEO_SEARCH_LIMIT 100
/* Pages searched before giving up, so a misbehaving server cannot page us forever. */
#define SGX_CRITEO_SEARCH_MAX_OFFSET 100000

/* The job steps of a batch without an audience id (criteo_request.c). */
enum { SGX_CRITEO_STEP_SEARCH = 0, SGX_CRITEO_STEP_CREATE = 1, SGX_CRITEO_STEP_PATCH = 2 };

/* How an e-mail is sent (identifier_hashing). */
typedef enum {
    SGX_CRITEO_SHA256 = 0, /* lowercase hex SHA-256 of the normalized e-mail (default) */
    SGX_CRITEO_PLAIN,      /* the normalized e-mail itself */
    SGX_CRITEO_MD5,        /* lowercase hex MD5 of the normalized e-mail */
} sgx_criteo_hashing_t;

/* The ctx built by init; immutable afterwards and shared by workers and the dispatcher. */
typedef struct {
    char *client_id;
    char *client_secret;
    char *token_form;      /* owned: the urlencoded token request body */
    char *advertiser_id;   /* digits, or NULL: creating segments is then refused */
    char *api_version;     /* "2026-07" */
    char *base_url;        /* without trailing '/' */
    sgx_criteo_hashing_t hashing;
    sgx_key_t keys[1];     /* EMAIL */
    size_t max_bytes;
} sgx_criteo_ctx_t;

/** @brief encode callback (criteo_encode.c): the ContactlistAmendment of batch. */
sgx_err_t sgx_criteo_encode(const void *ctx, const sgx_batch_t *batch, sgx_buf_t *out);
/** @brief prepare callback (criteo_request.c). Without an audience id: step 0 searches for the
 *  segment by name (job->state holds the page offset), step 1 creates it; with one, the
 *  contact-list PATCH. */
sgx_err_t sgx_criteo_prepare(const void *ctx, const sgx_job_t *job, sgx_request_t *req);
/** @brief classify callback (criteo_classify.c). */
void sgx_criteo_classify(const void *ctx, const sgx_job_t *job, const sgx_response_t *resp,
                         sgx_classification_t *out);
/** @brief classify of a search page (criteo_search.c): the segment found (NEXT_STEP to the
 *  PATCH with created_audience_id), the next page (NEXT_STEP to step 0, state = offset), or
 *  none (NEXT_STEP to the creation). Only for 2xx replies. */
void sgx_criteo_classify_search(const sgx_criteo_ctx_t *c, const sgx_job_t *job,
                                const sgx_response_t *resp, sgx_classification_t *out);
/** @brief The id of a JSON:API entity ({"id": "123"} or {"id": 123}) as owned text, or NULL
 *  (criteo_classify.c). */
struct json_t;
char *sgx_criteo_entity_id(const struct json_t *entity);
/** @brief auth_parse callback (criteo_classify.c). */
sgx_err_t sgx_criteo_auth_parse(const void *ctx, const sgx_response_t *resp, char **token,
                                int64_t *expires_in_ms, char *reason);
/**
 * @brief Parses an RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") without the clock
 * or the locale. @returns true and the epoch seconds in *out.
 */
bool sgx_criteo_parse_http_date(const char *s, size_t n, int64_t *out);

/** @brief Pre-flight callbacks (criteo_check.c): numeric ids, creation rules, a read probe. */
sgx_err_t sgx_criteo_validate_audience(const void *ctx, const char *audience_id, char *errbuf);
sgx_err_t sgx_criteo_probe_prepare(const void *ctx, const char *audience_id, const char *auth_token,
                              sgx_request_t *req);
bool sgx_criteo_probe_classify(const void *ctx, const char *audience_id, const sgx_response_t *resp,
                         char *reason);

#endif
