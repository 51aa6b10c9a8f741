/* The compiled program's storage: growing its node and child arrays, and freeing it. Shared by
 * the compiler (avro_projection.c) and the binder (avro_bind.c), which both add nodes; kept
 * apart from either so that neither calls back into the other. */
#include <string.h>

#include "base/mem.h"
#include "codecs/avro_program.h"

uint32_t sgx_aprog_add_node(sgx_projection_t *p, sgx_akind_t kind)
{
    if (p->nnodes == p->cap_nodes) {
        p->cap_nodes = p->cap_nodes ? p->cap_nodes * 2 : 32;
        p->nodes = sgx_realloc(p->nodes, p->cap_nodes * sizeof *p->nodes);
    }
    memset(&p->nodes[p->nnodes], 0, sizeof p->nodes[0]);
    p->nodes[p->nnodes].kind = (uint8_t)kind;
    return p->nnodes++;
}

/* Reserves n child slots and returns the first; slots are filled by the caller. */
uint32_t sgx_aprog_add_kids(sgx_projection_t *p, uint32_t n)
{
    while (p->nkids + n > p->cap_kids) {
        p->cap_kids = p->cap_kids ? p->cap_kids * 2 : 64;
        p->kids = sgx_realloc(p->kids, p->cap_kids * sizeof *p->kids);
        p->acts = sgx_realloc(p->acts, p->cap_kids);
        p->names = sgx_realloc(p->names, p->cap_kids * sizeof *p->names);
    }
    uint32_t first = p->nkids;
    memset(&p->acts[first], 0, n);
    memset(&p->names[first], 0, n * sizeof *p->names);
    memset(&p->kids[first], 0, n * sizeof *p->kids);
    p->nkids += n;
    return first;
}

void sgx_projection_destroy(sgx_projection_t *p)
{
    if (!p) {
        return;
    }
    for (uint32_t i = 0; i < p->nkids; i++) {
        sgx_free(p->names[i]);
    }
    sgx_free(p->names);
    sgx_free(p->kids);
    sgx_free(p->acts);
    sgx_free(p->nodes);
    sgx_free(p);
}
