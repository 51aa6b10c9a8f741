/* Dotdigital response classification: one table row per (op, step, state, response), plus
 * report-faults mapping and a walk through a whole EXIT job. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
     "dd_report_unparsable attempt=1", 0},
    /* account and allowance refusals: 403 is not always the region */
    {EN, 0, NULL, 403, 0, "{\"message\":\"Your account has generated excess API activity and is "
     "being temporarily capped. Please contact support. ERROR_APIUSAGE_EXCEEDED\"}", NULL, RETRY,
     true, 60000, 0, NULL, "dd_api_usage_exceeded status=403", 0},
    {EX, 0, NULL, 400, 0, "{\"message\":\"ERROR_APIUSAGE_EXCEEDED\"}", "x-ratelimit-reset: 120\r\n",
     RETRY, true, 120000, 0, NULL, "dd_api_usage_exceeded status=400", 0},
    {EN, 1, "g 0", 403, 0, "{\"message\":\"Error: ERROR_FEATURENOTACTIVE\"}", NULL, BLOCK, false,
     -1, 0, NULL, "dd_feature_not_active", 0},
    {EN, 0, NULL, 403, 0, "{\"message\":\"The account is not valid. ERROR_ACCOUNT_INVALID\"}", NULL,
     BLOCK, false, -1, 0, NULL, "dd_account_invalid", 0},
    {EN, 0, NULL, 400, 0, "{\"message\":\"ERROR_CANNOT_PERFORM_OPERATION_ON_ACCOUNT\"}", NULL,
     BLOCK, false, -1, 0, NULL, "dd_operation_not_permitted", 0},
    {EN, 0, NULL, 400, 0, "{\"message\":\"ERROR_ADDRESSBOOK_NOTWRITABLE\"}", NULL, BLOCK, false,
     -1, 0, NULL, "dd_error code=ERROR_ADDRESSBOOK_NOTWRITABLE", 0},
    {EX, 0, NULL, 403, 0, "{\"message\":\"Nope. ERROR_SOMETHING_NEW\"}", NULL, BLOCK, false, -1, 0,
     NULL, "dd_forbidden code=ERROR_SOMETHING_NEW status=403", 0},
    {EN, 0, NULL, 400, 0, "{\"message\":\"in use ERROR_ADDRESSBOOK_IN_USE\"}", NULL, RETRY, false,
     -1, 0, NULL, "dd_error code=ERROR_ADDRESSBOOK_IN_USE", 0},
    /* report-faults as the service writes it: BOM, Reason first, lower-case email column */
    {EN, 2, "5c1e-99 1", 200, 0, "\xEF\xBB\xBFReason,email,firstname\r\nHard bounced,"
     "JANE@example.com,J\r\n", NULL, PART, false, -1, 0, NULL, "dd_rows_not_imported=2", 2},
    {EN, 2, "5c1e-99 1", 200, 0, "", NULL, PART, false, -1, 0, NULL, "dd_rows_not_imported=1", 1},
    {EN, 2, "5c1e-99 1", 200, 0, "\xEF\xBB\xBF", NULL, PART, false, -1, 0, NULL,
     "dd_rows_not_imported=1", 1},
    /* EXIT: the book's size picks a scan or one lookup per e-mail (2 e-mails here) */
    {EX, 0, NULL, 200, 0, "{\"id\":7,\"contacts\":0}", NULL, PART, false, -1, 0, NULL,
     "dd_rows_not_removed=1", 1},
    {EX, 0, NULL, 200, 0, "{\"contacts\":1500}", NULL, NEXT, false, 0, 1, "R0;;",
     "dd_resolve_contact", 0},
    {EX, 0, NULL, 200, 0, "{\"contacts\":900}", NULL, NEXT, false, 0, 1, "R0;;",
     "dd_resolve_contact", 0}, /* 1 page * 4 > 2 e-mails: a scan would not pay */
    {EX, 0, NULL, 200, 0, "{}", NULL, RETRY, false, -1, 0, NULL, "dd_unparsable_response", 0},
    {EX, 1, "S0;;", 200, 0, "[{\"id\":5,\"email\":\"JANE@example.com\"},{\"id\":6,\"email\":"
     "\"x@y.z\"}]", NULL, NEXT, false, 0, 2, "R2;1;5", "dd_resolve_contact", 0},
    {EX, 1, "S0;;", 200, 0, "[{\"id\":5,\"email\":\"jane@example.com\"},{\"id\":8,\"email\":"
     "\"bob@example.org\"}]", NULL, NEXT, false, 0, 2, "D3;5;5,8", "dd_delete_contacts", 0},
    {EX, 1, "S0;;", 200, 0, "{}", NULL, RETRY, false, -1, 0, NULL, "dd_unparsable_response", 0},
    {EX, 2, "T1000;1;5", 202, 0, "{\"status\":\"Started\"}", NULL, NEXT, false, 0, 3, "S999;1;",
     "dd_scan_address_book", 0},
    {EX, 1, "R0;1;5", 404, 0, "{}", NULL, NEXT, false, 0, 2, "D3;1;5", "dd_delete_contacts", 0},
    {EX, 0, NULL, 404, 0, "{\"message\":\"ERROR_ADDRESSBOOK_NOT_FOUND\"}", NULL, BLOCK, false, -1,
     0, NULL, "dd_error code=ERROR_ADDRESSBOOK_NOT_FOUND", 0},
    /* EXIT: resolve each e-mail, then delete the ids */
    {EX, 0, "R0;;", 200, 0, "{\"id\":17,\"email\":\"jane@example.com\"}", NULL, NEXT, false, 0, 1,
     "R2;;17", "dd_resolve_contact", 0},
    {EX, 0, "R0;;", 404, 0, "{\"message\":\"ERROR_CONTACT_NOT_FOUND\"}", NULL, NEXT, false, 0, 1,
     "R2;;", "dd_resolve_contact", 0},
    {EX, 1, "R2;;17", 200, 0, "{\"id\":42}", NULL, NEXT, false, 0, 2, "D3;;17,42",
     "dd_delete_contacts", 0},
    {EX, 1, "R2;;", 404, 0, "{}", NULL, PART, false, -1, 0, NULL, "dd_rows_not_removed=1", 1},
    {EX, 1, "R2;;17", 404, 0, "{}", NULL, NEXT, false, 0, 2, "D3;;17", "dd_delete_contacts", 0},
    {EX, 2, "D3;;17,42", 202, 0, "{\"id\":\"x\",\"status\":\"Started\"}", NULL, PART, false, -1,
     0, NULL, "dd_rows_not_removed=1", 1},
    {EX, 2, "D3;;17,42", 404, 0, "{\"message\":\"ERROR_ADDRESSBOOK_NOT_FOUND\"}", NULL, BLOCK,
     false, -1, 0, NULL, "dd_error code=ERROR_ADDRESSBOOK_NOT_FOUND", 0},
    {EX, 1, "R0;;", 200, 0, "{\"id\":\"17\"}", NULL, RETRY, false, -1, 0, NULL,
     "dd_unparsable_response", 0},
    {EX, 1, "Z0;;", 200, 0, "{\"id\":1}", NULL, REJECT, false, -1, 0, NULL, "dd_bad_job_state", 0},
    {EX, 1, "R0;x;", 200, 0, "{\"id\":1}", NULL, REJECT, false, -1, 0, NULL, "dd_bad_job_state", 0},
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
                            (strstr(c->reason, "ADDRESSBOOK_NOT") != NULL);
        /* Only the API user's refusals re-read secrets. */
        bool auth_ok = c->verdict != BLOCK ||
                       out.block_auth == (strncmp(c->reason, "dd_unauthorized", 15) == 0 ||
                                          strncmp(c->reason, "dd_forbidden", 12) == 0);
        bool split_ok =
            c->verdict != REJECT || out.split == (strncmp(c->reason, "dd_error", 8) == 0);
        bool ok = scope_ok && auth_ok && split_ok && out.verdict == c->verdict &&
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
    assert_string_equal(out.row_reasons[0], "dd_import_fault=Globally_Suppressed");
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

