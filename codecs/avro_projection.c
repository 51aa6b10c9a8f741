/* Schema compilation for the projection decoder: JSON schema -> flat node program, then the
 * mapping is bound to record fields. Decoding lives in avro_decode.c. */
#include "codecs/avro_projection.h"

#include <avro.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codecs/avro_program.h"
#include "pipeline/mem.h"

/* Schema JSON nesting accepted at compile time; far above any real schema, it only keeps a
 * hostile registry entry from exhausting the stack. */
#define COMPILE_MAX_DEPTH 256

typedef struct {
    char *name; /* owned full name */
    uint32_t node;
} named_t;

typedef struct {
    sgx_projection_t *p;
    named_t *named;
    size_t nnamed, cap;
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

static uint32_t add_node(sgx_projection_t *p, sgx_akind_t kind)
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
static uint32_t add_kids(sgx_projection_t *p, uint32_t n)
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

static int prim_kind(const char *s)
{
    static const char *const prims[] = {"null",   "boolean", "int",   "long",
                                        "float",  "double",  "bytes", "string"};
    for (int i = 0; i < 8; i++) {
        if (strcmp(s, prims[i]) == 0) {
            return i; /* same order as sgx_akind_t */
        }
    }
    return -1;
}

static sgx_err_t compile_type(cc_t *cc, json_t *t, const char *ns, unsigned depth, uint32_t *out);

static const named_t *find_named(const cc_t *cc, const char *full)
{
    for (size_t i = 0; i < cc->nnamed; i++) {
        if (strcmp(cc->named[i].name, full) == 0) {
            return &cc->named[i];
        }
    }
    return NULL;
}

static char *full_name(const char *name, const char *ns)
{
    if (strchr(name, '.') || !ns || !*ns) {
        return sgx_strdup(name);
    }
    size_t n = strlen(ns) + strlen(name) + 2;
    char *s = sgx_malloc(n);
    snprintf(s, n, "%s.%s", ns, name);
    return s;
}

static sgx_err_t compile_ref(cc_t *cc, const char *name, const char *ns, uint32_t *out)
{
    int prim = prim_kind(name);
    if (prim >= 0) {
        *out = add_node(cc->p, (sgx_akind_t)prim);
        return SGX_OK;
    }
    char *full = full_name(name, ns);
    const named_t *hit = find_named(cc, full);
    sgx_free(full);
    if (!hit) {
        hit = find_named(cc, name); /* a name in the null namespace */
    }
    if (!hit) {
        return fail(cc, "schema references unknown type '%.64s'", name);
    }
    *out = hit->node;
    return SGX_OK;
}

static void set_logical(sgx_anode_t *node, json_t *obj)
{
    const char *lt = json_string_value(json_object_get(obj, "logicalType"));
    if (!lt) {
        return;
    }
    if (node->kind == SGX_AK_INT && strcmp(lt, "date") == 0) {
        node->logical = SGX_LT_DATE;
    } else if (node->kind == SGX_AK_LONG && strcmp(lt, "timestamp-millis") == 0) {
        node->logical = SGX_LT_TS_MILLIS;
    } else if (node->kind == SGX_AK_LONG && strcmp(lt, "timestamp-micros") == 0) {
        node->logical = SGX_LT_TS_MICROS;
    }
}

static sgx_err_t compile_union(cc_t *cc, json_t *arr, const char *ns, unsigned depth,
                               uint32_t *out)
{
    uint32_t n = (uint32_t)json_array_size(arr);
    uint32_t idx = add_node(cc->p, SGX_AK_UNION);
    uint32_t first = add_kids(cc->p, n);
    cc->p->nodes[idx].a = first;
    cc->p->nodes[idx].n = n;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t kid;
        sgx_err_t err = compile_type(cc, json_array_get(arr, i), ns, depth + 1, &kid);
        if (err) {
            return err;
        }
        cc->p->kids[first + i] = kid;
    }
    *out = idx;
    return SGX_OK;
}

static sgx_err_t compile_fields(cc_t *cc, uint32_t idx, json_t *fields, const char *ns,
                                unsigned depth)
{
    uint32_t n = (uint32_t)json_array_size(fields);
    uint32_t first = add_kids(cc->p, n);
    cc->p->nodes[idx].a = first;
    cc->p->nodes[idx].n = n;
    for (uint32_t i = 0; i < n; i++) {
        json_t *f = json_array_get(fields, i);
        const char *fname = json_string_value(json_object_get(f, "name"));
        if (!fname) {
            return fail(cc, "record field without a name");
        }
        uint32_t kid;
        sgx_err_t err = compile_type(cc, json_object_get(f, "type"), ns, depth + 1, &kid);
        if (err) {
            return err;
        }
        cc->p->kids[first + i] = kid;
        cc->p->names[first + i] = sgx_strdup(fname);
    }
    return SGX_OK;
}

