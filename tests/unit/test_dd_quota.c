/* Dotdigital's tiered allowance reaches the classification for the core's pacer: the calls left
 * (x-ratelimit-remaining) and the time to the reset (x-ratelimit-reset, relative or against
 * Date), on successes and throttles alike, whatever the step or op; nothing when either is
 * missing or unreadable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "tests/unit/dd_test_rows.h"

#define DATE "Date: Tue, 02 Dec 2025 10:00:00 GMT\r\n"

typedef struct {
    sgx_op_t op;
    int step;
    const char *state;
    long status;
    const char *body, *headers;
    bool has_quota;
    int64_t remaining, reset_ms;
} quota_case_t;

static const quota_case_t cases[] = {
    /* the import accepted, 12 calls left in a window ending 42 s after Date */
    {SGX_OP_ENTER, 0, NULL, 202, "{\"id\":\"5c1e-99\",\"status\":\"NotFinished\"}",
     DATE "x-ratelimit-limit: 35\r\nx-ratelimit-remaining: 12\r\nx-ratelimit-reset: 1764669642\r\n",
     true, 12, 42000},
    /* a poll, the reset in relative seconds */
    {SGX_OP_ENTER, 1, "g 0", 200, "{\"status\":\"NotFinished\"}",
     "x-ratelimit-remaining: 3\r\nx-ratelimit-reset: 7\r\n", true, 3, 7000},
    /* the throttle itself: none left until the reset, same second as Date counts a second */
    {SGX_OP_ENTER, 0, NULL, 429, "{}",
     DATE "x-ratelimit-remaining: 0\r\nx-ratelimit-reset: 1764669600\r\n", true, 0, 1000},
    /* an EXIT step reports it too */
    {SGX_OP_EXIT, 0, NULL, 429, "{}", "x-ratelimit-remaining: 0\r\nx-ratelimit-reset: 5\r\n",
     true, 0, 5000},
    /* nothing usable */
    {SGX_OP_ENTER, 0, NULL, 202, "{\"id\":\"a-1\"}", "x-ratelimit-remaining: 3\r\n", false, 0, 0},
    {SGX_OP_ENTER, 0, NULL, 202, "{\"id\":\"a-1\"}",
     "x-ratelimit-remaining: 3\r\nx-ratelimit-reset: 1764669642\r\n", false, 0, 0}, /* no Date */
    {SGX_OP_ENTER, 0, NULL, 202, "{\"id\":\"a-1\"}",
     "x-ratelimit-remaining: -1\r\nx-ratelimit-reset: 5\r\n", false, 0, 0},
    {SGX_OP_ENTER, 0, NULL, 202, "{\"id\":\"a-1\"}",
     "x-ratelimit-remaining: 3x\r\nx-ratelimit-reset: 5\r\n", false, 0, 0},
    {SGX_OP_ENTER, 0, NULL, 202, "{\"id\":\"a-1\"}", "", false, 0, 0},
};

static void test_quota(void **state)
{
    (void)state;
    static const char *const cells[] = {"jane@example.com", "Jane"};
    sgx_row_t *row = dd_row(cells, 2);
    void *ctx = dd_ctx("EMAIL,FIRSTNAME", "http://127.0.0.1:9", "250");
    assert_non_null(ctx);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const quota_case_t *c = &cases[i];
        sgx_batch_t batch = {.audience_id = "7", .op = c->op, .nrows = 1,
                             .rows = (const sgx_row_t *const *)&row};
        sgx_job_t job = {.batch = &batch, .step = c->step, .state = c->state};
        sgx_response_t resp = {.status = c->status, .body = c->body,
                               .body_len = strlen(c->body), .headers = c->headers};
        sgx_classification_t out = {.retry_after_ms = -1, .next_step = c->step + 1};
        sgx_connector_dotdigital.classify(ctx, &job, &resp, &out);
        if (out.has_quota != c->has_quota ||
            (c->has_quota && (out.quota_remaining != c->remaining ||
                              out.quota_reset_ms != c->reset_ms))) {
            fprintf(stderr, "case %zu: has %d remaining %lld reset %lld\n", i, out.has_quota,
                    (long long)out.quota_remaining, (long long)out.quota_reset_ms);
            fail();
        }
        sgx_classification_clear(&out);
    }
    sgx_free(row);
    sgx_connector_dotdigital.destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quota),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
