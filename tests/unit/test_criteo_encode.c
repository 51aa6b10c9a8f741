/* Criteo encoder, request builder and configuration: golden bodies (generated independently by
 * tests/data/golden/criteo_gen.py), decoded back with jansson so a wrong golden cannot hide a
 * bug; the creation step; the token request; config errors; byte cap; HTTP dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/mem.h"
#include "connectors/criteo/criteo.h"
#include "tests/unit/test_util.h"

#define H_TEST "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
#define H_JANE "7f73355bf032dcbb8e5a3f51f1e4a8ba92ef1344de2d95382634cf91da6d6181"
#define M_TEST "55502f40dc8b7c769880b10874abc9d0"
#define M_JANE "b49be4c6d5b60918bf27d1189d8f326d"
#define PLAIN_HARD "a\"b\\c.d\xc3\xa9@example.com"

typedef struct {
    sgx_val_kind_t kind;
    const char *s; /* DIGEST: 64 hex; TEXT: the text */
} cell_t;

#define D(h) {SGX_VAL_DIGEST, h}
#define T(s) {SGX_VAL_TEXT, s}
#define A {SGX_VAL_ABSENT, NULL}

typedef struct {
    const char *golden;
    sgx_criteo_hashing_t hashing;
    sgx_op_t op;
    size_t nrows;
    cell_t cells[3];
    size_t nexpect;
    const char *expect[3]; /* identifiers after decoding */
} enc_case_t;

static const enc_case_t cases[] = {
    {"criteo_add.json", SGX_CRITEO_SHA256, SGX_OP_ENTER, 2, {D(H_TEST), D(H_JANE)}, 2,
     {H_TEST, H_JANE}},
    {"criteo_remove.json", SGX_CRITEO_SHA256, SGX_OP_EXIT, 1, {D(H_TEST)}, 1, {H_TEST}},
    {"criteo_absent.json", SGX_CRITEO_SHA256, SGX_OP_ENTER, 3, {D(H_TEST), A, D(H_JANE)}, 2,
     {H_TEST, H_JANE}},
    {"criteo_plain.json", SGX_CRITEO_PLAIN, SGX_OP_ENTER, 2,
     {T("test@example.com"), T(PLAIN_HARD)}, 2, {"test@example.com", PLAIN_HARD}},
    {"criteo_md5.json", SGX_CRITEO_MD5, SGX_OP_EXIT, 2,
     {T("test@example.com"), T("jane.doe@example.org")}, 2, {M_TEST, M_JANE}},
};

/* ---- helpers ------------------------------------------------------------------------------ */

static sgx_err_t crt_new_with(const char *const *k, const char *const *v, size_t n, void **ctx,
                              char *errbuf)
{
    sgx_dest_settings_t s = {"criteo-test", n, k, v};
    *ctx = NULL;
    return sgx_connector_criteo.init(&s, ctx, errbuf);
}

static sgx_criteo_ctx_t *crt_new(const char *advertiser)
{
    const char *k[4] = {"client_id", "client_secret", "base_url", "advertiser_id"};
    const char *v[4] = {"cid", "c&s=e+t/%", "http://127.0.0.1:9/", advertiser};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    void *ctx = NULL;
    assert_int_equal(crt_new_with(k, v, advertiser ? 4 : 3, &ctx, errbuf), SGX_OK);
    return ctx;
}

static sgx_row_t *make_row(const cell_t *cell)
{
    size_t n = cell->kind == SGX_VAL_DIGEST ? 32 : cell->kind == SGX_VAL_TEXT ? strlen(cell->s) : 0;
    sgx_row_t *row = sgx_calloc(1, sizeof *row + n + 1);
    row->nvals = 1;
    row->vals[0].kind = (uint8_t)cell->kind;
    row->vals[0].len = (uint16_t)n;
    if (cell->kind == SGX_VAL_DIGEST) {
        sgx_test_unhex32(cell->s, row->data);
    } else if (cell->kind == SGX_VAL_TEXT) {
        memcpy(row->data, cell->s, n);
    }
    row->data_len = (uint16_t)n;
    return row;
}

