#include "base/http_tls.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"

const char *sgx_http_tls_ca(const sgx_http_tls_t *tls)
{
    if (tls && tls->ca_file) {
        return tls->ca_file;
    }
    const char *env = getenv("CURL_CA_BUNDLE");
    if (!env || !*env) {
        env = getenv("SSL_CERT_FILE");
    }
    return env && *env ? env : NULL;
}

void sgx_http_tls_apply(CURL *e, const sgx_http_tls_t *tls)
{
    const char *ca = sgx_http_tls_ca(tls);
    if (ca) {
        curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    }
    if (!tls) {
        return;
    }
    if (tls->cert_file) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, tls->cert_file);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (tls->key_file) {
        curl_easy_setopt(e, CURLOPT_SSLKEY, tls->key_file);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (tls->proxy) {
        curl_easy_setopt(e, CURLOPT_PROXY, tls->proxy);
    }
}

void sgx_http_tls_clear(sgx_http_tls_t *tls)
{
    if (!tls) {
        return;
    }
    sgx_free(tls->ca_file);
    sgx_free(tls->cert_file);
    sgx_free(tls->key_file);
    if (tls->proxy) {
        OPENSSL_cleanse(tls->proxy, strlen(tls->proxy));
        sgx_free(tls->proxy);
    }
    memset(tls, 0, sizeof *tls);
}

bool sgx_http_is_plain(const char *url)
{
    return url && strncasecmp(url, "http://", 7) == 0;
}
