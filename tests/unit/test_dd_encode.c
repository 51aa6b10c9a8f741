/* Dotdigital encoder and request builder: golden CSV and multipart bodies (written by hand,
 * tests/data/golden/dotdigital_*), configuration errors, URLs, auth and job-state requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/dd_test_rows.h"
#include "tests/unit/test_util.h"

static const char *const r1[] = {"jane@example.com", "Jane", "O'Neil, Jr", NULL};
static const char *const r2[] = {NULL, "Bob", "Smith", "SW1A 1AA"}; /* no e-mail: left out */
static const char *const r3[] = {"bob+tag@example.org", "Say \"hi\"", "Multi\nLine", "12345"};

typedef struct {
    sgx_row_t *rows[3];
    sgx_batch_t batch;
    void *ctx;
} fixture_t;

static void setup_fixture(fixture_t *f, sgx_op_t op)
{
    f->ctx = dd_ctx("EMAIL, FIRSTNAME,LASTNAME,POSTCODE", "http://127.0.0.1:9/", "250");
    assert_non_null(f->ctx);
    f->rows[0] = dd_row(r1, 4);
    f->rows[1] = dd_row(r2, 4);
    f->rows[2] = dd_row(r3, 4);
    f->batch = (sgx_batch_t){.audience_id = "424242", .op = op, .session_id = 0x1234,
                             .nrows = 3, .rows = (const sgx_row_t *const *)f->rows};
}

static void teardown_fixture(fixture_t *f)
{
    for (int i = 0; i < 3; i++) {
        sgx_free(f->rows[i]);
    }
    sgx_connector_dotdigital.destroy(f->ctx);
}

static void assert_golden(const sgx_buf_t *got, const char *name)
{
    size_t glen;
    char *golden = sgx_test_read_golden(name, &glen);
    if (got->len != glen || memcmp(got->data, golden, glen) != 0) {
        fprintf(stderr, "%s mismatch\n got: [%.*s]\nwant: [%s]\n", name, (int)got->len,
                got->data, golden);
        fail();
    }
    sgx_free(golden);
}

static void test_enter_csv_golden(void **state)
{
    (void)state;
    fixture_t f;
    setup_fixture(&f, SGX_OP_ENTER);
    sgx_buf_t out = {0};
    assert_int_equal(sgx_connector_dotdigital.encode(f.ctx, &f.batch, &out), SGX_OK);
    assert_golden(&out, "dotdigital_enter.csv");
    sgx_buf_free(&out);
    teardown_fixture(&f);
}

static void test_exit_csv_golden(void **state)
{
    (void)state;
    fixture_t f;
    setup_fixture(&f, SGX_OP_EXIT);
    sgx_buf_t out = {0};
    assert_int_equal(sgx_connector_dotdigital.encode(f.ctx, &f.batch, &out), SGX_OK);
    assert_golden(&out, "dotdigital_exit.csv");
    sgx_buf_free(&out);
    teardown_fixture(&f);
}

static void test_import_request_golden(void **state)
{
    (void)state;
    fixture_t f;
    setup_fixture(&f, SGX_OP_ENTER);
    sgx_buf_t body = {0};
    sgx_connector_dotdigital.encode(f.ctx, &f.batch, &body);
    sgx_job_t job = {.batch = &f.batch, .body = &body, .step = 0};
    sgx_request_t req = {0};
    assert_int_equal(sgx_connector_dotdigital.prepare(f.ctx, &job, &req), SGX_OK);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.url, "http://127.0.0.1:9/v2/address-books/424242/contacts/import");
    assert_string_equal(req.content_type,
                        "multipart/form-data; boundary=segexport-0000000000001234");
    assert_ptr_equal(req.body, &req.owned_body);
    assert_golden(&req.owned_body, "dotdigital_enter_multipart.txt");
    assert_true(sgx_test_has_header(&req, "Authorization: " DD_AUTH));
    assert_true(sgx_test_has_header(&req, "Host: r1-api.dotdigital.com"));
    sgx_request_clear(&req);
    sgx_buf_free(&body);
    teardown_fixture(&f);
}