static sgx_err_t encode_cells(const sgx_criteo_ctx_t *c, sgx_op_t op, const cell_t *cells,
                              size_t n, sgx_buf_t *out)
{
    sgx_row_t *rows[8];
    for (size_t i = 0; i < n; i++) {
        rows[i] = make_row(&cells[i]);
    }
    sgx_batch_t b = {.op = op, .audience_id = "123", .segment = "seg", .nrows = n,
                     .rows = (const sgx_row_t *const *)rows};
    sgx_err_t err = sgx_connector_criteo.encode(c, &b, out);
    for (size_t i = 0; i < n; i++) {
        sgx_free(rows[i]);
    }
    return err;
}

/* ---- encode ------------------------------------------------------------------------------- */

static void check_decoded(const char *body, size_t len, const enc_case_t *tc)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    assert_non_null(root);
    json_t *data = json_object_get(root, "data");
    json_t *attrs = json_object_get(data, "attributes");
    assert_string_equal(json_string_value(json_object_get(data, "type")), "ContactlistAmendment");
    assert_string_equal(json_string_value(json_object_get(attrs, "operation")),
                        tc->op == SGX_OP_EXIT ? "remove" : "add");
    assert_string_equal(json_string_value(json_object_get(attrs, "identifierType")), "email");
    json_t *ids = json_object_get(attrs, "identifiers");
    assert_int_equal(json_array_size(ids), tc->nexpect);
    for (size_t i = 0; i < tc->nexpect; i++) {
        assert_string_equal(json_string_value(json_array_get(ids, i)), tc->expect[i]);
    }
    json_decref(root);
}

static void test_golden(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const enc_case_t *tc = &cases[i];
        sgx_criteo_ctx_t *c = crt_new(NULL);
        c->hashing = tc->hashing;
        sgx_buf_t out = {0};
        assert_int_equal(encode_cells(c, tc->op, tc->cells, tc->nrows, &out), SGX_OK);
        size_t glen;
        char *golden = sgx_test_read_golden(tc->golden, &glen);
        if (out.len != glen || memcmp(out.data, golden, glen) != 0) {
            fail_msg("%s differs:\n got: %s\nwant: %.*s", tc->golden, out.data, (int)glen,
                     golden);
        }
        check_decoded(out.data, out.len, tc);
        sgx_free(golden);
        sgx_buf_free(&out);
        sgx_connector_criteo.destroy(c);
    }
}

static void test_encode_refusals(void **state)
{
    (void)state;
    sgx_criteo_ctx_t *c = crt_new(NULL);
    sgx_buf_t out = {0};
    sgx_buf_puts(&out, "prefix");
    const cell_t absent[2] = {A, A};
    assert_int_equal(encode_cells(c, SGX_OP_ENTER, absent, 2, &out), SGX_ERR_INVALID);
    assert_string_equal(out.data, "prefix"); /* left as it was */
    /* A digest cannot become plain text or MD5. */
    const cell_t dig[1] = {D(H_TEST)};
    c->hashing = SGX_CRITEO_MD5;
    assert_int_equal(encode_cells(c, SGX_OP_ENTER, dig, 1, &out), SGX_ERR_INVALID);
    c->hashing = SGX_CRITEO_PLAIN;
    assert_int_equal(encode_cells(c, SGX_OP_ENTER, dig, 1, &out), SGX_ERR_INVALID);
    c->hashing = SGX_CRITEO_SHA256;
    /* Text in sha256 mode is hashed here. */
    const cell_t txt[1] = {T("test@example.com")};
    sgx_buf_reset(&out);
    assert_int_equal(encode_cells(c, SGX_OP_ENTER, txt, 1, &out), SGX_OK);
    assert_non_null(strstr(out.data, "[\"" H_TEST "\"]"));
    /* Byte cap: the core splits on TOO_LARGE. */
    c->max_bytes = 150;
    const cell_t two[2] = {D(H_TEST), D(H_JANE)};
    sgx_buf_reset(&out);
    assert_int_equal(encode_cells(c, SGX_OP_ENTER, two, 2, &out), SGX_ERR_TOO_LARGE);
    assert_int_equal(out.len, 0);
    c->max_bytes = 4u << 20;
    sgx_batch_t empty = {.op = SGX_OP_ENTER, .nrows = 0};
    assert_int_equal(sgx_connector_criteo.encode(c, &empty, &out), SGX_ERR_INVALID);
    sgx_buf_free(&out);
    sgx_connector_criteo.destroy(c);
}

