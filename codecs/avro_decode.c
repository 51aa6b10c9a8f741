/* The projection decoder's hot path: walks one Avro body against the compiled node program.
 * Every read is bounds-checked against the body; nothing is allocated; block counts are checked
 * against the bytes left (or a budget for zero-sized items) before any loop runs, so no input
 * can make it loop or recurse without consuming bytes. */
#include <string.h>

#include "codecs/avro_program.h"
#include "codecs/avro_projection.h"

/* Items that occupy no bytes (arrays of null, of empty records) cannot be bounded by the input
 * length; this many per message is far more than any real schema produces. */
#define ZERO_SIZE_BUDGET (1u << 16)

#define REQUIRED_SEEN ((1u << SGX_T_PROFILE) | (1u << SGX_T_SEGMENT) | (1u << SGX_T_OP))

typedef struct {
    const sgx_projection_t *p;
    const uint8_t *b;
    size_t pos, len;
    sgx_decoded_t *out;
    uint32_t zero_budget;
    uint32_t seen; /* targets reached: a null record on a mapping path skips its targets */
} dctx_t;

static sgx_err_t dec_record(dctx_t *c, const sgx_anode_t *n, unsigned depth);

static inline sgx_err_t read_long(dctx_t *c, int64_t *v)
{
    uint64_t acc = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (c->pos >= c->len) {
            return SGX_ERR_TRUNCATED;
        }
        uint8_t byte = c->b[c->pos++];
        acc |= (uint64_t)(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) {
            *v = (int64_t)((acc >> 1) ^ (~(acc & 1) + 1)); /* zigzag */
            return SGX_OK;
        }
    }
    return SGX_ERR_DECODE; /* an 11th byte would be needed: not a valid long */
}

static inline sgx_err_t read_len(dctx_t *c, size_t *n)
{
    int64_t v;
    sgx_err_t err = read_long(c, &v);
    if (err) {
        return err;
    }
    if (v < 0 || v > INT32_MAX) {
        return SGX_ERR_DECODE; /* no field can be that long; do not call it a truncation */
    }
    if ((uint64_t)v > c->len - c->pos) {
        return SGX_ERR_TRUNCATED;
    }
    *n = (size_t)v;
    return SGX_OK;
}

static inline sgx_err_t need(dctx_t *c, size_t n)
{
    if (n > c->len - c->pos) {
        return SGX_ERR_TRUNCATED;
    }
    c->pos += n;
    return SGX_OK;
}

/* Reads a branch index and returns the branch node. */
static inline sgx_err_t read_branch(dctx_t *c, const sgx_anode_t *u, const sgx_anode_t **out)
{
    int64_t idx;
    sgx_err_t err = read_long(c, &idx);
    if (err) {
        return err;
    }
    if (idx < 0 || (uint64_t)idx >= u->n) {
        return SGX_ERR_DECODE;
    }
    *out = &c->p->nodes[c->p->kids[u->a + (uint32_t)idx]];
    return SGX_OK;
}

static sgx_err_t skip(dctx_t *c, const sgx_anode_t *n, unsigned depth);

static sgx_err_t skip_blocks(dctx_t *c, const sgx_anode_t *n, unsigned depth)
{
    const sgx_anode_t *item = &c->p->nodes[n->a];
    uint32_t min = item->min_size + (n->kind == SGX_AK_MAP); /* a key takes 1 byte or more */
    for (;;) {
        int64_t count;
        sgx_err_t err = read_long(c, &count);
        if (err || count == 0) {
            return err;
        }
        if (count < 0) {
            /* Negative count: a byte size follows. Arrays never carry targets, so jump. */
            int64_t bytes;
            if (count == INT64_MIN || (err = read_long(c, &bytes))) {
                return err ? err : SGX_ERR_DECODE;
            }
            if (bytes < 0) {
                return SGX_ERR_DECODE;
            }
            if ((uint64_t)bytes > c->len - c->pos) {
                return SGX_ERR_TRUNCATED;
            }
            c->pos += (size_t)bytes;
            continue;
        }
        if (min == 0) {
            if ((uint64_t)count > c->zero_budget) {
                return SGX_ERR_DECODE;
            }
            c->zero_budget -= (uint32_t)count;
        } else if ((uint64_t)count > (c->len - c->pos) / min) {
            return SGX_ERR_TRUNCATED;
        }
        for (int64_t i = 0; i < count; i++) {
            size_t klen;
            if (n->kind == SGX_AK_MAP && ((err = read_len(c, &klen)) || (err = need(c, klen)))) {
                return err;
            }
            if ((err = skip(c, item, depth + 1))) {
                return err;
            }
        }
    }
}

