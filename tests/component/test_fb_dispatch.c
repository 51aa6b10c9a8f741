/* The Meta connector against the Meta emulator over real HTTP (the core's pipeline/http.c), one
 * step at a time as the dispatcher runs them: audiences found or created by name, removals in the
 * query string sized by URL length, and the emulator refusing what Graph refuses (a DELETE body,
 * a target past 8000 bytes, bad search filters). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/mem.h"
#include "connectors/facebook/fb.h"
#include "emulators/facebook.h"
#include "pipeline/http.h"

#define TOKEN "test-token"

typedef struct {
    sgx_emu_fb_t *emu;
    void *ctx;
    char base[64];
    sgx_http_t h;
    sgx_response_t resp;
    json_t *json; /* the last reply, parsed */
} st_t;

static int setup(void **state)
{
    st_t *st = sgx_calloc(1, sizeof *st);
    sgx_emu_fb_opts_t o = {.access_token = TOKEN};
    assert_int_equal(sgx_emu_fb_start(&o, &st->emu), SGX_OK);
    snprintf(st->base, sizeof st->base, "http://127.0.0.1:%u", sgx_emu_fb_port(st->emu));
    const char *k[4] = {"access_token", "base_url", "ad_account_id", "keys"};
    const char *v[4] = {TOKEN, st->base, "act_42", "EMAIL,PHONE"};
    sgx_dest_settings_t s = {"fb", 4, k, v};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    assert_int_equal(sgx_connector_facebook.init(&s, &st->ctx, errbuf), SGX_OK);
    *state = st;
    return 0;
}

static int teardown(void **state)
{
    st_t *st = *state;
    json_decref(st->json);
    sgx_http_cleanup(&st->h);
    sgx_connector_facebook.destroy(st->ctx);
    sgx_emu_fb_stop(st->emu);
    sgx_free(st);
    return 0;
}

/* Sends req (cleared after) and keeps the reply in st. */
static void http_send(st_t *st, sgx_request_t *req)
{
    assert_int_equal(sgx_http_setup(&st->h, req, 30000, NULL), SGX_OK);
    sgx_http_reset_response(&st->h);
    sgx_http_response(&st->h, curl_easy_perform(st->h.easy), &st->resp);
    json_decref(st->json);
    st->json = st->resp.body ? json_loadb(st->resp.body, st->resp.body_len, 0, NULL) : NULL;
    sgx_request_clear(req);
}

static long err_code(const st_t *st)
{
    return (long)json_integer_value(json_object_get(json_object_get(st->json, "error"), "code"));
}

/* A hand-built request: the URL is relative to the emulator, body optional. */
static void raw(st_t *st, const char *method, const char *path, const char *body)
{
    sgx_request_t req = {0};
    snprintf(req.method, sizeof req.method, "%s", method);
    size_t n = strlen(st->base) + strlen(path) + 1;
    req.url = sgx_malloc(n);
    snprintf(req.url, n, "%s%s", st->base, path);
    if (body) {
        sgx_buf_puts(&req.owned_body, body);
        req.body = &req.owned_body;
        req.content_type = sgx_strdup("application/x-www-form-urlencoded");
    }
    http_send(st, &req);
}

static sgx_row_t *row_new(unsigned seed)
{
    sgx_row_t *r = sgx_calloc(1, sizeof *r + 64);
    for (int i = 0; i < 64; i++) {
        r->data[i] = (unsigned char)(i < 4 ? seed >> (8 * i) : (unsigned)i * 7); /* unique */
    }
    r->nvals = 2;
    r->vals[0] = (sgx_row_val_t){.kind = SGX_VAL_DIGEST, .len = 32, .off = 0};
    r->vals[1] = (sgx_row_val_t){.kind = SGX_VAL_DIGEST, .len = 32, .off = 32};
    r->data_len = 64;
    return r;
}

/* Runs one batch to a final verdict the way the dispatcher does: encode (halving while too
 * large), then prepare/send/classify per step; a found or created audience id is recorded in
 * *aud_id (owned) and used from then on. @returns the verdict; b->nrows is what was sent. */
