/* Meta encoder and request builder: golden bodies (generated independently by
 * tests/data/golden/facebook_gen.py), a decode round-trip so a wrong golden cannot hide a bug,
 * the appsecret_proof known answer, max_bytes, config errors and encode speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/mem.h"
#include "connectors/facebook/fb.h"
#include "tests/unit/test_util.h"

#define H_TEST "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
#define H_PHONE1 "d6736136ea896c1bfdc553e0e86e702c70d060d805696ca3e4e9e0961353860a"
#define H_JANE "7f73355bf032dcbb8e5a3f51f1e4a8ba92ef1344de2d95382634cf91da6d6181"
#define H_PHONE2 "033134b911b137918338415ee3d20a064b24773d36a3b02e8b99fdd3fcd6b4cd"
/* echo -n token | openssl dgst -sha256 -hmac secret */
#define PROOF_TOKEN_SECRET "e941110e3d2bfe82621f0e3e1434730d7305d106c5f68c87165d0b27a4611a4a"
#define EXTERN_HARD "a\"b\\c \xc3\xa9\xe2\x82\xac & = + % / ? # ~\n\x01"

typedef struct {
    sgx_val_kind_t kind;
    const char *s; /* DIGEST: 64 hex; TEXT: the text */
} cell_t;

#define D(h) {SGX_VAL_DIGEST, h}
#define T(s) {SGX_VAL_TEXT, s}
#define A {SGX_VAL_ABSENT, NULL}

typedef struct {
    const char *golden;
    const char *keys, *token, *secret, *proof;
    uint64_t sid;
    uint32_t seq;
    bool last;
    size_t nrows, ncols;
    cell_t cells[3][2];
} enc_case_t;

static const enc_case_t cases[] = {
    {"facebook_add.txt", "EMAIL,PHONE", "tok", NULL, NULL, 1001, 1, false, 2, 2,
     {{D(H_TEST), D(H_PHONE1)}, {D(H_JANE), D(H_PHONE2)}}},
    {"facebook_remove.txt", "EMAIL,PHONE", "tok", NULL, NULL, 1002, 3, true, 1, 2,
     {{D(H_TEST), D(H_PHONE1)}}},
    {"facebook_one_key.txt", "EMAIL", "tok", NULL, NULL, 7, 1, true, 2, 1,
     {{D(H_TEST)}, {D(H_JANE)}}},
    {"facebook_absent.txt", "EMAIL, PHONE", "tok", NULL, NULL, 8, 2, false, 3, 2,
     {{D(H_TEST), A}, {A, D(H_PHONE1)}, {D(H_JANE), D(H_PHONE2)}}},
    {"facebook_extern_id.txt", "EXTERN_ID,EMAIL", "EAAB/x+y=z&w", NULL, NULL, 9, 1, true, 2, 2,
     {{T(EXTERN_HARD), A}, {T("plain-id_1.2~3"), D(H_TEST)}}},
    {"facebook_appsecret.txt", "EMAIL", "token", "secret", PROOF_TOKEN_SECRET, 10, 1, true, 1, 1,
     {{D(H_TEST)}}},
};

/* ---- helpers ------------------------------------------------------------------------------ */

static void *fb_new(const char *token, const char *secret, const char *keys)
{
    const char *k[3] = {"access_token", "keys", "app_secret"};
    const char *v[3] = {token, keys, secret};
    sgx_dest_settings_t s = {"fb-test", secret ? 3 : 2, k, v};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    void *ctx = NULL;
    assert_int_equal(sgx_connector_facebook.init(&s, &ctx, errbuf), SGX_OK);
    return ctx;
}

static sgx_row_t *make_row(const cell_t *cells, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += cells[i].kind == SGX_VAL_DIGEST ? 32
                 : cells[i].kind == SGX_VAL_TEXT ? strlen(cells[i].s)
                                                 : 0;
    }
    sgx_row_t *row = sgx_calloc(1, sizeof *row + total);
    size_t used = 0;
    row->nvals = (uint16_t)n;
    for (size_t i = 0; i < n; i++) {
        row->vals[i].kind = (uint8_t)cells[i].kind;
        row->vals[i].off = (uint32_t)used;
        if (cells[i].kind == SGX_VAL_DIGEST) {
            sgx_test_unhex32(cells[i].s, row->data + used);
            row->vals[i].len = 32;
        } else if (cells[i].kind == SGX_VAL_TEXT) {
            row->vals[i].len = (uint16_t)strlen(cells[i].s);
            memcpy(row->data + used, cells[i].s, row->vals[i].len);
        }
        used += row->vals[i].len;
    }
    row->data_len = (uint16_t)used;
    return row;
}

