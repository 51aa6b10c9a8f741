/* Custom Audiences payload validation; see facebook_payload.h. */
#include "emulators/facebook_payload.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "emulators/facebook_payload_scan.h"

/* Meta's multi-key names in the order member strings use, so the same person uploaded with the
 * columns in a different order is still the same set member. */
enum { K_EXTERN_ID, K_MADID = 13, NKEYS = 15 };
static const char *const fb_keys[NKEYS] = {"EXTERN_ID", "EMAIL", "PHONE", "GEN", "DOBY",
                                           "DOBM",      "DOBD",  "LN",    "FN",  "FI",
                                           "CT",        "ST",    "ZIP",   "MADID", "COUNTRY"};

/* Single-key schemas and the multi-key name their values are stored under. */
static const struct {
    const char *name;
    int key;
} fb_single[] = {
    {"EMAIL_SHA256", 1}, {"PHONE_SHA256", 2}, {"MOBILE_ADVERTISER_ID", K_MADID}, {"EXTERN_ID", 0}};

#define FB_MAX_SAMPLES 10

typedef struct {
    bool flat;            /* single-key schema: data is an array of strings */
    size_t ncols;
    int col_key[NKEYS];   /* column -> key index */
    int key_col[NKEYS];   /* key index -> column, or -1 */
} fb_schema_t;

static int key_lookup(const char *name)
{
    for (int k = 0; k < NKEYS; k++) {
        if (strcmp(fb_keys[k], name) == 0) {
            return k;
        }
    }
    return -1;
}

static sgx_err_t schema_single(const char *name, fb_schema_t *s, char *msg, size_t msg_len)
{
    for (size_t i = 0; i < sizeof fb_single / sizeof fb_single[0]; i++) {
        if (strcmp(fb_single[i].name, name) == 0) {
            s->flat = true;
            s->ncols = 1;
            s->col_key[0] = fb_single[i].key;
            s->key_col[fb_single[i].key] = 0;
            return SGX_OK;
        }
    }
    snprintf(msg, msg_len, "(#100) Invalid schema: unknown key '%.40s'", name);
    return SGX_ERR_INVALID;
}

static sgx_err_t schema_parse(const json_t *js, fb_schema_t *s, char *msg, size_t msg_len)
{
    memset(s, 0, sizeof *s);
    for (int k = 0; k < NKEYS; k++) {
        s->key_col[k] = -1;
    }
    if (json_is_string(js)) {
        return schema_single(json_string_value(js), s, msg, msg_len);
    }
    if (!json_is_array(js) || json_array_size(js) == 0 || json_array_size(js) > NKEYS) {
        snprintf(msg, msg_len, "(#100) Invalid schema: expected a key name or an array of 1..%d "
                               "distinct keys", NKEYS);
        return SGX_ERR_INVALID;
    }
    for (size_t i = 0; i < json_array_size(js); i++) {
        const char *name = json_string_value(json_array_get(js, i));
        int k = name ? key_lookup(name) : -1;
        if (k < 0) {
            snprintf(msg, msg_len, "(#100) Invalid schema: unknown key '%.40s' at %zu",
                     name ? name : "(not a string)", i);
            return SGX_ERR_INVALID;
        }
        if (s->key_col[k] >= 0) {
            snprintf(msg, msg_len, "(#100) Invalid schema: duplicate key '%s'", fb_keys[k]);
            return SGX_ERR_INVALID;
        }
        s->key_col[k] = (int)i;
        s->col_key[i] = k;
    }
    s->ncols = json_array_size(js);
    return SGX_OK;
}

/* Lowercase hex digits; a table because every hashed cell of every row is checked. */
static const bool fb_hex[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1};

static bool is_sha256_hex(const char *v, size_t len)
{
    if (len != 64) {
        return false;
    }
    unsigned ok = 1;
    for (size_t i = 0; i < 64; i++) {
        ok &= fb_hex[(unsigned char)v[i]];
    }
    return ok != 0;
}

/* A cell's text: borrowed from the jansson tree or straight from the payload text. */
typedef sgx_emu_fb_cell_t fb_cell_t;