static sgx_err_t skip(dctx_t *c, const sgx_anode_t *n, unsigned depth)
{
    int64_t v;
    size_t len;
    sgx_err_t err;
    switch ((sgx_akind_t)n->kind) {
    case SGX_AK_NULL:
        return SGX_OK;
    case SGX_AK_BOOLEAN:
        if ((err = need(c, 1))) {
            return err;
        }
        return c->b[c->pos - 1] > 1 ? SGX_ERR_DECODE : SGX_OK;
    case SGX_AK_INT:
        err = read_long(c, &v);
        return (!err && (v < INT32_MIN || v > INT32_MAX)) ? SGX_ERR_DECODE : err;
    case SGX_AK_LONG:
        return read_long(c, &v);
    case SGX_AK_FLOAT:
        return need(c, 4);
    case SGX_AK_DOUBLE:
        return need(c, 8);
    case SGX_AK_FIXED:
        return need(c, n->a);
    case SGX_AK_BYTES:
    case SGX_AK_STRING:
        return (err = read_len(c, &len)) ? err : need(c, len);
    case SGX_AK_ENUM:
        err = read_long(c, &v);
        return (!err && (v < 0 || (uint64_t)v >= n->n)) ? SGX_ERR_DECODE : err;
    case SGX_AK_ARRAY:
    case SGX_AK_MAP:
        return depth >= SGX_PROJECTION_MAX_DEPTH ? SGX_ERR_DECODE : skip_blocks(c, n, depth);
    case SGX_AK_UNION: {
        const sgx_anode_t *branch;
        if (depth >= SGX_PROJECTION_MAX_DEPTH) {
            return SGX_ERR_DECODE;
        }
        return (err = read_branch(c, n, &branch)) ? err : skip(c, branch, depth + 1);
    }
    case SGX_AK_RECORD:
        return dec_record(c, n, depth + 1);
    }
    return SGX_ERR_DECODE;
}

/* Days since 1970-01-01 to YYYY-MM-DD (H. Hinnant's civil_from_days); false outside 0000-9999. */
static bool render_date(int64_t days, char out[11])
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    if (y < 0 || y > 9999) {
        return false;
    }
    const int64_t digits[8] = {y / 1000, y / 100 % 10, y / 10 % 10, y % 10, m / 10, m % 10,
                               d / 10,   d % 10};
    static const uint8_t where[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    for (int i = 0; i < 8; i++) {
        out[where[i]] = (char)('0' + digits[i]);
    }
    out[4] = out[7] = '-';
    out[10] = '\0';
    return true;
}

static sgx_err_t put_string(dctx_t *c, int t)
{
    size_t len;
    sgx_err_t err = read_len(c, &len);
    if (err) {
        return err;
    }
    sgx_slice_t s = {(uint32_t)c->pos, (uint32_t)len};
    const uint8_t *str = c->b + c->pos;
    c->pos += len;
    switch (t) {
    case SGX_T_PROFILE:
    case SGX_T_SEGMENT:
        if (len == 0) {
            return SGX_ERR_MISSING_FIELD;
        }
        *(t == SGX_T_PROFILE ? &c->out->profile_id : &c->out->segment_id) = s;
        return SGX_OK;
    case SGX_T_OP:
        if (len == 5 && memcmp(str, "ENTER", 5) == 0) {
            c->out->op = SGX_OP_ENTER;
        } else if (len == 4 && memcmp(str, "EXIT", 4) == 0) {
            c->out->op = SGX_OP_EXIT;
        } else {
            return SGX_ERR_DECODE;
        }
        return SGX_OK;
    default: /* identifiers: an empty string is as good as null (never hash "") */
        if (len > 0) {
            c->out->fields[t - SGX_T_FIELD0] = s;
            c->out->present |= 1u << (t - SGX_T_FIELD0);
        }
        return SGX_OK;
    }
}

