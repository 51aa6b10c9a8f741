/* `segexport normalize`: JSON Lines in, one JSON line out per input line (see the header). The
 * per-line work is pure apart from the shared hasher; nothing is logged about values. */
#include "cli/cmd_normalize.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/hash.h"

/* Lines beyond this are reported as errors without parsing: a value is at most 1 KiB. */
#define LINE_MAX_BYTES (64 * 1024)

static void usage(FILE *f)
{
    fputs("usage: segexport normalize --destination facebook|microsoft_ads|criteo|dotdigital\n"
          "                           [--default-country CC]\n"
          "reads {\"key\":\"PHONE\",\"value\":\"...\",\"country\":\"gb\"} lines on stdin\n",
          f);
}

static int write_json(FILE *out, json_t *obj)
{
    int rc = json_dumpf(obj, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    return (rc == 0 && fputc('\n', out) != EOF) ? 0 : 1;
}

static int write_error(FILE *out, const char *what, size_t line)
{
    return write_json(out, json_pack("{s:s, s:I}", "error", what, "line", (json_int_t)line));
}

/* Optional string member: NULL/0 when absent or null; false when present with another type. */
static bool opt_string(json_t *obj, const char *name, const char **s, size_t *len)
{
    json_t *v = json_object_get(obj, name);
    *s = NULL;
    *len = 0;
    if (!v || json_is_null(v)) {
        return true;
    }
    if (!json_is_string(v)) {
        return false;
    }
    *s = json_string_value(v);
    *len = json_string_length(v);
    return true;
}

/* Builds the result object for one value (key already validated). */
static json_t *normalize_one(sgx_dest_kind_t dest, sgx_key_t key, const char *val, size_t len,
                             const sgx_norm_ctx_t *ctx, sgx_hasher_t *hasher)
{
    char norm[SGX_NORM_MAX + 1], hex[2 * SGX_SHA256_LEN + 1];
    size_t n = 0;
    bool pre = false;
    sgx_drop_t r = sgx_normalize(dest, key, val ? val : "", val ? len : 0, ctx, norm,
                                 sizeof norm, &n, &pre);
    json_t *res = json_object();
    json_object_set_new(res, "key", json_string(sgx_key_name(key)));
    if (r != SGX_DROP_NONE) {
        json_object_set_new(res, "normalized", json_null());
        json_object_set_new(res, "sha256", json_null());
        json_object_set_new(res, "reason", json_string(sgx_drop_str(r)));
        return res;
    }
    json_object_set_new(res, "normalized", json_stringn(norm, n));
    if (!sgx_key_hashed(dest, key)) {
        json_object_set_new(res, "sha256", json_null());
    } else if (pre) {
        json_object_set_new(res, "sha256", json_stringn(norm, n));
    } else {
        unsigned char md[SGX_SHA256_LEN];
        if (sgx_hasher_sha256(hasher, norm, n, md) != SGX_OK) {
            json_decref(res);
            return NULL;
        }
        sgx_hex_lower(md, sizeof md, hex);
        json_object_set_new(res, "sha256", json_string(hex));
    }
    return res;
}

/* Handles one input line; returns 0, or 1 when the output cannot be written. */
static int process_line(const char *line, size_t len, size_t lineno, sgx_dest_kind_t dest,
                        const char *default_country, sgx_hasher_t *hasher, FILE *out)
{
    json_error_t jerr;
    if (len > LINE_MAX_BYTES) {
        return write_error(out, "line too long", lineno);
    }
    /* jansson's own message quotes the input, so only our generic text is reported */
    json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!obj) {
        return write_error(out, "invalid JSON", lineno);
    }
    const char *what = NULL, *val, *country;
    size_t val_len, country_len;
    json_t *jkey = json_object_get(obj, "key");
    int key = json_is_string(jkey) ? sgx_key_parse(json_string_value(jkey)) : -1;
    if (!json_is_object(obj)) {
        what = "not a JSON object";
    } else if (!json_is_string(jkey)) {
        what = "missing key";
    } else if (key < 0) {
        what = "unknown key";
    } else if (!json_object_get(obj, "value")) {
        what = "missing value";
    } else if (!opt_string(obj, "value", &val, &val_len)) {
        what = "value must be a string";
    } else if (!opt_string(obj, "country", &country, &country_len)) {
        what = "country must be a string";
    }
    int rc;
    if (what) {
        rc = write_error(out, what, lineno);
    } else {
        sgx_norm_ctx_t ctx = {country, country_len, default_country};
        json_t *res = normalize_one(dest, (sgx_key_t)key, val, val_len, &ctx, hasher);
        rc = res ? write_json(out, res) : write_error(out, "hashing failed", lineno);
    }
    json_decref(obj);
    return rc;
}

int sgx_normalize_stream(FILE *in, FILE *out, sgx_dest_kind_t dest, const char *default_country)
{
    sgx_hasher_t *hasher = NULL;
    if (sgx_hasher_new(&hasher) != SGX_OK) {
        return 1;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    int rc = 0;
    while (rc == 0 && (got = getline(&line, &cap, in)) >= 0) {
        size_t len = (size_t)got;
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            len--;
        }
        rc = process_line(line, len, lineno, dest, default_country, hasher, out);
    }
    if (ferror(in) || fflush(out) != 0) {
        rc = 1;
    }
    free(line);
    sgx_hasher_destroy(hasher);
    return rc;
}

/* "--name value" or "--name=value"; returns the value and advances *i, or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) {
        return NULL;
    }
    if (argv[*i][n] == '=') {
        return argv[*i] + n + 1;
    }
    if (argv[*i][n] == '\0' && *i + 1 < argc) {
        return argv[++*i];
    }
    return NULL;
}

int sgx_cmd_normalize(int argc, char **argv)
{
    const char *dest_name = NULL, *dc = NULL, *v;
    char cc[SGX_NORM_MAX + 1];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if ((v = opt_value(argc, argv, &i, "--destination"))) {
            dest_name = v;
        } else if ((v = opt_value(argc, argv, &i, "--default-country"))) {
            dc = v;
        } else {
            fprintf(stderr, "segexport normalize: unexpected argument \"%s\"\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    int dest = sgx_dest_kind_parse(dest_name);
    if (dest < 0) {
        fputs("segexport normalize: --destination is missing or unknown\n", stderr);
        usage(stderr);
        return 2;
    }
    size_t n;
    if (dc && sgx_normalize(SGX_DEST_FACEBOOK, SGX_KEY_COUNTRY, dc, strlen(dc), NULL, cc,
                            sizeof cc, &n, NULL) != SGX_DROP_NONE) {
        fputs("segexport normalize: --default-country is not a known country\n", stderr);
        return 2;
    }
    return sgx_normalize_stream(stdin, stdout, (sgx_dest_kind_t)dest, dc ? cc : NULL);
}