/* A simulated account for whole EXIT jobs: contact i is "u<i>@x.com" with id 1000 + i; the book
 * holds contacts [0, book) minus those deleted, in id order; deletes apply at once. */
typedef struct {
    bool *in_book;
    size_t book, account;
    int books, pages, lookups, deletes;
} sim_t;

static size_t sim_count(const sim_t *sim)
{
    size_t n = 0;
    for (size_t i = 0; i < sim->book; i++) {
        n += sim->in_book[i];
    }
    return n;
}

/* Answers req like Dotdigital would; body receives the reply. */
static long sim_answer(sim_t *sim, const sgx_request_t *req, sgx_buf_t *body)
{
    const char *path = strstr(req->url, "/v2/");
    char num[64];
    if (strcmp(req->method, "POST") == 0) {
        sim->deletes++;
        for (const char *p = req->body->data + 1; *p && *p != ']';) {
            long id = strtol(p, (char **)&p, 10);
            if (id >= 1000 && (size_t)(id - 1000) < sim->book) {
                sim->in_book[id - 1000] = false;
            }
            p += *p == ',';
        }
        sgx_buf_puts(body, "{\"id\":\"d\",\"status\":\"Started\"}");
        return 202;
    }
    if (strncmp(path, "/v2/contacts/", 13) == 0) {
        sim->lookups++;
        size_t i = (size_t)strtoul(path + 14, NULL, 10); /* "/v2/contacts/u<i>@x.com" */
        snprintf(num, sizeof num, "{\"id\":%zu}", 1000 + i);
        sgx_buf_puts(body, i < sim->account ? num : "{}");
        return i < sim->account ? 200 : 404;
    }
    if (!strstr(path, "/contacts?")) {
        sim->books++;
        snprintf(num, sizeof num, "{\"id\":7,\"contacts\":%zu}", sim_count(sim));
        sgx_buf_puts(body, num);
        return 200;
    }
    sim->pages++;
    size_t skip = (size_t)strtoul(strstr(path, "skip=") + 5, NULL, 10), seen = 0, sent = 0;
    sgx_buf_putc(body, '[');
    for (size_t i = 0; i < sim->book && sent < SGX_DD_PAGE; i++) {
        if (sim->in_book[i] && seen++ >= skip) {
            snprintf(num, sizeof num, "%s{\"id\":%zu,\"email\":\"U%zu@x.com\"}", sent++ ? "," : "",
                     1000 + i, i);
            sgx_buf_puts(body, num);
        }
    }
    sgx_buf_putc(body, ']');
    return 200;
}

