/* Custom Audiences payload validation; see facebook_payload.h. */
#include "emulators/facebook_payload.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"

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

static bool is_sha256_hex(const char *v, size_t len)
{
    if (len != 64) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

/* Collects the row's cells (strings only) into cells[]; returns false on a structural error. */
static bool row_cells(const fb_schema_t *s, const json_t *row, size_t idx, const json_t **cells,
                      char *msg, size_t msg_len)
{
    if (s->flat) {
        cells[0] = row;
        if (!json_is_string(row)) {
            snprintf(msg, msg_len, "(#100) payload.data[%zu] must be a string", idx);
            return false;
        }
        return true;
    }
    if (!json_is_array(row) || json_array_size(row) != s->ncols) {
        snprintf(msg, msg_len, "(#100) payload.data[%zu] must be an array of %zu fields matching "
                 "the schema", idx, s->ncols);
        return false;
    }
    for (size_t c = 0; c < s->ncols; c++) {
        cells[c] = json_array_get(row, c);
        if (!json_is_string(cells[c])) {
            snprintf(msg, msg_len, "(#100) payload.data[%zu][%zu] must be a string", idx, c);
            return false;
        }
    }
    return true;
}

/* Returns a short reason when the row must be skipped (never quoting its values), else NULL. */
static const char *row_reject(const fb_schema_t *s, const json_t *const *cells, char *reason,
                              size_t reason_len)
{
    size_t non_empty = 0;
    for (size_t c = 0; c < s->ncols; c++) {
        int k = s->col_key[c];
        size_t len = json_string_length(cells[c]);
        non_empty += len > 0;
        if (len && k != K_EXTERN_ID && k != K_MADID &&
            !is_sha256_hex(json_string_value(cells[c]), len)) {
            snprintf(reason, reason_len, "invalid %s: expected 64 lowercase hex chars (SHA-256)",
                     fb_keys[k]);
            return reason;
        }
    }
    return non_empty ? NULL : "all fields are empty";
}

static void member_append(const fb_schema_t *s, const json_t *const *cells, sgx_buf_t *out)
{
    bool first = true;
    for (int k = 0; k < NKEYS; k++) {
        int c = s->key_col[k];
        if (c < 0 || json_string_length(cells[c]) == 0) {
            continue;
        }
        if (!first) {
            sgx_buf_putc(out, ',');
        }
        first = false;
        sgx_buf_puts(out, fb_keys[k]);
        sgx_buf_putc(out, ':');
        sgx_buf_append(out, json_string_value(cells[c]), json_string_length(cells[c]));
    }
    sgx_buf_append(out, "", 1); /* the separator NUL is part of the stored bytes */
}

static sgx_err_t rows_parse(const fb_schema_t *s, const json_t *data, sgx_emu_fb_batch_t *out,
                            char *msg, size_t msg_len)
{
    const json_t *cells[NKEYS];
    char reason[96];
    for (size_t i = 0; i < json_array_size(data); i++) {
        if (!row_cells(s, json_array_get(data, i), i, cells, msg, msg_len)) {
            return SGX_ERR_INVALID;
        }
        const char *why = row_reject(s, cells, reason, sizeof reason);
        if (why) {
            if (out->num_invalid++ < FB_MAX_SAMPLES) {
                char key[24];
                snprintf(key, sizeof key, "%zu", i);
                json_object_set_new(out->samples, key, json_string(why));
            }
            continue;
        }
        member_append(s, cells, &out->members);
        out->n_members++;
    }
    out->num_received = json_array_size(data);
    return SGX_OK;
}

static sgx_err_t payload_check(const json_t *root, size_t max_rows, fb_schema_t *s, char *msg,
                               size_t msg_len)
{
    const json_t *schema = json_object_get(root, "schema");
    const json_t *data = json_object_get(root, "data");
    const json_t *is_raw = json_object_get(root, "is_raw");
    if (!schema || !data) {
        snprintf(msg, msg_len, "(#100) payload must contain 'schema' and 'data'");
        return SGX_ERR_INVALID;
    }
    if (is_raw && !json_is_boolean(is_raw)) {
        snprintf(msg, msg_len, "(#100) payload.is_raw must be a boolean");
        return SGX_ERR_INVALID;
    }
    sgx_err_t err = schema_parse(schema, s, msg, msg_len);
    if (err) {
        return err;
    }
    if (!json_is_array(data) || json_array_size(data) == 0) {
        snprintf(msg, msg_len, "(#100) payload.data must be a non-empty array");
        return SGX_ERR_INVALID;
    }
    if (json_array_size(data) > max_rows) {
        snprintf(msg, msg_len, "(#100) too many users in one request: %zu rows, at most %zu",
                 json_array_size(data), max_rows);
        return SGX_ERR_TOO_LARGE;
    }
    return SGX_OK;
}

sgx_err_t sgx_emu_fb_payload_parse(const char *text, size_t len, size_t max_rows,
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
    fb_schema_t schema;
    sgx_err_t err = payload_check(root, max_rows, &schema, msg, msg_len);
    if (!err) {
        err = rows_parse(&schema, json_object_get(root, "data"), out, msg, msg_len);
    }
    json_decref(root);
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