/* ---- requests ----------------------------------------------------------------------------- */

static void test_prepare_patch(void **state)
{
    (void)state;
    sgx_criteo_ctx_t *c = crt_new(NULL);
    sgx_buf_t body = {0};
    sgx_buf_puts(&body, "{}");
    sgx_batch_t b = {.op = SGX_OP_EXIT, .audience_id = "42", .segment = "seg", .nrows = 1};
    sgx_job_t job = {.batch = &b, .body = &body, .auth_token = "tok-1"};
    sgx_request_t req = {0};
    assert_int_equal(sgx_connector_criteo.prepare(c, &job, &req), SGX_OK);
    assert_string_equal(req.method, "PATCH");
    assert_string_equal(req.url, "http://127.0.0.1:9/2026-07/marketing-solutions/"
                                 "audience-segments/42/contact-list");
    assert_true(sgx_test_has_header(&req, "Authorization: Bearer tok-1"));
    assert_string_equal(req.content_type, "application/json");
    assert_ptr_equal(req.body, &body);
    sgx_request_clear(&req);
    /* Step 2 after a search or creation is the same PATCH. */
    job.step = 2;
    assert_int_equal(sgx_connector_criteo.prepare(c, &job, &req), SGX_OK);
    assert_string_equal(req.method, "PATCH");
    sgx_request_clear(&req);
    /* No token, a URL-changing id, an unknown step: refused. */
    job.step = 0;
    job.auth_token = NULL;
    assert_int_not_equal(sgx_connector_criteo.prepare(c, &job, &req), SGX_OK);
    sgx_request_clear(&req);
    job.auth_token = "tok-1";
    b.audience_id = "42/../7";
    assert_int_not_equal(sgx_connector_criteo.prepare(c, &job, &req), SGX_OK);
    sgx_request_clear(&req);
    b.audience_id = "42";
    job.step = 3;
    assert_int_not_equal(sgx_connector_criteo.prepare(c, &job, &req), SGX_OK);
    sgx_request_clear(&req);
    sgx_buf_free(&body);
    sgx_connector_criteo.destroy(c);
}

/* Step 0 without an audience id searches the advertiser's contact-list segments, a page at a
 * time (job->state is the offset); the name is matched in classify, the API has no filter. */
static void test_prepare_search(void **state)
{
    (void)state;
    sgx_criteo_ctx_t *c = crt_new("12345");
    sgx_batch_t b = {.op = SGX_OP_ENTER, .audience_id = NULL, .segment = "seg-07", .nrows = 1};
    sgx_job_t job = {.batch = &b, .auth_token = "tok-2"};
    sgx_request_t req = {0};
    assert_int_equal(sgx_connector_criteo.prepare(c, &job, &req), SGX_OK);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.url, "http://127.0.0.1:9/2026-07/marketing-solutions/"
                                 "audience-segments/search?limit=100&offset=0");
    assert_true(sgx_test_has_header(&req, "Authorization: Bearer tok-2"));
    assert_string_equal(req.content_type, "application/json");
    assert_string_equal(req.owned_body.data,
                        "{\"data\":{\"type\":\"AudienceSegment\",\"attributes\":{"
                        "\"advertiserIds\":[\"12345\"],\"audienceSegmentTypes\":"
                        "[\"ContactList\"]}}}");
    sgx_request_clear(&req);
    job.state = "200";
    assert_int_equal(sgx_connector_criteo.prepare(c, &job, &req), SGX_OK);
    assert_string_equal(req.url, "http://127.0.0.1:9/2026-07/marketing-solutions/"
                                 "audience-segments/search?limit=100&offset=200");
    sgx_request_clear(&req);
    /* A state that is not an offset would change the URL's shape: refused. */
    job.state = "1&limit=5";
    assert_int_not_equal(sgx_connector_criteo.prepare(c, &job, &req), SGX_OK);
    sgx_request_clear(&req);
    sgx_connector_criteo.destroy(c);
}

