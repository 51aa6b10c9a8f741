#include "codecs/avro_writer.h"

#include <avro.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/wire.h"

#define NTARGETS (4 + SGX_F__COUNT)
#define MAX_BODY (64u << 20)
#define FILL_MAX_DEPTH 24

struct sgx_avro_writer {
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t value;
    avro_writer_t mw;
    char *buf;
    size_t cap;
    char *paths[NTARGETS]; /* owned: profile, segment, op, time, then identifier fields */
    uint32_t counter;      /* varies the filler from event to event */
};

static const char *const fill_strings[] = {"", "filler", "Zoë ünïcødé 日本語 🙂"};

static int fill(sgx_avro_writer_t *w, avro_value_t *v, unsigned depth);

/* Picks a union branch: varied while shallow, a non-recursive one when deep so recursive
 * schemas terminate. */
static int pick_branch(avro_schema_t u, unsigned depth, uint32_t k)
{
    int n = (int)avro_schema_union_size(u);
    if (depth < 4) {
        return (int)(k % (uint32_t)n);
    }
    for (int i = 0; i < n; i++) {
        avro_type_t t = avro_typeof(avro_schema_union_branch(u, i));
        if (t != AVRO_RECORD && t != AVRO_LINK && t != AVRO_UNION) {
            return i;
        }
    }
    return 0;
}

static int fill_container(sgx_avro_writer_t *w, avro_value_t *v, unsigned depth, uint32_t k)
{
    avro_value_t child;
    int rc = 0;
    switch (avro_value_get_type(v)) {
    case AVRO_ARRAY:
    case AVRO_MAP:
        for (uint32_t i = 0; depth < 4 && i < k % 3 && !rc; i++) {
            char key[16];
            snprintf(key, sizeof key, "k%" PRIu32, i);
            rc = avro_value_get_type(v) == AVRO_ARRAY ? avro_value_append(v, &child, NULL)
                                                      : avro_value_add(v, key, &child, NULL, NULL);
            rc = rc ? rc : fill(w, &child, depth + 1);
        }
        return rc;
    case AVRO_UNION: {
        int b = pick_branch(avro_value_get_schema(v), depth, k);
        return avro_value_set_branch(v, b, &child) ?: fill(w, &child, depth + 1);
    }
    case AVRO_RECORD: {
        size_t n = 0;
        avro_value_get_size(v, &n);
        for (size_t i = 0; i < n && !rc; i++) {
            rc = avro_value_get_by_index(v, i, &child, NULL) ?: fill(w, &child, depth + 1);
        }
        return rc;
    }
    default:
        return EINVAL;
    }
}

static int fill(sgx_avro_writer_t *w, avro_value_t *v, unsigned depth)
{
    static const char pattern[64] = "\x00\xff\x80\x7f fixed-pattern";
    uint32_t k = w->counter++;
    avro_schema_t s = avro_value_get_schema(v);
    if (depth > FILL_MAX_DEPTH) {
        return EINVAL;
    }
    switch (avro_value_get_type(v)) {
    case AVRO_STRING:
        return avro_value_set_string(v, fill_strings[k % 3]);
    case AVRO_BYTES:
        return avro_value_set_bytes(v, (void *)pattern, k % 5);
    case AVRO_INT32:
        return avro_value_set_int(v, (int32_t)(k * 2654435761u));
    case AVRO_INT64:
        return avro_value_set_long(v, (int64_t)k * -1000000007LL);
    case AVRO_FLOAT:
        return avro_value_set_float(v, 1.5f * (float)k);
    case AVRO_DOUBLE:
        return avro_value_set_double(v, -2.25 * k);
    case AVRO_BOOLEAN:
        return avro_value_set_boolean(v, (int)(k & 1));
    case AVRO_NULL:
        return avro_value_set_null(v);
    case AVRO_ENUM:
        return avro_value_set_enum(v, (int)(k % (uint32_t)avro_schema_enum_number_of_symbols(s)));
    case AVRO_FIXED: {
        int64_t size = avro_schema_fixed_size(s);
        if (size > (int64_t)sizeof pattern) {
            return EINVAL; /* only test schemas get here; keep their fixed types small */
        }
        return avro_value_set_fixed(v, (void *)pattern, (size_t)size);
    }
    default:
        return fill_container(w, v, depth, k);
    }
}

