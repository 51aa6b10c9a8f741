/* Criteo response classification and token parsing: one table row per case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/criteo/criteo.h"
#include "base/mem.h"

#define DELIV SGX_CLS_DELIVERED
#define RETRY SGX_CLS_RETRY
#define REJECT SGX_CLS_REJECTED
#define REAUTH SGX_CLS_REAUTH
#define NEXT SGX_CLS_NEXT_STEP

#define ERRS(code)                                                                             \
    "{\"errors\":[{\"traceId\":\"t1\",\"type\":\"validation\",\"code\":\"" code "\","          \
    "\"instance\":\"/x\",\"title\":\"bad\",\"detail\":\"jane@example.com is bad\"}],"          \
    "\"warnings\":[]}"
#define AMEND(valid, invalid)                                                                  \
    "{\"data\":{\"type\":\"ContactlistAmendment\",\"id\":\"42\",\"attributes\":{"             \
    "\"contactListId\":\"42\",\"operation\":\"add\",\"identifierType\":\"email\","             \
    "\"nbValidIdentifiers\":" #valid ",\"nbInvalidIdentifiers\":" #invalid ","                 \
    "\"sampleInvalidIdentifiers\":[\"jane@example\"]}},\"errors\":[],\"warnings\":[]}"
#define RL(reset, date)                                                                        \
    "x-ratelimit-limit: 250\r\nx-ratelimit-remaining: 0\r\nx-ratelimit-reset: " reset          \
    "\r\nDate: " date "\r\n"
/* 784111777 = Sun, 06 Nov 1994 08:49:37 GMT */
#define DATE0 "Sun, 06 Nov 1994 08:49:37 GMT"

typedef struct {
    bool creating; /* the creation step (1) with no audience id */
    long status;
    int transport;
    const char *body;
    const char *headers;
    sgx_verdict_t verdict;
    bool throttled;
    int64_t retry_after_ms;
    const char *reason; /* exact */
    const char *created;
} cls_case_t;

static const cls_case_t cases[] = {
    /* transport */
    {false, 0, 1, NULL, NULL, RETRY, false, -1, "transport_error", NULL},
    {false, 200, 7, AMEND(1, 0), NULL, RETRY, false, -1, "transport_error", NULL},
    /* success; invalid identifiers are counted, never copied */
    {false, 200, 0, AMEND(2, 0), NULL, DELIV, false, -1,
     "nbValidIdentifiers=2 nbInvalidIdentifiers=0", NULL},
    {false, 200, 0, AMEND(7, 3), NULL, DELIV, false, -1,
     "nbValidIdentifiers=7 nbInvalidIdentifiers=3", NULL},
    {false, 204, 0, "{}", NULL, RETRY, false, -1, "criteo_unconfirmed status=204", NULL},
    {false, 200, 0, "<html>", NULL, RETRY, false, -1, "unparsable_response status=200", NULL},
    {false, 200, 0, ERRS("oops"), NULL, REJECT, false, -1, "criteo_error status=200 code=oops",
     NULL},
    /* errors */
    {false, 400, 0, ERRS("invalid-identifier-type"), NULL, REJECT, false, -1,
     "criteo_error status=400 code=invalid-identifier-type", NULL},
    {false, 400, 0, ERRS("has space; and=stuff"), NULL, REJECT, false, -1,
     "criteo_error status=400 code=unexpected", NULL},
    {false, 400, 0, "not json", NULL, REJECT, false, -1, "criteo_error status=400", NULL},
    {false, 401, 0, ERRS("token-expired"), NULL, REAUTH, false, -1,
     "unauthorized status=401 code=token-expired", NULL},
    {false, 401, 0, "", NULL, REAUTH, false, -1, "unauthorized status=401", NULL},
    {false, 403, 0, ERRS("forbidden"), NULL, SGX_CLS_FATAL, false, -1,
     "forbidden status=403 code=forbidden", NULL},
    {false, 404, 0, ERRS("audience-segment-not-found"), NULL, SGX_CLS_FATAL, false, -1,
     "audience_not_found status=404 code=audience-segment-not-found", NULL},
    {false, 413, 0, "", NULL, REJECT, false, -1, "criteo_error status=413", NULL},
    /* throttling: reset - Date */
    {false, 429, 0, ERRS("too-many-requests"), RL("784111800", DATE0), RETRY, true, 23000,
     "rate_limited status=429 code=too-many-requests", NULL},
    {false, 429, 0, "", RL("784111777", DATE0), RETRY, true, 0, "rate_limited status=429",
     NULL},
    {false, 429, 0, "", RL("784111700", DATE0), RETRY, true, 0, "rate_limited status=429",
     NULL},
    {false, 429, 0, "", "x-ratelimit-reset: 784111800\r\n", RETRY, true, -1,
     "rate_limited status=429", NULL},
    {false, 429, 0, "", RL("soon", DATE0), RETRY, true, -1, "rate_limited status=429", NULL},
    {false, 429, 0, "", "Date: " DATE0 "\r\n", RETRY, true, -1, "rate_limited status=429",
     NULL},
    {false, 429, 0, "", NULL, RETRY, true, -1, "rate_limited status=429", NULL},
    /* server side */
    {false, 500, 0, ERRS("internal-error"), NULL, RETRY, false, -1,
     "server_error status=500 code=internal-error", NULL},
    {false, 503, 0, "Service Unavailable", NULL, RETRY, false, -1, "server_error status=503",
     NULL},
    {false, 408, 0, "", NULL, RETRY, false, -1, "server_error status=408", NULL},
    {false, 302, 0, "", NULL, RETRY, false, -1, "unexpected_status status=302", NULL},
    /* segment creation (step 1 without an audience id) */
    {true, 200, 0, "{\"data\":[{\"id\":\"9000001\",\"type\":\"AudienceSegment\"}],"
                   "\"errors\":[],\"warnings\":[]}",
     NULL, NEXT, false, 0, "segment_created", "9000001"},
    {true, 201, 0, "{\"data\":{\"id\":77,\"type\":\"AudienceSegment\"}}", NULL, NEXT, false, 0,
     "segment_created", "77"},
    {true, 200, 0, "{\"data\":[]}", NULL, REJECT, false, -1,
     "create_response_without_id status=200", NULL},
    {true, 400, 0, ERRS("invalid-segment"), NULL, REJECT, false, -1,
     "criteo_error status=400 code=invalid-segment", NULL},
    {true, 401, 0, "", NULL, REAUTH, false, -1, "unauthorized status=401", NULL},
    {true, 503, 0, "", NULL, RETRY, false, -1, "server_error status=503", NULL},
};