static void test_prepare_create(void **state)
{
    (void)state;
    sgx_criteo_ctx_t *c = crt_new("12345");
    sgx_batch_t b = {.op = SGX_OP_ENTER, .audience_id = NULL, .segment = "seg-07", .nrows = 1};
    sgx_job_t job = {.batch = &b, .auth_token = "tok-2", .step = SGX_CRITEO_STEP_CREATE};
    sgx_request_t req = {0};
    assert_int_equal(sgx_connector_criteo.prepare(c, &job, &req), SGX_OK);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.url, "http://127.0.0.1:9/2026-07/marketing-solutions/"
                                 "audience-segments/create");
    assert_true(sgx_test_has_header(&req, "Authorization: Bearer tok-2"));
    assert_ptr_equal(req.body, &req.owned_body);
    size_t glen;
    char *golden = sgx_test_read_golden("criteo_create.json", &glen);
    assert_int_equal(req.owned_body.len, glen);
    assert_memory_equal(req.owned_body.data, golden, glen);
    sgx_free(golden);
    sgx_request_clear(&req);
    /* The PATCH step without a recorded audience id makes no sense. */
    job.step = SGX_CRITEO_STEP_PATCH;
    assert_int_not_equal(sgx_connector_criteo.prepare(c, &job, &req), SGX_OK);
    sgx_request_clear(&req);
    sgx_connector_criteo.destroy(c);
    /* Without an advertiser nothing can be searched or created. */
    c = crt_new(NULL);
    for (job.step = 0; job.step <= SGX_CRITEO_STEP_CREATE; job.step++) {
        assert_int_equal(sgx_connector_criteo.prepare(c, &job, &req), SGX_ERR_CONFIG);
        sgx_request_clear(&req);
    }
    sgx_connector_criteo.destroy(c);
}

static void test_auth_prepare(void **state)
{
    (void)state;
    sgx_criteo_ctx_t *c = crt_new(NULL);
    sgx_request_t req = {0};
    assert_int_equal(sgx_connector_criteo.auth_prepare(c, &req), SGX_OK);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.url, "http://127.0.0.1:9/oauth2/token");
    assert_string_equal(req.content_type, "application/x-www-form-urlencoded");
    assert_ptr_equal(req.body, &req.owned_body);
    assert_string_equal(req.owned_body.data,
                        "grant_type=client_credentials&client_id=cid&client_secret=c%26s%3De%2Bt%2F%25");
    sgx_request_clear(&req);
    sgx_connector_criteo.destroy(c);
}

/* ---- configuration ------------------------------------------------------------------------ */

static void expect_config_error(const char *key, const char *value, const char *needle)
{
    const char *k[3] = {"client_id", "client_secret", key};
    const char *v[3] = {"cid", "sec", value};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    void *ctx = NULL;
    assert_int_equal(crt_new_with(k, v, 3, &ctx, errbuf), SGX_ERR_CONFIG);
    assert_null(ctx);
    if (!strstr(errbuf, needle)) {
        fail_msg("%s=%s: '%s' lacks '%s'", key, value, errbuf, needle);
    }
}

