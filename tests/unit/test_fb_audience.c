/* Meta removals sized by URL length, and audiences found or created by name: the requests built
 * for each step and the verdicts their replies get. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/mem.h"
#include "connectors/facebook/fb.h"

static void *fb_new(const char *account)
{
    const char *k[4] = {"access_token", "base_url", "api_version", "ad_account_id"};
    const char *v[4] = {"tok", "http://127.0.0.1:8080", "v25.0", account};
    sgx_dest_settings_t s = {"fb", account ? 4 : 3, k, v};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    void *ctx = NULL;
    assert_int_equal(sgx_connector_facebook.init(&s, &ctx, errbuf), SGX_OK);
    return ctx;
}

/* A two-key row (EMAIL, PHONE) of distinct digests. */
static sgx_row_t *row_new(unsigned seed)
{
    sgx_row_t *r = sgx_calloc(1, sizeof *r + 64);
    for (int i = 0; i < 64; i++) {
        r->data[i] = (unsigned char)(seed * 7 + (unsigned)i);
    }
    r->nvals = 2;
    r->vals[0] = (sgx_row_val_t){.kind = SGX_VAL_DIGEST, .len = 32, .off = 0};
    r->vals[1] = (sgx_row_val_t){.kind = SGX_VAL_DIGEST, .len = 32, .off = 32};
    r->data_len = 64;
    return r;
}

/* The core's loop (pipeline/dispatch_req.c encode_fitting): halve while too large. */
static size_t encode_fitting(void *ctx, sgx_batch_t *b, sgx_buf_t *out)
{
    for (;;) {
        sgx_buf_reset(out);
        sgx_err_t err = sgx_connector_facebook.encode(ctx, b, out);
        if (err != SGX_ERR_TOO_LARGE || b->nrows == 1) {
            assert_int_equal(err, SGX_OK);
            return b->nrows;
        }
        b->nrows /= 2;
    }
}

static void test_exit_sized_by_url(void **state)
{
    (void)state;
    void *ctx = fb_new(NULL);
    enum { N = 10000 };
    sgx_row_t **rows = sgx_calloc(N, sizeof *rows);
    for (unsigned i = 0; i < N; i++) {
        rows[i] = row_new(i);
    }
    sgx_batch_t b = {.audience_id = "23851234567890", .op = SGX_OP_EXIT, .session_id = 1,
                     .batch_seq = 1, .last_batch = true, .nrows = N,
                     .rows = (const sgx_row_t *const *)rows};
    sgx_buf_t body = {0};
    /* An add of all 10,000 rows fits its body limit; a removal does not fit a URL. */
    b.op = SGX_OP_ENTER;
    assert_int_equal(sgx_connector_facebook.encode(ctx, &b, &body), SGX_OK);
    b.op = SGX_OP_EXIT;
    sgx_buf_reset(&body);
    assert_int_equal(sgx_connector_facebook.encode(ctx, &b, &body), SGX_ERR_TOO_LARGE);
    assert_int_equal(body.len, 0);
    size_t n = encode_fitting(ctx, &b, &body);
    /* ~155 bytes a row: dozens fit in 8000, thousands do not */
    assert_in_range(n, 20, 60);
    sgx_job_t job = {.batch = &b, .body = &body};
    sgx_request_t req = {0};
    assert_int_equal(sgx_connector_facebook.prepare(ctx, &job, &req), SGX_OK);
    assert_string_equal(req.method, "DELETE");
    assert_true(strlen(req.url) <= FB_MAX_URL);
    assert_true(strlen(req.url) > FB_MAX_URL / 2); /* halving leaves at least half used */
    assert_non_null(strstr(req.url, "/users?payload=%7B%22schema%22"));
    assert_non_null(strstr(req.url, "&session="));
    assert_non_null(strstr(req.url, "&access_token=tok"));
    sgx_request_clear(&req);
    /* Twice as many rows would not have fitted. */
    b.nrows = n * 2;
    sgx_buf_reset(&body);
    assert_int_equal(sgx_connector_facebook.encode(ctx, &b, &body), SGX_ERR_TOO_LARGE);
    sgx_buf_free(&body);
    for (unsigned i = 0; i < N; i++) {
        sgx_free(rows[i]);
    }
    sgx_free(rows);
    sgx_connector_facebook.destroy(ctx);
}

