#include "pipeline/rowbuild.h"

#include <stdbool.h>
#include <string.h>
#include <xxhash.h>

#include "base/mem.h"
#include "codecs/hash.h"

/* Largest staged row: every value at most SGX_NORM_MAX bytes, plus the NUL that sgx_normalize
 * writes one past the last value. */
#define STAGE_CAP (SGX_MAX_ROW_VALS * SGX_NORM_MAX + 1)

struct sgx_rowbuilder {
    sgx_hasher_t *hasher;
    /* Values are normalized straight into this per-worker scratch at their final offset, so a
     * row costs one normalize, one hash and one memcpy into the exact-size allocation. It lives
     * here rather than on the stack to keep the worker's frames small. */
    char stage[STAGE_CAP];
    char join[SGX_NORM_MAX + 1]; /* FULLNAME = first_name " " last_name */
};

/* Source field per key; FULLNAME is assembled from two fields (-1). */
static const signed char key_field[SGX_KEY__COUNT] = {
    [SGX_KEY_EMAIL] = SGX_F_EMAIL,
    [SGX_KEY_PHONE] = SGX_F_PHONE,
    [SGX_KEY_FN] = SGX_F_FIRST_NAME,
    [SGX_KEY_LN] = SGX_F_LAST_NAME,
    [SGX_KEY_FI] = SGX_F_FIRST_NAME,
    [SGX_KEY_GEN] = SGX_F_GENDER,
    [SGX_KEY_DOBY] = SGX_F_DATE_OF_BIRTH,
    [SGX_KEY_DOBM] = SGX_F_DATE_OF_BIRTH,
    [SGX_KEY_DOBD] = SGX_F_DATE_OF_BIRTH,
    [SGX_KEY_CT] = SGX_F_CITY,
    [SGX_KEY_ST] = SGX_F_STATE,
    [SGX_KEY_ZIP] = SGX_F_POSTAL_CODE,
    [SGX_KEY_COUNTRY] = SGX_F_COUNTRY,
    [SGX_KEY_MADID] = SGX_F_MOBILE_ADVERTISER_ID,
    [SGX_KEY_EXTERN_ID] = SGX_F_EXTERNAL_ID,
    [SGX_KEY_FULLNAME] = -1,
};

sgx_err_t sgx_rowbuilder_new(sgx_rowbuilder_t **out)
{
    sgx_rowbuilder_t *rb = sgx_calloc(1, sizeof *rb);
    sgx_err_t err = sgx_hasher_new(&rb->hasher);
    if (err) {
        sgx_rowbuilder_destroy(rb);
        return err;
    }
    *out = rb;
    return SGX_OK;
}

void sgx_rowbuilder_destroy(sgx_rowbuilder_t *rb)
{
    if (!rb) {
        return;
    }
    sgx_hasher_destroy(rb->hasher);
    sgx_free(rb);
}

void sgx_row_free(sgx_row_t *row)
{
    sgx_free(row);
}

/* Bytes of field f, or false when the event does not carry it. */
static bool field_bytes(const sgx_decoded_t *d, const unsigned char *base, sgx_field_t f,
                        const char **p, size_t *n)
{
    if (!sgx_decoded_has(d, f)) {
        return false;
    }
    sgx_slice_t s = d->fields[f];
    if (s.off == SGX_SLICE_DOB_TEXT) {
        *p = d->dob_text;
        *n = strnlen(d->dob_text, sizeof d->dob_text);
    } else {
        *p = (const char *)base + s.off;
        *n = s.len;
    }
    return true;
}

/* The text to normalize for key. Returns false when there is none: *drop stays NONE for a
 * plainly absent field (not counted) and is set when the value was dropped before normalizing. */