static void test_config(void **state)
{
    (void)state;
    const char *k[2] = {"client_id", "client_secret"};
    const char *v[2] = {"cid", ""};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    void *ctx = NULL;
    assert_int_equal(crt_new_with(k, v, 2, &ctx, errbuf), SGX_ERR_CONFIG);
    assert_non_null(strstr(errbuf, "client_secret"));
    assert_int_equal(crt_new_with(k, v, 1, &ctx, errbuf), SGX_ERR_CONFIG);
    expect_config_error("api_version", "v25.0", "api_version");
    expect_config_error("base_url", "ftp://x", "base_url");
    expect_config_error("identifier_hashing", "sha1", "identifier_hashing");
    /* plain and md5 ask the core for the e-mail's normalized text; sha256 for the digest. */
    static const char *const modes[] = {"plain", "md5", "sha256"};
    for (int m = 0; m < 3; m++) {
        const char *mk[3] = {"client_id", "client_secret", "identifier_hashing"};
        const char *mv[3] = {"cid", "sec", modes[m]};
        void *mctx = NULL;
        assert_int_equal(crt_new_with(mk, mv, 3, &mctx, errbuf), SGX_OK);
        assert_int_equal(sgx_connector_criteo.plain_key(mctx, SGX_KEY_EMAIL), m < 2);
        assert_false(sgx_connector_criteo.plain_key(mctx, SGX_KEY_PHONE));
        sgx_connector_criteo.destroy(mctx);
    }
    expect_config_error("advertiser_id", "12a", "advertiser_id");
    /* Defaults and the key list. */
    v[1] = "sec";
    assert_int_equal(crt_new_with(k, v, 2, &ctx, errbuf), SGX_OK);
    const sgx_criteo_ctx_t *c = ctx;
    assert_string_equal(c->base_url, "https://api.criteo.com");
    assert_string_equal(c->api_version, "2026-07");
    assert_int_equal(c->hashing, SGX_CRITEO_SHA256);
    const sgx_key_t *keys;
    size_t nkeys;
    sgx_connector_criteo.keys(ctx, &keys, &nkeys);
    assert_int_equal(nkeys, 1);
    assert_int_equal(keys[0], SGX_KEY_EMAIL);
    assert_int_equal(sgx_connector_criteo.kind, SGX_DEST_CRITEO);
    assert_int_equal(sgx_connector_criteo.limits.max_rows, 50000);
    assert_int_equal(sgx_connector_criteo.limits.min_interval_ms, 240);
    sgx_connector_criteo.destroy(ctx);
    sgx_connector_criteo.destroy(NULL);
}

static void test_http_date(void **state)
{
    (void)state;
    int64_t t = 0;
    const char *d = "Sun, 06 Nov 1994 08:49:37 GMT";
    assert_true(sgx_criteo_parse_http_date(d, strlen(d), &t));
    assert_int_equal(t, 784111777);
    d = "Thu, 01 Jan 1970 00:00:00 GMT";
    assert_true(sgx_criteo_parse_http_date(d, strlen(d), &t));
    assert_int_equal(t, 0);
    d = "Tue, 29 Feb 2028 23:59:59 GMT";
    assert_true(sgx_criteo_parse_http_date(d, strlen(d), &t));
    assert_int_equal(t, 1835481599);
    static const char *const bad[] = {"", "Sun 06 Nov 1994 08:49:37 GMT",
                                      "Sun, 06 Foo 1994 08:49:37 GMT",
                                      "Sun, 06 Nov 1994 08:49:37 UTC",
                                      "Sun, 06 Nov 1994 25:49:37 GMT",
                                      "Sun, 06 Nov 1994 08:49:37 GMT junk", "784111777"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(sgx_criteo_parse_http_date(bad[i], strlen(bad[i]), &t));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),        cmocka_unit_test(test_encode_refusals),
        cmocka_unit_test(test_prepare_patch), cmocka_unit_test(test_prepare_search),
        cmocka_unit_test(test_prepare_create),
        cmocka_unit_test(test_auth_prepare),  cmocka_unit_test(test_config),
        cmocka_unit_test(test_http_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