static void test_validate(void **state)
{
    (void)state;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    void *ctx = fb_new(NULL);
    assert_int_equal(sgx_connector_facebook.validate_audience(ctx, "", errbuf), SGX_ERR_CONFIG);
    assert_non_null(strstr(errbuf, "ad_account_id"));
    assert_int_equal(sgx_connector_facebook.validate_audience(ctx, "2385", errbuf), SGX_OK);
    sgx_connector_facebook.destroy(ctx);
    ctx = fb_new("act_1234");
    assert_int_equal(sgx_connector_facebook.validate_audience(ctx, "", errbuf), SGX_OK);
    assert_int_equal(sgx_connector_facebook.validate_audience(ctx, "x1", errbuf), SGX_ERR_CONFIG);
    sgx_connector_facebook.destroy(ctx);
}

static void test_search_and_create_requests(void **state)
{
    (void)state;
    void *ctx = fb_new("act_1234");
    sgx_batch_t b = {.segment = "vip \"gold\"", .op = SGX_OP_ENTER, .nrows = 1};
    sgx_buf_t body = {0};
    sgx_job_t job = {.batch = &b, .body = &body, .step = FB_STEP_SEARCH};
    sgx_request_t req = {0};
    assert_int_equal(sgx_connector_facebook.prepare(ctx, &job, &req), SGX_OK);
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.url, "http://127.0.0.1:8080/v25.0/act_1234/customaudiences"
                                 "?fields=id%2Cname&filtering=%5B%7B%22field%22%3A%22name%22%2C"
                                 "%22operator%22%3A%22EQUAL%22%2C%22value%22%3A%22vip%20%5C%22"
                                 "gold%5C%22%22%7D%5D&access_token=tok");
    assert_null(req.body);
    sgx_request_clear(&req);
    job.step = FB_STEP_CREATE;
    assert_int_equal(sgx_connector_facebook.prepare(ctx, &job, &req), SGX_OK);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.url, "http://127.0.0.1:8080/v25.0/act_1234/customaudiences");
    assert_string_equal(req.content_type, "application/x-www-form-urlencoded");
    assert_string_equal(req.body->data,
                        "name=vip%20%22gold%22&subtype=CUSTOM&customer_file_source="
                        "USER_PROVIDED_ONLY&description=Segment%20membership%20managed%20by%20"
                        "segexport&access_token=tok");
    sgx_request_clear(&req);
    /* Removals never create, and the upload needs the recorded id. */
    b.op = SGX_OP_EXIT;
    job.step = FB_STEP_SEARCH;
    assert_int_equal(sgx_connector_facebook.prepare(ctx, &job, &req), SGX_ERR_INVALID);
    b.op = SGX_OP_ENTER;
    job.step = FB_STEP_USERS;
    assert_int_equal(sgx_connector_facebook.prepare(ctx, &job, &req), SGX_ERR_INVALID);
    sgx_connector_facebook.destroy(ctx);
    ctx = fb_new(NULL); /* no ad account: nowhere to create */
    job.step = FB_STEP_SEARCH;
    assert_int_equal(sgx_connector_facebook.prepare(ctx, &job, &req), SGX_ERR_INVALID);
    sgx_connector_facebook.destroy(ctx);
}

typedef struct {
    int step;
    long status;
    const char *body;
    sgx_verdict_t verdict;
    int next_step;
    const char *created; /* expected created_audience_id or NULL */
    const char *kind;    /* "aud", "auth", "throttled" or "" */
} step_case_t;