/* Every answer's x-ratelimit-remaining and reset - Date go to the pacer; without a Date (or
 * a reset) nothing is reported, since a connector has no clock of its own. */
static void test_quota_for_the_pacer(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *headers;
        bool has;
        int64_t left, reset_ms;
    } ucases[] = {
        {200, "x-ratelimit-limit: 250\r\nx-ratelimit-remaining: 17\r\n"
              "x-ratelimit-reset: 784111800\r\nDate: " DATE0 "\r\n", true, 17, 23000},
        {429, RL("784111800", DATE0), true, 0, 23000},
        {200, "x-ratelimit-remaining: 17\r\nx-ratelimit-reset: 784111800\r\n", false, 0, 0},
        {200, NULL, false, 0, 0},
    };
    for (size_t i = 0; i < sizeof ucases / sizeof ucases[0]; i++) {
        sgx_batch_t b = {.audience_id = "42", .segment = "seg-1", .nrows = 1};
        sgx_job_t job = {.batch = &b};
        const char *body = ucases[i].status == 200 ? AMEND(1, 0) : "";
        sgx_response_t resp = {.status = ucases[i].status, .body = body, .body_len = strlen(body),
                               .headers = ucases[i].headers};
        sgx_classification_t c = {.retry_after_ms = -1, .next_step = 1};
        sgx_connector_criteo.classify(NULL, &job, &resp, &c);
        assert_int_equal(c.has_quota, ucases[i].has);
        assert_int_equal(c.quota_remaining, ucases[i].left);
        assert_int_equal(c.quota_reset_ms, ucases[i].reset_ms);
        sgx_classification_clear(&c);
    }
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const cls_case_t *tc = &cases[i];
        sgx_batch_t b = {.audience_id = tc->creating ? NULL : "42", .segment = "seg-1",
                         .nrows = 1};
        sgx_job_t job = {.batch = &b, .step = tc->creating ? SGX_CRITEO_STEP_CREATE : 0};
        sgx_response_t resp = {.status = tc->status, .transport_error = tc->transport,
                               .body = tc->body, .body_len = tc->body ? strlen(tc->body) : 0,
                               .headers = tc->headers};
        sgx_classification_t c = {.retry_after_ms = -1, .next_step = job.step + 1};
        sgx_connector_criteo.classify(NULL, &job, &resp, &c);
        if (c.verdict != tc->verdict || c.throttled != tc->throttled ||
            c.retry_after_ms != tc->retry_after_ms || strcmp(c.reason, tc->reason) != 0) {
            fail_msg("case %zu (status %ld): verdict %d throttled %d after %lld reason '%s'", i,
                     tc->status, c.verdict, c.throttled, (long long)c.retry_after_ms, c.reason);
        }
        if (tc->created) {
            assert_non_null(c.created_audience_id);
            assert_string_equal(c.created_audience_id, tc->created);
            assert_int_equal(c.next_step, SGX_CRITEO_STEP_PATCH);
        } else {
            assert_null(c.created_audience_id);
        }
        /* A creation that may have happened is never resent blindly: back to the search. */
        if (tc->creating && (c.verdict == RETRY || c.verdict == REAUTH)) {
            assert_int_equal(c.next_step, SGX_CRITEO_STEP_SEARCH);
        }
        /* No identifier from the body ever reaches the reason. */
        assert_null(strstr(c.reason, "jane"));
        sgx_classification_clear(&c);
    }
}