static sgx_verdict_t run(st_t *st, sgx_batch_t *b, char **aud_id)
{
    sgx_buf_t body = {0};
    sgx_err_t err;
    while ((err = sgx_connector_facebook.encode(st->ctx, b, &body)) == SGX_ERR_TOO_LARGE) {
        b->nrows /= 2;
    }
    assert_int_equal(err, SGX_OK);
    sgx_job_t job = {.batch = b, .body = &body};
    sgx_verdict_t v = SGX_CLS_RETRY;
    for (int i = 0; i < 8; i++) {
        b->audience_id = *aud_id;
        sgx_request_t req = {0};
        assert_int_equal(sgx_connector_facebook.prepare(st->ctx, &job, &req), SGX_OK);
        http_send(st, &req);
        sgx_classification_t c = {.retry_after_ms = -1, .next_step = job.step + 1};
        sgx_connector_facebook.classify(st->ctx, &job, &st->resp, &c);
        if (c.created_audience_id && !*aud_id) {
            *aud_id = c.created_audience_id;
            c.created_audience_id = NULL;
        }
        v = c.verdict;
        job.step = c.next_step;
        sgx_classification_clear(&c);
        if (v != SGX_CLS_NEXT_STEP) {
            break;
        }
    }
    sgx_buf_free(&body);
    return v;
}

static size_t members(st_t *st, const char *id)
{
    char path[96];
    snprintf(path, sizeof path, "/_emulator/audiences/%s", id);
    raw(st, "GET", path, NULL);
    return (size_t)json_integer_value(json_object_get(st->json, "count"));
}

static void test_found_or_created(void **state)
{
    st_t *st = *state;
    sgx_row_t *rows[3] = {row_new(1), row_new(2), row_new(3)};
    sgx_batch_t b = {.segment = "seg a", .op = SGX_OP_ENTER, .batch_seq = 1, .last_batch = true,
                     .nrows = 3, .rows = (const sgx_row_t *const *)rows};
    char *id = NULL;
    assert_int_equal(run(st, &b, &id), SGX_CLS_DELIVERED); /* search, create, upload */
    assert_non_null(id);
    assert_int_equal(members(st, id), 3);
    /* A restart without state: the search finds it, nothing is created twice. */
    char *again = NULL;
    b.nrows = 1;
    assert_int_equal(run(st, &b, &again), SGX_CLS_DELIVERED);
    assert_string_equal(again, id);
    raw(st, "GET", "/v25.0/act_42/customaudiences?fields=id,name&access_token=" TOKEN, NULL);
    assert_int_equal(st->resp.status, 200);
    json_t *data = json_object_get(st->json, "data");
    assert_int_equal(json_array_size(data), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(data, 0), "name")),
                        "seg a");
    /* Removals never search or create (the core acknowledges them without a request). */
    b.op = SGX_OP_EXIT;
    b.audience_id = NULL;
    sgx_buf_t body = {0};
    sgx_job_t job = {.batch = &b, .body = &body};
    sgx_request_t req = {0};
    assert_int_equal(sgx_connector_facebook.prepare(st->ctx, &job, &req), SGX_ERR_INVALID);
    sgx_request_clear(&req);
    sgx_free(again);
    sgx_free(id);
    for (int i = 0; i < 3; i++) {
        sgx_free(rows[i]);
    }
}

static void test_removals_in_the_query(void **state)
{
    st_t *st = *state;
    enum { N = 300 };
    sgx_row_t *rows[N];
    for (unsigned i = 0; i < N; i++) {
        rows[i] = row_new(100 + i);
    }
    sgx_emu_fb_add_audience(st->emu, "1001");
    char *id = sgx_strdup("1001");
    sgx_batch_t b = {.op = SGX_OP_ENTER, .batch_seq = 1, .last_batch = true, .nrows = N,
                     .rows = (const sgx_row_t *const *)rows};
    assert_int_equal(run(st, &b, &id), SGX_CLS_DELIVERED);
    assert_int_equal(b.nrows, N); /* one POST takes them all */
    assert_int_equal(members(st, "1001"), N);
    size_t done = 0, requests = 0;
    while (done < N) {
        b = (sgx_batch_t){.op = SGX_OP_EXIT, .batch_seq = 1, .last_batch = true,
                          .nrows = N - done, .rows = (const sgx_row_t *const *)rows + done};
        assert_int_equal(run(st, &b, &id), SGX_CLS_DELIVERED);
        done += b.nrows;
        requests++;
    }
    assert_int_equal(members(st, "1001"), 0);
    assert_true(requests >= N / 60); /* each DELETE URL holds well under 60 rows */
    sgx_emu_fb_stats_t s;
    sgx_emu_fb_stats(st->emu, &s);
    assert_int_equal(s.remove_requests, requests);
    sgx_free(id);
    for (unsigned i = 0; i < N; i++) {
        sgx_free(rows[i]);
    }
}

