/* Microsoft Advertising verdicts: one table row per (step, status, body) and result-file cases
 * (per-row errors by Client Id, created list id, list-level 8003, unparsable files). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/microsoft_ads/msads.h"
#include "base/mem.h"
#include "emulators/msads_priv.h" /* builds ZIPs independently of the connector */

#define ST "req-1\nhttp://up/1\n0\n"
#define ST_RES "req-1\nhttp://up/1\n0\nhttp://files/r"

typedef struct {
    int step;
    const char *state;
    bool new_list;
    long status;
    const char *body;
    const char *headers;
    sgx_verdict_t verdict;
    int next_step;        /* checked for NEXT_STEP */
    int64_t retry_after;  /* -2: not checked */
    const char *reason;   /* prefix */
    const char *new_state; /* prefix of out->state, NULL: must be NULL */
} case_t;

#define E(code, name) "{\"TrackingId\":\"t\",\"Code\":" #code ",\"ErrorCode\":\"" name "\",\"Message\":\"x@y.z\"}"
#define OPE(code, name) "{\"TrackingId\":\"t\",\"OperationErrors\":[{\"Code\":" #code ",\"ErrorCode\":\"" name "\",\"Message\":\"m\"}]}"
#define STATUS(s) "{\"RequestStatus\":\"" s "\",\"PercentComplete\":50,\"ResultFileUrl\":\"http://files/r\",\"Errors\":null}"

#define AUD(type, id, name) "{\"Type\":\"" type "\",\"Id\":\"" id "\",\"Name\":\"" name "\"}"
#define FOUND(items) "{\"Audiences\":[" items "],\"PartialErrors\":[]}"
#define ADE(code, name) "{\"TrackingId\":\"t\",\"Type\":\"AdApiFaultDetail\",\"Errors\":[{\"Code\":" #code ",\"ErrorCode\":\"" name "\",\"Message\":\"m\"}]}"

