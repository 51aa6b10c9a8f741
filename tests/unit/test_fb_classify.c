/* Meta response classification: one table row per (status, body, headers) case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/facebook/fb.h"

#define DELIV SGX_CLS_DELIVERED
#define RETRY SGX_CLS_RETRY
#define REJECT SGX_CLS_REJECTED
#define BLOCK SGX_CLS_FATAL

#define ERR(code, sub, type, transient)                                                        \
    "{\"error\":{\"message\":\"(#" #code ") jane@example.com is bad\",\"type\":\"" type        \
    "\",\"code\":" #code ",\"error_subcode\":" #sub ",\"is_transient\":" transient             \
    ",\"fbtrace_id\":\"AbC123\"}}"
#define BUC(min1, min2)                                                                        \
    "X-Business-Use-Case-Usage: {\"1234\":[{\"type\":\"custom_audience\",\"call_count\":100,"  \
    "\"estimated_time_to_regain_access\":" #min1 "}],\"5678\":[{\"type\":\"ads_management\","  \
    "\"estimated_time_to_regain_access\":" #min2 "}]}\r\n"

typedef struct {
    long status;
    int transport;
    const char *body;
    const char *headers;
    sgx_verdict_t verdict;
    bool throttled;
    int64_t retry_after_ms;
    const char *reason; /* expected prefix */
    const char *kind;   /* BLOCK: "dest", "auth" (dest + credentials) or "aud"; REJECT:
                         * "split" when the rows may be fine; NULL: "" */
    int attempt;        /* the job's attempt (unconfirmed 2xx retry, then block) */
} cls_case_t;