static char *read_golden(const char *name, size_t *len)
{
    char *data = sgx_test_read_golden(name, len);
    while (*len && (data[*len - 1] == '\n' || data[*len - 1] == '\r')) {
        data[--*len] = '\0'; /* tolerate an editor's final newline */
    }
    return data;
}

/* Form-urldecode s[0..n): '+' is a space, %XX a byte. */
static char *urldecode(const char *s, size_t n, size_t *outlen)
{
    char *out = sgx_malloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            unsigned int b;
            assert_int_equal(sscanf(s + i + 1, "%2x", &b), 1);
            out[o++] = (char)b;
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* The value of form field name (decoded, owned), or NULL. */
static char *form_field(const char *body, const char *name, size_t *len)
{
    size_t nlen = strlen(name);
    const char *p = body;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        if (plen > nlen && p[nlen] == '=' && strncmp(p, name, nlen) == 0) {
            return urldecode(p + nlen + 1, plen - nlen - 1, len);
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

static void check_cell(json_t *cell, const cell_t *want)
{
    assert_true(json_is_string(cell));
    const char *got = json_string_value(cell);
    size_t glen = json_string_length(cell);
    const char *exp = want->kind == SGX_VAL_ABSENT ? "" : want->s;
    assert_int_equal(glen, strlen(exp));
    assert_memory_equal(got, exp, glen);
}

static void check_payload(const char *payload, size_t len, const enc_case_t *c)
{
    json_error_t jerr;
    json_t *root = json_loadb(payload, len, 0, &jerr);
    assert_non_null(root);
    json_t *schema = json_object_get(root, "schema");
    assert_int_equal(json_array_size(schema), c->ncols);
    char keys[64];
    snprintf(keys, sizeof keys, "%s", c->keys);
    char *save = NULL;
    size_t i = 0;
    for (char *k = strtok_r(keys, ", ", &save); k; k = strtok_r(NULL, ", ", &save), i++) {
        assert_string_equal(json_string_value(json_array_get(schema, i)), k);
    }
    assert_true(json_is_true(json_object_get(root, "is_raw")));
    json_t *data = json_object_get(root, "data");
    assert_int_equal(json_array_size(data), c->nrows);
    for (size_t r = 0; r < c->nrows; r++) {
        json_t *row = json_array_get(data, r);
        assert_int_equal(json_array_size(row), c->ncols);
        for (size_t k = 0; k < c->ncols; k++) {
            check_cell(json_array_get(row, k), &c->cells[r][k]);
        }
    }
    json_decref(root);
}

static void check_session(const char *session, size_t len, const enc_case_t *c)
{
    json_t *root = json_loadb(session, len, 0, NULL);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "session_id")), c->sid);
    assert_int_equal(json_integer_value(json_object_get(root, "batch_seq")), c->seq);
    assert_int_equal(json_is_true(json_object_get(root, "last_batch_flag")), c->last);
    assert_true(json_is_boolean(json_object_get(root, "last_batch_flag")));
    assert_int_equal(json_integer_value(json_object_get(root, "estimated_num_total")), c->nrows);
    assert_int_equal(json_object_size(root), 4);
    json_decref(root);
}

/* Decodes the body the way Meta would and compares with the case, not with the golden. */
static void check_roundtrip(const char *body, const enc_case_t *c)
{
    size_t len;
    char *payload = form_field(body, "payload", &len);
    assert_non_null(payload);
    check_payload(payload, len, c);
    sgx_free(payload);
    char *session = form_field(body, "session", &len);
    assert_non_null(session);
    check_session(session, len, c);
    sgx_free(session);
    char *token = form_field(body, "access_token", &len);
    assert_non_null(token);
    assert_string_equal(token, c->token);
    sgx_free(token);
    char *proof = form_field(body, "appsecret_proof", &len);
    if (c->proof) {
        assert_non_null(proof);
        assert_string_equal(proof, c->proof);
    } else {
        assert_null(proof);
    }
    sgx_free(proof);
}