static const case_t cases[] = {
    /* step 0 of a batch without a list id: the find (the batch's segment is NULL: the list
     * is named "segexport") */
    {0, NULL, true, 200, FOUND(AUD("CustomerList", "77", "segexport")), NULL, SGX_CLS_NEXT_STEP,
     0, 0, "msads_list_found lists_with_name=1", NULL},
    {0, NULL, true, 200, FOUND(AUD("CustomerList", "77", "other") ",null,"
                               AUD("RemarketingList", "78", "segexport")),
     NULL, SGX_CLS_NEXT_STEP, 0, 0, "msads_list_not_found", SGX_MSADS_STATE_CREATE},
    {0, NULL, true, 200, "{\"Audiences\":null,\"PartialErrors\":null}", NULL,
     SGX_CLS_NEXT_STEP, 0, 0, "msads_list_not_found", SGX_MSADS_STATE_CREATE},
    {0, NULL, true, 200, "{\"PartialErrors\":[]}", NULL, SGX_CLS_RETRY, 0, -2,
     "msads_unexpected_reply step=find", NULL},
    {0, NULL, true, 200, "<html/>", NULL, SGX_CLS_RETRY, 0, -2,
     "msads_unexpected_reply step=find", NULL},
    {0, NULL, true, 401, ADE(109, "AuthenticationTokenExpired"), NULL, SGX_CLS_REAUTH, 0, -2,
     "msads_error code=109", NULL},
    {0, NULL, true, 400, OPE(117, "CallRateExceeded"), NULL, SGX_CLS_RETRY, 0, 60000,
     "msads_error code=117", NULL},
    {0, NULL, true, 503, "down", NULL, SGX_CLS_RETRY, 0, -2, "http_status=503", NULL},
    /* the find found nothing: step 0 is the upload URL of the creating file */
    {0, SGX_MSADS_STATE_CREATE, true, 200, "{\"RequestId\":\"req-1\",\"UploadUrl\":\"http://up/1\"}",
     NULL, SGX_CLS_NEXT_STEP, 1, 0, "upload url received", "req-1\nhttp://up/1\n0\n"},
    /* step 0 */
    {0, NULL, false, 200, "{\"RequestId\":\"req-1\",\"UploadUrl\":\"http://up/1\"}", NULL,
     SGX_CLS_NEXT_STEP, 1, 0, "upload url received", "req-1\nhttp://up/1\n0\n"},
    {0, NULL, false, 200, "{\"RequestId\":\"req 1\",\"UploadUrl\":\"http://up/1\"}", NULL,
     SGX_CLS_RETRY, 0, -2, "msads_unexpected_reply step=0", NULL},
    {0, NULL, false, 200, "{\"RequestId\":\"r\",\"UploadUrl\":\"ftp://x\"}", NULL,
     SGX_CLS_RETRY, 0, -2, "msads_unexpected_reply", NULL},
    {0, NULL, false, 401, E(109, "AuthenticationTokenExpired"), NULL, SGX_CLS_REAUTH, 0, -2,
     "msads_error code=109", NULL},
    {0, NULL, false, 401, "", NULL, SGX_CLS_REAUTH, 0, -2, "http_status=401", NULL},
    {0, NULL, false, 400, OPE(4204, "BulkServiceNoMoreCallsPermittedForTheTimePeriod"), NULL,
     SGX_CLS_RETRY, 0, 7000, "msads_error code=4204 BulkServiceNoMore", NULL},
    {0, NULL, false, 400, OPE(4204, "X"), "Retry-After: 30\r\n", SGX_CLS_RETRY, 0, 30000,
     "msads_error code=4204", NULL},
    {0, NULL, false, 400, OPE(8003, "CustomerListTermsAndConditionsNotAccepted"), NULL,
     SGX_CLS_FATAL, 0, -2, "msads 8003 CustomerListTermsAndConditionsNotAccepted: accept", NULL},
    {0, NULL, false, 400, E(105, "InvalidCredentials"), NULL, SGX_CLS_FATAL, 0, -2,
     "msads_error code=105 InvalidCredentials: check developer_token", NULL},
    {0, NULL, false, 503, "busy", NULL, SGX_CLS_RETRY, 0, -2, "http_status=503", NULL},
    {0, NULL, false, 0, NULL, NULL, SGX_CLS_RETRY, 0, -2, "transport_error step=0", NULL},
    {0, NULL, false, 400, E(1234, "Other"), NULL, SGX_CLS_REJECTED, 0, -2,
     "msads_error code=1234 Other", NULL},
    /* step 1 */
    {1, ST, false, 200, "{\"TrackingId\":\"t\"}", NULL, SGX_CLS_NEXT_STEP, 2, 7 * 1000,
     "file uploaded", NULL},
    {1, ST, false, 400, E(3224, "BulkServiceUrlAlreadyUsedForUpload"), NULL, SGX_CLS_NEXT_STEP,
     0, 0, "msads_error code=3224", NULL},
    /* 3226 expired: a new URL; 3225 too many rows: split; 3227: wait and retry. */
    {1, ST, false, 400, E(3226, "BulkServiceUrlExpired"), NULL, SGX_CLS_NEXT_STEP, 0, 0,
     "msads_error code=3226", NULL},
    {1, ST, false, 400, E(3225, "BulkServiceFileRowCountExceeded"), NULL, SGX_CLS_SPLIT, 0, -2,
     "msads_error code=3225", NULL},
    {1, ST, false, 400, E(3227, "BulkServiceTooManyRequests"), NULL, SGX_CLS_RETRY, 0, 7000,
     "msads_error code=3227", NULL},
    {1, ST, false, 400, E(3227, "BulkServiceTooManyRequests"), "Retry-After: 12\r\n",
     SGX_CLS_RETRY, 0, 12000, "msads_error code=3227", NULL},
    /* The symbolic name decides when the number differs. */
    {1, ST, false, 400, E(3299, "BulkServiceUrlExpired"), NULL, SGX_CLS_NEXT_STEP, 0, 0,
     "msads_error code=3299", NULL},
    {1, ST, false, 401, E(105, "InvalidCredentials"), NULL, SGX_CLS_REAUTH, 0, -2,
     "msads_error code=105", NULL},
    {1, ST, false, 400, E(3220, "BulkServiceNoFileInUpload"), NULL, SGX_CLS_REJECTED, 0,
     -2, "msads_error code=3220", NULL},
    /* step 2 */
    {2, ST, false, 200, STATUS("InProgress"), NULL, SGX_CLS_NEXT_STEP, 2, 7000,
     "msads_upload_status=InProgress polls=1", "req-1\nhttp://up/1\n1\n"},
    {2, "req-1\nhttp://up/1\n4\n", false, 200, STATUS("FileUploaded"), NULL, SGX_CLS_NEXT_STEP,
     2, 7000, "msads_upload_status=FileUploaded polls=5", "req-1\nhttp://up/1\n5\n"},
    {2, ST, false, 200, STATUS("Completed"), NULL, SGX_CLS_DELIVERED, 0, -2,
     "msads_upload_status=Completed", NULL},
    {2, ST, true, 200, STATUS("Completed"), NULL, SGX_CLS_NEXT_STEP, 3, 0,
     "msads_upload_status=Completed", ST_RES},
    {2, ST, false, 200, STATUS("CompletedWithErrors"), NULL, SGX_CLS_NEXT_STEP, 3, 0,
     "msads_upload_status=CompletedWithErrors", ST_RES},
    {2, ST, false, 200, STATUS("Failed"), NULL, SGX_CLS_REJECTED, 0, -2,
     "msads_upload_status=Failed", NULL},
    {2, ST, false, 200, STATUS("UploadFileRowCountExceeded"), NULL, SGX_CLS_SPLIT, 0, -2,
     "msads_upload_status=UploadFileRowCountExceeded", NULL},
    /* Final as in the SDK's get_status()/track(): never polled again. */
    {2, ST, false, 200, STATUS("Expired"), NULL, SGX_CLS_REJECTED, 0, -2,
     "msads_upload_status=Expired", NULL},
    {2, ST, false, 200, STATUS("Aborted"), NULL, SGX_CLS_REJECTED, 0, -2,
     "msads_upload_status=Aborted", NULL},
    {2, ST, false, 200, STATUS("SomethingNew"), NULL, SGX_CLS_REJECTED, 0, -2,
     "msads_upload_status=SomethingNew", NULL},
    {2, ST, false, 200, STATUS("PendingFileUpload"), NULL, SGX_CLS_NEXT_STEP, 2, 7000,
     "msads_upload_status=PendingFileUpload polls=1", "req-1\nhttp://up/1\n1\n"},
    {2, ST, false, 200, STATUS("UploadFileFormatNotSupported"), NULL, SGX_CLS_REJECTED, 0, -2,
     "msads_upload_status=UploadFileFormatNotSupported", NULL},
    {2, ST, false, 400, OPE(4204, "X"), NULL, SGX_CLS_RETRY, 0, 7000, "msads_error code=4204",
     NULL},
    {2, ST, false, 401, "", NULL, SGX_CLS_REAUTH, 0, -2, "http_status=401", NULL},
    /* step 3 transport-level */
    {3, ST_RES, false, 404, "gone", NULL, SGX_CLS_NEXT_STEP, 2, 0,
     "msads_result_file http_status=404", NULL},
    {3, ST_RES, false, 500, "x", NULL, SGX_CLS_RETRY, 0, -2, "http_status=500", NULL},
    {3, ST_RES, false, 200, "<html>proxy</html>", NULL, SGX_CLS_RETRY, 0, -2,
     "msads_unparsable_result_file", NULL},
};

