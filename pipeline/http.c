#include "pipeline/http.h"

#include <stdlib.h>
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

#define LONG_URL 1024

/* A long URL (a Meta removal carries its rows in the query) goes as a short CURLOPT_URL plus
 * its path and query as CURLOPT_REQUEST_TARGET. libcurl 7.88 writes a URL's query into the
 * request line through its own printf, one byte per call ("?%s" in Curl_http_target: ~48 µs
 * for 8 KB, a quarter of the dispatcher's time), but copies a request target whole. Not for
 * plain http:// through a proxy: a non-tunnelling proxy is sent the absolute URL instead, and
 * the query would be lost. The target is the same bytes the URL would have put there. */
static void set_url(CURL *e, const char *url)
{
    size_t len = strlen(url);
    const char *auth = strstr(url, "://");
    const char *path = auth ? strchr(auth + 3, '/') : NULL;
    bool plain = strncmp(url, "http://", 7) == 0;
    bool proxied = getenv("http_proxy") || getenv("HTTP_PROXY") || getenv("all_proxy") ||
                   getenv("ALL_PROXY");
    char base[LONG_URL];
    if (len <= LONG_URL || !path || (plain && proxied) || (size_t)(path - url) + 2 > sizeof base ||
        strchr(path, '#')) {
        curl_easy_setopt(e, CURLOPT_URL, url);
        return;
    }
    memcpy(base, url, (size_t)(path - url));
    base[path - url] = '/';
    base[path - url + 1] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, base);
    curl_easy_setopt(e, CURLOPT_REQUEST_TARGET, path);
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
    set_url(e, req->url);
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
