/* Microsoft Advertising bulk file and requests: golden CSV files (written by hand with printf,
 * BOM and CRLF included), list-id validation, and the four steps' requests (URL, method,
 * headers, JSON bodies, the multipart wrapper around the exact file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/microsoft_ads/msads.h"
#include "base/mem.h"
#include "tests/unit/test_util.h"

#define H1 "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
#define H2 "7f73355bf032dcbb8e5a3f51f1e4a8ba92ef1344de2d95382634cf91da6d6181"

static void *ctx_new(void)
{
    const char *k[] = {"customer_id", "account_id", "developer_token", "client_id",
                       "refresh_token", "base_url", "poll_interval_ms", "campaign_url"};
    const char *v[] = {"111", "222", "dev-tok", "cid", "rt", "http://h:1/", "1000", "http://c:2/"};
    sgx_dest_settings_t s = {"ms", 8, k, v};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    void *ctx = NULL;
    assert_int_equal(sgx_connector_microsoft_ads.init(&s, &ctx, errbuf), SGX_OK);
    return ctx;
}

static sgx_row_t *row_digest(const char *hex)
{
    sgx_row_t *r = sgx_calloc(1, sizeof *r + 32);
    for (int i = 0; i < 32; i++) {
        unsigned b;
        sscanf(hex + 2 * i, "%2x", &b);
        r->data[i] = (unsigned char)b;
    }
    r->nvals = 1;
    r->vals[0] = (sgx_row_val_t){.kind = SGX_VAL_DIGEST, .len = 32, .off = 0};
    r->data_len = 32;
    return r;
}

static void check_golden(const sgx_batch_t *b, const char *golden)
{
    void *ctx = ctx_new();
    sgx_buf_t out = {0};
    assert_int_equal(sgx_connector_microsoft_ads.encode(ctx, b, &out), SGX_OK);
    size_t len;
    char *want = sgx_test_read_golden(golden, &len);
    if (out.len != len || memcmp(out.data, want, len) != 0) {
        fail_msg("%s differs:\n--- got (%zu bytes)\n%s\n--- want (%zu bytes)\n%s", golden,
                 out.len, out.data, len, want);
    }
    sgx_free(want);
    sgx_buf_free(&out);
    sgx_connector_microsoft_ads.destroy(ctx);
}

static void test_golden_add(void **state)
{
    (void)state;
    sgx_row_t *r[2] = {row_digest(H1), row_digest(H2)};
    sgx_batch_t b = {.audience_id = "5000001", .segment = "seg", .op = SGX_OP_ENTER, .nrows = 2,
                     .rows = (const sgx_row_t *const *)r};
    check_golden(&b, "msads_add.csv");
    sgx_free(r[0]);
    sgx_free(r[1]);
}

static void test_golden_new_list_add(void **state)
{
    (void)state;
    sgx_row_t *r[1] = {row_digest(H1)};
    sgx_batch_t b = {.audience_id = NULL, .segment = "VIP, \"gold\"", .op = SGX_OP_ENTER,
                     .nrows = 1, .rows = (const sgx_row_t *const *)r};
    check_golden(&b, "msads_new_list_add.csv");
    sgx_free(r[0]);
}

/* A new Customer List ignores Action Type and adds its items: a removal never creates one. */
static void test_remove_never_creates(void **state)
{
    (void)state;
    void *ctx = ctx_new();
    sgx_row_t *r[1] = {row_digest(H1)};
    sgx_batch_t b = {.audience_id = NULL, .segment = "seg", .op = SGX_OP_EXIT, .nrows = 1,
                     .rows = (const sgx_row_t *const *)r};
    sgx_buf_t out = {0};
    assert_int_equal(sgx_connector_microsoft_ads.encode(ctx, &b, &out), SGX_ERR_INVALID);
    assert_null(out.data ? strstr(out.data, "Customer List,Active") : NULL);
    sgx_buf_free(&out);
    sgx_free(r[0]);
    sgx_connector_microsoft_ads.destroy(ctx);
}