static void *ctx_new(void)
{
    const char *k[] = {"customer_id", "account_id", "developer_token", "client_id",
                       "refresh_token", "poll_interval_ms", "throttle_wait_ms"};
    const char *v[] = {"1", "2", "d", "c", "r", "7000", "7000"};
    sgx_dest_settings_t s = {"ms", 7, k, v};
    char errbuf[SGX_ERRBUF_SIZE];
    void *ctx = NULL;
    assert_int_equal(sgx_connector_microsoft_ads.init(&s, &ctx, errbuf), SGX_OK);
    return ctx;
}

/* The list of the find: exact name (segment cut to 128 bytes), CustomerList only, the
 * smallest id of several (replicas that both created one settle on the same). */
static void test_find_picks_list(void **state)
{
    (void)state;
    void *ctx = ctx_new();
    char seg[201], name[129], body[2048];
    memset(seg, 'a', 200);
    seg[200] = '\0';
    memcpy(name, seg, 128);
    name[128] = '\0';
    snprintf(body, sizeof body,
             "{\"Audiences\":[{\"Type\":\"CustomerList\",\"Id\":\"12345678901\",\"Name\":\"%s\"},"
             "{\"Type\":\"CustomerList\",\"Id\":\"5\",\"Name\":\"%.127s\"},"
             "{\"Type\":\"CustomerList\",\"Id\":\"4\",\"Name\":\"%sA\"},"
             "{\"Type\":\"RemarketingList\",\"Id\":\"3\",\"Name\":\"%s\"},"
             "{\"Type\":\"CustomerList\",\"Id\":\"x9\",\"Name\":\"%s\"},"
             "{\"Type\":\"CustomerList\",\"Id\":900,\"Name\":\"%s\"}],\"PartialErrors\":[]}",
             name, name, name, name, name, name);
    sgx_batch_t b = {.segment = seg, .op = SGX_OP_ENTER};
    sgx_job_t job = {.batch = &b, .step = 0};
    assert_int_equal(sgx_msads_step(&job), SGX_MSADS_STEP_FIND);
    sgx_response_t resp = {.status = 200, .body = body, .body_len = strlen(body)};
    sgx_classification_t out = {.retry_after_ms = -1, .next_step = 1};
    sgx_connector_microsoft_ads.classify(ctx, &job, &resp, &out);
    assert_int_equal(out.verdict, SGX_CLS_NEXT_STEP);
    assert_int_equal(out.next_step, SGX_MSADS_STEP_URL);
    assert_string_equal(out.created_audience_id, "900");
    assert_null(out.state);
    assert_string_equal(out.reason, "msads_list_found lists_with_name=2");
    sgx_classification_clear(&out);
    b.audience_id = "900"; /* recorded by the core: step 0 is the upload URL now */
    assert_int_equal(sgx_msads_step(&job), SGX_MSADS_STEP_URL);
    sgx_connector_microsoft_ads.destroy(ctx);
}