static const cls_case_t cases[] = {
    /* transport */
    {0, 1, NULL, NULL, RETRY, false, -1, "transport_error", NULL, 0},
    {0, 0, NULL, NULL, RETRY, false, -1, "transport_error", NULL, 0},
    {200, 7, "{\"num_received\":1}", NULL, RETRY, false, -1, "transport_error", NULL, 0},
    /* success */
    {200, 0, "{\"audience_id\":\"1\",\"session_id\":\"9\",\"num_received\":2,"
             "\"num_invalid_entries\":0,\"invalid_entry_samples\":{}}",
     NULL, DELIV, false, -1, "num_received=2 num_invalid_entries=0", NULL, 0},
    {200, 0, "{\"num_received\":10,\"num_invalid_entries\":3,"
             "\"invalid_entry_samples\":{\"jane@example.com\":\"bad\"}}",
     NULL, DELIV, false, -1, "num_received=10 num_invalid_entries=3", NULL, 0},
    /* a 2xx that does not confirm the rows: retried, then blocked */
    {200, 0, "{\"success\":true}", NULL, RETRY, false, -1,
     "meta_unconfirmed num_received=-1 of 1", NULL, 0},
    {201, 0, "{}", NULL, RETRY, false, -1, "meta_unconfirmed num_received=-1 of 1", NULL, 1},
    {200, 0, "{}", NULL, BLOCK, false, -1, "meta_unconfirmed", "dest", SGX_UNCONFIRMED_RETRIES - 1},
    {200, 0, "{\"num_received\":0,\"num_invalid_entries\":0}", NULL, RETRY, false, -1,
     "meta_unconfirmed num_received=0 of 1", NULL, 0},
    {200, 0, "<html>proxy</html>", NULL, RETRY, false, -1, "unparsable_response status=200",
     NULL, 0},
    {200, 0, "", NULL, RETRY, false, -1, "unparsable_response", NULL, 0},
    {200, 0, "[1,2]", NULL, RETRY, false, -1, "unparsable_response", NULL, 0},
    /* throttling: the code decides, whatever the status */
    {400, 0, ERR(17, 2446079, "OAuthException", "true"), BUC(5, 12), RETRY, true, 12 * 60000,
     "meta_error code=17 subcode=2446079 type=OAuthException", NULL, 0},
    {400, 0, ERR(4, 0, "OAuthException", "true"), NULL, RETRY, true, -1,
     "meta_error code=4", NULL, 0},
    {400, 0, ERR(613, 1487742, "OAuthException", "true"), BUC(0, 0), RETRY, true, -1,
     "meta_error code=613 subcode=1487742", NULL, 0},
    {429, 0, ERR(80003, 2446079, "OAuthException", "true"), BUC(3, 1), RETRY, true, 3 * 60000,
     "meta_error code=80003", NULL, 0},
    {403, 0, ERR(80004, 0, "OAuthException", "false"), BUC(60, 0), RETRY, true, 3600000,
     "meta_error code=80004", NULL, 0},
    {500, 0, ERR(17, 0, "OAuthException", "false"), NULL, RETRY, true, -1,
     "meta_error code=17", NULL, 0},
    /* transient */
    {500, 0, ERR(1, 99, "OAuthException", "false"), NULL, RETRY, false, -1,
     "meta_error code=1", NULL, 0},
    {400, 0, ERR(2, 0, "OAuthException", "false"), NULL, RETRY, false, -1,
     "meta_error code=2", NULL, 0},
    {400, 0, ERR(9999, 0, "GraphMethodException", "true"), NULL, RETRY, false, -1,
     "meta_error code=9999 subcode=0 type=GraphMethodException", NULL, 0},
    /* the destination or the audience is blocked: nothing about the rows */
    {400, 0, ERR(100, 1713230, "OAuthException", "false"), NULL, BLOCK, false, -1,
     "meta_error code=100 subcode=1713230 type=OAuthException", "aud", 0},
    {400, 0, ERR(100, 33, "GraphMethodException", "false"), NULL, BLOCK, false, -1,
     "meta_error code=100 subcode=33", "aud", 0},
    {400, 0, ERR(100, 1487301, "OAuthException", "false"), NULL, BLOCK, false, -1,
     "meta_error code=100 subcode=1487301", "aud", 0},
    {400, 0, ERR(2650, 0, "OAuthException", "false"), NULL, BLOCK, false, -1,
     "meta_error code=2650", "aud", 0},
    {400, 0, ERR(190, 463, "OAuthException", "false"), NULL, BLOCK, false, -1,
     "meta_error code=190 subcode=463", "auth", 0},
    {400, 0, ERR(102, 0, "OAuthException", "false"), NULL, BLOCK, false, -1,
     "meta_error code=102", "auth", 0},
    {403, 0, ERR(10, 0, "OAuthException", "false"), NULL, BLOCK, false, -1,
     "meta_error code=10", "auth", 0},
    {403, 0, ERR(200, 0, "OAuthException", "false"), NULL, BLOCK, false, -1,
     "meta_error code=200", "auth", 0},
    {400, 0, ERR(294, 0, "OAuthException", "false"), NULL, BLOCK, false, -1,
     "meta_error code=294", "auth", 0},
    /* 368: the Graph error-handling guide says "Wait and retry the operation" */
    {400, 0, ERR(368, 1390008, "OAuthException", "false"), NULL, RETRY, false, -1,
     "meta_error code=368", NULL, 0},
    {400, 0, "{\"error\":{\"message\":\"Invalid appsecret_proof provided in the API "
             "argument\",\"type\":\"GraphMethodException\",\"code\":100}}",
     NULL, BLOCK, false, -1, "meta_error code=100 type=GraphMethodException", "auth", 0},
    /* refused as a whole for a reason that may concern some rows only: split */
    {400, 0, ERR(105, 0, "OAuthException", "false"), NULL, REJECT, false, -1,
     "meta_error code=105", "split", 0},
    {200, 0, ERR(100, 0, "OAuthException", "false"), NULL, REJECT, false, -1,
     "meta_error code=100", "split", 0},
    {400, 0, ERR(100, 2018001, "OAuthException", "false"), NULL, REJECT, false, -1,
     "meta_error code=100 subcode=2018001", "split", 0},
    /* by HTTP status when there is no usable error object */
    {429, 0, "", "Retry-After: 30\r\n", RETRY, true, -1, "http_status=429", NULL, 0},
    {429, 0, "{}", BUC(2, 0), RETRY, true, 2 * 60000, "http_status=429", NULL, 0},
    {502, 0, "<html>Bad Gateway</html>", NULL, RETRY, false, -1, "http_status=502", NULL, 0},
    {503, 0, NULL, NULL, RETRY, false, -1, "http_status=503", NULL, 0},
    {404, 0, "not found", NULL, BLOCK, false, -1, "http_status=404", "aud", 0},
    {401, 0, "", NULL, BLOCK, false, -1, "http_status=401", "auth", 0},
    {400, 0, "", NULL, REJECT, false, -1, "http_status=400", "split", 0},
    {400, 0, ERR(12345, 0, "OAuthException", "false"), NULL, REJECT, false, -1,
     "meta_error code=12345", "split", 0},
    {500, 0, ERR(12345, 0, "OAuthException", "false"), NULL, RETRY, false, -1,
     "meta_error code=12345", NULL, 0},
    {302, 0, "", "Location: https://example.com/\r\n", RETRY, false, -1,
     "http_status=302", NULL, 0},
    /* malformed header: ignored, not a crash */
    {400, 0, ERR(4, 0, "OAuthException", "true"), "X-Business-Use-Case-Usage: {bad\r\n", RETRY,
     true, -1, "meta_error code=4", NULL, 0},
    /* a hostile "type" cannot smuggle text into the reason */
    {400, 0, "{\"error\":{\"code\":100,\"type\":\"x y=jane@example.com\"}}", NULL, REJECT, false,
     -1, "meta_error code=100 type=unexpected", "split", 0},
};