/* Collects the row's cells (strings only) into cells[]; returns false on a structural error. */
static bool row_cells(const fb_schema_t *s, const json_t *row, size_t idx, fb_cell_t *cells,
                      char *msg, size_t msg_len)
{
    if (s->flat) {
        if (!json_is_string(row)) {
            snprintf(msg, msg_len, "(#100) payload.data[%zu] must be a string", idx);
            return false;
        }
        cells[0] = (fb_cell_t){json_string_value(row), json_string_length(row)};
        return true;
    }
    if (!json_is_array(row) || json_array_size(row) != s->ncols) {
        snprintf(msg, msg_len, "(#100) payload.data[%zu] must be an array of %zu fields matching "
                 "the schema", idx, s->ncols);
        return false;
    }
    for (size_t c = 0; c < s->ncols; c++) {
        const json_t *cell = json_array_get(row, c);
        if (!json_is_string(cell)) {
            snprintf(msg, msg_len, "(#100) payload.data[%zu][%zu] must be a string", idx, c);
            return false;
        }
        cells[c] = (fb_cell_t){json_string_value(cell), json_string_length(cell)};
    }
    return true;
}

/* Returns a short reason when the row must be skipped (never quoting its values), else NULL. */
static const char *row_reject(const fb_schema_t *s, const fb_cell_t *cells, char *reason,
                              size_t reason_len)
{
    size_t non_empty = 0;
    for (size_t c = 0; c < s->ncols; c++) {
        int k = s->col_key[c];
        size_t len = cells[c].len;
        non_empty += len > 0;
        if (len && k != K_EXTERN_ID && k != K_MADID && !is_sha256_hex(cells[c].p, len)) {
            snprintf(reason, reason_len, "invalid %s: expected 64 lowercase hex chars (SHA-256)",
                     fb_keys[k]);
            return reason;
        }
    }
    return non_empty ? NULL : "all fields are empty";
}

static void member_append(const fb_schema_t *s, const fb_cell_t *cells, sgx_buf_t *out)
{
    size_t need = 1;
    for (size_t c = 0; c < s->ncols; c++) {
        need += cells[c].len ? strlen(fb_keys[s->col_key[c]]) + 2 + cells[c].len : 0;
    }
    sgx_buf_reserve(out, need);
    char *d = out->data + out->len;
    for (int k = 0; k < NKEYS; k++) {
        int c = s->key_col[k];
        if (c < 0 || cells[c].len == 0) {
            continue;
        }
        if (d != out->data + out->len) {
            *d++ = ',';
        }
        size_t klen = strlen(fb_keys[k]);
        memcpy(d, fb_keys[k], klen);
        d[klen] = ':';
        memcpy(d + klen + 1, cells[c].p, cells[c].len);
        d += klen + 1 + cells[c].len;
    }
    *d++ = '\0'; /* the separator NUL is part of the stored bytes */
    out->len = (size_t)(d - out->data);
    out->data[out->len] = '\0';
}

/* Row idx (its cells already collected): skipped with a sample reason, or made a member. */
static void row_take(const fb_schema_t *s, const fb_cell_t *cells, size_t idx,
                     sgx_emu_fb_batch_t *out)
{
    char reason[96];
    const char *why = row_reject(s, cells, reason, sizeof reason);
    if (why) {
        if (out->num_invalid++ < FB_MAX_SAMPLES) {
            char key[24];
            snprintf(key, sizeof key, "%zu", idx);
            json_object_set_new(out->samples, key, json_string(why));
        }
        return;
    }
    member_append(s, cells, &out->members);
    out->n_members++;
}

static sgx_err_t rows_parse(const fb_schema_t *s, const json_t *data, sgx_emu_fb_batch_t *out,
                            char *msg, size_t msg_len)
{
    fb_cell_t cells[NKEYS];
    for (size_t i = 0; i < json_array_size(data); i++) {
        if (!row_cells(s, json_array_get(data, i), i, cells, msg, msg_len)) {
            return SGX_ERR_INVALID;
        }
        row_take(s, cells, i, out);
    }
    out->num_received = json_array_size(data);
    return SGX_OK;
}