static void test_table(void **state)
{
    (void)state;
    void *ctx = ctx_new();
    sgx_row_t *rows[3] = {NULL, NULL, NULL};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const case_t *c = &cases[i];
        sgx_batch_t b = {.audience_id = c->new_list ? NULL : "5", .nrows = 3,
                         .rows = (const sgx_row_t *const *)rows};
        sgx_job_t job = {.batch = &b, .step = c->step, .state = c->state};
        sgx_response_t resp = {.status = c->status, .transport_error = c->status == 0,
                               .body = c->body, .body_len = c->body ? strlen(c->body) : 0,
                               .headers = c->headers};
        sgx_classification_t out = {.retry_after_ms = -1, .next_step = c->step + 1};
        sgx_connector_microsoft_ads.classify(ctx, &job, &resp, &out);
        if (out.verdict != c->verdict || strncmp(out.reason, c->reason, strlen(c->reason)) != 0 ||
            (c->verdict == SGX_CLS_NEXT_STEP && out.next_step != c->next_step) ||
            (c->retry_after != -2 && out.retry_after_ms != c->retry_after) ||
            (!c->new_state && out.state) ||
            (c->new_state && (!out.state || strcmp(out.state, c->new_state) != 0))) {
            fail_msg("case %zu (step %d, %ld): verdict %d next %d after %lld reason '%s' "
                     "state '%s'", i, c->step, c->status, out.verdict, out.next_step,
                     (long long)out.retry_after_ms, out.reason, out.state ? out.state : "(null)");
        }
        assert_null(strstr(out.reason, "x@y.z")); /* Message never copied */
        sgx_classification_clear(&out);
    }
    sgx_connector_microsoft_ads.destroy(ctx);
}

#define RHDR "\xEF\xBB\xBFType,Status,Id,Parent Id,Client Id,Modified Time,Name,Description,Scope,Audience,Action Type,Sub Type,Text,Error,Error Number\r\nFormat Version,,,,,,6.0,,,,,,,,\r\n"

