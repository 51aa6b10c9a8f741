/* One HTTP exchange on a libcurl easy handle: request setup from a connector's sgx_request_t,
 * response capture into an sgx_response_t. The dispatcher drives the handles with curl multi. */
#ifndef SGX_HTTP_H
#define SGX_HTTP_H

#include <curl/curl.h>

#include "base/http_tls.h"

#include "connectors/connector.h"

typedef struct {
    CURL *easy;
    struct curl_slist *headers;
    sgx_buf_t body;    /* response body */
    sgx_buf_t hdrs;    /* raw response headers */
    const sgx_http_tls_t *tls; /* borrowed: the peer's ca_file, client cert, proxy; or NULL */
} sgx_http_t;

/**
 * @brief (Re)configures h for req. The request and its body are borrowed and must stay alive
 * until the transfer completes. @param timeout_ms whole-transfer timeout.
 */
sgx_err_t sgx_http_setup(sgx_http_t *h, const sgx_request_t *req, long timeout_ms, void *priv);

/** @brief Empties the captured response for a retry of the same request. */
void sgx_http_reset_response(sgx_http_t *h);

/** @brief Fills resp (borrowing h's buffers) after the transfer finished with result. */
void sgx_http_response(sgx_http_t *h, CURLcode result, sgx_response_t *resp);

/** @brief Frees the handle and buffers. NULL-safe. */
void sgx_http_cleanup(sgx_http_t *h);

#endif