static void free_rows(sgx_row_t **rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sgx_free(rows[i]);
    }
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_golden(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const enc_case_t *c = &cases[ci];
        void *ctx = fb_new(c->token, c->secret, c->keys);
        sgx_row_t *rows[3];
        for (size_t r = 0; r < c->nrows; r++) {
            rows[r] = make_row(c->cells[r], c->ncols);
        }
        sgx_batch_t batch = {.audience_id = "123", .session_id = c->sid, .batch_seq = c->seq,
                             .last_batch = c->last, .nrows = c->nrows,
                             .rows = (const sgx_row_t *const *)rows};
        sgx_buf_t out = {0};
        assert_int_equal(sgx_connector_facebook.encode(ctx, &batch, &out), SGX_OK);
        size_t glen;
        char *golden = read_golden(c->golden, &glen);
        if (out.len != glen || memcmp(out.data, golden, glen) != 0) {
            fprintf(stderr, "%s mismatch\n got: %s\nwant: %s\n", c->golden, out.data, golden);
            fail();
        }
        check_roundtrip(out.data, c);
        check_roundtrip(golden, c);
        sgx_free(golden);
        sgx_buf_free(&out);
        free_rows(rows, c->nrows);
        sgx_connector_facebook.destroy(ctx);
    }
}

static void test_appends_and_restores(void **state)
{
    (void)state;
    void *ctx = fb_new("tok", NULL, NULL); /* default keys: EMAIL,PHONE */
    const cell_t cells[2] = {D(H_TEST), A};
    sgx_row_t *row = make_row(cells, 2);
    sgx_batch_t batch = {.session_id = 1, .batch_seq = 1, .nrows = 1,
                         .rows = (const sgx_row_t *const *)&row};
    sgx_buf_t out = {0};
    sgx_buf_puts(&out, "prefix|");
    assert_int_equal(sgx_connector_facebook.encode(ctx, &batch, &out), SGX_OK);
    assert_memory_equal(out.data, "prefix|payload=", 15);

    /* A row whose width differs from the schema is a core bug: refuse, leave out unchanged. */
    row->nvals = 1;
    size_t before = out.len;
    assert_int_equal(sgx_connector_facebook.encode(ctx, &batch, &out), SGX_ERR_INVALID);
    assert_int_equal(out.len, before);
    batch.nrows = 0;
    assert_int_equal(sgx_connector_facebook.encode(ctx, &batch, &out), SGX_ERR_INVALID);
    sgx_buf_free(&out);
    sgx_free(row);
    sgx_connector_facebook.destroy(ctx);
}

static void test_max_bytes(void **state)
{
    (void)state;
    void *ctx = fb_new("tok", NULL, "EXTERN_ID,EMAIL");
    /* 500 quotes encode to %5C%22 each: ~3 KB per row, so 2,000 rows pass 4 MiB. */
    char text[501];
    memset(text, '"', 500);
    text[500] = '\0';
    const cell_t cells[2] = {T(text), D(H_TEST)};
    enum { N = 2000 };
    sgx_row_t **rows = sgx_calloc(N, sizeof *rows);
    for (size_t i = 0; i < N; i++) {
        rows[i] = make_row(cells, 2);
    }
    sgx_batch_t batch = {.session_id = 1, .batch_seq = 1, .nrows = N,
                         .rows = (const sgx_row_t *const *)rows};
    sgx_buf_t out = {0};
    sgx_buf_puts(&out, "keep");
    assert_int_equal(sgx_connector_facebook.encode(ctx, &batch, &out), SGX_ERR_TOO_LARGE);
    assert_int_equal(out.len, 4);
    assert_string_equal(out.data, "keep");
    batch.nrows = 1000; /* half fits */
    sgx_buf_reset(&out);
    assert_int_equal(sgx_connector_facebook.encode(ctx, &batch, &out), SGX_OK);
    assert_true(out.len <= sgx_connector_facebook.limits.max_bytes);
    assert_true(out.len > 3000 * 1000);
    sgx_buf_free(&out);
    free_rows(rows, N);
    sgx_free(rows);
    sgx_connector_facebook.destroy(ctx);
}