static void classify_file(const char *file, bool new_list, size_t nrows,
                          sgx_classification_t *out)
{
    void *ctx = ctx_new();
    sgx_batch_t b = {.audience_id = new_list ? NULL : "5", .nrows = nrows};
    sgx_job_t job = {.batch = &b, .step = 3, .state = ST_RES};
    sgx_response_t resp = {.status = 200, .body = file, .body_len = strlen(file)};
    *out = (sgx_classification_t){.retry_after_ms = -1, .next_step = 4};
    sgx_connector_microsoft_ads.classify(ctx, &job, &resp, out);
    sgx_connector_microsoft_ads.destroy(ctx);
}

static void test_result_partial(void **state)
{
    (void)state;
    const char *f = RHDR
        "Customer List,,5,,list,,,,Customer,,Add,,,,\r\n"
        "Customer List Item,,,5,r0,,,,,,,Email,aa,,\r\n"
        "Customer List Item Error,,,5,r3,,,,,,,Email,zz,EmailMustBeHashed,8004\r\n"
        "Customer List Item Error,,,5,r1,,,,,,,Email,\"a,b\",\"Bad\"\"Name\",8002\r\n"
        "Customer List Item Error,,,5,r3,,,,,,,Email,zz,EmailMustBeHashed,8004\r\n";
    sgx_classification_t out;
    classify_file(f, false, 5, &out);
    assert_int_equal(out.verdict, SGX_CLS_PARTIAL);
    assert_int_equal(out.nrejected, 2);
    assert_int_equal(out.rejected_idx[0], 1);
    assert_int_equal(out.rejected_idx[1], 3);
    assert_string_equal(out.row_reasons[0], "msads_row_error code=8002 "); /* unsafe name dropped */
    assert_string_equal(out.row_reasons[1], "msads_row_error code=8004 EmailMustBeHashed");
    assert_string_equal(out.reason, "msads_result rows_failed=2 of 5");
    assert_null(out.created_audience_id);
    sgx_classification_clear(&out);
}

static void test_result_created(void **state)
{
    (void)state;
    const char *f = RHDR "Customer List,Active,9100000001,,list,,,,Customer,seg,Add,,,,\r\n"
                         "Customer List Item,,,9100000001,r0,,,,,,,Email,aa,,\r\n";
    sgx_classification_t out;
    classify_file(f, true, 1, &out);
    assert_int_equal(out.verdict, SGX_CLS_DELIVERED);
    assert_string_equal(out.created_audience_id, "9100000001");
    sgx_classification_clear(&out);
    const char *missing = RHDR "Customer List Item,,,-1,r0,,,,,,,Email,aa,,\r\n";
    classify_file(missing, true, 1, &out);
    assert_int_equal(out.verdict, SGX_CLS_REJECTED);
    assert_string_equal(out.reason, "msads_created_list_id_missing");
    sgx_classification_clear(&out);
    /* Unmappable Client Id (out of range): cannot tell which row failed. */
    const char *unmapped = RHDR "Customer List Item Error,,,5,r9,,,,,,,Email,aa,EmailMustBeHashed,8004\r\n";
    classify_file(unmapped, false, 2, &out);
    assert_int_equal(out.verdict, SGX_CLS_REJECTED);
    assert_string_equal(out.reason, "msads_unmapped_row_errors=1");
    sgx_classification_clear(&out);
}

static void classify_bytes(const char *file, size_t len, sgx_classification_t *out)
{
    void *ctx = ctx_new();
    sgx_batch_t b = {.audience_id = "5", .nrows = 5};
    sgx_job_t job = {.batch = &b, .step = 3, .state = ST_RES};
    sgx_response_t resp = {.status = 200, .body = file, .body_len = len};
    *out = (sgx_classification_t){.retry_after_ms = -1, .next_step = 4};
    sgx_connector_microsoft_ads.classify(ctx, &job, &resp, out);
    sgx_connector_microsoft_ads.destroy(ctx);
}

/* The service serves the result file as a ZIP (the SDKs always unzip it): the rows inside are
 * read as from the CSV; a truncated archive is fetched again, never taken as a result. */
