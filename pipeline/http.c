#include "pipeline/http.h"

#include <string.h>

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    sgx_buf_append(arg, p, size * n);
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    sgx_buf_t *b = arg;
    /* A new status line (after a 100-continue or a redirect) starts a new header block. */
    if (size * n > 5 && strncmp(p, "HTTP/", 5) == 0) {
        sgx_buf_reset(b);
    }
    sgx_buf_append(b, p, size * n);
    return size * n;
}

sgx_err_t sgx_http_setup(sgx_http_t *h, const sgx_request_t *req, long timeout_ms, void *priv)
{
    if (!h->easy) {
        h->easy = curl_easy_init();
        if (!h->easy) {
            return SGX_ERR_UNAVAILABLE;
        }
    }
    curl_easy_reset(h->easy);
    curl_slist_free_all(h->headers);
    h->headers = NULL;
    sgx_http_reset_response(h);
    for (int i = 0; i < req->nheaders; i++) {
        h->headers = curl_slist_append(h->headers, req->headers[i]);
    }
    if (req->content_type) {
        char ct[256];
        snprintf(ct, sizeof ct, "Content-Type: %s", req->content_type);
        h->headers = curl_slist_append(h->headers, ct);
    }
    /* Without this, curl waits up to a second for "100 Continue" before large bodies. */
    h->headers = curl_slist_append(h->headers, "Expect:");
    CURL *e = h->easy;
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &h->body);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &h->hdrs);
    curl_easy_setopt(e, CURLOPT_PRIVATE, priv);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    sgx_http_tls_apply(e, h->tls); /* after curl_easy_reset, which dropped them */
    if (req->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body->data ? req->body->data : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body->len);
    }
    if (strcmp(req->method, "POST") != 0 && strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    } else if (strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    return SGX_OK;
}

void sgx_http_reset_response(sgx_http_t *h)
{
    sgx_buf_reset(&h->body);
    sgx_buf_reset(&h->hdrs);
}

void sgx_http_response(sgx_http_t *h, CURLcode result, sgx_response_t *resp)
{
    long status = 0;
    memset(resp, 0, sizeof *resp);
    if (result == CURLE_OK) {
        curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
    }
    resp->status = status;
    resp->transport_error = (int)result;
    resp->body = h->body.data ? h->body.data : "";
    resp->body_len = h->body.len;
    resp->headers = h->hdrs.data ? h->hdrs.data : "";
}

void sgx_http_cleanup(sgx_http_t *h)
{
    if (!h) {
        return;
    }
    if (h->easy) {
        curl_easy_cleanup(h->easy);
    }
    curl_slist_free_all(h->headers);
    sgx_buf_free(&h->body);
    sgx_buf_free(&h->hdrs);
    const sgx_http_tls_t *tls = h->tls;
    memset(h, 0, sizeof *h);
    h->tls = tls;
}
