/* Binding the mapping to the compiled program: each target (profile_id, …, identifier fields)
 * is attached to a record field, possibly through a dotted path of nested records, after its
 * type is checked. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "codecs/avro_program.h"

typedef struct {
    sgx_projection_t *p;
    char *errbuf;
} cc_t;

__attribute__((format(printf, 2, 3))) static sgx_err_t fail(cc_t *cc, const char *fmt, ...)
{
    if (cc->errbuf) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cc->errbuf, SGX_ERRBUF_SIZE, fmt, ap);
        va_end(ap);
    }
    return SGX_ERR_CONFIG;
}

/* Binding: a target names a field of the root record or a dotted path through nested records.
 * Records on a path are cloned so their annotations apply only at that position: the same
 * record type used elsewhere (or recursively) keeps decoding as a plain skip. */
static uint32_t clone_node(sgx_projection_t *p, uint32_t idx)
{
    uint32_t c = sgx_aprog_add_node(p, SGX_AK_NULL);
    p->nodes[c] = p->nodes[idx];
    p->nodes[c].cloned = 1;
    if (p->nodes[c].kind == SGX_AK_RECORD || p->nodes[c].kind == SGX_AK_UNION) {
        uint32_t n = p->nodes[c].n, src = p->nodes[c].a;
        uint32_t first = sgx_aprog_add_kids(p, n);
        for (uint32_t k = 0; k < n; k++) {
            p->kids[first + k] = p->kids[src + k];
            p->acts[first + k] = p->acts[src + k];
            p->names[first + k] = p->names[src + k] ? sgx_strdup(p->names[src + k]) : NULL;
        }
        p->nodes[c].a = first;
    }
    return c;
}

/* Makes the record reached through kid slot `slot` (a record or a union of null and one record)
 * private to this position and returns it. */
static sgx_err_t descend(cc_t *cc, uint32_t slot, const char *path, uint32_t *rec)
{
    sgx_projection_t *p = cc->p;
    uint32_t node = p->kids[slot];
    if (p->nodes[node].kind == SGX_AK_UNION) {
        if (!p->nodes[node].cloned) {
            node = clone_node(p, node);
            p->kids[slot] = node;
        }
        slot = UINT32_MAX;
        for (uint32_t k = 0; k < p->nodes[node].n; k++) {
            uint8_t kind = p->nodes[p->kids[p->nodes[node].a + k]].kind;
            if (kind == SGX_AK_RECORD && slot == UINT32_MAX) {
                slot = p->nodes[node].a + k;
            } else if (kind != SGX_AK_NULL) {
                return fail(cc, "mapping path '%.64s' crosses a union that is not [null, record]",
                            path);
            }
        }
        if (slot == UINT32_MAX) {
            return fail(cc, "mapping path '%.64s' crosses a non-record", path);
        }
        node = p->kids[slot];
    }
    if (p->nodes[node].kind != SGX_AK_RECORD) {
        return fail(cc, "mapping path '%.64s' crosses a non-record", path);
    }
    if (!p->nodes[node].cloned) {
        node = clone_node(p, node);
        p->kids[slot] = node;
    }
    *rec = node;
    return SGX_OK;
}

static uint32_t find_field(const sgx_projection_t *p, uint32_t rec, const char *name, size_t n)
{
    const sgx_anode_t *node = &p->nodes[rec];
    for (uint32_t k = 0; k < node->n; k++) {
        const char *f = p->names[node->a + k];
        if (f && strlen(f) == n && memcmp(f, name, n) == 0) {
            return node->a + k;
        }
    }
    return UINT32_MAX;
}

static bool kind_ok(const sgx_anode_t *n, int target)
{
    switch (target) {
    case SGX_T_OP:
        return n->kind == SGX_AK_STRING || (n->kind == SGX_AK_ENUM && n->a != 0);
    case SGX_T_TIME:
        return n->kind == SGX_AK_LONG;
    case SGX_T_FIELD0 + SGX_F_DATE_OF_BIRTH:
        return n->kind == SGX_AK_STRING || (n->kind == SGX_AK_INT && n->logical == SGX_LT_DATE);
    default:
        return n->kind == SGX_AK_STRING;
    }
}

/* The type itself, or a union of null and exactly one such type (any order). */
static bool type_ok(const sgx_projection_t *p, uint32_t node, int target)
{
    const sgx_anode_t *n = &p->nodes[node];
    if (n->kind != SGX_AK_UNION) {
        return kind_ok(n, target);
    }
    int values = 0;
    for (uint32_t k = 0; k < n->n; k++) {
        const sgx_anode_t *b = &p->nodes[p->kids[n->a + k]];
        if (b->kind == SGX_AK_NULL) {
            continue;
        }
        if (!kind_ok(b, target)) {
            return false;
        }
        values++;
    }
    return values == 1;
}

static const char *target_path(const sgx_mapping_t *map, int t)
{
    static const char *const fixed[] = {"profile_id", "segment_id", "op", "event_time"};
    const char *mapped = NULL;
    if (map) {
        const char *const m4[] = {map->profile_id, map->segment_id, map->op, map->event_time};
        mapped = t < SGX_T_FIELD0 ? m4[t] : map->fields[t - SGX_T_FIELD0];
    }
    if (mapped) {
        return mapped;
    }
    return t < SGX_T_FIELD0 ? fixed[t] : sgx_field_name((sgx_field_t)(t - SGX_T_FIELD0));
}

/* SGX_ERR_NOT_FOUND when the path does not exist; the caller decides if that is fatal. */
static sgx_err_t bind_target(cc_t *cc, int target, const char *path)
{
    sgx_projection_t *p = cc->p;
    uint32_t rec = p->root;
    for (const char *comp = path;;) {
        const char *dot = strchr(comp, '.');
        uint32_t slot = find_field(p, rec, comp, dot ? (size_t)(dot - comp) : strlen(comp));
        if (slot == UINT32_MAX) {
            return SGX_ERR_NOT_FOUND;
        }
        if (!dot) {
            if (!type_ok(p, p->kids[slot], target)) {
                return fail(cc, "field '%.64s' has a type unsupported for target '%s'", path,
                            target_path(NULL, target));
            }
            if (p->acts[slot]) {
                return fail(cc, "field '%.64s' is mapped to two targets", path);
            }
            p->acts[slot] = (uint8_t)(target + 1);
            return SGX_OK;
        }
        sgx_err_t err = descend(cc, slot, path, &rec);
        if (err) {
            return err;
        }
        comp = dot + 1;
    }
}

sgx_err_t sgx_aprog_bind(sgx_projection_t *p, const sgx_mapping_t *map, char *errbuf)
{
    cc_t ccs = {p, errbuf}, *cc = &ccs;
    /* A private root, so a schema that nests itself recursively extracts only at the top. */
    cc->p->root = clone_node(cc->p, cc->p->root);
    for (int t = 0; t < SGX_T__COUNT; t++) {
        const char *path = target_path(map, t);
        sgx_err_t err = bind_target(cc, t, path);
        if (err == SGX_ERR_NOT_FOUND && t <= SGX_T_OP) {
            /* Its own code: records of such a schema are dead-lettered as
             * missing_required_field, which says what upstream must fix. */
            fail(cc, "schema lacks required field '%.64s'", path);
            return SGX_ERR_MISSING_FIELD;
        }
        if (err && err != SGX_ERR_NOT_FOUND) {
            return err;
        }
    }
    return SGX_OK;
}