/* Days since 1970-01-01 for a "YYYY-MM-DD" string (H. Hinnant's days_from_civil). */
static int parse_date(const char *s, int32_t *days)
{
    int y, m, d;
    if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31) {
        return EINVAL;
    }
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *days = era * 146097 + doe - 719468;
    return 0;
}

/* Stores a textual value into a field of any supported type; NULL selects a null branch. */
static int put(avro_value_t *v, const char *str)
{
    avro_schema_t s = avro_value_get_schema(v);
    if (avro_value_get_type(v) == AVRO_UNION) {
        int n = (int)avro_schema_union_size(s), pick = -1;
        for (int i = 0; i < n && pick < 0; i++) {
            bool is_null = avro_typeof(avro_schema_union_branch(s, i)) == AVRO_NULL;
            pick = (is_null == (str == NULL)) ? i : -1;
        }
        avro_value_t branch;
        return pick < 0 ? EINVAL : (avro_value_set_branch(v, pick, &branch) ?: put(&branch, str));
    }
    if (!str) {
        return avro_value_get_type(v) == AVRO_NULL ? avro_value_set_null(v) : EINVAL;
    }
    int32_t days;
    switch (avro_value_get_type(v)) {
    case AVRO_STRING:
        return avro_value_set_string(v, str);
    case AVRO_INT64:
        return avro_value_set_long(v, strtoll(str, NULL, 10));
    case AVRO_INT32:
        return parse_date(str, &days) ?: avro_value_set_int(v, days);
    case AVRO_ENUM: {
        int sym = avro_schema_enum_get_by_name(s, str);
        return sym < 0 ? EINVAL : avro_value_set_enum(v, sym);
    }
    default:
        return EINVAL;
    }
}

/* Finds the field at a dotted path, choosing the record branch of [null, record] unions.
 * ENOENT when the schema has no such field. */
static int resolve(avro_value_t *root, const char *path, avro_value_t *out)
{
    avro_value_t cur = *root;
    char comp[128];
    for (;;) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof comp) {
            return ENOENT;
        }
        memcpy(comp, path, n);
        comp[n] = '\0';
        if (avro_value_get_type(&cur) == AVRO_UNION) {
            avro_schema_t u = avro_value_get_schema(&cur);
            int rec = -1;
            for (int i = 0; i < (int)avro_schema_union_size(u); i++) {
                avro_type_t t = avro_typeof(avro_schema_union_branch(u, i));
                rec = (rec < 0 && (t == AVRO_RECORD || t == AVRO_LINK)) ? i : rec;
            }
            if (rec < 0 || avro_value_set_branch(&cur, rec, &cur)) {
                return ENOENT;
            }
        }
        if (avro_value_get_type(&cur) != AVRO_RECORD ||
            avro_value_get_by_name(&cur, comp, out, NULL)) {
            return ENOENT;
        }
        if (!dot) {
            return 0;
        }
        cur = *out;
        path = dot + 1;
    }
}

void sgx_avro_writer_destroy(sgx_avro_writer_t *w)
{
    if (!w) {
        return;
    }
    if (w->iface) {
        avro_value_decref(&w->value);
        avro_value_iface_decref(w->iface);
    }
    if (w->mw) {
        avro_writer_free(w->mw);
    }
    avro_schema_decref(w->schema);
    for (int i = 0; i < NTARGETS; i++) {
        free(w->paths[i]);
    }
    free(w->buf);
    free(w);
}