static bool source_of(sgx_rowbuilder_t *rb, const sgx_decoded_t *d, const unsigned char *base,
                      sgx_key_t key, const char **p, size_t *n, sgx_drop_t *drop)
{
    *drop = SGX_DROP_NONE;
    if (key != SGX_KEY_FULLNAME) {
        return field_bytes(d, base, (sgx_field_t)key_field[key], p, n);
    }
    const char *fp = NULL, *lp = NULL;
    size_t fn = 0, ln = 0;
    bool has_f = field_bytes(d, base, SGX_F_FIRST_NAME, &fp, &fn);
    bool has_l = field_bytes(d, base, SGX_F_LAST_NAME, &lp, &ln);
    if (!has_f || !has_l) {
        /* One half alone is still a name; the normalizer trims and validates it. */
        *p = has_f ? fp : lp;
        *n = has_f ? fn : ln;
        return has_f || has_l;
    }
    if (fn + 1 + ln > SGX_NORM_MAX) {
        *drop = SGX_DROP_TOO_LONG;
        return false;
    }
    memcpy(rb->join, fp, fn);
    rb->join[fn] = ' ';
    memcpy(rb->join + fn + 1, lp, ln);
    *p = rb->join;
    *n = fn + 1 + ln;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static bool unhex32(const char *hex, unsigned char out[SGX_SHA256_LEN])
{
    for (size_t i = 0; i < SGX_SHA256_LEN; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

/* Values still to be hashed: hashed together at the end of the row, because the two-lane
 * SHA-NI path digests pairs of messages in interleaved rounds at nearly half the cost. */
typedef struct {
    size_t n;
    const void *data[SGX_MAX_ROW_VALS];
    size_t len[SGX_MAX_ROW_VALS];
    sgx_row_val_t *val[SGX_MAX_ROW_VALS];
} pending_t;

/* Normalizes src into the stage at *used and turns it into the key's wire value in place (a
 * value to hash keeps at least 32 bytes of room for its digest). A drop is reported through
 * *drop (with SGX_OK). */
static void put_value(sgx_rowbuilder_t *rb, sgx_dest_kind_t kind, sgx_key_t key, bool plain,
                      const char *src, size_t srclen, const sgx_norm_ctx_t *nctx, size_t *used,
                      sgx_row_val_t *val, sgx_drop_t *drop, pending_t *pend)
{
    char *dst = rb->stage + *used;
    size_t n = 0;
    bool prehashed = false;
    *drop = sgx_normalize(kind, key, src, srclen, nctx, dst, SGX_NORM_MAX + 1, &n, &prehashed);
    if (*drop == SGX_DROP_NONE && n == 0) {
        *drop = SGX_DROP_EMPTY; /* belt and braces: an empty value is never sent or hashed */
    } else if (*drop == SGX_DROP_NONE && n > SGX_NORM_MAX) {
        *drop = SGX_DROP_TOO_LONG;
    }
    if (*drop != SGX_DROP_NONE) {
        return;
    }
    if (plain && prehashed) {
        *drop = SGX_DROP_INVALID_VALUE; /* a digest cannot be sent plain or re-hashed as md5 */
        return;
    }
    if (plain || !sgx_key_hashed(kind, key)) {
        *val = (sgx_row_val_t){.kind = SGX_VAL_TEXT, .len = (uint16_t)n, .off = (uint32_t)*used};
        *used += n;
        return;
    }
    *val = (sgx_row_val_t){.kind = SGX_VAL_DIGEST, .len = SGX_SHA256_LEN, .off = (uint32_t)*used};
    if (prehashed) {
        unsigned char dg[SGX_SHA256_LEN];
        if (n != 2 * SGX_SHA256_LEN || !unhex32(dst, dg)) {
            *val = (sgx_row_val_t){0};
            *drop = SGX_DROP_INVALID_VALUE;
            return;
        }
        memcpy(dst, dg, sizeof dg);
    } else {
        pend->data[pend->n] = dst;
        pend->len[pend->n] = n;
        pend->val[pend->n++] = val;
    }
    *used += n > SGX_SHA256_LEN ? n : SGX_SHA256_LEN;
}

/* Hashes every pending value and writes each digest over its normalized text. */
static sgx_err_t hash_pending(sgx_rowbuilder_t *rb, pending_t *pend)
{
    unsigned char dg[SGX_MAX_ROW_VALS][SGX_SHA256_LEN];
    if (pend->n == 0) {
        return SGX_OK;
    }
    sgx_err_t err = sgx_hasher_sha256_many(rb->hasher, pend->n, pend->data, pend->len, dg);
    for (size_t i = 0; !err && i < pend->n; i++) {
        memcpy(rb->stage + pend->val[i]->off, dg[i], SGX_SHA256_LEN);
    }
    return err;
}

static sgx_row_t *pack_row(const sgx_rowbuilder_t *rb, const sgx_row_val_t *vals, size_t nkeys,
                           size_t used, const sgx_decoded_t *d, const unsigned char *base)
{
    sgx_row_t *row = sgx_malloc(sizeof *row + used);
    memset(row, 0, sizeof *row);
    row->profile_id = (const char *)base + d->profile_id.off;
    row->profile_len = d->profile_id.len;
    row->profile_hash = XXH3_64bits(row->profile_id, row->profile_len);
    row->nvals = (uint16_t)nkeys;
    row->data_len = (uint16_t)used;
    memcpy(row->vals, vals, nkeys * sizeof *vals);
    memcpy(row->data, rb->stage, used);
    return row;
}

static void count_drop(sgx_drop_counts_t *counts, sgx_key_t key, sgx_drop_t drop)
{
    if (counts && (unsigned)drop < SGX_DROP__COUNT) {
        counts->dropped[key][drop]++;
    }
}

sgx_err_t sgx_row_build(sgx_rowbuilder_t *rb, sgx_dest_kind_t kind, const sgx_key_t *keys,
                        size_t nkeys, const char *default_country, const sgx_decoded_t *d,
                        const unsigned char *base, sgx_row_t **out, sgx_drop_counts_t *counts,
                        const char **reason)
{
    return sgx_row_build_plain(rb, kind, keys, nkeys, 0, default_country, d, base, out, counts,
                               reason);
}

sgx_err_t sgx_row_build_plain(sgx_rowbuilder_t *rb, sgx_dest_kind_t kind, const sgx_key_t *keys,
                              size_t nkeys, uint32_t plain_keys, const char *default_country,
                              const sgx_decoded_t *d, const unsigned char *base, sgx_row_t **out,
                              sgx_drop_counts_t *counts, const char **reason)
{
    const char *why = NULL;
    sgx_err_t err = SGX_OK;
    if (out) {
        *out = NULL;
    }
    if (!rb || !keys || !d || !base || !out || nkeys > SGX_MAX_ROW_VALS) {
        err = SGX_ERR_INVALID;
        why = "invalid_arguments";
        goto out;
    }
    /* The core fills unset optional settings with "", which means "no default" here. */
    sgx_norm_ctx_t nctx = {.default_country =
                               (default_country && *default_country) ? default_country : NULL};
    field_bytes(d, base, SGX_F_COUNTRY, &nctx.country, &nctx.country_len);

    sgx_row_val_t vals[SGX_MAX_ROW_VALS] = {{0}};
    pending_t pend = {0};
    size_t used = 0, usable = 0;
    for (size_t i = 0; i < nkeys; i++) {
        sgx_key_t key = keys[i];
        const char *src = NULL;
        size_t n = 0;
        sgx_drop_t drop = SGX_DROP_NONE;
        if ((unsigned)key >= SGX_KEY__COUNT) {
            err = SGX_ERR_INVALID;
            why = "invalid_key";
            goto out;
        }
        if (source_of(rb, d, base, key, &src, &n, &drop)) {
            put_value(rb, kind, key, (plain_keys >> key) & 1u, src, n, &nctx, &used, &vals[i],
                      &drop, &pend);
        }
        if (drop != SGX_DROP_NONE) {
            count_drop(counts, key, drop);
        }
        usable += vals[i].kind != SGX_VAL_ABSENT;
    }
    if (usable == 0) {
        err = SGX_ERR_MISSING_FIELD;
        /* An EXIT without any identifier cannot remove what an earlier ENTER added under
         * identifiers no longer in the event: those members stay (guarantees.md §2). The
         * reason says so, so that an operator can tell it from a key-less ENTER. */
        why = d->op == SGX_OP_EXIT ? "no_usable_identifier_on_exit" : "no_usable_identifier";
        goto out;
    }
    err = hash_pending(rb, &pend);
    if (err) {
        why = sgx_err_str(err);
        goto out;
    }
    *out = pack_row(rb, vals, nkeys, used, d, base);
out:
    if (reason) {
        *reason = why;
    }
    return err;
}