/* A creation reply for a batch that already has its audience is a plain delivery, not a new
 * audience: the id in the body must not be taken. */
static void test_no_create_when_known(void **state)
{
    (void)state;
    sgx_batch_t b = {.audience_id = "42", .segment = "seg-1", .nrows = 1};
    sgx_job_t job = {.batch = &b, .step = 1};
    const char *body = AMEND(1, 0);
    sgx_response_t resp = {.status = 200, .body = body, .body_len = strlen(body)};
    sgx_classification_t c = {.retry_after_ms = -1, .next_step = 2};
    sgx_connector_criteo.classify(NULL, &job, &resp, &c);
    assert_int_equal(c.verdict, DELIV);
    assert_null(c.created_audience_id);
    sgx_classification_clear(&c);
}

/* ---- the search before a creation (criteo_search.c) ---------------------------------------- */

#define SEG(id, name, adv, type)                                                               \
    "{\"id\":" id ",\"type\":\"AudienceSegment\",\"attributes\":{\"name\":\"" name "\","       \
    "\"advertiserId\":\"" adv "\",\"type\":\"" type "\"}}"
#define PAGE(total, ...) "{\"data\":[" __VA_ARGS__ "],\"meta\":{\"totalItems\":" #total "}}"

typedef struct {
    const char *state; /* the page offset, NULL for the first page */
    long status;
    const char *body;
    sgx_verdict_t verdict;
    int next_step;
    const char *next_state;
    const char *found;
    const char *reason;
} search_case_t;

static const search_case_t search_cases[] = {
    {NULL, 200, PAGE(2, SEG("\"7\"", "other", "12345", "ContactList") ","
                        SEG("\"9000002\"", "seg-1", "12345", "ContactList")),
     NEXT, 2, NULL, "9000002", "segment_found"},
    {NULL, 200, PAGE(1, SEG("77", "seg-1", "12345", "ContactList")), NEXT, 2, NULL, "77",
     "segment_found"},
    /* The name under another advertiser, or a segment that is no contact list: not ours. */
    {NULL, 200, PAGE(2, SEG("\"8\"", "seg-1", "999", "ContactList") ","
                        SEG("\"9\"", "seg-1", "12345", "Behavioral")),
     NEXT, 1, NULL, NULL, "segment_not_found"},
    /* More pages: the next offset is what was seen so far. */
    {NULL, 200, PAGE(5, SEG("\"7\"", "other", "12345", "ContactList")), NEXT, 0, "1", NULL,
     "segment_search_next_page"},
    {"100", 200, PAGE(250, SEG("\"7\"", "other", "12345", "ContactList")), NEXT, 0, "101",
     NULL, "segment_search_next_page"},
    {"4", 200, PAGE(5, SEG("\"7\"", "other", "12345", "ContactList")), NEXT, 1, NULL, NULL,
     "segment_not_found"},
    /* An empty page ends the search whatever totalItems says. */
    {"4", 200, PAGE(10), NEXT, 1, NULL, NULL, "segment_not_found"},
    {"99999", 200, PAGE(200000, SEG("\"7\"", "other", "12345", "ContactList")),
     SGX_CLS_REJECTED, 1, NULL, NULL, "segment_search_too_long"},
    {NULL, 200, "nope", RETRY, 1, NULL, NULL, "search_unparsable_response status=200"},
    {NULL, 200, "{\"data\":{}}", RETRY, 1, NULL, NULL, "search_unparsable_response"},
    {NULL, 200, ERRS("x"), REJECT, 1, NULL, NULL, "search_error"},
    {NULL, 410, ERRS("version-decommissioned"), SGX_CLS_FATAL, 1, NULL, NULL,
     "api_version_gone status=410 code=version-decommissioned"},
    {NULL, 404, ERRS("route-not-found"), SGX_CLS_FATAL, 1, NULL, NULL,
     "route_not_found status=404 code=route-not-found"},
    {NULL, 400, ERRS("invalid-search-filters"), REJECT, 1, NULL, NULL,
     "criteo_error status=400 code=invalid-search-filters"},
};

