/* TLS and proxy options of one HTTP peer (the schema registry, a destination), applied to every
 * libcurl easy handle the core creates for it. */
#ifndef SGX_HTTP_TLS_H
#define SGX_HTTP_TLS_H

#include <curl/curl.h>
#include <stdbool.h>

typedef struct {
    char *ca_file;   /* PEM bundle that replaces the system CAs for this peer, or NULL */
    char *cert_file; /* mTLS client certificate (PEM), or NULL; with key_file */
    char *key_file;  /* its private key (PEM), or NULL */
    char *proxy;     /* libcurl proxy URL (may carry credentials: wiped on free), or NULL */
} sgx_http_tls_t;

/**
 * @brief Sets CURLOPT_CAINFO, SSLCERT, SSLKEY and PROXY on e from tls (borrowed; NULL applies
 * only the environment). Without ca_file the standard CURL_CA_BUNDLE, then SSL_CERT_FILE,
 * environment variables name the CA bundle, as curl(1) and OpenSSL tools do: libcurl itself
 * reads neither.
 */
void sgx_http_tls_apply(CURL *e, const sgx_http_tls_t *tls);

/** @returns the CA bundle sgx_http_tls_apply would use (borrowed), or NULL for the built-in. */
const char *sgx_http_tls_ca(const sgx_http_tls_t *tls);

/** @brief Frees (and wipes the proxy of) tls's strings and zeroes it. NULL-safe. */
void sgx_http_tls_clear(sgx_http_tls_t *tls);

/** @returns true when url starts with http:// (case-insensitive): nothing is encrypted. */
bool sgx_http_is_plain(const char *url);

#endif