static void test_bad_list_id(void **state)
{
    (void)state;
    void *ctx = ctx_new();
    sgx_row_t *r[1] = {row_digest(H1)};
    sgx_batch_t b = {.audience_id = "12,3", .op = SGX_OP_ENTER, .nrows = 1,
                     .rows = (const sgx_row_t *const *)r};
    sgx_buf_t out = {0};
    assert_int_equal(sgx_connector_microsoft_ads.encode(ctx, &b, &out), SGX_ERR_INVALID);
    sgx_buf_free(&out);
    sgx_free(r[0]);
    sgx_connector_microsoft_ads.destroy(ctx);
}

/* REST calls as the REST SDK sends them (service_client.py create_rest_headers); the upload
 * as the PyPI SDK and the upload guide do (bulk_service_manager.py _upload_file_by_url). */
static void check_api_headers(const sgx_request_t *req, const char *account_header)
{
    char want[64];
    bool upload = strcmp(account_header, "AccountId") == 0;
    snprintf(want, sizeof want, "%s: 222", account_header);
    assert_true(sgx_test_has_header(req, upload ? "AuthenticationToken: at-1"
                                                : "Authorization: Bearer at-1"));
    assert_false(sgx_test_has_header(req, upload ? "Authorization: Bearer at-1"
                                                 : "AuthenticationToken: at-1"));
    assert_true(sgx_test_has_header(req, "DeveloperToken: dev-tok"));
    assert_true(sgx_test_has_header(req, "CustomerId: 111"));
    assert_true(sgx_test_has_header(req, want));
    assert_int_equal(req->nheaders, 4);
}

static void test_prepare_steps(void **state)
{
    (void)state;
    void *ctx = ctx_new();
    sgx_row_t *r[1] = {row_digest(H1)};
    sgx_batch_t b = {.audience_id = "5000001", .op = SGX_OP_ENTER, .nrows = 1, .session_id = 7,
                     .rows = (const sgx_row_t *const *)r};
    sgx_buf_t csv = {0};
    assert_int_equal(sgx_connector_microsoft_ads.encode(ctx, &b, &csv), SGX_OK);
    sgx_job_t job = {.batch = &b, .body = &csv, .step = 0, .auth_token = "at-1"};
    sgx_request_t req = {0};

    assert_int_equal(sgx_connector_microsoft_ads.prepare(ctx, &job, &req), SGX_OK);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.url, "http://h:1/Bulk/v13/BulkUploadUrl/Query");
    /* AccountId is a string in the REST schema (GetBulkUploadUrlRequest: StrictStr). */
    assert_string_equal(req.body->data,
                        "{\"ResponseMode\":\"ErrorsAndResults\",\"AccountId\":\"222\"}");
    check_api_headers(&req, "CustomerAccountId");
    sgx_request_clear(&req);

    job.step = 1;
    job.state = "req-9\nhttp://up/load/1\n0\n";
    assert_int_equal(sgx_connector_microsoft_ads.prepare(ctx, &job, &req), SGX_OK);
    assert_string_equal(req.url, "http://up/load/1");
    assert_string_equal(req.content_type, "multipart/form-data; boundary=sgx-msads-0000000000000007");
    const char *head = "--sgx-msads-0000000000000007\r\nContent-Disposition: form-data; "
                       "name=\"file\"; filename=\"upload.csv\"\r\nContent-Type: text/csv\r\n\r\n";
    const char *tail = "\r\n--sgx-msads-0000000000000007--\r\n";
    assert_int_equal(req.body->len, strlen(head) + csv.len + strlen(tail));
    assert_memory_equal(req.body->data, head, strlen(head));
    assert_memory_equal(req.body->data + strlen(head), csv.data, csv.len);
    assert_string_equal(req.body->data + strlen(head) + csv.len, tail);
    check_api_headers(&req, "AccountId");
    sgx_request_clear(&req);

    job.step = 2;
    assert_int_equal(sgx_connector_microsoft_ads.prepare(ctx, &job, &req), SGX_OK);
    assert_string_equal(req.url, "http://h:1/Bulk/v13/BulkUploadStatus/Query");
    assert_string_equal(req.body->data, "{\"RequestId\":\"req-9\"}");
    check_api_headers(&req, "CustomerAccountId");
    sgx_request_clear(&req);

    job.step = 3;
    assert_int_equal(sgx_connector_microsoft_ads.prepare(ctx, &job, &req), SGX_ERR_INVALID);
    sgx_request_clear(&req);
    job.state = "req-9\nhttp://up/load/1\n4\nhttp://files/r.csv";
    assert_int_equal(sgx_connector_microsoft_ads.prepare(ctx, &job, &req), SGX_OK);
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.url, "http://files/r.csv");
    assert_int_equal(req.nheaders, 0); /* no credentials to the file host */
    sgx_request_clear(&req);

    job.step = 0;
    job.auth_token = NULL;
    assert_int_equal(sgx_connector_microsoft_ads.prepare(ctx, &job, &req), SGX_ERR_INVALID);
    sgx_request_clear(&req);
    sgx_buf_free(&csv);
    sgx_free(r[0]);
    sgx_connector_microsoft_ads.destroy(ctx);
}