/* Runs one EXIT job of rows "u<first>"… to the end. @returns the final verdict. */
static sgx_verdict_t sim_run(void *ctx, sim_t *sim, size_t first, size_t n)
{
    sgx_row_t **rows = sgx_calloc(n, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        char email[32];
        snprintf(email, sizeof email, "u%zu@x.com", first + i);
        const char *cell[1] = {email};
        rows[i] = dd_row(cell, 1);
    }
    sgx_batch_t batch = {.audience_id = "7", .op = EX, .nrows = n,
                         .rows = (const sgx_row_t *const *)rows};
    char *st = NULL;
    int step = 0;
    sgx_verdict_t v = NEXT;
    while (v == NEXT) {
        sgx_job_t job = {.batch = &batch, .step = step, .state = st};
        sgx_request_t req = {0};
        sgx_buf_t body = {0};
        assert_int_equal(sgx_connector_dotdigital.prepare(ctx, &job, &req), SGX_OK);
        long status = sim_answer(sim, &req, &body);
        sgx_request_clear(&req);
        sgx_response_t resp = {.status = status, .body = body.data, .body_len = body.len,
                               .headers = ""};
        sgx_classification_t out = {.retry_after_ms = -1, .next_step = step + 1};
        sgx_connector_dotdigital.classify(ctx, &job, &resp, &out);
        v = out.verdict;
        if (out.state) {
            sgx_free(st);
            st = out.state;
            out.state = NULL;
            assert_true(strlen(st) < n / 4 + 12 * (SGX_DD_DELETE_CHUNK + SGX_DD_PAGE));
        }
        step = out.next_step;
        sgx_classification_clear(&out);
        sgx_buf_free(&body);
    }
    sgx_free(st);
    for (size_t i = 0; i < n; i++) {
        sgx_free(rows[i]);
    }
    sgx_free(rows);
    return v;
}