static void compile_enum(cc_t *cc, uint32_t idx, json_t *symbols)
{
    sgx_anode_t *node = &cc->p->nodes[idx];
    node->n = (uint32_t)json_array_size(symbols);
    for (uint32_t i = 0; i < node->n && i < 0xfffe; i++) {
        const char *sym = json_string_value(json_array_get(symbols, i));
        if (sym && strcmp(sym, "ENTER") == 0) {
            node->a = (node->a & 0xffff0000u) | (i + 1);
        } else if (sym && strcmp(sym, "EXIT") == 0) {
            node->a = (node->a & 0xffffu) | ((i + 1) << 16);
        }
    }
}

/* record, error, enum, fixed: registered before their body so recursive references resolve. */
static sgx_err_t compile_named(cc_t *cc, json_t *obj, const char *type, const char *ns,
                               unsigned depth, uint32_t *out)
{
    const char *name = json_string_value(json_object_get(obj, "name"));
    const char *own_ns = json_string_value(json_object_get(obj, "namespace"));
    if (!name) {
        return fail(cc, "named type '%.32s' without a name", type);
    }
    char *full = full_name(name, own_ns ? own_ns : ns);
    char *dot = strrchr(full, '.');
    char *inner_ns = sgx_strndup(full, dot ? (size_t)(dot - full) : 0);
    bool rec = strcmp(type, "record") == 0 || strcmp(type, "error") == 0;
    uint32_t idx = add_node(cc->p, rec ? SGX_AK_RECORD
                                       : (strcmp(type, "enum") == 0 ? SGX_AK_ENUM : SGX_AK_FIXED));
    if (cc->nnamed == cc->cap) {
        cc->cap = cc->cap ? cc->cap * 2 : 16;
        cc->named = sgx_realloc(cc->named, cc->cap * sizeof *cc->named);
    }
    cc->named[cc->nnamed++] = (named_t){full, idx};
    sgx_err_t err = SGX_OK;
    if (rec) {
        err = compile_fields(cc, idx, json_object_get(obj, "fields"), inner_ns, depth);
    } else if (cc->p->nodes[idx].kind == SGX_AK_ENUM) {
        compile_enum(cc, idx, json_object_get(obj, "symbols"));
    } else {
        json_int_t size = json_integer_value(json_object_get(obj, "size"));
        if (size < 0 || size > INT32_MAX) {
            err = fail(cc, "fixed type with a bad size");
        }
        cc->p->nodes[idx].a = (uint32_t)size;
    }
    sgx_free(inner_ns);
    *out = idx;
    return err;
}

static sgx_err_t compile_object(cc_t *cc, json_t *obj, const char *ns, unsigned depth,
                                uint32_t *out)
{
    json_t *tj = json_object_get(obj, "type");
    const char *type = json_string_value(tj);
    if (!type) { /* {"type": {...}} or {"type": [...]}: a wrapped schema */
        return compile_type(cc, tj, ns, depth + 1, out);
    }
    if (strcmp(type, "record") == 0 || strcmp(type, "error") == 0 ||
        strcmp(type, "enum") == 0 || strcmp(type, "fixed") == 0) {
        return compile_named(cc, obj, type, ns, depth, out);
    }
    if (strcmp(type, "array") == 0 || strcmp(type, "map") == 0) {
        bool arr = type[0] == 'a';
        uint32_t idx = add_node(cc->p, arr ? SGX_AK_ARRAY : SGX_AK_MAP);
        uint32_t kid;
        sgx_err_t err = compile_type(cc, json_object_get(obj, arr ? "items" : "values"), ns,
                                     depth + 1, &kid);
        cc->p->nodes[idx].a = kid;
        *out = idx;
        return err;
    }
    sgx_err_t err = compile_ref(cc, type, ns, out);
    if (!err && prim_kind(type) >= 0) {
        set_logical(&cc->p->nodes[*out], obj);
    }
    return err;
}

static sgx_err_t compile_type(cc_t *cc, json_t *t, const char *ns, unsigned depth, uint32_t *out)
{
    if (depth > COMPILE_MAX_DEPTH) {
        return fail(cc, "schema nested deeper than %d", COMPILE_MAX_DEPTH);
    }
    if (json_is_string(t)) {
        return compile_ref(cc, json_string_value(t), ns, out);
    }
    if (json_is_array(t)) {
        return compile_union(cc, t, ns, depth, out);
    }
    if (json_is_object(t)) {
        return compile_object(cc, t, ns, depth, out);
    }
    return fail(cc, "schema has a type that is neither string, array nor object");
}

