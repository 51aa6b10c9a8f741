/* Dotdigital response classification: one table row per (op, step, state, response), plus
 * report-faults mapping and a walk through a whole EXIT job. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/dd_test_rows.h"

#define NEXT SGX_CLS_NEXT_STEP
#define RETRY SGX_CLS_RETRY
#define REJECT SGX_CLS_REJECTED
#define DELIV SGX_CLS_DELIVERED
#define PART SGX_CLS_PARTIAL
#define BLOCK SGX_CLS_FATAL
#define EN SGX_OP_ENTER
#define EX SGX_OP_EXIT
#define DATE "Date: Tue, 02 Dec 2025 10:00:00 GMT\r\n"
#define T0 "1764669600" /* = the Date above */

typedef struct {
    sgx_op_t op;
    int step;
    const char *state;
    long status;
    int transport;
    const char *body, *headers;
    sgx_verdict_t verdict;
    bool throttled;
    int64_t retry_after_ms;
    int next_step;          /* checked for NEXT_STEP */
    const char *new_state;  /* checked for NEXT_STEP; NULL = keeps the current state */
    const char *reason;     /* expected prefix */
    uint32_t nrejected;
} cls_case_t;

static const cls_case_t cases[] = {
    /* every step: transport, server errors, auth, region, throttling */
    {EN, 0, NULL, 0, 7, NULL, NULL, RETRY, false, -1, 0, NULL, "transport_error", 0},
    {EN, 1, "g 0", 503, 0, "busy", NULL, RETRY, false, -1, 0, NULL, "http_status=503", 0},
    {EX, 0, NULL, 502, 0, "", NULL, RETRY, false, -1, 0, NULL, "http_status=502", 0},
    {EN, 0, NULL, 401, 0, "{\"message\":\"Authorization has been denied\"}", NULL, BLOCK,
     false, -1, 0, NULL, "dd_unauthorized", 0},
    {EX, 0, NULL, 403, 0, "{}", NULL, BLOCK, false, -1, 0, NULL,
     "dd_forbidden: wrong region", 0},
    {EN, 0, NULL, 429, 0, "{}", DATE "x-ratelimit-reset: " T0 "\r\n", RETRY, true, 1000, 0, NULL,
     "dd_throttled scope=unknown", 0},
    {EN, 1, "g 0", 429, 0, "{}",
     DATE "x-ratelimit-scope: tier\r\nx-ratelimit-reset: 1764669642\r\n", RETRY, true, 42000, 0,
     NULL, "dd_throttled scope=tier", 0},
    {EX, 0, NULL, 429, 0, "{}", "x-ratelimit-reset: 7\r\n", RETRY, true, 7000, 0, NULL,
     "dd_throttled", 0},
    {EX, 0, NULL, 429, 0, "{}", "x-ratelimit-reset: 1764669642\r\n", RETRY, true, -1, 0, NULL,
     "dd_throttled", 0}, /* epoch reset without Date: the core backs off */
    {EN, 2, "g 1", 429, 0, "{}", "Retry-After: 3\r\n" DATE, RETRY, true, 3000, 0, NULL,
     "dd_throttled", 0},
    {EN, 0, NULL, 429, 0, "{}", "x-ratelimit-scope: a b@c\r\n", RETRY, true, -1, 0, NULL,
     "dd_throttled scope=unknown", 0}, /* a hostile scope is not copied */
    /* step 0: import */
    {EN, 0, NULL, 202, 0, "{\"id\":\"5c1e-99\",\"status\":\"NotFinished\"}", NULL, NEXT, false,
     250, 1, "5c1e-99 0", "dd_import_started", 0},
    {EN, 0, NULL, 202, 0, "{\"id\":\"../x\"}", NULL, RETRY, false, -1, 0, NULL,
     "dd_unparsable_response status=202", 0},
    {EN, 0, NULL, 200, 0, "<html>", NULL, RETRY, false, -1, 0, NULL, "dd_unparsable_response",
     0},
    {EN, 0, NULL, 400, 0, "{\"message\":\"There are too many active imports. "
                          "ERROR_IMPORT_TOOMANYACTIVEIMPORTS\"}", NULL, RETRY, true, 1250, 0,
     NULL, "dd_too_many_active_imports", 0},
    {EN, 0, NULL, 400, 0, "{\"message\":\"jane@example.com: column x ERROR_DATAFIELD_NOT_FOUND\"}",
     NULL, REJECT, false, -1, 0, NULL, "dd_error code=ERROR_DATAFIELD_NOT_FOUND status=400", 0},
    {EN, 0, NULL, 404, 0, "{\"message\":\"Address book not found. ERROR_ADDRESSBOOK_NOT_FOUND\"}",
     NULL, BLOCK, false, -1, 0, NULL, "dd_error code=ERROR_ADDRESSBOOK_NOT_FOUND status=404", 0},
    {EN, 0, NULL, 413, 0, "too big", NULL, REJECT, false, -1, 0, NULL,
     "dd_error code=none status=413", 0},
    /* step 1: status polls */
    {EN, 1, "5c1e-99 0", 200, 0, "{\"id\":\"5c1e-99\",\"status\":\"NotFinished\"}", NULL, NEXT,
     false, 250, 1, "5c1e-99 1", "dd_import_not_finished", 0},
    {EN, 1, "5c1e-99 6", 200, 0, "{\"status\":\"Unknown\"}", NULL, NEXT, false, 250, 1,
     "5c1e-99 7", "dd_import_not_finished", 0},
    {EN, 1, "5c1e-99 7", 200, 0, "{\"status\":\"Finished\"}", NULL, NEXT, false, 0, 2, NULL,
     "dd_import_finished", 0},
    {EN, 1, "5c1e-99 2", 200, 0, "{\"status\":\"RejectedByWatchdog\"}", NULL, REJECT, false, -1,
     0, NULL, "dd_import_status=RejectedByWatchdog", 0},
    {EN, 1, "5c1e-99 2", 200, 0, "{\"status\":\"Failed\"}", NULL, REJECT, false, -1, 0, NULL,
     "dd_import_status=Failed", 0},
    {EN, 1, "5c1e-99 2", 200, 0, "{\"status\":\"InvalidFileFormat\"}", NULL, REJECT, false, -1,
     0, NULL, "dd_import_status=InvalidFileFormat", 0},
    {EN, 1, "5c1e-99 2", 200, 0, "{\"status\":\"ExceedsAllowedContactLimit\"}", NULL, REJECT,
     false, -1, 0, NULL, "dd_import_status=ExceedsAllowedContactLimit", 0},
    /* 10 s / 250 ms: overdue, still polled (never given up while it may apply) */
    {EN, 1, "5c1e-99 39", 200, 0, "{\"status\":\"NotFinished\"}", NULL, NEXT, false, 250, 1,
     "5c1e-99 40", "dd_import_not_finished overdue polls=40", 0},
    {EN, 1, "5c1e-99 0", 200, 0, "{\"id\":1}", NULL, RETRY, false, -1, 0, NULL,
     "dd_unparsable_response", 0},
    {EN, 1, "5c1e-99 0", 404, 0, "{\"message\":\"ERROR_IMPORT_NOT_FOUND\"}", NULL, REJECT, false,
     -1, 0, NULL, "dd_error code=ERROR_IMPORT_NOT_FOUND", 0},
    /* step 2: report-faults (row 1 has no e-mail and is always rejected) */
    {EN, 2, "5c1e-99 1", 200, 0, "Email,Reason\r\n", NULL, PART, false, -1, 0, NULL,
     "dd_rows_not_imported=1", 1},
    {EN, 2, "5c1e-99 1", 200, 0, "Email,Reason\r\nJANE@example.com,GloballySuppressed\r\n", NULL,
     PART, false, -1, 0, NULL, "dd_rows_not_imported=2", 2},
    {EN, 2, "5c1e-99 1", 200, 0, "Reason\r\nx\r\n", NULL, RETRY, false, -1, 0, NULL,
     "dd_unparsable_report_faults", 0},
    /* EXIT: resolve each e-mail, then delete the ids */
    {EX, 0, NULL, 200, 0, "{\"id\":17,\"email\":\"jane@example.com\"}", NULL, NEXT, false, 0, 1,
     "R2;17", "dd_resolve_contact", 0},
    {EX, 0, NULL, 404, 0, "{\"message\":\"ERROR_CONTACT_NOT_FOUND\"}", NULL, NEXT, false, 0, 1,
     "R2;", "dd_resolve_contact", 0},
    {EX, 1, "R2;17", 200, 0, "{\"id\":42}", NULL, NEXT, false, 0, 2, "D3;17,42",
     "dd_delete_contacts", 0},
    {EX, 1, "R2;", 404, 0, "{}", NULL, PART, false, -1, 0, NULL, "dd_rows_not_removed=1", 1},
    {EX, 1, "R2;17", 404, 0, "{}", NULL, NEXT, false, 0, 2, "D3;17", "dd_delete_contacts", 0},
    {EX, 2, "D3;17,42", 202, 0, "{\"id\":\"x\",\"status\":\"Started\"}", NULL, PART, false, -1,
     0, NULL, "dd_rows_not_removed=1", 1},
    {EX, 2, "D3;17,42", 404, 0, "{\"message\":\"ERROR_ADDRESSBOOK_NOT_FOUND\"}", NULL, BLOCK,
     false, -1, 0, NULL, "dd_error code=ERROR_ADDRESSBOOK_NOT_FOUND", 0},
    {EX, 1, "R0;", 200, 0, "{\"id\":\"17\"}", NULL, RETRY, false, -1, 0, NULL,
     "dd_unparsable_response", 0},
    {EX, 1, "Z0;", 200, 0, "{\"id\":1}", NULL, REJECT, false, -1, 0, NULL, "dd_bad_job_state", 0},
};