static sgx_err_t put_scalar(dctx_t *c, const sgx_anode_t *n)
{
    int64_t v;
    sgx_err_t err = read_long(c, &v);
    if (err) {
        return err;
    }
    if (n->kind == SGX_AK_ENUM) {
        if (v < 0 || (uint64_t)v >= n->n) {
            return SGX_ERR_DECODE;
        }
        if ((uint64_t)v + 1 == SGX_ENUM_ENTER(n) || (uint64_t)v + 1 == SGX_ENUM_EXIT(n)) {
            c->out->op = (uint64_t)v + 1 == SGX_ENUM_ENTER(n) ? SGX_OP_ENTER : SGX_OP_EXIT;
            return SGX_OK;
        }
        return SGX_ERR_DECODE; /* a symbol other than ENTER/EXIT */
    }
    if (n->kind == SGX_AK_LONG) {
        c->out->event_time_ms = n->logical == SGX_LT_TS_MICROS ? v / 1000 : v;
        return SGX_OK;
    }
    /* int date of birth */
    if (v < INT32_MIN || v > INT32_MAX) {
        return SGX_ERR_DECODE;
    }
    if (render_date(v, c->out->dob_text)) {
        c->out->fields[SGX_F_DATE_OF_BIRTH] = (sgx_slice_t){SGX_SLICE_DOB_TEXT, 10};
        c->out->present |= 1u << SGX_F_DATE_OF_BIRTH;
    }
    return SGX_OK;
}

static sgx_err_t extract(dctx_t *c, const sgx_anode_t *n, int t)
{
    c->seen |= 1u << t;
    if (n->kind == SGX_AK_UNION) {
        sgx_err_t err = read_branch(c, n, &n);
        if (err) {
            return err;
        }
        if (n->kind == SGX_AK_NULL) {
            /* null: identifiers and event_time are simply absent; the rest is required */
            return (t <= SGX_T_OP) ? SGX_ERR_MISSING_FIELD : SGX_OK;
        }
    }
    return n->kind == SGX_AK_STRING ? put_string(c, t) : put_scalar(c, n);
}

static sgx_err_t dec_record(dctx_t *c, const sgx_anode_t *n, unsigned depth)
{
    if (depth > SGX_PROJECTION_MAX_DEPTH) {
        return SGX_ERR_DECODE;
    }
    const sgx_projection_t *p = c->p;
    for (uint32_t k = n->a, end = n->a + n->n; k < end; k++) {
        const sgx_anode_t *kid = &p->nodes[p->kids[k]];
        sgx_err_t err = p->acts[k] ? extract(c, kid, p->acts[k] - 1) : skip(c, kid, depth);
        if (err) {
            return err;
        }
    }
    return SGX_OK;
}

sgx_err_t sgx_projection_decode(const sgx_projection_t *p, const uint8_t *body, size_t len,
                                sgx_decoded_t *out)
{
    if (len >= UINT32_MAX) {
        return SGX_ERR_TOO_LARGE; /* slices are 32-bit and UINT32_MAX means "dob_text" */
    }
    memset(out, 0, sizeof *out);
    dctx_t c = {.p = p, .b = body, .len = len, .out = out, .zero_budget = ZERO_SIZE_BUDGET};
    sgx_err_t err = dec_record(&c, &p->nodes[p->root], 0);
    if (err) {
        return err;
    }
    if (c.pos != len) {
        return SGX_ERR_DECODE; /* trailing bytes: the body was not written with this schema */
    }
    return (c.seen & REQUIRED_SEEN) == REQUIRED_SEEN ? SGX_OK : SGX_ERR_MISSING_FIELD;
}