static void test_search(void **state)
{
    (void)state;
    const char *k[] = {"client_id", "client_secret", "advertiser_id"};
    const char *v[] = {"cid", "sec", "12345"};
    sgx_dest_settings_t set = {"criteo-test", 3, k, v};
    char errbuf[SGX_ERRBUF_SIZE];
    void *ctx = NULL;
    assert_int_equal(sgx_connector_criteo.init(&set, &ctx, errbuf), SGX_OK);
    for (size_t i = 0; i < sizeof search_cases / sizeof search_cases[0]; i++) {
        const search_case_t *tc = &search_cases[i];
        sgx_batch_t b = {.audience_id = NULL, .segment = "seg-1", .nrows = 1};
        sgx_job_t job = {.batch = &b, .step = SGX_CRITEO_STEP_SEARCH, .state = tc->state};
        sgx_response_t resp = {.status = tc->status, .body = tc->body,
                               .body_len = strlen(tc->body)};
        sgx_classification_t c = {.retry_after_ms = -1, .next_step = 1};
        sgx_connector_criteo.classify(ctx, &job, &resp, &c);
        if (c.verdict != tc->verdict || strcmp(c.reason, tc->reason) != 0 ||
            (tc->verdict == NEXT && c.next_step != tc->next_step)) {
            fail_msg("search case %zu: verdict %d step %d reason '%s'", i, c.verdict,
                     c.next_step, c.reason);
        }
        if (tc->next_state) {
            assert_non_null(c.state);
            assert_string_equal(c.state, tc->next_state);
        } else {
            assert_null(c.state);
        }
        if (tc->found) {
            assert_non_null(c.created_audience_id);
            assert_string_equal(c.created_audience_id, tc->found);
        } else {
            assert_null(c.created_audience_id);
        }
        assert_null(strstr(c.reason, "seg-1")); /* names never reach a reason */
        sgx_classification_clear(&c);
    }
    sgx_connector_criteo.destroy(ctx);
}

typedef struct {
    long status;
    int transport;
    const char *body;
    sgx_err_t err;
    const char *token;
    int64_t ttl_ms;
    const char *reason;
} auth_case_t;