static void test_table(void **state)
{
    (void)state;
    static const char *const r1[] = {"jane@example.com", "Jane"};
    static const char *const r2[] = {NULL, "Bob"};
    static const char *const r3[] = {"bob@example.org", NULL};
    sgx_row_t *rows[3] = {dd_row(r1, 2), dd_row(r2, 2), dd_row(r3, 2)};
    void *ctx = dd_ctx("EMAIL,FIRSTNAME", "http://127.0.0.1:9", "250");
    const char *k[4] = {"api_user", "api_password", "poll_interval_ms", "import_timeout_s"};
    const char *v[4] = {"u", "p", "250", "10"};
    sgx_dest_settings_t s = {"dd", 4, k, v};
    char errbuf[SGX_ERRBUF_SIZE];
    sgx_connector_dotdigital.destroy(ctx);
    assert_int_equal(sgx_connector_dotdigital.init(&s, &ctx, errbuf), SGX_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const cls_case_t *c = &cases[i];
        sgx_batch_t batch = {.audience_id = "7", .op = c->op, .nrows = 3,
                             .rows = (const sgx_row_t *const *)rows};
        sgx_job_t job = {.batch = &batch, .step = c->step, .state = c->state};
        sgx_response_t resp = {.status = c->status, .transport_error = c->transport,
                               .body = c->body ? c->body : "",
                               .body_len = c->body ? strlen(c->body) : 0, .headers = c->headers};
        sgx_classification_t out = {.retry_after_ms = -1, .next_step = c->step + 1};
        sgx_connector_dotdigital.classify(ctx, &job, &resp, &out);
        /* Blocks: 401/403 are the credentials (secrets re-read), a missing address book is the
         * audience; every other refusal of a whole request is split by the core. */
        bool scope_ok = c->verdict != BLOCK ||
                        (out.block_scope == SGX_BLOCK_AUDIENCE) ==
                            (strstr(c->reason, "ADDRESSBOOK_NOT_FOUND") != NULL);
        bool split_ok =
            c->verdict != REJECT || out.split == (strncmp(c->reason, "dd_error", 8) == 0);
        bool ok = scope_ok && split_ok && out.verdict == c->verdict &&
                  out.throttled == c->throttled && out.retry_after_ms == c->retry_after_ms &&
                  out.nrejected == c->nrejected &&
                  strncmp(out.reason, c->reason, strlen(c->reason)) == 0;
        ok = ok && out.overdue == (strstr(c->reason, "overdue") != NULL);
        if (ok && c->verdict == NEXT) {
            ok = out.next_step == c->next_step &&
                 (c->new_state ? out.state && strcmp(out.state, c->new_state) == 0 : !out.state);
        }
        if (!ok) {
            fprintf(stderr, "row %zu: verdict %d throttled %d after %lld next %d state '%s' "
                    "rejected %u reason '%s'\n", i, out.verdict, out.throttled,
                    (long long)out.retry_after_ms, out.next_step, out.state ? out.state : "-",
                    out.nrejected, out.reason);
            fail();
        }
        assert_null(strchr(out.reason, '@')); /* never an e-mail in a reason */
        sgx_classification_clear(&out);
    }
    for (int i = 0; i < 3; i++) {
        sgx_free(rows[i]);
    }
    sgx_connector_dotdigital.destroy(ctx);
}