#define SEG "vip"
static const step_case_t step_cases[] = {
    {0, 200, "{\"data\":[{\"id\":\"9\",\"name\":\"vip-old\"},{\"id\":\"555\",\"name\":\"vip\"}],"
             "\"paging\":{}}", SGX_CLS_NEXT_STEP, FB_STEP_USERS, "555", ""},
    {0, 200, "{\"data\":[],\"paging\":{}}", SGX_CLS_NEXT_STEP, FB_STEP_CREATE, NULL, ""},
    {0, 200, "{\"data\":[{\"id\":\"9\",\"name\":\"VIP\"}]}", SGX_CLS_NEXT_STEP, FB_STEP_CREATE,
     NULL, ""},
    {0, 200, "{\"data\":[{\"id\":\"9/x\",\"name\":\"vip\"}]}", SGX_CLS_NEXT_STEP,
     FB_STEP_CREATE, NULL, ""},
    {0, 400, "{\"error\":{\"code\":190,\"type\":\"OAuthException\"}}", SGX_CLS_FATAL, 1, NULL,
     "auth"},
    {0, 200, "{\"paging\":{}}", SGX_CLS_RETRY, 1, NULL, ""},
    {1, 200, "{\"id\":\"777\"}", SGX_CLS_NEXT_STEP, FB_STEP_USERS, "777", ""},
    {1, 200, "{}", SGX_CLS_RETRY, FB_STEP_SEARCH, NULL, ""},
    {1, 503, "Service Unavailable", SGX_CLS_RETRY, FB_STEP_SEARCH, NULL, ""},
    {1, 0, NULL, SGX_CLS_RETRY, FB_STEP_SEARCH, NULL, ""},
    {1, 400, "{\"error\":{\"code\":4,\"type\":\"OAuthException\"}}", SGX_CLS_RETRY, 2, NULL,
     "throttled"},
    {1, 400, "{\"error\":{\"code\":100,\"type\":\"OAuthException\"}}", SGX_CLS_FATAL, 2, NULL,
     "aud"},
    {1, 403, "{\"error\":{\"code\":200,\"error_subcode\":1870034}}", SGX_CLS_FATAL, 2, NULL,
     "auth"},
};

static const char *kind_of(const sgx_classification_t *c)
{
    if (c->verdict == SGX_CLS_FATAL) {
        return c->block_scope == SGX_BLOCK_AUDIENCE ? "aud" : c->block_auth ? "auth" : "dest";
    }
    return c->throttled ? "throttled" : "";
}

static void test_step_verdicts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof step_cases / sizeof step_cases[0]; i++) {
        const step_case_t *c = &step_cases[i];
        sgx_batch_t b = {.segment = SEG, .op = SGX_OP_ENTER, .nrows = 1};
        sgx_job_t job = {.batch = &b, .step = c->step};
        sgx_response_t resp = {.status = c->status, .transport_error = c->status ? 0 : 7,
                               .body = c->body, .body_len = c->body ? strlen(c->body) : 0};
        sgx_classification_t out = {.retry_after_ms = -1, .next_step = c->step + 1};
        sgx_connector_facebook.classify(NULL, &job, &resp, &out);
        bool created_ok = c->created ? out.created_audience_id &&
                                           strcmp(out.created_audience_id, c->created) == 0
                                     : out.created_audience_id == NULL;
        if (out.verdict != c->verdict || out.next_step != c->next_step || !created_ok ||
            strcmp(kind_of(&out), c->kind) != 0 || out.split) {
            fprintf(stderr, "case %zu: verdict %d next %d created %s kind %s reason %s\n", i,
                    out.verdict, out.next_step,
                    out.created_audience_id ? out.created_audience_id : "-", kind_of(&out),
                    out.reason);
            fail();
        }
        sgx_classification_clear(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_sized_by_url),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_search_and_create_requests),
        cmocka_unit_test(test_step_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