static const auth_case_t auth_cases[] = {
    {200, 0, "{\"access_token\":\"abc.def\",\"token_type\":\"Bearer\",\"expires_in\":900}", SGX_OK,
     "abc.def", 900000, ""},
    {200, 0, "{\"access_token\":\"x\",\"token_type\":\"bearer\",\"expires_in\":3}", SGX_OK, "x",
     3000, ""},
    {200, 0, "{\"access_token\":\"x\"}", SGX_OK, "x", 900000, ""},
    {200, 0, "{\"access_token\":\"x\",\"token_type\":\"mac\",\"expires_in\":9}", SGX_ERR_HTTP,
     NULL, 0, "token_type_not_bearer"},
    {200, 0, "{\"access_token\":\"x\",\"expires_in\":0}", SGX_ERR_HTTP, NULL, 0,
     "token_expires_in_invalid"},
    {200, 0, "{\"access_token\":\"x\",\"expires_in\":\"900\"}", SGX_ERR_HTTP, NULL, 0,
     "token_expires_in_invalid"},
    {200, 0, "{\"access_token\":\"a b\\r\\nX-Evil: 1\"}", SGX_ERR_HTTP, NULL, 0,
     "token_response_without_access_token"},
    {200, 0, "{\"token_type\":\"Bearer\"}", SGX_ERR_HTTP, NULL, 0,
     "token_response_without_access_token"},
    {200, 0, "nope", SGX_ERR_HTTP, NULL, 0, "token_response_without_access_token"},
    {401, 0, "{\"error\":\"invalid_client\"}", SGX_ERR_HTTP, NULL, 0,
     "token_status=401 error=invalid_client"},
    {400, 0, "{\"error\":\"unsupported_grant_type\"}", SGX_ERR_HTTP, NULL, 0,
     "token_status=400 error=unsupported_grant_type"},
    {503, 0, "down", SGX_ERR_HTTP, NULL, 0, "token_status=503"},
    {0, 1, NULL, SGX_ERR_HTTP, NULL, 0, "transport_error"},
};

static void test_auth_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof auth_cases / sizeof auth_cases[0]; i++) {
        const auth_case_t *tc = &auth_cases[i];
        sgx_response_t resp = {.status = tc->status, .transport_error = tc->transport,
                               .body = tc->body, .body_len = tc->body ? strlen(tc->body) : 0};
        char reason[128] = "";
        char *token = (char *)"sentinel";
        int64_t ttl = -5;
        sgx_err_t err = sgx_connector_criteo.auth_parse(NULL, &resp, &token, &ttl, reason);
        if (err != tc->err || strcmp(reason, tc->reason) != 0) {
            fail_msg("auth case %zu: err %d reason '%s'", i, err, reason);
        }
        if (tc->token) {
            assert_non_null(token);
            assert_string_equal(token, tc->token);
            assert_int_equal(ttl, tc->ttl_ms);
            sgx_free(token);
        } else {
            assert_null(token);
        }
    }
}

/* What the core does with a refusal: block the destination (credentials: re-read secrets), block
 * the audience, or split the batch; and a 2xx without counts is retried, then blocks. */
static void test_blocks_and_splits(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *body;
        int attempt;
        sgx_verdict_t verdict;
        const char *kind;
    } kinds[] = {
        {403, ERRS("forbidden"), 0, SGX_CLS_FATAL, "auth"},
        {404, ERRS("audience-segment-not-found"), 0, SGX_CLS_FATAL, "aud"},
        {400, ERRS("invalid-identifier-type"), 0, REJECT, "split"},
        {413, "", 0, REJECT, "split"},
        {200, ERRS("oops"), 0, REJECT, "split"},
        {204, "{}", 0, RETRY, ""},
        {200, "{\"data\":{}}", SGX_UNCONFIRMED_RETRIES - 2, RETRY, ""},
        {200, "{\"data\":{}}", SGX_UNCONFIRMED_RETRIES - 1, SGX_CLS_FATAL, "dest"},
        {200, AMEND(1, 0), SGX_UNCONFIRMED_RETRIES - 1, DELIV, ""},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        sgx_batch_t b = {.audience_id = "42", .segment = "seg-1", .nrows = 1};
        sgx_job_t job = {.batch = &b, .step = 1, .attempt = kinds[i].attempt};
        sgx_response_t resp = {.status = kinds[i].status, .body = kinds[i].body,
                               .body_len = strlen(kinds[i].body)};
        sgx_classification_t c = {.retry_after_ms = -1, .next_step = 2};
        sgx_connector_criteo.classify(NULL, &job, &resp, &c);
        const char *kind = c.verdict == SGX_CLS_FATAL
                               ? (c.block_scope == SGX_BLOCK_AUDIENCE ? "aud"
                                  : c.block_auth                      ? "auth"
                                                                      : "dest")
                               : (c.split ? "split" : "");
        if (c.verdict != kinds[i].verdict || strcmp(kind, kinds[i].kind) != 0) {
            fail_msg("case %zu: verdict %d kind '%s' reason '%s'", i, c.verdict, kind, c.reason);
        }
        sgx_classification_clear(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_quota_for_the_pacer),
        cmocka_unit_test(test_blocks_and_splits),
        cmocka_unit_test(test_no_create_when_known),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_auth_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