static void test_prepare(void **state)
{
    (void)state;
    const char *k[3] = {"access_token", "base_url", "api_version"};
    const char *v[3] = {"tok", "http://127.0.0.1:8080/", "v24.0"};
    sgx_dest_settings_t s = {"fb", 3, k, v};
    void *ctx = NULL;
    char errbuf[SGX_ERRBUF_SIZE];
    assert_int_equal(sgx_connector_facebook.init(&s, &ctx, errbuf), SGX_OK);
    sgx_buf_t body = {0};
    sgx_buf_puts(&body, "payload=x");
    sgx_batch_t batch = {.audience_id = "23851234567890", .op = SGX_OP_ENTER};
    sgx_job_t job = {.batch = &batch, .body = &body};
    sgx_request_t req = {0};
    assert_int_equal(sgx_connector_facebook.prepare(ctx, &job, &req), SGX_OK);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.url, "http://127.0.0.1:8080/v24.0/23851234567890/users");
    assert_string_equal(req.content_type, "application/x-www-form-urlencoded");
    assert_ptr_equal(req.body, &body);
    sgx_request_clear(&req);
    /* A removal carries the same parameters in the query string and sends no body, as the
     * official SDK's FacebookAdsApi.call does for DELETE. */
    batch.op = SGX_OP_EXIT;
    assert_int_equal(sgx_connector_facebook.prepare(ctx, &job, &req), SGX_OK);
    assert_string_equal(req.method, "DELETE");
    assert_string_equal(req.url, "http://127.0.0.1:8080/v24.0/23851234567890/users?payload=x");
    assert_null(req.body);
    assert_null(req.content_type);
    sgx_request_clear(&req);
    const char *bad[] = {"", "1/../2", "12?x=1", "12#", "1%2F2", "1.2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        batch.audience_id = bad[i];
        assert_int_equal(sgx_connector_facebook.prepare(ctx, &job, &req), SGX_ERR_INVALID);
        sgx_request_clear(&req);
    }
    sgx_buf_free(&body);
    sgx_connector_facebook.destroy(ctx);
}

static void test_defaults_and_keys(void **state)
{
    (void)state;
    void *ctx = fb_new("tok", NULL, NULL);
    const sgx_key_t *keys;
    size_t n;
    sgx_connector_facebook.keys(ctx, &keys, &n);
    assert_int_equal(n, 2);
    assert_int_equal(keys[0], SGX_KEY_EMAIL);
    assert_int_equal(keys[1], SGX_KEY_PHONE);
    const sgx_fb_ctx_t *fb = ctx;
    assert_string_equal(fb->base_url, "https://graph.facebook.com");
    assert_string_equal(fb->api_version, "v25.0");
    assert_string_equal(fb->appsecret_proof, "");
    sgx_connector_facebook.destroy(ctx);
    sgx_connector_facebook.destroy(NULL);

    ctx = fb_new("tok", NULL, "extern_id,EMAIL,PHONE,GEN,DOBY,DOBM,DOBD,LN,FN,FI,CT,ST,ZIP,"
                              "MADID,COUNTRY");
    sgx_connector_facebook.keys(ctx, &keys, &n);
    assert_int_equal(n, 15);
    assert_int_equal(keys[0], SGX_KEY_EXTERN_ID);
    assert_int_equal(keys[14], SGX_KEY_COUNTRY);
    sgx_connector_facebook.destroy(ctx);

    const sgx_config_key_t *ck = sgx_connector_facebook.config_keys;
    size_t nck = 0;
    while (ck[nck].name) {
        nck++;
    }
    assert_int_equal(nck, 10);
    assert_null(ck[0].def); /* access_token is required */
}

