#include "codecs/hash.h"

#include <openssl/evp.h>

#include "pipeline/mem.h"

struct sgx_hasher {
    EVP_MD *sha256;
    EVP_MD *md5;
    EVP_MD_CTX *ctx;
};

void sgx_hasher_destroy(sgx_hasher_t *h)
{
    if (!h) {
        return;
    }
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_free(h->sha256);
    EVP_MD_free(h->md5);
    sgx_free(h);
}

sgx_err_t sgx_hasher_new(sgx_hasher_t **out)
{
    sgx_hasher_t *h = sgx_calloc(1, sizeof *h);
    h->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    /* MD5 may be missing under a FIPS provider; only Criteo's md5 mode needs it. */
    h->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    h->ctx = EVP_MD_CTX_new();
    if (!h->sha256 || !h->ctx) {
        sgx_hasher_destroy(h);
        return SGX_ERR_UNAVAILABLE;
    }
    *out = h;
    return SGX_OK;
}

static sgx_err_t digest(sgx_hasher_t *h, const EVP_MD *md, const void *data, size_t len,
                        unsigned char *out)
{
    if (len == 0 || !data) {
        return SGX_ERR_INVALID;
    }
    if (!md) {
        return SGX_ERR_UNAVAILABLE;
    }
    unsigned int n = 0;
    if (EVP_DigestInit_ex(h->ctx, md, NULL) != 1 || EVP_DigestUpdate(h->ctx, data, len) != 1 ||
        EVP_DigestFinal_ex(h->ctx, out, &n) != 1) {
        return SGX_ERR_UNAVAILABLE;
    }
    return SGX_OK;
}

sgx_err_t sgx_hasher_sha256(sgx_hasher_t *h, const void *data, size_t len,
                            unsigned char out[SGX_SHA256_LEN])
{
    return digest(h, h->sha256, data, len, out);
}

sgx_err_t sgx_hasher_md5(sgx_hasher_t *h, const void *data, size_t len,
                         unsigned char out[SGX_MD5_LEN])
{
    return digest(h, h->md5, data, len, out);
}

void sgx_hex_lower(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}