/* 1,203 rows against a book of 2,000,000: one lookup per row is cheaper than 2,000 pages; the
 * ids are deleted in chunks of SGX_DD_DELETE_CHUNK. Rows 1,200-1,202 are contacts of the account
 * outside the book (their delete changes nothing), rows past the account answer 404. */
static void test_exit_lookups(void **state)
{
    (void)state;
    sim_t sim = {.book = 2000000, .account = 2000002};
    sim.in_book = sgx_calloc(sim.book, sizeof *sim.in_book);
    for (size_t i = 0; i < sim.book; i++) {
        sim.in_book[i] = true;
    }
    void *ctx = dd_ctx("EMAIL", "http://h", "100");
    assert_int_equal(sim_run(ctx, &sim, 2000000 - 1200, 1203), DELIV);
    assert_int_equal(sim.books, 1);
    assert_int_equal(sim.pages, 0);
    assert_int_equal(sim.lookups, 1203);
    assert_int_equal(sim.deletes, 3);
    assert_int_equal(sim_count(&sim), 2000000 - 1200);
    sgx_free(sim.in_book);
    sgx_connector_dotdigital.destroy(ctx);
}

/* 5,000 rows against a book of 4,500 (rows 0-4,499 members, 4,500-4,999 not even contacts): a
 * scan of 5 pages instead of 5,000 lookups, deletes between pages do not make it skip anyone,
 * and only the 500 e-mails the scan did not find are resolved one by one. */
static void test_exit_scan(void **state)
{
    (void)state;
    sim_t sim = {.book = 4500, .account = 4500};
    sim.in_book = sgx_calloc(sim.book, sizeof *sim.in_book);
    for (size_t i = 0; i < sim.book; i++) {
        sim.in_book[i] = true;
    }
    void *ctx = dd_ctx("EMAIL", "http://h", "100");
    assert_int_equal(sim_run(ctx, &sim, 0, 5000), DELIV);
    assert_int_equal(sim_count(&sim), 0);
    assert_int_equal(sim.books, 1);
    assert_int_equal(sim.lookups, 500);
    assert_true(sim.pages >= 5);
    /* a delete goes once SGX_DD_DELETE_CHUNK ids are collected, after the page that reached it */
    assert_true(sim.deletes >= 4500 / (SGX_DD_DELETE_CHUNK + SGX_DD_PAGE) &&
                sim.deletes <= 4500 / SGX_DD_DELETE_CHUNK);
    assert_true(sim.pages >= 5 && sim.pages <= 5 + sim.deletes);
    sgx_free(sim.in_book);
    sgx_connector_dotdigital.destroy(ctx);
}

/* An unreadable report-faults is read SGX_UNCONFIRMED_RETRIES times, then the whole batch is
 * dead-lettered (not split, not delivered). */
static void test_report_unparsable_bounded(void **state)
{
    (void)state;
    static const char *const a[] = {"a@x.com"};
    sgx_row_t *row = dd_row(a, 1);
    void *ctx = dd_ctx("EMAIL", "http://h", "100");
    sgx_batch_t batch = {.audience_id = "7", .op = EN, .nrows = 1,
                         .rows = (const sgx_row_t *const *)&row};
    const char *body = "<html>maintenance</html>";
    sgx_response_t resp = {.status = 200, .body = body, .body_len = strlen(body), .headers = ""};
    for (int attempt = 0; attempt < SGX_UNCONFIRMED_RETRIES; attempt++) {
        sgx_job_t job = {.batch = &batch, .step = 2, .state = "g 1", .attempt = attempt};
        sgx_classification_t out = {.retry_after_ms = -1, .next_step = 3};
        sgx_connector_dotdigital.classify(ctx, &job, &resp, &out);
        bool last = attempt + 1 == SGX_UNCONFIRMED_RETRIES;
        assert_int_equal(out.verdict, last ? REJECT : RETRY);
        assert_false(out.split);
        assert_int_equal(out.nrejected, 0);
        assert_int_equal(strncmp(out.reason, "dd_report_unparsable", 20), 0);
        sgx_classification_clear(&out);
    }
    sgx_free(row);
    sgx_connector_dotdigital.destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_faults_mapping),
        cmocka_unit_test(test_exit_lookups),
        cmocka_unit_test(test_exit_scan),
        cmocka_unit_test(test_report_unparsable_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