static void expect_init_error(const char *key, const char *value, const char *needle)
{
    const char *k[2] = {"access_token", key};
    const char *v[2] = {"tok", value};
    sgx_dest_settings_t s = {"fb", key ? 2 : 0, k, v};
    void *ctx = NULL;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    assert_int_equal(sgx_connector_facebook.init(&s, &ctx, errbuf), SGX_ERR_CONFIG);
    assert_null(ctx);
    if (!strstr(errbuf, needle)) {
        print_error("errbuf '%s' lacks '%s'\n", errbuf, needle);
        fail();
    }
}

static void test_init_errors(void **state)
{
    (void)state;
    expect_init_error(NULL, NULL, "access_token is required");
    expect_init_error("keys", "EMAIL,FOO", "unknown Meta key 'FOO'");
    expect_init_error("keys", "EMAIL,PHONE,email", "EMAIL listed twice");
    expect_init_error("keys", "EMAIL,,PHONE", "unknown Meta key ''");
    expect_init_error("keys", "FULLNAME", "unknown Meta key 'FULLNAME'");
    expect_init_error("default_country", "USA", "default_country");
    expect_init_error("api_version", "25", "api_version");
    expect_init_error("base_url", "ftp://x", "base_url");
    expect_init_error("ad_account_id", "act_12x", "ad_account_id");
    expect_init_error("customer_file_source", "user_provided_only", "customer_file_source");
    expect_init_error("delete_max_url_bytes", "70000", "delete_max_url_bytes");
    expect_init_error("delete_max_url_bytes", "1000", "delete_max_url_bytes");
}

/* A removal's rows ride in its URL: 300 two-key rows (~40 KB once encoded) exceed the default
 * 8000-byte URL and fit when an operator raises delete_max_url_bytes to 60,000. */
static void test_delete_url_limit(void **state)
{
    (void)state;
    enum { N = 300 };
    const cell_t cells[2] = {D(H_TEST), D(H_TEST)};
    sgx_row_t **rows = sgx_calloc(N, sizeof *rows);
    for (size_t i = 0; i < N; i++) {
        rows[i] = make_row(cells, 2);
    }
    sgx_batch_t batch = {.op = SGX_OP_EXIT, .session_id = 1, .batch_seq = 1, .nrows = N,
                         .rows = (const sgx_row_t *const *)rows};
    const char *k[3] = {"access_token", "keys", "delete_max_url_bytes"};
    const char *v[3] = {"tok", "EMAIL,PHONE", "60000"};
    for (int raised = 0; raised < 2; raised++) {
        sgx_dest_settings_t s = {"fb", raised ? 3 : 2, k, v};
        char errbuf[SGX_ERRBUF_SIZE] = "";
        void *ctx = NULL;
        assert_int_equal(sgx_connector_facebook.init(&s, &ctx, errbuf), SGX_OK);
        sgx_buf_t out = {0};
        assert_int_equal(sgx_connector_facebook.encode(ctx, &batch, &out),
                         raised ? SGX_OK : SGX_ERR_TOO_LARGE);
        assert_true(!raised || (out.len > 30000 && out.len < 60000));
        sgx_buf_free(&out);
        sgx_connector_facebook.destroy(ctx);
    }
    free_rows(rows, N);
    sgx_free(rows);
}

/* A removal too long for its URL, when the core accepts fewer rows (sgx_batch_t.fits), is
 * cut where the URL is full in one pass: the first *fits rows, as encoding exactly that many
 * gives, and one more row is cut off again. Halving 300 would have stopped at 37. Without
 * fits the whole batch is refused as before. */
