#include "pipeline/route.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

typedef struct {
    const char *segment; /* borrowed from config */
    size_t len;
    size_t ntargets;
    sgx_target_t *targets;
} route_t;

struct sgx_routes {
    size_t n;
    route_t *routes; /* sorted by (len, bytes) for bsearch */
};

static int cmp_route(const void *a, const void *b)
{
    const route_t *x = a, *y = b;
    if (x->len != y->len) {
        return x->len < y->len ? -1 : 1;
    }
    return memcmp(x->segment, y->segment, x->len);
}

static route_t *find(sgx_routes_t *r, const char *seg, size_t len)
{
    route_t key = {.segment = seg, .len = len};
    if (r->n == 0) {
        return NULL; /* bsearch must not see a NULL base */
    }
    return bsearch(&key, r->routes, r->n, sizeof *r->routes, cmp_route);
}

sgx_err_t sgx_routes_new(const sgx_config_t *cfg, sgx_routes_t **out)
{
    sgx_routes_t *r = sgx_calloc(1, sizeof *r);
    for (size_t d = 0; d < cfg->ndests; d++) {
        const sgx_dest_config_t *dc = &cfg->dests[d];
        for (size_t a = 0; a < dc->naudiences; a++) {
            const char *seg = dc->segments[a];
            route_t *rt = find(r, seg, strlen(seg));
            if (!rt) {
                r->routes = sgx_realloc(r->routes, (r->n + 1) * sizeof *r->routes);
                rt = &r->routes[r->n++];
                *rt = (route_t){.segment = seg, .len = strlen(seg)};
            }
            rt->targets = sgx_realloc(rt->targets, (rt->ntargets + 1) * sizeof *rt->targets);
            rt->targets[rt->ntargets++] = (sgx_target_t){(uint16_t)d, (uint32_t)a};
            qsort(r->routes, r->n, sizeof *r->routes, cmp_route);
        }
    }
    *out = r;
    return SGX_OK;
}

void sgx_routes_find(const sgx_routes_t *r, const char *segment, size_t len,
                     const sgx_target_t **targets, size_t *n)
{
    route_t *rt = find((sgx_routes_t *)(uintptr_t)r, segment, len);
    *targets = rt ? rt->targets : NULL;
    *n = rt ? rt->ntargets : 0;
}

void sgx_routes_destroy(sgx_routes_t *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        sgx_free(r->routes[i].targets);
    }
    sgx_free(r->routes);
    sgx_free(r);
}