/* A CSV that contains the boundary forces a longer one. */
static void test_boundary_collision(void **state)
{
    (void)state;
    sgx_buf_t csv = {0}, out = {0};
    char boundary[64];
    sgx_buf_puts(&csv, "Email\r\n\"--segexport-0000000000000007\"\r\n");
    sgx_dd_multipart(&csv, 7, &out, boundary);
    assert_string_equal(boundary, "segexport-0000000000000007x");
    assert_non_null(strstr(out.data, "\r\n--segexport-0000000000000007x--\r\n"));
    sgx_buf_free(&csv);
    sgx_buf_free(&out);
}

static void expect_request(void *ctx, const sgx_batch_t *b, int step, const char *state,
                           const char *method, const char *url, const char *body)
{
    sgx_job_t job = {.batch = b, .step = step, .state = state};
    sgx_request_t req = {0};
    assert_int_equal(sgx_connector_dotdigital.prepare(ctx, &job, &req), SGX_OK);
    assert_string_equal(req.method, method);
    assert_string_equal(req.url, url);
    if (body) {
        assert_non_null(req.body);
        assert_string_equal(req.body->data, body);
        assert_string_equal(req.content_type, "application/json");
    } else {
        assert_null(req.body);
    }
    assert_true(sgx_test_has_header(&req, "Authorization: " DD_AUTH));
    sgx_request_clear(&req);
}

static void test_step_requests(void **state)
{
    (void)state;
    fixture_t f;
    setup_fixture(&f, SGX_OP_ENTER);
    const char *base = "http://127.0.0.1:9/v2/";
    char url[256];
    snprintf(url, sizeof url, "%scontacts/import/%s", base, "0f8e-11aa");
    expect_request(f.ctx, &f.batch, 1, "0f8e-11aa 3", "GET", url, NULL);
    snprintf(url, sizeof url, "%scontacts/import/%s/report-faults", base, "0f8e-11aa");
    expect_request(f.ctx, &f.batch, 2, "0f8e-11aa 4", "GET", url, NULL);
    f.batch.op = SGX_OP_EXIT;
    /* the start reads the book's size */
    expect_request(f.ctx, &f.batch, 0, NULL, "GET", "http://127.0.0.1:9/v2/address-books/424242",
                   NULL);
    expect_request(f.ctx, &f.batch, 1, "S2000;;", "GET",
                   "http://127.0.0.1:9/v2/address-books/424242/contacts?withFullData=false&"
                   "select=1000&skip=2000", NULL);
    expect_request(f.ctx, &f.batch, 1, "R0;;", "GET",
                   "http://127.0.0.1:9/v2/contacts/jane@example.com", NULL);
    /* from row 1 (no e-mail) the next row with one is 2; '+' is escaped */
    expect_request(f.ctx, &f.batch, 1, "R1;;17", "GET",
                   "http://127.0.0.1:9/v2/contacts/bob%2Btag@example.org", NULL);
    /* rows the scan found (bit 0: row 0) are not resolved again */
    expect_request(f.ctx, &f.batch, 1, "R0;1;17", "GET",
                   "http://127.0.0.1:9/v2/contacts/bob%2Btag@example.org", NULL);
    expect_request(f.ctx, &f.batch, 2, "D3;;17,42", "POST",
                   "http://127.0.0.1:9/v2/address-books/424242/contacts/delete", "[17,42]");
    expect_request(f.ctx, &f.batch, 2, "T3000;5;17,42", "POST",
                   "http://127.0.0.1:9/v2/address-books/424242/contacts/delete", "[17,42]");
    /* a hostile guid or state is refused, never put in a URL */
    sgx_request_t req = {0};
    sgx_job_t job = {.batch = &f.batch, .step = 1, .state = "X9;1"};
    assert_int_equal(sgx_connector_dotdigital.prepare(f.ctx, &job, &req), SGX_ERR_INVALID);
    sgx_request_clear(&req);
    job.state = "D0;;";
    assert_int_equal(sgx_connector_dotdigital.prepare(f.ctx, &job, &req), SGX_ERR_INVALID);
    sgx_request_clear(&req);
    job.state = "S0;A;";
    assert_int_equal(sgx_connector_dotdigital.prepare(f.ctx, &job, &req), SGX_ERR_INVALID);
    sgx_request_clear(&req);
    job.state = "R0;;1;2";
    assert_int_equal(sgx_connector_dotdigital.prepare(f.ctx, &job, &req), SGX_ERR_INVALID);
    sgx_request_clear(&req);
    f.batch.op = SGX_OP_ENTER;
    job.state = "../../x 1";
    assert_int_equal(sgx_connector_dotdigital.prepare(f.ctx, &job, &req), SGX_ERR_INVALID);
    sgx_request_clear(&req);
    f.batch.audience_id = "12/../7";
    job.step = 0;
    assert_int_equal(sgx_connector_dotdigital.prepare(f.ctx, &job, &req), SGX_ERR_INVALID);
    sgx_request_clear(&req);
    teardown_fixture(&f);
}

