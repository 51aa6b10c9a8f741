/* Helpers shared by the unit tests (cmocka): reading files from the source tree, golden files,
 * hex digests and request headers. Header-only: every test is its own executable. Include after
 * <cmocka.h>. */
#ifndef SGX_TEST_UTIL_H
#define SGX_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "connectors/connector.h"

/**
 * @brief Reads SGX_SOURCE_DIR/rel whole (the test fails when it cannot be opened).
 * @returns owned, NUL-terminated (free with sgx_free); its length in *len.
 */
static inline char *sgx_test_read_file(const char *rel, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SGX_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    sgx_buf_t b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        sgx_buf_append(&b, chunk, n);
    }
    fclose(f);
    *len = b.len;
    return b.data;
}

/** @brief sgx_test_read_file of tests/data/golden/name. */
static inline char *sgx_test_read_golden(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/data/golden/%s", name);
    return sgx_test_read_file(rel, len);
}

/** @brief Decodes the 64 hex digits of a SHA-256 digest into out[32]. */
static inline void sgx_test_unhex32(const char *hex, unsigned char *out)
{
    for (size_t i = 0; i < 32; i++) {
        unsigned int b;
        sscanf(hex + 2 * i, "%2x", &b);
        out[i] = (unsigned char)b;
    }
}

/** @returns whether req carries the header line ("Name: value") exactly. */
static inline bool sgx_test_has_header(const sgx_request_t *req, const char *line)
{
    for (int i = 0; i < req->nheaders; i++) {
        if (strcmp(req->headers[i], line) == 0) {
            return true;
        }
    }
    return false;
}

#endif