static void test_delete_cut_to_fit(void **state)
{
    (void)state;
    enum { N = 300 };
    const cell_t cells[2] = {D(H_TEST), D(H_PHONE1)};
    sgx_row_t **rows = sgx_calloc(N, sizeof *rows);
    for (size_t i = 0; i < N; i++) {
        rows[i] = make_row(cells, 2);
    }
    void *ctx = fb_new("EAABsbCS1iHgBAxxxxxxxxxxxxxxxxxxxxxxxx", "secret", "EMAIL,PHONE");
    size_t fits = 0;
    sgx_batch_t batch = {.op = SGX_OP_EXIT, .audience_id = "1001", .session_id = 1,
                         .batch_seq = 1, .nrows = N, .rows = (const sgx_row_t *const *)rows,
                         .fits = &fits};
    sgx_buf_t cut = {0}, exact = {0}, more = {0};
    assert_int_equal(sgx_connector_facebook.encode(ctx, &batch, &cut), SGX_OK);
    assert_true(fits > 37 && fits < N);
    size_t n = fits;
    batch.fits = NULL;
    batch.nrows = n;
    assert_int_equal(sgx_connector_facebook.encode(ctx, &batch, &exact), SGX_OK);
    assert_int_equal(cut.len, exact.len);
    assert_memory_equal(cut.data, exact.data, cut.len);
    /* One more row is cut off again: the cut is where the URL is full, not before. */
    batch.fits = &fits;
    batch.nrows = n + 1;
    fits = 0;
    assert_int_equal(sgx_connector_facebook.encode(ctx, &batch, &more), SGX_OK);
    assert_int_equal(fits, n);
    sgx_buf_reset(&more);
    /* After a rotation to a longer token the core encodes the same rows again, without a cut:
     * they still fit (system scenario: test_pipeline_block's secret-file rotation). */
    void *rotated = fb_new("EAABsbCS1iHgBAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "secret", "EMAIL,PHONE");
    batch.fits = NULL;
    batch.nrows = n;
    assert_int_equal(sgx_connector_facebook.encode(rotated, &batch, &more), SGX_OK);
    assert_true(more.len > cut.len);
    sgx_buf_reset(&more);
    sgx_connector_facebook.destroy(rotated);
    /* A re-encode (no cut asked) of the rows that fitted may use the room kept for a longer
     * rotated token; the whole batch still does not fit and is refused, out left as it was. */
    batch.fits = NULL;
    batch.nrows = N;
    assert_int_equal(sgx_connector_facebook.encode(ctx, &batch, &more), SGX_ERR_TOO_LARGE);
    assert_int_equal(more.len, 0);
    sgx_buf_free(&cut);
    sgx_buf_free(&exact);
    sgx_buf_free(&more);
    sgx_connector_facebook.destroy(ctx);
    free_rows(rows, N);
    sgx_free(rows);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_large_batch(void **state)
{
    (void)state;
    void *ctx = fb_new("EAABsbCS1iHgBAxxxxxxxxxxxxxxxxxxxxxxxx", "secret", "EMAIL,PHONE");
    enum { N = 10000 };
    const cell_t cells[2] = {D(H_TEST), D(H_PHONE1)};
    sgx_row_t **rows = sgx_calloc(N, sizeof *rows);
    for (size_t i = 0; i < N; i++) {
        rows[i] = make_row(cells, 2);
    }
    sgx_batch_t batch = {.session_id = 1, .batch_seq = 1, .nrows = N,
                         .rows = (const sgx_row_t *const *)rows};
    sgx_buf_t out = {0};
    double best = 1e9;
    size_t first_len = 0;
    for (int rep = 0; rep < 20; rep++) {
        sgx_buf_reset(&out);
        double t0 = now_ms();
        assert_int_equal(sgx_connector_facebook.encode(ctx, &batch, &out), SGX_OK);
        double dt = now_ms() - t0;
        best = dt < best ? dt : best;
        /* Reusing the buffer must give the same body every time. */
        first_len = rep == 0 ? out.len : first_len;
        assert_int_equal(out.len, first_len);
    }
    /* Each row carries two 64-hex values: the body cannot be smaller than that. Speed is a
     * figure for bench/, not an assertion: sanitizer builds on a busy machine vary tenfold. */
    assert_true(out.len > (size_t)N * 2 * 64);
    printf("fb encode: %d two-key rows, %zu bytes, best of 20: %.3f ms\n", N, out.len, best);
    sgx_buf_free(&out);
    free_rows(rows, N);
    sgx_free(rows);
    sgx_connector_facebook.destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),      cmocka_unit_test(test_appends_and_restores),
        cmocka_unit_test(test_max_bytes),   cmocka_unit_test(test_prepare),
        cmocka_unit_test(test_defaults_and_keys), cmocka_unit_test(test_init_errors),
        cmocka_unit_test(test_large_batch), cmocka_unit_test(test_delete_url_limit),
        cmocka_unit_test(test_delete_cut_to_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