static const char *kind_of(const sgx_classification_t *out)
{
    if (out->verdict == SGX_CLS_FATAL) {
        return out->block_scope == SGX_BLOCK_AUDIENCE ? "aud" : out->block_auth ? "auth" : "dest";
    }
    return out->split ? "split" : "";
}

/* Usage reported on a success and on a throttle: the highest percentage of any entry, for the
 * pacer; no header, or one that is not JSON, reports nothing. */
static void test_usage_for_the_pacer(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *body, *headers;
        bool has;
        int pct;
    } ucases[] = {
        {200, "{\"audience_id\":\"123\",\"num_received\":1,\"num_invalid_entries\":0}",
         "X-Business-Use-Case-Usage: {\"1\":[{\"type\":\"custom_audience\",\"call_count\":41,"
         "\"total_cputime\":7,\"total_time\":63,\"estimated_time_to_regain_access\":0}]}\r\n",
         true, 63},
        {400, ERR(80003, 0, "OAuthException", "true"), BUC(2, 0), true, 100},
        {200, "{\"audience_id\":\"123\",\"num_received\":1,\"num_invalid_entries\":0}", NULL,
         false, 0},
        {200, "{\"audience_id\":\"123\",\"num_received\":1,\"num_invalid_entries\":0}",
         "X-Business-Use-Case-Usage: {bad\r\n", false, 0},
    };
    for (size_t i = 0; i < sizeof ucases / sizeof ucases[0]; i++) {
        sgx_response_t resp = {.status = ucases[i].status, .body = ucases[i].body,
                               .body_len = strlen(ucases[i].body), .headers = ucases[i].headers};
        sgx_classification_t out = {.retry_after_ms = -1};
        sgx_batch_t batch = {.audience_id = "123", .nrows = 1};
        sgx_job_t job = {.batch = &batch};
        sgx_connector_facebook.classify(NULL, &job, &resp, &out);
        assert_int_equal(out.has_usage, ucases[i].has);
        assert_int_equal(out.usage_pct, ucases[i].pct);
        sgx_classification_clear(&out);
    }
}

static void test_table(void **state)
{
    (void)state;
    size_t n = sizeof cases / sizeof cases[0];
    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) {
        const cls_case_t *c = &cases[i];
        sgx_response_t resp = {.status = c->status, .transport_error = c->transport,
                               .body = c->body, .body_len = c->body ? strlen(c->body) : 0,
                               .headers = c->headers};
        sgx_classification_t out = {.retry_after_ms = -1};
        sgx_batch_t batch = {.audience_id = "123", .nrows = 1};
        sgx_job_t job = {.batch = &batch, .attempt = c->attempt};
        sgx_connector_facebook.classify(NULL, &job, &resp, &out);
        if (out.verdict != c->verdict || out.throttled != c->throttled ||
            out.retry_after_ms != c->retry_after_ms ||
            strcmp(kind_of(&out), c->kind ? c->kind : "") != 0 ||
            strncmp(out.reason, c->reason, strlen(c->reason)) != 0) {
            fprintf(stderr, "row %zu (status %ld): verdict %d throttled %d after %lld reason '%s' "
                    "kind '%s'\n", i, c->status, out.verdict, out.throttled,
                    (long long)out.retry_after_ms, out.reason, kind_of(&out));
            fail();
        }
        /* No PII: the message and invalid_entry_samples must never reach the reason. */
        assert_null(strstr(out.reason, "@"));
        assert_null(strstr(out.reason, "bad"));
        assert_int_equal(out.nrejected, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_usage_for_the_pacer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
