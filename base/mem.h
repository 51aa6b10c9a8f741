/* Allocation wrappers that abort on OOM. Offsets are committed only after acknowledgement, so
 * dying on OOM loses nothing: a restart replays from the last commit (as in Redis' zmalloc). */
#ifndef SGX_MEM_H
#define SGX_MEM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void *sgx_oom(size_t n)
{
    fprintf(stderr, "segexport: out of memory allocating %zu bytes\n", n);
    abort();
}

/** @returns owned memory; free with sgx_free. Never NULL. */
static inline void *sgx_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    return p ? p : sgx_oom(n);
}

/** @returns owned zeroed memory; free with sgx_free. Never NULL. */
static inline void *sgx_calloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    return p ? p : sgx_oom(count * n);
}

/** @returns owned memory (p is consumed); never NULL. */
static inline void *sgx_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    return q ? q : sgx_oom(n);
}

/** @returns an owned copy of the first n bytes of s, NUL-terminated. */
static inline char *sgx_strndup(const char *s, size_t n)
{
    char *d = sgx_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static inline char *sgx_strdup(const char *s)
{
    return sgx_strndup(s, strlen(s));
}

static inline void sgx_free(void *p)
{
    free(p);
}

#endif
