/* SHA-256 (and MD5 for Criteo) through OpenSSL EVP with the digest fetched once and the
 * context reused: on OpenSSL 3 the one-shot SHA256() refetches the algorithm on every call and
 * costs about 4x more for identifier-sized inputs. */
#ifndef SGX_HASH_H
#define SGX_HASH_H

#include <stddef.h>

#include "pipeline/err.h"

#define SGX_SHA256_LEN 32
#define SGX_MD5_LEN 16

typedef struct sgx_hasher sgx_hasher_t;

/**
 * @brief Creates a hasher. Not thread-safe: one per thread (each worker owns one).
 * @param out owned on success; free with sgx_hasher_destroy.
 */
sgx_err_t sgx_hasher_new(sgx_hasher_t **out);

/** @brief Frees a hasher. NULL-safe. */
void sgx_hasher_destroy(sgx_hasher_t *h);

/**
 * @brief SHA-256 of len bytes. Refuses len == 0 with SGX_ERR_INVALID: hashing the empty string
 * is the classic exporter bug (it matches nobody and hides a missing value).
 * @param data borrowed. @param out receives 32 bytes.
 */
sgx_err_t sgx_hasher_sha256(sgx_hasher_t *h, const void *data, size_t len,
                            unsigned char out[SGX_SHA256_LEN]);

/** @brief MD5 of len > 0 bytes, same contract as sgx_hasher_sha256. */
sgx_err_t sgx_hasher_md5(sgx_hasher_t *h, const void *data, size_t len,
                         unsigned char out[SGX_MD5_LEN]);

/** @brief Writes 2n lowercase hex characters and a NUL into out (2n+1 bytes). */
void sgx_hex_lower(const unsigned char *in, size_t n, char *out);

#endif
