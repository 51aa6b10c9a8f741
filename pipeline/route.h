/* Segment id -> the (destination, audience) pairs that export it. Built once before threads
 * start, then read-only and shared by all workers. */
#ifndef SGX_ROUTE_H
#define SGX_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

typedef struct {
    uint16_t dest;
    uint32_t audience;
} sgx_target_t;

typedef struct sgx_routes sgx_routes_t;

/** @param cfg borrowed. @param out owned on success, free with sgx_routes_destroy. */
sgx_err_t sgx_routes_new(const sgx_config_t *cfg, sgx_routes_t **out);

/** @brief Looks up a segment (len bytes, borrowed). *targets is borrowed, *n may be 0. */
void sgx_routes_find(const sgx_routes_t *r, const char *segment, size_t len,
                     const sgx_target_t **targets, size_t *n);

/** @brief NULL-safe. */
void sgx_routes_destroy(sgx_routes_t *r);

#endif
