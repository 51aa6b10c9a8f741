/* A growable byte buffer for request bodies and encoders. */
#ifndef SGX_BUF_H
#define SGX_BUF_H

#include <stddef.h>
#include <string.h>

#include "base/mem.h"

typedef struct {
    char *data; /* owned; NUL-terminated after every append, for convenience */
    size_t len;
    size_t cap;
} sgx_buf_t;

/** @brief Ensures room for n more bytes (plus the NUL). */
static inline void sgx_buf_reserve(sgx_buf_t *b, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        b->data = sgx_realloc(b->data, cap);
        b->cap = cap;
    }
}

static inline void sgx_buf_append(sgx_buf_t *b, const void *p, size_t n)
{
    sgx_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static inline void sgx_buf_puts(sgx_buf_t *b, const char *s)
{
    sgx_buf_append(b, s, strlen(s));
}

static inline void sgx_buf_putc(sgx_buf_t *b, char c)
{
    sgx_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

/** @brief Empties the buffer, keeping its memory for reuse. */
static inline void sgx_buf_reset(sgx_buf_t *b)
{
    b->len = 0;
    if (b->data) {
        b->data[0] = '\0';
    }
}

/** @brief Frees the memory; the buffer may be reused after. NULL-safe. */
static inline void sgx_buf_free(sgx_buf_t *b)
{
    if (b) {
        sgx_free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
    }
}

#endif