/* A batch whose list is not known: step 0 is the find (GetAudiencesByIds through the REST
 * adapter, Type only); once it found a list, the file built to create one is uploaded rebuilt
 * for the found id; when it found none (state "create") step 0 is the upload URL and the file
 * goes as built. */
static void test_prepare_find(void **state)
{
    (void)state;
    void *ctx = ctx_new();
    sgx_row_t *r[1] = {row_digest(H1)};
    sgx_batch_t b = {.segment = "seg-b", .op = SGX_OP_ENTER, .nrows = 1, .session_id = 7,
                     .rows = (const sgx_row_t *const *)r};
    sgx_buf_t csv = {0};
    assert_int_equal(sgx_connector_microsoft_ads.encode(ctx, &b, &csv), SGX_OK);
    assert_true(sgx_msads_body_creates(&csv));
    sgx_job_t job = {.batch = &b, .body = &csv, .step = 0, .auth_token = "at-1"};
    sgx_request_t req = {0};
    assert_int_equal(sgx_connector_microsoft_ads.prepare(ctx, &job, &req), SGX_OK);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.url, "http://c:2/CampaignManagement/v13/Audiences/QueryByIds");
    assert_string_equal(req.content_type, "application/json");
    assert_string_equal(req.body->data, "{\"Type\":\"CustomerList\"}");
    check_api_headers(&req, "CustomerAccountId");
    sgx_request_clear(&req);

    job.state = SGX_MSADS_STATE_CREATE; /* found nothing: the upload URL */
    assert_int_equal(sgx_connector_microsoft_ads.prepare(ctx, &job, &req), SGX_OK);
    assert_string_equal(req.url, "http://h:1/Bulk/v13/BulkUploadUrl/Query");
    sgx_request_clear(&req);
    job.step = 1;
    job.state = "req-9\nhttp://up/load/1\n0\n";
    assert_int_equal(sgx_connector_microsoft_ads.prepare(ctx, &job, &req), SGX_OK);
    assert_non_null(memmem(req.body->data, req.body->len, csv.data, csv.len)); /* as built */
    sgx_request_clear(&req);

    b.audience_id = "9100000001"; /* found: what the core records from created_audience_id */
    sgx_buf_t want = {0};
    assert_int_equal(sgx_connector_microsoft_ads.encode(ctx, &b, &want), SGX_OK);
    assert_false(sgx_msads_body_creates(&want));
    assert_int_equal(sgx_connector_microsoft_ads.prepare(ctx, &job, &req), SGX_OK);
    assert_non_null(memmem(req.body->data, req.body->len, want.data, want.len));
    assert_null(memmem(req.body->data, req.body->len, ",-1,", 4));
    sgx_request_clear(&req);
    job.step = 0;
    job.state = NULL; /* a known list: step 0 is the upload URL again */
    assert_int_equal(sgx_connector_microsoft_ads.prepare(ctx, &job, &req), SGX_OK);
    assert_string_equal(req.url, "http://h:1/Bulk/v13/BulkUploadUrl/Query");
    sgx_request_clear(&req);
    sgx_buf_free(&want);
    sgx_buf_free(&csv);
    sgx_free(r[0]);
    sgx_connector_microsoft_ads.destroy(ctx);
}