/* The top-level members the checks look at, whichever parser found them. */
typedef struct {
    const json_t *schema; /* borrowed, NULL when absent */
    const json_t *is_raw; /* borrowed, NULL when absent */
    bool has_data;
    bool data_is_array;
    size_t nrows; /* data's length when it is an array */
} fb_top_t;

static sgx_err_t payload_check(const fb_top_t *t, size_t max_rows, fb_schema_t *s, char *msg,
                               size_t msg_len)
{
    if (!t->schema || !t->has_data) {
        snprintf(msg, msg_len, "(#100) payload must contain 'schema' and 'data'");
        return SGX_ERR_INVALID;
    }
    if (t->is_raw && !json_is_boolean(t->is_raw)) {
        snprintf(msg, msg_len, "(#100) payload.is_raw must be a boolean");
        return SGX_ERR_INVALID;
    }
    sgx_err_t err = schema_parse(t->schema, s, msg, msg_len);
    if (err) {
        return err;
    }
    if (!t->data_is_array || t->nrows == 0) {
        snprintf(msg, msg_len, "(#100) payload.data must be a non-empty array");
        return SGX_ERR_INVALID;
    }
    if (t->nrows > max_rows) {
        snprintf(msg, msg_len, "(#100) too many users in one request: %zu rows, at most %zu",
                 t->nrows, max_rows);
        return SGX_ERR_TOO_LARGE;
    }
    return SGX_OK;
}

sgx_err_t sgx_emu_fb_payload_parse_tree(const char *text, size_t len, size_t max_rows,
                                        sgx_emu_fb_batch_t *out, char *msg, size_t msg_len)
{
    memset(out, 0, sizeof *out);
    out->samples = json_object();
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!json_is_object(root)) {
        snprintf(msg, msg_len, "(#100) payload must be a JSON object");
        json_decref(root);
        return SGX_ERR_INVALID;
    }
    const json_t *data = json_object_get(root, "data");
    fb_top_t top = {.schema = json_object_get(root, "schema"),
                    .is_raw = json_object_get(root, "is_raw"),
                    .has_data = data != NULL,
                    .data_is_array = json_is_array(data),
                    .nrows = json_array_size(data)};
    fb_schema_t schema;
    sgx_err_t err = payload_check(&top, max_rows, &schema, msg, msg_len);
    if (!err) {
        err = rows_parse(&schema, data, out, msg, msg_len);
    }
    json_decref(root);
    return err;
}

sgx_err_t sgx_emu_fb_payload_parse(const char *text, size_t len, size_t max_rows,
                                   sgx_emu_fb_batch_t *out, char *msg, size_t msg_len)
{
    sgx_emu_fb_flat_t f;
    if (!sgx_emu_fb_flat_scan(text, len, &f)) {
        sgx_emu_fb_flat_free(&f);
        return sgx_emu_fb_payload_parse_tree(text, len, max_rows, out, msg, msg_len);
    }
    memset(out, 0, sizeof *out);
    out->samples = json_object();
    fb_top_t top = {.schema = f.schema, .is_raw = f.is_raw, .has_data = true,
                    .data_is_array = true, .nrows = f.nrows};
    fb_schema_t schema;
    sgx_err_t err = payload_check(&top, max_rows, &schema, msg, msg_len);
    if (!err && (schema.flat ? f.width == 0 : f.width == schema.ncols)) {
        sgx_buf_reserve(&out->members, len + f.nrows * schema.ncols * 8);
        for (size_t i = 0; i < f.nrows; i++) {
            row_take(&schema, f.cells + i * schema.ncols, i, out);
        }
        out->num_received = f.nrows;
    } else if (!err) {
        /* A row whose shape does not match the schema: the tree parser words the error. */
        sgx_emu_fb_batch_free(out);
        err = sgx_emu_fb_payload_parse_tree(text, len, max_rows, out, msg, msg_len);
    }
    sgx_emu_fb_flat_free(&f);
    return err;
}

void sgx_emu_fb_batch_free(sgx_emu_fb_batch_t *batch)
{
    if (batch) {
        json_decref(batch->samples);
        sgx_buf_free(&batch->members);
        memset(batch, 0, sizeof *batch);
    }
}