sgx_err_t sgx_avro_writer_new(const char *schema_json, size_t len, sgx_avro_writer_t **out,
                              char *errbuf)
{
    return sgx_avro_writer_new_mapped(schema_json, len, NULL, out, errbuf);
}

sgx_err_t sgx_avro_writer_new_mapped(const char *schema_json, size_t len,
                                     const sgx_mapping_t *map, sgx_avro_writer_t **out,
                                     char *errbuf)
{
    static const char *const fixed[] = {"profile_id", "segment_id", "op", "event_time"};
    sgx_avro_writer_t *w = sgx_calloc(1, sizeof *w);
    if (avro_schema_from_json_length(schema_json, len, &w->schema)) {
        if (errbuf) {
            snprintf(errbuf, SGX_ERRBUF_SIZE, "invalid Avro schema: %.160s", avro_strerror());
        }
        sgx_avro_writer_destroy(w);
        return SGX_ERR_CONFIG;
    }
    w->iface = avro_generic_class_from_schema(w->schema);
    if (!w->iface || avro_generic_value_new(w->iface, &w->value)) {
        avro_value_iface_decref(w->iface);
        w->iface = NULL;
        sgx_avro_writer_destroy(w);
        return SGX_ERR_CONFIG;
    }
    w->cap = 1024;
    w->buf = sgx_malloc(w->cap);
    w->mw = avro_writer_memory(w->buf, (int64_t)w->cap);
    for (int t = 0; t < NTARGETS; t++) {
        const char *m4[] = {NULL, NULL, NULL, NULL};
        if (map) {
            m4[0] = map->profile_id, m4[1] = map->segment_id, m4[2] = map->op;
            m4[3] = map->event_time;
        }
        const char *name = t < 4 ? (m4[t] ? m4[t] : fixed[t])
                                 : (map && map->fields[t - 4] ? map->fields[t - 4]
                                                              : sgx_field_name((sgx_field_t)(t - 4)));
        w->paths[t] = sgx_strdup(name);
    }
    *out = w;
    return SGX_OK;
}

static int set_targets(sgx_avro_writer_t *w, const sgx_event_in_t *ev)
{
    char ts[24];
    snprintf(ts, sizeof ts, "%" PRId64, ev->event_time_ms);
    const char *vals[NTARGETS] = {ev->profile_id, ev->segment_id,
                                  ev->op == SGX_OP_EXIT ? "EXIT" : "ENTER", ts};
    memcpy(&vals[4], ev->fields, sizeof ev->fields);
    for (int t = 0; t < NTARGETS; t++) {
        avro_value_t field;
        if (resolve(&w->value, w->paths[t], &field) == 0) {
            int rc = put(&field, vals[t]);
            if (rc) {
                return rc;
            }
        }
    }
    return 0;
}

sgx_err_t sgx_avro_writer_encode(sgx_avro_writer_t *w, uint32_t schema_id,
                                 const sgx_event_in_t *ev, sgx_buf_t *out)
{
    avro_value_reset(&w->value);
    if (fill(w, &w->value, 0) || set_targets(w, ev)) {
        return SGX_ERR_INVALID;
    }
    /* avro-c reports a full memory writer as an error: grow and retry. */
    for (;;) {
        avro_writer_memory_set_dest(w->mw, w->buf, (int64_t)w->cap);
        if (avro_value_write(w->mw, &w->value) == 0) {
            break;
        }
        if (w->cap >= MAX_BODY) {
            return SGX_ERR_TOO_LARGE;
        }
        w->cap *= 2;
        w->buf = sgx_realloc(w->buf, w->cap);
    }
    uint8_t hdr[SGX_WIRE_HEADER_LEN];
    sgx_wire_header(schema_id, hdr);
    sgx_buf_append(out, hdr, sizeof hdr);
    sgx_buf_append(out, w->buf, (size_t)avro_writer_tell(w->mw));
    return SGX_OK;
}