static void test_auth_request(void **state)
{
    (void)state;
    void *ctx = ctx_new();
    sgx_request_t req = {0};
    assert_int_equal(sgx_connector_microsoft_ads.auth_prepare(ctx, &req), SGX_OK);
    assert_string_equal(req.url, "https://login.microsoftonline.com/common/oauth2/v2.0/token");
    assert_string_equal(req.body->data,
                        "grant_type=refresh_token&client_id=cid&scope="
                        "https%3A%2F%2Fads.microsoft.com%2Fmsads.manage&refresh_token=rt");
    sgx_request_clear(&req);
    /* A rotated refresh token the core kept replaces the configured one. */
    assert_int_equal(sgx_connector_microsoft_ads.auth_prepare_refresh(ctx, "new+1", &req), SGX_OK);
    assert_string_equal(req.body->data,
                        "grant_type=refresh_token&client_id=cid&scope="
                        "https%3A%2F%2Fads.microsoft.com%2Fmsads.manage&refresh_token=new%2B1");
    sgx_request_clear(&req);
    char *tok = NULL, reason[128] = "";
    int64_t ttl = 0;
    const char *ok = "{\"access_token\":\"AT\",\"expires_in\":3599,\"refresh_token\":\"n\"}";
    sgx_response_t resp = {.status = 200, .body = ok, .body_len = strlen(ok)};
    assert_int_equal(sgx_connector_microsoft_ads.auth_parse(ctx, &resp, &tok, &ttl, reason), SGX_OK);
    assert_string_equal(tok, "AT");
    assert_int_equal(ttl, 3599000);
    sgx_free(tok);
    char *rotated = sgx_connector_microsoft_ads.auth_rotated(ctx, &resp);
    assert_string_equal(rotated, "n");
    sgx_free(rotated);
    const char *bad = "{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS70000 x@y\"}";
    resp = (sgx_response_t){.status = 400, .body = bad, .body_len = strlen(bad)};
    assert_int_not_equal(sgx_connector_microsoft_ads.auth_parse(ctx, &resp, &tok, &ttl, reason),
                         SGX_OK);
    assert_string_equal(reason, "oauth_error http=400 error=invalid_grant");
    assert_null(sgx_connector_microsoft_ads.auth_rotated(ctx, &resp));
    sgx_connector_microsoft_ads.destroy(ctx);
}

static void test_config_errors(void **state)
{
    (void)state;
    const char *k[] = {"customer_id", "account_id", "developer_token", "client_id",
                       "refresh_token"};
    const char *v[] = {"12a", "222", "d", "c", "r"};
    sgx_dest_settings_t s = {"ms", 5, k, v};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    void *ctx = NULL;
    assert_int_equal(sgx_connector_microsoft_ads.init(&s, &ctx, errbuf), SGX_ERR_CONFIG);
    assert_non_null(strstr(errbuf, "customer_id"));
    s.nsettings = 4; /* no refresh_token */
    v[0] = "1";
    assert_int_equal(sgx_connector_microsoft_ads.init(&s, &ctx, errbuf), SGX_ERR_CONFIG);
    assert_non_null(strstr(errbuf, "refresh_token"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_add),     cmocka_unit_test(test_golden_new_list_add),
        cmocka_unit_test(test_remove_never_creates),
        cmocka_unit_test(test_bad_list_id),    cmocka_unit_test(test_prepare_steps),
        cmocka_unit_test(test_prepare_find),
        cmocka_unit_test(test_auth_request),   cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
