/* Schema compilation for the projection decoder: JSON schema -> flat node program. The
 * program's storage lives in avro_program.c, binding the mapping to fields in avro_bind.c,
 * decoding in avro_decode.c. */
#include "codecs/avro_projection.h"

#include <avro.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "codecs/avro_program.h"

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
        *out = sgx_aprog_add_node(cc->p, (sgx_akind_t)prim);
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
    uint32_t idx = sgx_aprog_add_node(cc->p, SGX_AK_UNION);
    uint32_t first = sgx_aprog_add_kids(cc->p, n);
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
    uint32_t first = sgx_aprog_add_kids(cc->p, n);
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
    uint32_t idx = sgx_aprog_add_node(cc->p, rec ? SGX_AK_RECORD
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
        uint32_t idx = sgx_aprog_add_node(cc->p, arr ? SGX_AK_ARRAY : SGX_AK_MAP);
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
        err = sgx_aprog_bind(cc.p, map, errbuf);
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
