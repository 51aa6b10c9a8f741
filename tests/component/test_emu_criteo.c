/* Component test of the Criteo emulator over real HTTP (libcurl, 127.0.0.1, ephemeral port): the
 * token endpoint, Bearer checks and expiry, every rejection of the ContactlistAmendment contract
 * with its exact error, set semantics, segment creation, wipes, the rate limit's headers (read
 * back through the connector's classify) and injected faults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "base/buf.h"
#include "connectors/criteo/criteo.h"
#include "emulators/criteo.h"

#include "tests/component/emu_criteo_http.h"

/* ---- token endpoint ------------------------------------------------------------------------ */

static void test_token(void **state)
{
    state_t *st = *state;
    resp_t r;
    assert_true(strncmp(st->token, "crt-", 4) == 0);
    get_token(st, GOOD_FORM, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "token_type")), "Bearer");
    assert_int_equal(json_integer_value(json_object_get(r.json, "expires_in")), 900);
    resp_free(&r);
    get_token(st, "grant_type=client_credentials&client_id=" CID "&client_secret=wrong", &r);
    assert_int_equal(r.status, 401);
    assert_string_equal(json_string_value(json_object_get(r.json, "error")), "invalid_client");
    resp_free(&r);
    get_token(st, "grant_type=password&client_id=" CID "&client_secret=s3cret%26x", &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(json_string_value(json_object_get(r.json, "error")),
                        "unsupported_grant_type");
    resp_free(&r);
    char url[128];
    snprintf(url, sizeof url, "%s/oauth2/token", st->base);
    http("POST", url, "application/json", NULL, "{\"client_id\":\"" CID "\"}", &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(json_string_value(json_object_get(r.json, "error")), "invalid_request");
    resp_free(&r);
    /* The connector's own token request is accepted, and its parser reads the answer. */
    const char *k[3] = {"client_id", "client_secret", "base_url"};
    const char *v[3] = {CID, CSECRET, st->base};
    sgx_dest_settings_t s = {"c", 3, k, v};
    char errbuf[256];
    void *ctx = NULL;
    assert_int_equal(sgx_connector_criteo.init(&s, &ctx, errbuf), SGX_OK);
    sgx_request_t req = {0};
    assert_int_equal(sgx_connector_criteo.auth_prepare(ctx, &req), SGX_OK);
    http(req.method, req.url, req.content_type, NULL, req.owned_body.data, &r);
    sgx_response_t resp = {.status = r.status, .body = r.body.data, .body_len = r.body.len};
    char *tok = NULL, reason[128] = "";
    int64_t ttl = 0;
    assert_int_equal(sgx_connector_criteo.auth_parse(ctx, &resp, &tok, &ttl, reason), SGX_OK);
    assert_int_equal(ttl, 900000);
    free(tok);
    resp_free(&r);
    sgx_request_clear(&req);
    sgx_connector_criteo.destroy(ctx);
    sgx_emu_criteo_stats_t stt;
    sgx_emu_criteo_stats(st->emu, &stt);
    assert_int_equal(stt.token_requests, 6);
    assert_int_equal(stt.tokens_issued, 3);
    assert_int_equal(stt.token_rejected, 3);
}

/* ---- Bearer -------------------------------------------------------------------------------- */

#define ADD(ids)                                                                               \
    "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"add\","      \
    "\"identifierType\":\"email\",\"identifiers\":" ids "}}}"
#define REMOVE(ids)                                                                            \
    "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"remove\","   \
    "\"identifierType\":\"email\",\"identifiers\":" ids "}}}"

static void test_bearer_required(void **state)
{
    state_t *st = *state;
    resp_t r;
    char url[256];
    snprintf(url, sizeof url, "%s" V "/42/contact-list", st->base);
    http("PATCH", url, "application/json", NULL, ADD("[\"" H1 "\"]"), &r);
    assert_int_equal(r.status, 401);
    assert_string_equal(err_code(&r), "unauthorized");
    resp_free(&r);
    http("PATCH", url, "application/json", "crt-1-forged", ADD("[\"" H1 "\"]"), &r);
    assert_int_equal(r.status, 401);
    resp_free(&r);
    assert_int_equal(sgx_emu_criteo_count(st->emu, "42"), 0);
    /* Expiring every token: the next call is 401 token-expired, a new token works again. */
    sgx_emu_criteo_expire_tokens(st->emu);
    api(st, "PATCH", V "/42/contact-list", ADD("[\"" H1 "\"]"), &r);
    assert_int_equal(r.status, 401);
    assert_string_equal(err_code(&r), "token-expired");
    resp_free(&r);
    get_token(st, GOOD_FORM, &r);
    snprintf(st->token, sizeof st->token, "%s",
             json_string_value(json_object_get(r.json, "access_token")));
    resp_free(&r);
    api(st, "PATCH", V "/42/contact-list", ADD("[\"" H1 "\"]"), &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    sgx_emu_criteo_stats_t stt;
    sgx_emu_criteo_stats(st->emu, &stt);
    assert_int_equal(stt.unauthorized, 3);
    assert_int_equal(stt.expired, 1);
}

static void test_token_ttl(void **state)
{
    (void)state;
    void *s2 = NULL;
    sgx_emu_criteo_opts_t o = {.client_id = CID, .client_secret = CSECRET, .token_ttl_s = 1,
                               .rate_limit = -1};
    assert_int_equal(setup_with(&s2, &o), 0);
    state_t *st = s2;
    resp_t r;
    api(st, "PATCH", V "/42/contact-list", ADD("[\"" H1 "\"]"), &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    usleep(1100 * 1000);
    api(st, "PATCH", V "/42/contact-list", ADD("[\"" H1 "\"]"), &r);
    assert_int_equal(r.status, 401);
    assert_string_equal(err_code(&r), "token-expired");
    resp_free(&r);
    teardown(&s2);
}

/* ---- the amendment contract ---------------------------------------------------------------- */

typedef struct {
    const char *body;
    unsigned status;
    const char *code;
} bad_case_t;

static void test_rejects_malformed(void **state)
{
    state_t *st = *state;
    static const bad_case_t bad[] = {
        {"not json", 400, "invalid-json"},
        {"[1]", 400, "invalid-json"},
        {"{\"data\":{\"type\":\"Contactlist\",\"attributes\":{\"operation\":\"add\","
         "\"identifiers\":[]}}}", 400, "invalid-data-type"},
        {"{\"data\":[{\"type\":\"ContactlistAmendment\"}]}", 400, "invalid-data-type"},
        {"{\"data\":{\"type\":\"ContactlistAmendment\"}}", 400, "missing-attributes"},
        {"{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"replace\","
         "\"identifiers\":[]}}}", 400, "invalid-operation"},
        {"{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{"
         "\"identifiers\":[]}}}", 400, "invalid-operation"},
        {"{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"add\","
         "\"identifierType\":\"customerid\",\"identifiers\":[]}}}", 400,
         "invalid-identifier-type"},
        {"{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"add\","
         "\"identifierType\":7,\"identifiers\":[]}}}", 400, "invalid-identifier-type"},
        {"{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"add\","
         "\"identifierType\":\"gum\",\"identifiers\":[\"x\"]}}}", 400, "missing-gum-caller-id"},
        {"{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"add\","
         "\"identifierType\":\"email\",\"identifiers\":\"" H1 "\"}}}", 400,
         "invalid-identifiers"},
        {ADD("[\"" H1 "\",7]"), 400, "invalid-identifiers"},
        {ADD("[\"a\",\"b\",\"c\",\"d\"]"), 400, "too-many-identifiers"},
    };
    resp_t r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        api(st, "PATCH", V "/42/contact-list", bad[i].body, &r);
        if (r.status != bad[i].status || strcmp(err_code(&r), bad[i].code) != 0) {
            fail_msg("case %zu: %ld %s", i, r.status, r.body.data);
        }
        resp_free(&r);
    }
    /* gum with its caller id is accepted. */
    api(st, "PATCH", V "/42/contact-list",
        "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"add\","
        "\"identifierType\":\"gum\",\"gumCallerId\":12,\"identifiers\":[\"g1\"]}}}", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    char url[256];
    snprintf(url, sizeof url, "%s" V "/42/contact-list", st->base);
    http("PATCH", url, "text/plain", st->token, ADD("[\"" H1 "\"]"), &r);
    assert_int_equal(r.status, 415);
    assert_string_equal(err_code(&r), "unsupported-media-type");
    resp_free(&r);
    api(st, "PATCH", V "/999/contact-list", ADD("[\"" H1 "\"]"), &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(err_code(&r), "audience-segment-not-found");
    resp_free(&r);
    api(st, "PATCH", "/v25.0/marketing-solutions/audience-segments/42/contact-list",
        ADD("[\"" H1 "\"]"), &r);
    assert_int_equal(r.status, 404);
    resp_free(&r);
    api(st, "POST", V "/42/contact-list", ADD("[\"" H1 "\"]"), &r);
    assert_int_equal(r.status, 404);
    resp_free(&r);
    assert_int_equal(sgx_emu_criteo_count(st->emu, "42"), 1); /* only g1 */
}

static json_t *audience(const state_t *st, const char *id)
{
    resp_t r;
    char url[256];
    snprintf(url, sizeof url, "%s/_emulator/audiences/%s", st->base, id);
    http("GET", url, NULL, NULL, NULL, &r);
    json_t *doc = json_incref(r.json);
    resp_free(&r);
    return doc;
}

static void test_set_semantics(void **state)
{
    state_t *st = *state;
    resp_t r;
    api(st, "PATCH", V "/42/contact-list",
        ADD("[\"" H2 "\",\"" H1 "\",\"" M1 "\",\"jane@example.org\",\"nope\",\"ABCD" H1 "\"]"),
        &r);
    /* max_identifiers is 3 in this fixture */
    assert_int_equal(r.status, 400);
    resp_free(&r);
    api(st, "PATCH", V "/42/contact-list", ADD("[\"" H2 "\",\"" H1 "\",\"nope\"]"), &r);
    assert_int_equal(r.status, 200);
    json_t *attrs = json_object_get(json_object_get(r.json, "data"), "attributes");
    assert_int_equal(json_integer_value(json_object_get(attrs, "nbValidIdentifiers")), 2);
    assert_int_equal(json_integer_value(json_object_get(attrs, "nbInvalidIdentifiers")), 1);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(attrs, "sampleInvalidIdentifiers"), 0)),
        "nope");
    resp_free(&r);
    api(st, "PATCH", V "/42/contact-list", ADD("[\"" H1 "\",\"" M1 "\",\"a.b@example.org\"]"),
        &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    json_t *doc = audience(st, "42");
    json_t *m = json_object_get(doc, "members");
    assert_int_equal(json_integer_value(json_object_get(doc, "count")), 4);
    assert_string_equal(json_string_value(json_array_get(m, 0)), M1); /* sorted */
    assert_string_equal(json_string_value(json_array_get(m, 1)), H2);
    assert_string_equal(json_string_value(json_array_get(m, 2)), H1);
    assert_string_equal(json_string_value(json_array_get(m, 3)), "a.b@example.org");
    json_decref(doc);
    api(st, "PATCH", V "/42/contact-list", REMOVE("[\"" H1 "\",\"" H1 "\",\"absent@x.io\"]"),
        &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    assert_int_equal(sgx_emu_criteo_count(st->emu, "42"), 3);
    api(st, "DELETE", V "/42/contact-list", NULL, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    assert_int_equal(sgx_emu_criteo_count(st->emu, "42"), 0);
    sgx_emu_criteo_stats_t stt;
    sgx_emu_criteo_stats(st->emu, &stt);
    assert_int_equal(stt.add_requests, 2);
    assert_int_equal(stt.remove_requests, 1);
    assert_int_equal(stt.wipe_requests, 1);
    assert_int_equal(stt.identifiers_invalid, 1);
}

static void test_create(void **state)
{
    state_t *st = *state;
    resp_t r;
    api(st, "POST", V "/create",
        "{\"data\":[{\"type\":\"AudienceSegment\",\"attributes\":{\"advertiserId\":\"12345\","
        "\"name\":\"seg-x\",\"description\":\"d\",\"contactList\":{}}}]}", &r);
    assert_int_equal(r.status, 200);
    const char *id = json_string_value(json_object_get(json_array_get(json_object_get(r.json,
                                                                                      "data"), 0),
                                                       "id"));
    assert_non_null(id);
    char found[32] = "";
    assert_true(sgx_emu_criteo_find_by_name(st->emu, "seg-x", found, sizeof found));
    assert_string_equal(found, id);
    assert_int_equal(sgx_emu_criteo_count(st->emu, id), 0);
    resp_free(&r);
    assert_false(sgx_emu_criteo_find_by_name(st->emu, "seg-y", found, sizeof found));
    static const char *const bad[] = {
        "{\"data\":{\"type\":\"AudienceSegment\"}}",
        "{\"data\":[{\"type\":\"AudienceSegment\",\"attributes\":{\"name\":\"n\","
        "\"contactList\":{}}}]}",
        "{\"data\":[{\"type\":\"AudienceSegment\",\"attributes\":{\"advertiserId\":\"1\","
        "\"name\":\"n\"}}]}",
        "{\"data\":[{\"type\":\"Segment\",\"attributes\":{\"advertiserId\":\"1\","
        "\"name\":\"n\",\"contactList\":{}}}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        api(st, "POST", V "/create", bad[i], &r);
        assert_int_equal(r.status, 400);
        assert_string_equal(err_code(&r), "invalid-segment");
        resp_free(&r);
    }
}

/* ---- rate limit and faults ----------------------------------------------------------------- */

static const char *hdr(const resp_t *r, const char *name, char *out, size_t cap)
{
    sgx_response_t resp = {.headers = r->headers.data};
    const char *v;
    size_t n;
    if (sgx_response_header(&resp, name, &v, &n) != SGX_OK) {
        return NULL;
    }
    snprintf(out, cap, "%.*s", (int)n, v);
    return out;
}

static void classify(const resp_t *r, sgx_classification_t *c)
{
    sgx_batch_t b = {.audience_id = "42", .nrows = 1};
    sgx_job_t job = {.batch = &b};
    sgx_response_t resp = {.status = r->status, .body = r->body.data, .body_len = r->body.len,
                           .headers = r->headers.data};
    memset(c, 0, sizeof *c);
    c->retry_after_ms = -1;
    sgx_connector_criteo.classify(NULL, &job, &resp, c);
}

static void test_rate_limit(void **state)
{
    (void)state;
    void *s2 = NULL;
    sgx_emu_criteo_opts_t o = {.client_id = CID, .client_secret = CSECRET, .rate_limit = 3,
                               .rate_window_s = 60};
    assert_int_equal(setup_with(&s2, &o), 0);
    state_t *st = s2;
    resp_t r;
    char v[64], date[64];
    int ok = 0, limited = 0;
    for (int i = 0; i < 8; i++) {
        api(st, "PATCH", V "/42/contact-list", ADD("[\"" H1 "\"]"), &r);
        if (r.status == 200) {
            ok++;
            assert_non_null(hdr(&r, "x-ratelimit-limit", v, sizeof v));
            assert_string_equal(v, "3");
        } else {
            limited++;
            assert_int_equal(r.status, 429);
            assert_string_equal(err_code(&r), "too-many-requests");
            assert_string_equal(hdr(&r, "x-ratelimit-remaining", v, sizeof v), "0");
            assert_non_null(hdr(&r, "x-ratelimit-reset", v, sizeof v));
            assert_non_null(hdr(&r, "Date", date, sizeof date));
            int64_t d = 0;
            assert_true(sgx_criteo_parse_http_date(date, strlen(date), &d));
            long long reset = atoll(v);
            assert_true(reset > d && reset <= d + 60);
            sgx_classification_t c;
            classify(&r, &c);
            assert_int_equal(c.verdict, SGX_CLS_RETRY);
            assert_true(c.throttled);
            assert_int_equal(c.retry_after_ms, (reset - d) * 1000);
        }
        resp_free(&r);
    }
    /* A window boundary may fall inside the loop: then up to 6 calls pass. */
    assert_true(ok >= 3 && ok <= 6);
    assert_int_equal(ok + limited, 8);
    sgx_emu_criteo_stats_t stt;
    sgx_emu_criteo_stats(st->emu, &stt);
    assert_int_equal(stt.rate_limited, (uint64_t)limited);
    assert_int_equal(stt.peak_window_calls >= 4, true);
    teardown(&s2);
}

static void test_faults(void **state)
{
    state_t *st = *state;
    resp_t r;
    char v[64];
    sgx_emu_criteo_inject(st->emu, SGX_EMU_CRT_THROTTLE, 1, 0, 7);
    api(st, "PATCH", V "/42/contact-list", ADD("[\"" H1 "\"]"), &r);
    assert_int_equal(r.status, 429);
    sgx_classification_t c;
    classify(&r, &c);
    assert_true(c.throttled);
    assert_true(c.retry_after_ms >= 6000 && c.retry_after_ms <= 8000);
    assert_non_null(hdr(&r, "x-ratelimit-reset", v, sizeof v));
    resp_free(&r);
    sgx_emu_criteo_inject(st->emu, SGX_EMU_CRT_5XX, 2, 502, 0);
    for (int i = 0; i < 2; i++) {
        api(st, "PATCH", V "/42/contact-list", ADD("[\"" H1 "\"]"), &r);
        assert_int_equal(r.status, 502);
        classify(&r, &c);
        assert_int_equal(c.verdict, SGX_CLS_RETRY);
        assert_false(c.throttled);
        resp_free(&r);
    }
    api(st, "PATCH", V "/42/contact-list", ADD("[\"" H1 "\"]"), &r);
    assert_int_equal(r.status, 200);
    classify(&r, &c);
    assert_int_equal(c.verdict, SGX_CLS_DELIVERED);
    assert_string_equal(c.reason, "nbValidIdentifiers=1 nbInvalidIdentifiers=0");
    resp_free(&r);
    sgx_emu_criteo_stats_t stt;
    sgx_emu_criteo_stats(st->emu, &stt);
    assert_int_equal(stt.throttled, 1);
    assert_int_equal(stt.failed_5xx, 2);
    assert_int_equal(stt.rate_limited, 0);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bearer_required, setup, teardown),
        cmocka_unit_test(test_token_ttl),
        cmocka_unit_test_setup_teardown(test_rejects_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_semantics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create, setup, teardown),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