/* Faults map back to the rows by e-mail, case-insensitively, with their own reasons. */
static void test_faults_mapping(void **state)
{
    (void)state;
    static const char *const a[] = {"a@x.com"}, *const b[] = {"b@x.com"}, *const c[] = {"c@x.com"};
    sgx_row_t *rows[4] = {dd_row(a, 1), dd_row(b, 1), dd_row(c, 1), dd_row(b, 1)};
    void *ctx = dd_ctx("EMAIL", "http://h", "100");
    sgx_batch_t batch = {.audience_id = "7", .op = EN, .nrows = 4,
                         .rows = (const sgx_row_t *const *)rows};
    sgx_job_t job = {.batch = &batch, .step = 2, .state = "g 1"};
    const char *body = "Reason,Email\r\n\"Globally, Suppressed\",B@X.COM\r\n"
                       "InvalidEmail,\"c@x.com\"\r\n\r\nBlocked,nobody@else.com\r\n";
    sgx_response_t resp = {.status = 200, .body = body, .body_len = strlen(body), .headers = ""};
    sgx_classification_t out = {.retry_after_ms = -1, .next_step = 3};
    sgx_connector_dotdigital.classify(ctx, &job, &resp, &out);
    assert_int_equal(out.verdict, PART);
    assert_int_equal(out.nrejected, 3);
    assert_int_equal(out.rejected_idx[0], 1);
    assert_string_equal(out.row_reasons[0], "dd_import_fault=GloballySuppressed");
    assert_int_equal(out.rejected_idx[1], 2);
    assert_string_equal(out.row_reasons[1], "dd_import_fault=InvalidEmail");
    assert_int_equal(out.rejected_idx[2], 3);
    sgx_classification_clear(&out);
    /* no faults at all: delivered */
    resp.body = "Email,Reason\r\n";
    resp.body_len = strlen(resp.body);
    out = (sgx_classification_t){.retry_after_ms = -1};
    sgx_connector_dotdigital.classify(ctx, &job, &resp, &out);
    assert_int_equal(out.verdict, DELIV);
    assert_string_equal(out.reason, "dd_imported");
    sgx_classification_clear(&out);
    for (int i = 0; i < 4; i++) {
        sgx_free(rows[i]);
    }
    sgx_connector_dotdigital.destroy(ctx);
}