static void test_config(void **state)
{
    (void)state;
    static const struct {
        const char *key, *val, *err;
    } bad[] = {
        {"fields", "FIRSTNAME,LASTNAME", "EMAIL is required"},
        {"fields", "EMAIL,PHONE", "unknown Dotdigital field 'PHONE'"},
        {"fields", "EMAIL,FN,FIRSTNAME", "FIRSTNAME listed twice"},
        {"region", "r4", "region must be r1, r2 or r3"},
        {"base_url", "ftp://x", "base_url must start with"},
        {"poll_interval_ms", "0", "poll_interval_ms must be"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *k[3] = {"api_user", "api_password", bad[i].key};
        const char *v[3] = {"u", "p", bad[i].val};
        sgx_dest_settings_t s = {"dd", 3, k, v};
        char errbuf[SGX_ERRBUF_SIZE] = "";
        void *ctx = NULL;
        assert_int_equal(sgx_connector_dotdigital.init(&s, &ctx, errbuf), SGX_ERR_CONFIG);
        if (!strstr(errbuf, bad[i].err)) {
            fail_msg("case %zu: '%s' lacks '%s'", i, errbuf, bad[i].err);
        }
    }
    const char *k[1] = {"api_user"};
    const char *v[1] = {"u"};
    sgx_dest_settings_t s = {"dd", 1, k, v};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    void *ctx = NULL;
    assert_int_equal(sgx_connector_dotdigital.init(&s, &ctx, errbuf), SGX_ERR_CONFIG);
    assert_non_null(strstr(errbuf, "api_password"));
    /* region picks the host; Meta-style names map to Dotdigital columns in the given order */
    const char *k2[4] = {"api_user", "api_password", "region", "fields"};
    const char *v2[4] = {"u", "p", "r3", "ZIP,EMAIL,GEN,FULLNAME"};
    sgx_dest_settings_t s2 = {"dd", 4, k2, v2};
    assert_int_equal(sgx_connector_dotdigital.init(&s2, &ctx, errbuf), SGX_OK);
    sgx_dd_ctx_t *dd = ctx;
    assert_string_equal(dd->base_url, "https://r3-api.dotdigital.com");
    assert_int_equal(dd->email_idx, 1);
    assert_string_equal(sgx_dd_column(dd->keys[0]), "POSTCODE");
    assert_string_equal(sgx_dd_column(dd->keys[2]), "GENDER");
    assert_string_equal(sgx_dd_column(dd->keys[3]), "FULLNAME");
    sgx_connector_dotdigital.destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enter_csv_golden),   cmocka_unit_test(test_exit_csv_golden),
        cmocka_unit_test(test_import_request_golden), cmocka_unit_test(test_boundary_collision),
        cmocka_unit_test(test_step_requests),      cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