/* Fewest bytes a value of each node can occupy. Computed as a fixed point from 0 so recursive
 * types terminate; stopping early only underestimates, which keeps the bound safe. */
static void compute_min_sizes(sgx_projection_t *p)
{
    for (int pass = 0; pass < 64; pass++) {
        bool changed = false;
        for (uint32_t i = 0; i < p->nnodes; i++) {
            sgx_anode_t *node = &p->nodes[i];
            static const uint32_t fixed_min[] = {0, 1, 1, 1, 4, 8, 1, 1, 0, 1, 1, 1};
            uint64_t m = node->kind < SGX_AK_UNION ? fixed_min[node->kind] : 0;
            if (node->kind == SGX_AK_FIXED) {
                m = node->a;
            } else if (node->kind == SGX_AK_UNION) {
                uint64_t best = UINT32_MAX;
                for (uint32_t k = 0; k < node->n; k++) {
                    uint64_t b = p->nodes[p->kids[node->a + k]].min_size;
                    best = b < best ? b : best;
                }
                m = 1 + (node->n ? best : 0);
            } else if (node->kind == SGX_AK_RECORD) {
                for (uint32_t k = 0; k < node->n; k++) {
                    m += p->nodes[p->kids[node->a + k]].min_size;
                }
            }
            m = m > (1u << 20) ? (1u << 20) : m;
            changed |= m != node->min_size;
            node->min_size = (uint32_t)m;
        }
        if (!changed) {
            break;
        }
    }
}

/* Binding: a target names a field of the root record or a dotted path through nested records.
 * Records on a path are cloned so their annotations apply only at that position: the same
 * record type used elsewhere (or recursively) keeps decoding as a plain skip. */
static uint32_t clone_node(sgx_projection_t *p, uint32_t idx)
{
    uint32_t c = add_node(p, SGX_AK_NULL);
    p->nodes[c] = p->nodes[idx];
    p->nodes[c].cloned = 1;
    if (p->nodes[c].kind == SGX_AK_RECORD || p->nodes[c].kind == SGX_AK_UNION) {
        uint32_t n = p->nodes[c].n, src = p->nodes[c].a;
        uint32_t first = add_kids(p, n);
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

static sgx_err_t bind_mapping(cc_t *cc, const sgx_mapping_t *map)
{
    /* A private root, so a schema that nests itself recursively extracts only at the top. */
    cc->p->root = clone_node(cc->p, cc->p->root);
    for (int t = 0; t < SGX_T__COUNT; t++) {
        const char *path = target_path(map, t);
        sgx_err_t err = bind_target(cc, t, path);
        if (err == SGX_ERR_NOT_FOUND && t <= SGX_T_OP) {
            return fail(cc, "schema lacks required field '%.64s'", path);
        }
        if (err && err != SGX_ERR_NOT_FOUND) {
            return err;
        }
    }
    return SGX_OK;
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

static sgx_err_t validate_with_avro(cc_t *cc, const char *json, size_t len)
{
    avro_schema_t schema = NULL;
    if (avro_schema_from_json_length(json, len, &schema) != 0) {
        return fail(cc, "invalid Avro schema: %.160s", avro_strerror());
    }
    avro_schema_decref(schema);
    return SGX_OK;
}

sgx_err_t sgx_projection_new(const char *schema_json, size_t len, const sgx_mapping_t *map,
                             sgx_projection_t **out, char *errbuf)
{
    cc_t cc = {.p = sgx_calloc(1, sizeof(sgx_projection_t)), .errbuf = errbuf};
    json_t *root = NULL;
    sgx_err_t err = validate_with_avro(&cc, schema_json, len);
    if (err) {
        goto out;
    }
    json_error_t jerr;
    root = json_loadb(schema_json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) {
        err = fail(&cc, "schema is not JSON (line %d)", jerr.line);
        goto out;
    }
    err = compile_type(&cc, root, "", 0, &cc.p->root);
    if (!err && cc.p->nodes[cc.p->root].kind != SGX_AK_RECORD) {
        err = fail(&cc, "top-level schema is not a record");
    }
    if (!err) {
        compute_min_sizes(cc.p);
        err = bind_mapping(&cc, map);
    }
out:
    for (size_t i = 0; i < cc.nnamed; i++) {
        sgx_free(cc.named[i].name);
    }
    sgx_free(cc.named);
    json_decref(root);
    if (err) {
        sgx_projection_destroy(cc.p);
        return err;
    }
    *out = cc.p;
    return SGX_OK;
}