static void test_result_zip(void **state)
{
    (void)state;
    const char *csv = RHDR "Customer List,,5,,list,,,,Customer,,Add,,,,\r\n"
                           "Customer List Item Error,,,5,r2,,,,,,,Email,zz,EmailMustBeHashed,8004\r\n";
    sgx_buf_t zip = {0};
    assert_int_equal(sgx_emu_msads_zip("req-1.csv", csv, strlen(csv), &zip), SGX_OK);
    assert_memory_equal(zip.data, "PK\x03\x04", 4);
    sgx_classification_t out;
    classify_bytes(zip.data, zip.len, &out);
    assert_int_equal(out.verdict, SGX_CLS_PARTIAL);
    assert_int_equal(out.nrejected, 1);
    assert_int_equal(out.rejected_idx[0], 2);
    assert_string_equal(out.row_reasons[0], "msads_row_error code=8004 EmailMustBeHashed");
    sgx_classification_clear(&out);
    classify_bytes(zip.data, zip.len / 2, &out);
    assert_int_equal(out.verdict, SGX_CLS_RETRY);
    assert_string_equal(out.reason, "msads_unreadable_result_zip invalid");
    sgx_classification_clear(&out);
    sgx_buf_t big = {0};
    assert_int_equal(sgx_msads_unzip(zip.data, zip.len, 10, &big), SGX_ERR_TOO_LARGE);
    assert_int_equal(sgx_msads_unzip(zip.data, zip.len, 1000, &big), SGX_OK);
    assert_string_equal(big.data, csv);
    sgx_buf_free(&big);
    sgx_buf_free(&zip);
}

static void test_result_list_errors(void **state)
{
    (void)state;
    const char *terms = RHDR "Customer List Error,,5,,list,,,,Customer,,Add,,,"
                             "CustomerListTermsAndConditionsNotAccepted,8003\r\n";
    sgx_classification_t out;
    classify_file(terms, false, 2, &out);
    assert_int_equal(out.verdict, SGX_CLS_FATAL);
    assert_non_null(strstr(out.reason, "8003"));
    assert_int_equal(out.next_step, SGX_MSADS_STEP_URL); /* start over, not re-read the file */
    sgx_classification_clear(&out);
    const char *bad = RHDR "Customer List Error,,5,,list,,,,Customer,,Add,,,InvalidCustomerListId,8000\r\n";
    classify_file(bad, false, 2, &out);
    /* A list that does not exist blocks that audience; its rows are not dead-lettered. */
    assert_int_equal(out.verdict, SGX_CLS_FATAL);
    assert_int_equal(out.block_scope, SGX_BLOCK_AUDIENCE);
    assert_string_equal(out.reason, "msads_list_error code=8000 InvalidCustomerListId");
    sgx_classification_clear(&out);
}

/* Status polls past job_timeout_s (default 10800 s, every 7 s here: 1543 polls) are overdue:
 * still polled (the job may yet apply), never given up. */
static void test_status_overdue(void **state)
{
    (void)state;
    void *ctx = ctx_new();
    sgx_batch_t b = {.audience_id = "5", .nrows = 0};
    static const struct {
        const char *state;
        bool overdue;
    } polls[] = {{"req-1\nhttp://up/1\n1541\n", false}, {"req-1\nhttp://up/1\n1542\n", true},
                 {"req-1\nhttp://up/1\n9000\n", true}};
    for (size_t i = 0; i < 3; i++) {
        sgx_job_t job = {.batch = &b, .step = SGX_MSADS_STEP_STATUS, .state = polls[i].state};
        const char *body = STATUS("InProgress");
        sgx_response_t resp = {.status = 200, .body = body, .body_len = strlen(body)};
        sgx_classification_t out = {.retry_after_ms = -1, .next_step = 3};
        sgx_connector_microsoft_ads.classify(ctx, &job, &resp, &out);
        assert_int_equal(out.verdict, SGX_CLS_NEXT_STEP);
        assert_int_equal(out.next_step, SGX_MSADS_STEP_STATUS);
        assert_int_equal(out.overdue, polls[i].overdue);
        sgx_classification_clear(&out);
    }
    sgx_connector_microsoft_ads.destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_find_picks_list),
        cmocka_unit_test(test_result_partial),
        cmocka_unit_test(test_result_created),
        cmocka_unit_test(test_result_zip),
        cmocka_unit_test(test_result_list_errors),
        cmocka_unit_test(test_status_overdue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