/* A whole EXIT job over 1,203 rows, every e-mail found: the ids are deleted in chunks of
 * SGX_DD_DELETE_CHUNK and the job ends DELIVERED after the last delete. */
static void test_exit_walk(void **state)
{
    (void)state;
    enum { N = 1203 };
    sgx_row_t **rows = sgx_calloc(N, sizeof *rows);
    for (size_t i = 0; i < N; i++) {
        char email[32];
        snprintf(email, sizeof email, "u%zu@x.com", i);
        const char *cell[1] = {email};
        rows[i] = dd_row(cell, 1);
    }
    void *ctx = dd_ctx("EMAIL", "http://h", "100");
    sgx_batch_t batch = {.audience_id = "7", .op = EX, .nrows = N,
                         .rows = (const sgx_row_t *const *)rows};
    char *st = NULL;
    int step = 0, gets = 0, deletes = 0;
    size_t deleted = 0;
    for (;;) {
        sgx_job_t job = {.batch = &batch, .step = step, .state = st};
        sgx_request_t req = {0};
        assert_int_equal(sgx_connector_dotdigital.prepare(ctx, &job, &req), SGX_OK);
        char body[64];
        bool del = strcmp(req.method, "POST") == 0;
        if (del) {
            deletes++;
            for (const char *p = req.body->data; *p; p++) {
                deleted += *p == ',';
            }
            deleted++;
            snprintf(body, sizeof body, "{\"id\":\"d\",\"status\":\"Started\"}");
        } else {
            snprintf(body, sizeof body, "{\"id\":%d}", 1000 + gets++);
        }
        sgx_request_clear(&req);
        sgx_response_t resp = {.status = del ? 202 : 200, .body = body, .body_len = strlen(body),
                               .headers = ""};
        sgx_classification_t out = {.retry_after_ms = -1, .next_step = step + 1};
        sgx_connector_dotdigital.classify(ctx, &job, &resp, &out);
        if (out.verdict != NEXT) {
            assert_int_equal(out.verdict, DELIV);
            sgx_classification_clear(&out);
            break;
        }
        if (out.state) {
            sgx_free(st);
            st = out.state;
            out.state = NULL;
            assert_true(strlen(st) < 8 * SGX_DD_DELETE_CHUNK);
        }
        step = out.next_step;
        sgx_classification_clear(&out);
    }
    assert_int_equal(gets, N);
    assert_int_equal(deletes, 3);
    assert_int_equal(deleted, N);
    sgx_free(st);
    for (size_t i = 0; i < N; i++) {
        sgx_free(rows[i]);
    }
    sgx_free(rows);
    sgx_connector_dotdigital.destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_faults_mapping),
        cmocka_unit_test(test_exit_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