#define PAYLOAD "payload=%7B%22schema%22%3A%5B%22EMAIL%22%5D%2C%22data%22%3A%5B%5B%22" \
                "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b%22%5D%5D%7D"

static void test_delete_body_not_honoured(void **state)
{
    st_t *st = *state;
    sgx_emu_fb_add_audience(st->emu, "2002");
    raw(st, "POST", "/v25.0/2002/users", PAYLOAD "&access_token=" TOKEN);
    assert_int_equal(st->resp.status, 200);
    assert_int_equal(members(st, "2002"), 1);
    /* Token in the query, payload in a body: the body is not read, the payload is missing. */
    raw(st, "DELETE", "/v25.0/2002/users?access_token=" TOKEN, PAYLOAD);
    assert_int_equal(st->resp.status, 400);
    assert_int_equal(err_code(st), 100);
    /* Everything in a body: not even the token is there. */
    raw(st, "DELETE", "/v25.0/2002/users", PAYLOAD "&access_token=" TOKEN);
    assert_int_equal(st->resp.status, 400);
    assert_int_equal(err_code(st), 190);
    assert_int_equal(members(st, "2002"), 1);
    raw(st, "DELETE", "/v25.0/2002/users?access_token=" TOKEN "&" PAYLOAD, NULL);
    assert_int_equal(st->resp.status, 200);
    assert_int_equal(members(st, "2002"), 0);
}

static void test_uri_too_long(void **state)
{
    st_t *st = *state;
    enum { N = 120 };
    sgx_row_t *rows[N];
    for (unsigned i = 0; i < N; i++) {
        rows[i] = row_new(1000 + i);
    }
    sgx_emu_fb_add_audience(st->emu, "3003");
    ((sgx_fb_ctx_t *)st->ctx)->max_url = 64000; /* a connector that would not size removals */
    char *id = sgx_strdup("3003");
    sgx_batch_t b = {.op = SGX_OP_EXIT, .batch_seq = 1, .last_batch = true, .nrows = N,
                     .rows = (const sgx_row_t *const *)rows};
    sgx_verdict_t v = run(st, &b, &id);
    assert_int_equal(st->resp.status, 414);
    assert_int_equal(b.nrows, N);
    assert_int_equal(v, SGX_CLS_REJECTED); /* with split: the core retries it in halves */
    ((sgx_fb_ctx_t *)st->ctx)->max_url = FB_MAX_URL;
    sgx_free(id);
    for (unsigned i = 0; i < N; i++) {
        sgx_free(rows[i]);
    }
}

static void test_search_refusals(void **state)
{
    st_t *st = *state;
    raw(st, "POST", "/v25.0/act_43/customaudiences", "name=other&subtype=CUSTOM"
        "&customer_file_source=USER_PROVIDED_ONLY&access_token=" TOKEN);
    assert_int_equal(st->resp.status, 200);
    /* Another account's audiences are not listed. */
    raw(st, "GET", "/v25.0/act_44/customaudiences?fields=id,name&access_token=" TOKEN, NULL);
    assert_int_equal(st->resp.status, 200);
    assert_int_equal(json_array_size(json_object_get(st->json, "data")), 0);
    raw(st, "GET", "/v25.0/act_43/customaudiences?access_token=" TOKEN "&filtering=%5B%7B%22"
        "field%22%3A%22name%22%2C%22operator%22%3A%22LIKE%22%2C%22value%22%3A%22x%22%7D%5D",
        NULL);
    assert_int_equal(err_code(st), 100);
    raw(st, "GET", "/v25.0/act_43/customaudiences?access_token=" TOKEN "&filtering=name", NULL);
    assert_int_equal(err_code(st), 100);
    raw(st, "GET", "/v25.0/act_43/customaudiences?fields=id,secret&access_token=" TOKEN, NULL);
    assert_int_equal(err_code(st), 100);
    raw(st, "GET", "/v25.0/act_43/customaudiences?fields=id", NULL);
    assert_int_equal(err_code(st), 190);
    raw(st, "POST", "/v25.0/act_43/customaudiences", "name=x&subtype=CUSTOM"
        "&customer_file_source=EVERYONE&access_token=" TOKEN);
    assert_int_equal(err_code(st), 100);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_found_or_created, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removals_in_the_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_body_not_honoured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uri_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_refusals, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
