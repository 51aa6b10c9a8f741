/* SHA-256 (and MD5 for Criteo). SHA-256 uses the CPU's SHA extensions when present (x86-64
 * SHA-NI, ~48 ns per identifier, ~37 ns each in pairs) and otherwise OpenSSL EVP with the digest fetched once and an
 * initialised context copied per call (~72 ns; EVP_DigestInit_ex each time costs ~82, the
 * one-shot SHA256()/EVP_Digest ~125). MD5 is EVP only. */
#ifndef SGX_HASH_H
#define SGX_HASH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

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

/**
 * @brief SHA-256 of n values at once (a row's keys): same contract as sgx_hasher_sha256 for each,
 * out[i] receiving data[i]'s digest. With SHA-NI two messages are digested in interleaved
 * rounds, which nearly halves the cost per value; otherwise it loops. Refuses (SGX_ERR_INVALID,
 * nothing written) when any len[i] is 0.
 */
sgx_err_t sgx_hasher_sha256_many(sgx_hasher_t *h, size_t n, const void *const *data,
                                 const size_t *len, unsigned char (*out)[SGX_SHA256_LEN]);

/** @brief MD5 of len > 0 bytes, same contract as sgx_hasher_sha256. */
sgx_err_t sgx_hasher_md5(sgx_hasher_t *h, const void *data, size_t len,
                         unsigned char out[SGX_MD5_LEN]);

/**
 * @brief Turns the SHA-NI path on or off (on by default when the CPU has it); for tests and
 * benchmarks that compare both paths. @returns whether the accelerated path is now in use.
 */
bool sgx_hasher_accel(sgx_hasher_t *h, bool enable);

/** @brief Writes 2n lowercase hex characters and a NUL into out (2n+1 bytes). */
void sgx_hex_lower(const unsigned char *in, size_t n, char *out);

#endif
