/* Component test of the Microsoft Advertising Customer Match emulator over real HTTP (libcurl,
 * 127.0.0.1, ephemeral port): the OAuth token endpoint and its rotating refresh tokens, the API
 * headers (Authorization: Bearer, DeveloperToken, CustomerId, CustomerAccountId; AccountId on
 * the upload, which also takes AuthenticationToken), AccountId as a JSON string, terms acceptance, the single-use and expiring
 * upload URL, the multipart body, every file-level and row-level rejection of the bulk file with
 * its exact code, the row and size caps, and the asynchronous happy path (status progression,
 * members visible only at completion, new lists named after their Audience, result file).
 * Requests are shaped like the connector's (connectors/microsoft_ads/msads_request.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "base/buf.h"
#include "emulators/msads.h"
#include "emulators/msads_priv.h"

#define H1 "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
#define H2 "7f73355bf032dcbb8e5a3f51f1e4a8ba92ef1344de2d95382634cf91da6d6181"
#define H3 "55502f40dc8b7c769880b10874abc9d055502f40dc8b7c769880b10874abc9d0"
#define H4 "0000000000000000000000000000000000000000000000000000000000000004"
/* 63 hex digits; 64 characters with a non-hex one */
#define H1_SHORT "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813"
#define H1_NOT_HEX "g73dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
#define H3_UPPER "55502F40DC8B7C769880B10874ABC9D055502F40DC8B7C769880B10874ABC9D0"

#define BOM "\xEF\xBB\xBF"
#define HEADER_ROW                                                                             \
    "Type,Status,Id,Parent Id,Client Id,Modified Time,Name,Description,Scope,Audience,"        \
    "Action Type,Sub Type,Text\r\n"
#define FV_ROW "Format Version,,,,,,6.0,,,,,,\r\n"
#define HEAD BOM HEADER_ROW FV_ROW
#define LIST(id, aud, action)                                                                  \
    "Customer List,Active," id ",,list,,,,Customer," aud "," action ",,\r\n"
#define ITEM(parent, client, sub, text)                                                        \
    "Customer List Item,,," parent "," client ",,,,,,," sub "," text "\r\n"

#define RESULT_HEAD                                                                            \
    BOM "Type,Status,Id,Parent Id,Client Id,Modified Time,Name,Description,Scope,Audience,"    \
        "Action Type,Sub Type,Text,Error,Error Number\r\n"                                     \
        "Format Version,,,,,,6.0,,,,,,,,\r\n"

#define SCOPE_ENC "https%3A%2F%2Fads.microsoft.com%2Fmsads.manage"
#define GOOD_FORM                                                                              \
    "grant_type=refresh_token&client_id=" SGX_EMU_MSADS_CLIENT                                 \
    "&refresh_token=" SGX_EMU_MSADS_REFRESH "&scope=" SCOPE_ENC

typedef struct {
    long status;
    sgx_buf_t body; /* a ZIP reply is unzipped here (zipped is set) */
    bool zipped;
    json_t *json;
} resp_t;

typedef struct {
    sgx_emu_msads_t *emu;
    char base[64];
    char token[128];
} state_t;

/* The four API header values; NULL omits the header. REST calls send Authorization: Bearer
 * and CustomerAccountId, the upload (upload set) AccountId; legacy sends the token as
 * AuthenticationToken instead (the SOAP-era header). */
typedef struct {
    const char *tok, *dev, *cust, *acct;
    bool upload, legacy;
} creds_t;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    sgx_buf_append(&((resp_t *)ud)->body, p, size * n);
    return size * n;
}

static void resp_free(resp_t *r)
{
    sgx_buf_free(&r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

static void http(const char *method, const char *url, const char *ctype, const creds_t *c,
                 const char *body, size_t blen, resp_t *r)
{
    memset(r, 0, sizeof *r);
    CURL *h = curl_easy_init();
    assert_non_null(h);
    struct curl_slist *hl = NULL;
    char line[256];
    if (ctype) {
        snprintf(line, sizeof line, "Content-Type: %s", ctype);
        hl = curl_slist_append(hl, line);
    }
    if (c) {
        const char *names[4] = {c->legacy ? "AuthenticationToken" : "Authorization",
                                "DeveloperToken", "CustomerId",
                                c->upload ? "AccountId" : "CustomerAccountId"};
        const char *vals[4] = {c->tok, c->dev, c->cust, c->acct};
        for (int i = 0; i < 4; i++) {
            if (vals[i]) {
                snprintf(line, sizeof line, "%s: %s%s", names[i],
                         i == 0 && !c->legacy ? "Bearer " : "", vals[i]);
                hl = curl_slist_append(hl, line);
            }
        }
    }
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hl);
    sgx_buf_putc(&r->body, '\0');
    r->body.len--;
    if (r->body.len >= 4 && memcmp(r->body.data, "PK\x03\x04", 4) == 0) {
        sgx_buf_t csv = {0};
        assert_int_equal(sgx_emu_msads_unzip(r->body.data, r->body.len, 1 << 20, &csv), SGX_OK);
        sgx_buf_free(&r->body);
        r->body = csv;
        r->zipped = true;
    }
    r->json = json_loadb(r->body.data, r->body.len, 0, NULL);
}

static creds_t good(const state_t *st)
{
    return (creds_t){st->token, SGX_EMU_MSADS_DEV_TOKEN, SGX_EMU_MSADS_CUSTOMER,
                     SGX_EMU_MSADS_ACCOUNT, false, false};
}

static creds_t good_upload(const state_t *st)
{
    creds_t c = good(st);
    c.upload = true;
    return c;
}

static void get_token(const state_t *st, const char *form, resp_t *r)
{
    char url[128];
    snprintf(url, sizeof url, "%s/common/oauth2/v2.0/token", st->base);
    http("POST", url, "application/x-www-form-urlencoded", NULL, form, strlen(form), r);
}

/* POST /Bulk/v13/{what}/Query with a JSON body and the given headers. */
static void api_as(const state_t *st, const creds_t *c, const char *what, const char *json,
                   resp_t *r)
{
    char url[160];
    snprintf(url, sizeof url, "%s/Bulk/v13/%s/Query", st->base, what);
    http("POST", url, "application/json", c, json, strlen(json), r);
}

static void api(const state_t *st, const char *what, const char *json, resp_t *r)
{
    creds_t c = good(st);
    api_as(st, &c, what, json, r);
}

static void emu_post(const state_t *st, const char *path, const char *json)
{
    char url[160];
    resp_t r;
    snprintf(url, sizeof url, "%s%s", st->base, path);
    http("POST", url, "application/json", NULL, json, strlen(json), &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
}

/* The exact error shape {"TrackingId","Code","ErrorCode","Message"} with this status/code. */
static void assert_error(const resp_t *r, long status, int code, const char *name)
{
    if (r->status != status || !json_is_integer(json_object_get(r->json, "Code")) ||
        json_integer_value(json_object_get(r->json, "Code")) != code ||
        !json_is_string(json_object_get(r->json, "ErrorCode")) ||
        strcmp(json_string_value(json_object_get(r->json, "ErrorCode")), name) != 0 ||
        !json_is_string(json_object_get(r->json, "TrackingId")) ||
        !json_is_string(json_object_get(r->json, "Message"))) {
        fail_msg("want %ld %d %s, got %ld %s", status, code, name, r->status,
                 r->body.data ? r->body.data : "");
    }
}

/* GetBulkUploadUrl as the connector sends it; fills request id and upload URL. */
static void upload_url(const state_t *st, const char *mode, char *rid, char *url)
{
    resp_t r;
    char body[128];
    snprintf(body, sizeof body, "{\"AccountId\":\"%s\",\"ResponseMode\":\"%s\"}",
             SGX_EMU_MSADS_ACCOUNT, mode);
    api(st, "BulkUploadUrl", body, &r);
    assert_int_equal(r.status, 200);
    const char *id = json_string_value(json_object_get(r.json, "RequestId"));
    const char *u = json_string_value(json_object_get(r.json, "UploadUrl"));
    assert_non_null(id);
    assert_non_null(u);
    assert_int_equal(strncmp(u, st->base, strlen(st->base)), 0);
    snprintf(rid, 32, "%s", id);
    snprintf(url, 160, "%s", u);
    resp_free(&r);
}

/* multipart/form-data with one part named field (the connector's shape). */
static void post_file(const state_t *st, const creds_t *c, const char *url, const char *field,
                      const char *data, size_t len, resp_t *r)
{
    (void)st;
    sgx_buf_t b = {0};
    sgx_buf_puts(&b, "--sgx-msads-0000000000000001\r\nContent-Disposition: form-data; name=\"");
    sgx_buf_puts(&b, field);
    sgx_buf_puts(&b, "\"; filename=\"upload.csv\"\r\nContent-Type: text/csv\r\n\r\n");
    sgx_buf_append(&b, data, len);
    sgx_buf_puts(&b, "\r\n--sgx-msads-0000000000000001--\r\n");
    http("POST", url, "multipart/form-data; boundary=sgx-msads-0000000000000001", c, b.data,
         b.len, r);
    sgx_buf_free(&b);
}

static void upload(const state_t *st, const char *url, const char *csv, resp_t *r)
{
    creds_t c = good_upload(st);
    post_file(st, &c, url, "file", csv, strlen(csv), r);
}

/* GetBulkUploadStatus: copies RequestStatus into status, returns PercentComplete. */
static long poll_status(const state_t *st, const char *rid, char *status, char *result_url)
{
    resp_t r;
    char body[96];
    snprintf(body, sizeof body, "{\"RequestId\":\"%s\"}", rid);
    api(st, "BulkUploadStatus", body, &r);
    assert_int_equal(r.status, 200);
    const char *s = json_string_value(json_object_get(r.json, "RequestStatus"));
    assert_non_null(s);
    snprintf(status, 48, "%s", s);
    const char *u = json_string_value(json_object_get(r.json, "ResultFileUrl"));
    if (result_url) {
        snprintf(result_url, 160, "%s", u ? u : "");
    }
    long pct = (long)json_integer_value(json_object_get(r.json, "PercentComplete"));
    resp_free(&r);
    return pct;
}

/* Uploads csv on a fresh URL and polls until a final status (copied into status); when the job
 * completed, the result file is put in result (NUL-terminated), else result is left empty. */
static void run_file(const state_t *st, const char *mode, const char *csv, char *status,
                     sgx_buf_t *result)
{
    char rid[32], url[160], rurl[160];
    upload_url(st, mode, rid, url);
    resp_t r;
    upload(st, url, csv, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "RequestId")), rid);
    resp_free(&r);
    for (int i = 0; i < 10; i++) {
        poll_status(st, rid, status, rurl);
        if (strcmp(status, "FileUploaded") != 0 && strcmp(status, "InProgress") != 0) {
            break;
        }
    }
    memset(result, 0, sizeof *result);
    char want[160];
    snprintf(want, sizeof want, "%s/results/%s", st->base, rid);
    if (strncmp(status, "Completed", 9) == 0) {
        assert_string_equal(rurl, want);
        http("GET", rurl, NULL, NULL, NULL, 0, &r);
        assert_int_equal(r.status, 200);
        assert_true(r.zipped); /* the service serves the result file as a ZIP */
        sgx_buf_append(result, r.body.data, r.body.len);
        sgx_buf_putc(result, '\0');
        result->len--;
        resp_free(&r);
    } else {
        assert_string_equal(rurl, "");
        http("GET", want, NULL, NULL, NULL, 0, &r); /* no result file for a failed job */
        assert_int_equal(r.status, 404);
        resp_free(&r);
    }
}

/* GET /_emulator/audiences/{id}: "name|m1,m2,..." or "404". */
static void audience(const state_t *st, const char *id, char *out, size_t cap)
{
    char url[160];
    resp_t r;
    snprintf(url, sizeof url, "%s/_emulator/audiences/%s", st->base, id);
    http("GET", url, NULL, NULL, NULL, 0, &r);
    if (r.status != 200) {
        snprintf(out, cap, "%ld", r.status);
        resp_free(&r);
        return;
    }
    const char *name = json_string_value(json_object_get(r.json, "name"));
    json_t *m = json_object_get(r.json, "members");
    size_t off = (size_t)snprintf(out, cap, "%s|", name ? name : "");
    for (size_t i = 0; i < json_array_size(m) && off < cap; i++) {
        off += (size_t)snprintf(out + off, cap - off, "%s%s", i ? "," : "",
                                json_string_value(json_array_get(m, i)));
    }
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")),
                     (json_int_t)json_array_size(m));
    resp_free(&r);
}

/* Refresh tokens stay fixed here so every test can fetch tokens with GOOD_FORM; their
 * rotation has a test of its own. */
static int setup_with(void **state, sgx_emu_msads_opts_t *o)
{
    o->fixed_refresh = true;
    state_t *st = calloc(1, sizeof *st);
    if (sgx_emu_msads_start(o, &st->emu) != SGX_OK) {
        free(st);
        return -1;
    }
    snprintf(st->base, sizeof st->base, "http://127.0.0.1:%u", sgx_emu_msads_port(st->emu));
    resp_t r;
    get_token(st, GOOD_FORM, &r);
    const char *tok = json_string_value(json_object_get(r.json, "access_token"));
    snprintf(st->token, sizeof st->token, "%s", tok ? tok : "");
    resp_free(&r);
    *state = st;
    return 0;
}

static int setup(void **state)
{
    sgx_emu_msads_opts_t o = {.terms_accepted = true, .polls_before_done = 2,
                              .max_bytes = 2048};
    return setup_with(state, &o);
}

/* A row cap of 4 records (Format Version included, the header row not). */
static int setup_row_cap(void **state)
{
    sgx_emu_msads_opts_t o = {.terms_accepted = true, .row_cap = 4};
    return setup_with(state, &o);
}

static int teardown(void **state)
{
    state_t *st = *state;
    sgx_emu_msads_stop(st->emu);
    free(st);
    return 0;
}

/* ---- token endpoint ------------------------------------------------------------------------ */

static void test_token(void **state)
{
    state_t *st = *state;
    resp_t r;
    assert_int_equal(strncmp(st->token, "emu-at-", 7), 0);
    get_token(st, GOOD_FORM, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "token_type")), "Bearer");
    assert_int_equal(json_integer_value(json_object_get(r.json, "expires_in")), 3600);
    assert_string_equal(json_string_value(json_object_get(r.json, "refresh_token")),
                        SGX_EMU_MSADS_REFRESH);
    resp_free(&r);
    static const struct {
        const char *form, *error;
    } bad[] = {
        {"grant_type=refresh_token&client_id=" SGX_EMU_MSADS_CLIENT
         "&refresh_token=stolen&scope=" SCOPE_ENC, "invalid_grant"},
        {"grant_type=refresh_token&client_id=" SGX_EMU_MSADS_CLIENT "&scope=" SCOPE_ENC,
         "invalid_grant"},
        {"grant_type=refresh_token&client_id=other-app&refresh_token=" SGX_EMU_MSADS_REFRESH
         "&scope=" SCOPE_ENC, "invalid_client"},
        {"grant_type=refresh_token&refresh_token=" SGX_EMU_MSADS_REFRESH "&scope=" SCOPE_ENC,
         "invalid_client"},
        {"grant_type=client_credentials&client_id=" SGX_EMU_MSADS_CLIENT
         "&refresh_token=" SGX_EMU_MSADS_REFRESH "&scope=" SCOPE_ENC, "unsupported_grant_type"},
        {"grant_type=refresh_token&client_id=" SGX_EMU_MSADS_CLIENT
         "&refresh_token=" SGX_EMU_MSADS_REFRESH "&scope=openid", "invalid_scope"},
        {"grant_type=refresh_token&client_id=%zz", "invalid_request"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        get_token(st, bad[i].form, &r);
        const char *e = json_string_value(json_object_get(r.json, "error"));
        if (r.status != 400 || !e || strcmp(e, bad[i].error) != 0 ||
            json_object_get(r.json, "access_token")) {
            fail_msg("case %zu: %ld %s", i, r.status, r.body.data);
        }
        resp_free(&r);
    }
    sgx_emu_msads_stats_t s;
    sgx_emu_msads_stats(st->emu, &s);
    assert_int_equal(s.token_requests, 2 + 6); /* the malformed form is not counted */
}

/* ---- API headers --------------------------------------------------------------------------- */

#define URL_BODY "{\"AccountId\":\"" SGX_EMU_MSADS_ACCOUNT "\",\"ResponseMode\":\"ErrorsAndResults\"}"

static void test_headers(void **state)
{
    state_t *st = *state;
    resp_t r;
    creds_t c;
    /* AuthenticationToken: missing or unknown -> 401 105. */
    c = good(st), c.tok = NULL;
    api_as(st, &c, "BulkUploadUrl", URL_BODY, &r);
    assert_error(&r, 401, 105, "InvalidCredentials");
    resp_free(&r);
    c = good(st), c.tok = "emu-at-999";
    api_as(st, &c, "BulkUploadUrl", URL_BODY, &r);
    assert_error(&r, 401, 105, "InvalidCredentials");
    resp_free(&r);
    /* DeveloperToken, CustomerId, CustomerAccountId: wrong or missing -> 400 105. */
    const creds_t wrong[] = {
        {st->token, "other-dev", SGX_EMU_MSADS_CUSTOMER, SGX_EMU_MSADS_ACCOUNT, false, false},
        {st->token, NULL, SGX_EMU_MSADS_CUSTOMER, SGX_EMU_MSADS_ACCOUNT, false, false},
        {st->token, SGX_EMU_MSADS_DEV_TOKEN, "1000009", SGX_EMU_MSADS_ACCOUNT, false, false},
        {st->token, SGX_EMU_MSADS_DEV_TOKEN, NULL, SGX_EMU_MSADS_ACCOUNT, false, false},
        {st->token, SGX_EMU_MSADS_DEV_TOKEN, SGX_EMU_MSADS_CUSTOMER, "2000009", false, false},
        {st->token, SGX_EMU_MSADS_DEV_TOKEN, SGX_EMU_MSADS_CUSTOMER, NULL, false, false},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        api_as(st, &wrong[i], "BulkUploadUrl", URL_BODY, &r);
        assert_error(&r, 400, 105, "InvalidCredentials");
        resp_free(&r);
        api_as(st, &wrong[i], "BulkUploadStatus", "{\"RequestId\":\"req-1\"}", &r);
        assert_error(&r, 400, 105, "InvalidCredentials");
        resp_free(&r);
    }
    /* The body's AccountId must be the account too; the body must be a JSON object. */
    api(st, "BulkUploadUrl", "{\"AccountId\":\"2000009\",\"ResponseMode\":\"ErrorsAndResults\"}",
        &r);
    assert_error(&r, 400, 105, "InvalidCredentials");
    resp_free(&r);
    /* AccountId as a JSON number: the REST schema (and the SDK) carry it as a string. */
    api(st, "BulkUploadUrl", "{\"AccountId\":" SGX_EMU_MSADS_ACCOUNT ",\"ResponseMode\":\"ErrorsAndResults\"}",
        &r);
    assert_error(&r, 400, 100, "InvalidRequest");
    resp_free(&r);
    /* The SOAP-era AuthenticationToken header is not the REST API's: 401. */
    c = good(st), c.legacy = true;
    api_as(st, &c, "BulkUploadUrl", URL_BODY, &r);
    assert_error(&r, 401, 105, "InvalidCredentials");
    resp_free(&r);
    /* REST calls want CustomerAccountId; AccountId (the upload's header) is not it. */
    c = good(st), c.upload = true;
    api_as(st, &c, "BulkUploadUrl", URL_BODY, &r);
    assert_error(&r, 400, 105, "InvalidCredentials");
    resp_free(&r);
    api(st, "BulkUploadUrl", "AccountId=2000002", &r);
    assert_error(&r, 400, 100, "NullRequest");
    resp_free(&r);
    api(st, "BulkUploadStatus", "{\"RequestId\":\"req-77\"}", &r);
    assert_error(&r, 400, 3100, "BulkServiceInvalidRequestId");
    resp_free(&r);
    /* The upload itself checks the headers too (and a refused upload does not spend the URL). */
    char rid[32], url[160];
    upload_url(st, "ErrorsAndResults", rid, url);
    c = good_upload(st), c.tok = "forged";
    post_file(st, &c, url, "file", HEAD, strlen(HEAD), &r);
    assert_error(&r, 401, 105, "InvalidCredentials");
    resp_free(&r);
    c = good_upload(st), c.dev = "other-dev";
    post_file(st, &c, url, "file", HEAD, strlen(HEAD), &r);
    assert_error(&r, 400, 105, "InvalidCredentials");
    resp_free(&r);
    /* Expired tokens: 401 109 on every step; a new token works again. */
    emu_post(st, "/_emulator/faults", "{\"kind\":\"expire_tokens\"}");
    api(st, "BulkUploadUrl", URL_BODY, &r);
    assert_error(&r, 401, 109, "AuthenticationTokenExpired");
    resp_free(&r);
    c = good_upload(st);
    post_file(st, &c, url, "file", HEAD, strlen(HEAD), &r);
    assert_error(&r, 401, 109, "AuthenticationTokenExpired");
    resp_free(&r);
    get_token(st, GOOD_FORM, &r);
    snprintf(st->token, sizeof st->token, "%s",
             json_string_value(json_object_get(r.json, "access_token")));
    resp_free(&r);
    /* The upload takes the guide's AuthenticationToken header as well as Authorization. */
    c = good_upload(st), c.legacy = true;
    post_file(st, &c, url, "file", HEAD, strlen(HEAD), &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    sgx_emu_msads_stats_t s;
    sgx_emu_msads_stats(st->emu, &s);
    assert_int_equal(s.unauthorized, 6);
    assert_int_equal(s.uploads, 1);
}

static void test_token_ttl(void **state)
{
    (void)state;
    void *s2 = NULL;
    sgx_emu_msads_opts_t o = {.terms_accepted = true, .token_ttl_s = 1};
    assert_int_equal(setup_with(&s2, &o), 0);
    state_t *st = s2;
    resp_t r;
    api(st, "BulkUploadUrl", URL_BODY, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    usleep(1100 * 1000);
    api(st, "BulkUploadUrl", URL_BODY, &r);
    assert_error(&r, 401, 109, "AuthenticationTokenExpired");
    resp_free(&r);
    teardown(&s2);
}

/* ---- terms --------------------------------------------------------------------------------- */

static void test_terms(void **state)
{
    (void)state;
    void *s2 = NULL;
    sgx_emu_msads_opts_t o = {.terms_accepted = false};
    assert_int_equal(setup_with(&s2, &o), 0);
    state_t *st = s2;
    resp_t r;
    api(st, "BulkUploadUrl", URL_BODY, &r);
    assert_error(&r, 400, 8003, "CustomerListTermsAndConditionsNotAccepted");
    assert_null(json_object_get(r.json, "UploadUrl"));
    resp_free(&r);
    emu_post(st, "/_emulator/faults", "{\"kind\":\"terms\",\"accepted\":true}");
    /* Terms withdrawn between the upload and the processing: the list row fails with 8003,
     * its items with it, and nothing is created. */
    char rid[32], url[160], status[48];
    upload_url(st, "ErrorsAndResults", rid, url);
    upload(st, url, HEAD LIST("-1", "Fans", "Add") ITEM("-1", "r0", "Email", H1), &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    emu_post(st, "/_emulator/faults", "{\"kind\":\"terms\",\"accepted\":false}");
    poll_status(st, rid, status, NULL);
    assert_string_equal(status, "CompletedWithErrors");
    char want[160];
    snprintf(want, sizeof want, "%s/results/%s", st->base, rid);
    http("GET", want, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.data,
                        RESULT_HEAD
                        "Customer List Error,Active,-1,,list,,,,Customer,Fans,Add,,,"
                        "CustomerListTermsAndConditionsNotAccepted,8003\r\n"
                        "Customer List Item Error,,,,r0,,,,,,,Email," H1
                        ",CustomerListTermsAndConditionsNotAccepted,8003\r\n");
    resp_free(&r);
    char id[32];
    assert_false(sgx_emu_msads_find_list(st->emu, "Fans", id, sizeof id));
    sgx_emu_msads_stats_t s;
    sgx_emu_msads_stats(st->emu, &s);
    assert_int_equal(s.terms_refused, 1);
    assert_int_equal(s.lists_created, 0);
    teardown(&s2);
}

/* ---- the upload URL and the multipart body ------------------------------------------------- */

#define ONE_ITEM HEAD LIST("777", "", "Add") ITEM("777", "r0", "Email", H1)

static void test_upload_url(void **state)
{
    state_t *st = *state;
    sgx_emu_msads_add_list(st->emu, "777");
    resp_t r;
    char rid[32], url[160], status[48];
    upload_url(st, "ErrorsAndResults", rid, url);
    assert_int_equal(poll_status(st, rid, status, NULL), 0);
    assert_string_equal(status, "PendingFileUpload");
    upload(st, url, ONE_ITEM, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    /* Single use: 3224, with the request id, and the first file is what counts. */
    upload(st, url, HEAD LIST("777", "", "Add") ITEM("777", "r0", "Email", H2), &r);
    assert_error(&r, 400, 3224, "BulkServiceUrlAlreadyUsedForUpload");
    assert_string_equal(json_string_value(json_object_get(r.json, "RequestId")), rid);
    resp_free(&r);
    /* Expired by fault: 3226. */
    char rid2[32], url2[160];
    upload_url(st, "ErrorsAndResults", rid2, url2);
    emu_post(st, "/_emulator/faults", "{\"kind\":\"expire_urls\"}");
    upload(st, url2, ONE_ITEM, &r);
    assert_error(&r, 400, 3226, "BulkServiceUrlExpired");
    assert_string_equal(json_string_value(json_object_get(r.json, "RequestId")), rid2);
    resp_free(&r);
    /* A URL never issued. */
    char bogus[200];
    snprintf(bogus, sizeof bogus, "%s/upload/u9-deadbeef", st->base);
    upload(st, bogus, ONE_ITEM, &r);
    assert_error(&r, 400, 3221, "BulkServiceUploadUrlNotFound");
    resp_free(&r);
    for (int i = 0; i < 3; i++) {
        poll_status(st, rid, status, NULL);
    }
    assert_string_equal(status, "Completed");
    char members[512];
    audience(st, "777", members, sizeof members);
    assert_string_equal(members, "|" H1);
    poll_status(st, rid2, status, NULL);
    assert_string_equal(status, "PendingFileUpload");
    sgx_emu_msads_stats_t s;
    sgx_emu_msads_stats(st->emu, &s);
    assert_int_equal(s.url_reused, 1);
    assert_int_equal(s.url_expired, 1);
    assert_int_equal(s.uploads, 1);
}

/* The modelled call-rate limit: 2 API calls a minute; the third is 4204 and not counted. */
static void test_call_rate_limit(void **state)
{
    (void)state;
    void *s2 = NULL;
    sgx_emu_msads_opts_t o = {.terms_accepted = true, .api_calls = 2, .api_window_ms = 60000};
    assert_int_equal(setup_with(&s2, &o), 0);
    state_t *st = s2;
    char rid[32], url[160], status[48];
    upload_url(st, "ErrorsAndResults", rid, url);
    assert_int_equal(poll_status(st, rid, status, NULL), 0);
    assert_string_equal(status, "PendingFileUpload");
    char body[96];
    snprintf(body, sizeof body, "{\"RequestId\":\"%s\"}", rid);
    for (int i = 0; i < 2; i++) {
        resp_t r;
        api(st, "BulkUploadStatus", body, &r);
        assert_error(&r, 400, 4204, "BulkServiceNoMoreCallsPermittedForTheTimePeriod");
        resp_free(&r);
    }
    sgx_emu_msads_stats_t s;
    sgx_emu_msads_stats(st->emu, &s);
    assert_int_equal(s.throttled, 2);
    teardown(&s2);
}

static void test_url_ttl(void **state)
{
    (void)state;
    void *s2 = NULL;
    sgx_emu_msads_opts_t o = {.terms_accepted = true, .url_ttl_s = 1};
    assert_int_equal(setup_with(&s2, &o), 0);
    state_t *st = s2;
    resp_t r;
    char rid[32], url[160];
    upload_url(st, "ErrorsAndResults", rid, url);
    usleep(1100 * 1000);
    upload(st, url, ONE_ITEM, &r);
    assert_error(&r, 400, 3226, "BulkServiceUrlExpired");
    resp_free(&r);
    upload_url(st, "ErrorsAndResults", rid, url);
    upload(st, url, ONE_ITEM, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    teardown(&s2);
}

static void test_multipart(void **state)
{
    state_t *st = *state;
    sgx_emu_msads_add_list(st->emu, "777");
    resp_t r;
    creds_t c = good_upload(st);
    char rid[32], url[160];
    upload_url(st, "ErrorsAndResults", rid, url);
    /* A part that is not "file". */
    post_file(st, &c, url, "upload", ONE_ITEM, strlen(ONE_ITEM), &r);
    assert_error(&r, 400, 3220, "BulkServiceNoFileInUpload");
    assert_string_equal(json_string_value(json_object_get(r.json, "RequestId")), rid);
    resp_free(&r);
    /* The CSV sent raw, not as multipart. */
    http("POST", url, "text/csv", &c, ONE_ITEM, strlen(ONE_ITEM), &r);
    assert_error(&r, 400, 3220, "BulkServiceNoFileInUpload");
    resp_free(&r);
    /* Multipart without its closing delimiter. */
    const char *unclosed = "--b1\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" ONE_ITEM;
    http("POST", url, "multipart/form-data; boundary=b1", &c, unclosed, strlen(unclosed), &r);
    assert_error(&r, 400, 3220, "BulkServiceNoFileInUpload");
    resp_free(&r);
    /* Over max_bytes (2048 here): by one byte, and far beyond (body overflow). */
    sgx_buf_t big = {0};
    sgx_buf_puts(&big, HEAD);
    while (big.len < 2049) {
        sgx_buf_putc(&big, '\n');
    }
    big.len = 2049;
    post_file(st, &c, url, "file", big.data, big.len, &r);
    assert_error(&r, 400, 3220, "BulkServiceNoFileInUpload");
    resp_free(&r);
    while (big.len < 2048 + 70000) {
        sgx_buf_putc(&big, '\n');
    }
    post_file(st, &c, url, "file", big.data, big.len, &r);
    assert_error(&r, 400, 3220, "BulkServiceNoFileInUpload");
    resp_free(&r);
    /* Exactly max_bytes is accepted; none of the refusals spent the URL. */
    big.len = 2048;
    post_file(st, &c, url, "file", big.data, big.len, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    sgx_buf_free(&big);
    sgx_emu_msads_stats_t s;
    sgx_emu_msads_stats(st->emu, &s);
    assert_int_equal(s.uploads, 1);
}

/* ---- file-level rejections ----------------------------------------------------------------- */

static void test_file_format(void **state)
{
    state_t *st = *state;
    sgx_emu_msads_add_list(st->emu, "777");
    static const struct {
        const char *csv, *status;
    } cases[] = {
        /* no BOM */
        {HEADER_ROW FV_ROW LIST("777", "", "Add") ITEM("777", "r0", "Email", H1),
         "UploadFileFormatNotSupported"},
        /* Format Version missing: the Customer List comes first */
        {BOM HEADER_ROW LIST("777", "", "Add") ITEM("777", "r0", "Email", H1),
         "UploadFileFormatNotSupported"},
        /* Format Version not 6.0 */
        {BOM HEADER_ROW "Format Version,,,,,,5.0,,,,,,\r\n" LIST("777", "", "Add")
             ITEM("777", "r0", "Email", H1),
         "UploadFileFormatNotSupported"},
        /* Format Version after a list */
        {BOM HEADER_ROW LIST("777", "", "Add") FV_ROW ITEM("777", "r0", "Email", H1),
         "UploadFileFormatNotSupported"},
        /* first header column is not Type */
        {BOM "Status,Type,Id,Parent Id,Client Id,Modified Time,Name,Description,Scope,Audience,"
             "Action Type,Sub Type,Text\r\n" FV_ROW LIST("777", "", "Add"),
         "UploadFileFormatNotSupported"},
        /* empty file */
        {"", "UploadFileFormatNotSupported"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char status[48];
        sgx_buf_t res;
        run_file(st, "ErrorsAndResults", cases[i].csv, status, &res);
        if (strcmp(status, cases[i].status) != 0) {
            fail_msg("case %zu: %s", i, status);
        }
        sgx_buf_free(&res);
    }
    /* Row cap 4: Format Version + list + 3 items is 5 records, refused at the upload with
     * 3225 BulkServiceFileRowCountExceeded; the URL stays unspent. */
    char rid[32], url[160];
    resp_t r;
    upload_url(st, "ErrorsAndResults", rid, url);
    upload(st, url, HEAD LIST("777", "", "Add") ITEM("777", "r0", "Email", H1)
                        ITEM("777", "r1", "Email", H2) ITEM("777", "r2", "Email", H3), &r);
    assert_error(&r, 400, 3225, "BulkServiceFileRowCountExceeded");
    resp_free(&r);
    char members[512];
    audience(st, "777", members, sizeof members);
    assert_string_equal(members, "|");
    /* At the cap (4 records) the file is taken. */
    char status[48];
    sgx_buf_t res;
    run_file(st, "ErrorsAndResults",
             HEAD LIST("777", "", "Add") ITEM("777", "r0", "Email", H1)
                 ITEM("777", "r1", "Email", H2),
             status, &res);
    assert_string_equal(status, "Completed");
    sgx_buf_free(&res);
    audience(st, "777", members, sizeof members);
    assert_string_equal(members, "|" H2 "," H1);
    sgx_emu_msads_stats_t s;
    sgx_emu_msads_stats(st->emu, &s);
    assert_int_equal(s.jobs_failed, 6);
    assert_int_equal(s.row_count_exceeded, 1);
    assert_int_equal(s.jobs_completed, 1);
    assert_int_equal(s.rows_received, 2);
}

/* ---- row-level rejections (result file) ---------------------------------------------------- */

static void test_row_errors(void **state)
{
    state_t *st = *state;
    sgx_emu_msads_add_list(st->emu, "777");
    char status[48];
    sgx_buf_t res;
    run_file(st, "ErrorsAndResults",
             HEAD
             /* an item before its Customer List */
             ITEM("-1", "a0", "Email", H1)
             LIST("-1", "Early", "Add")
             /* an unknown Action Type fails the list and its items */
             LIST("777", "", "Merge")
             ITEM("777", "b0", "Email", H1)
             /* a list that does not exist */
             LIST("555", "", "Add")
             ITEM("555", "c0", "Email", H1)
             LIST("777", "", "Add")
             ITEM("777", "d0", "Phone", H1)
             ITEM("777", "d1", "Email", "alice@example.com")
             ITEM("777", "d2", "Email", H1_SHORT)
             ITEM("777", "d3", "Email", H1_NOT_HEX)
             ITEM("777", "d4", "Email", H2),
             status, &res);
    assert_string_equal(status, "CompletedWithErrors");
    assert_string_equal(
        res.data,
        RESULT_HEAD
        "Customer List Item Error,,,-1,a0,,,,,,,Email," H1 ",InvalidCustomerListId,8000\r\n"
        "Customer List,Active,9100000001,,list,,,,Customer,Early,Add,,,,\r\n"
        "Customer List Error,Active,777,,list,,,,Customer,,Merge,,,"
        "InvalidCustomerListActionType,8001\r\n"
        "Customer List Item Error,,,,b0,,,,,,,Email," H1 ",InvalidCustomerListActionType,8001\r\n"
        "Customer List Error,Active,555,,list,,,,Customer,,Add,,,InvalidCustomerListId,8000\r\n"
        "Customer List Item Error,,,,c0,,,,,,,Email," H1 ",InvalidCustomerListId,8000\r\n"
        "Customer List,Active,777,,list,,,,Customer,,Add,,,,\r\n"
        "Customer List Item Error,,,777,d0,,,,,,,Phone," H1
        ",CustomerListItemSubTypeNotSupported,8002\r\n"
        "Customer List Item Error,,,777,d1,,,,,,,Email,alice@example.com,"
        "EmailMustBeHashed,8004\r\n"
        "Customer List Item Error,,,777,d2,,,,,,,Email," H1_SHORT ",EmailMustBeHashed,8004\r\n"
        "Customer List Item Error,,,777,d3,,,,,,,Email," H1_NOT_HEX ",EmailMustBeHashed,8004\r\n"
        "Customer List Item,,,777,d4,,,,,,,Email," H2 ",,\r\n");
    sgx_buf_free(&res);
    char members[512];
    audience(st, "777", members, sizeof members);
    assert_string_equal(members, "|" H2);
    audience(st, "9100000001", members, sizeof members);
    assert_string_equal(members, "Early|");
    audience(st, "555", members, sizeof members);
    assert_string_equal(members, "404");
    /* ErrorsOnly (the default) keeps the error rows and drops the successes. */
    run_file(st, "ErrorsOnly",
             HEAD LIST("777", "", "Add") ITEM("777", "e0", "Email", "bob@example.com")
                 ITEM("777", "e1", "Email", H3),
             status, &res);
    assert_string_equal(status, "CompletedWithErrors");
    assert_string_equal(res.data, RESULT_HEAD "Customer List Item Error,,,777,e0,,,,,,,Email,"
                                              "bob@example.com,EmailMustBeHashed,8004\r\n");
    sgx_buf_free(&res);
    sgx_emu_msads_stats_t s;
    sgx_emu_msads_stats(st->emu, &s);
    assert_int_equal(s.rows_received, 10);
    assert_int_equal(s.rows_failed, 8);
}

/* ---- happy path ---------------------------------------------------------------------------- */

static void test_happy_path(void **state)
{
    state_t *st = *state;
    emu_post(st, "/_emulator/audiences", "{\"id\":\"777\",\"name\":\"Existing\"}");
    char rid[32], url[160], status[48], rurl[160], members[1024];
    resp_t r;
    upload_url(st, "ErrorsAndResults", rid, url);
    upload(st, url,
           HEAD LIST("777", "", "Add") ITEM("777", "r0", "Email", H1)
               ITEM("777", "r1", "Email", H3_UPPER) ITEM("777", "r2", "Email", H4)
               ITEM("777", "r3", "Email", H1),
           &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    /* polls_before_done = 2: FileUploaded, InProgress, then Completed; nothing applied before. */
    assert_int_equal(poll_status(st, rid, status, rurl), 33);
    assert_string_equal(status, "FileUploaded");
    assert_string_equal(rurl, "");
    audience(st, "777", members, sizeof members);
    assert_string_equal(members, "Existing|");
    assert_int_equal(poll_status(st, rid, status, rurl), 66);
    assert_string_equal(status, "InProgress");
    assert_string_equal(rurl, "");
    assert_int_equal(sgx_emu_msads_list_count(st->emu, "777", NULL), 0);
    assert_int_equal(poll_status(st, rid, status, rurl), 100);
    assert_string_equal(status, "Completed");
    char want[160];
    snprintf(want, sizeof want, "%s/results/%s", st->base, rid);
    assert_string_equal(rurl, want);
    assert_int_equal(poll_status(st, rid, status, rurl), 100); /* stays final */
    assert_string_equal(status, "Completed");
    audience(st, "777", members, sizeof members);
    assert_string_equal(members, "Existing|" H4 "," H3 "," H1);
    /* Remove one from 777 and create a new list (-5) named after its Audience. */
    sgx_buf_t res;
    run_file(st, "ErrorsAndResults",
             HEAD LIST("777", "", "Remove") ITEM("777", "r0", "Email", H3)
                 ITEM("777", "r1", "Email", H2) LIST("-5", "Fans VIP", "Add")
                     ITEM("-5", "r2", "Email", H2) ITEM("-5", "r3", "Email", H1),
             status, &res);
    assert_string_equal(status, "Completed");
    char id[32];
    assert_true(sgx_emu_msads_find_list(st->emu, "Fans VIP", id, sizeof id));
    assert_string_equal(id, "9100000001");
    assert_string_equal(res.data,
                        RESULT_HEAD
                        "Customer List,Active,777,,list,,,,Customer,,Remove,,,,\r\n"
                        "Customer List Item,,,777,r0,,,,,,,Email," H3 ",,\r\n"
                        "Customer List Item,,,777,r1,,,,,,,Email," H2 ",,\r\n"
                        "Customer List,Active,9100000001,,list,,,,Customer,Fans VIP,Add,,,,\r\n"
                        "Customer List Item,,,9100000001,r2,,,,,,,Email," H2 ",,\r\n"
                        "Customer List Item,,,9100000001,r3,,,,,,,Email," H1 ",,\r\n");
    sgx_buf_free(&res);
    audience(st, "777", members, sizeof members);
    assert_string_equal(members, "Existing|" H4 "," H1);
    audience(st, "9100000001", members, sizeof members);
    assert_string_equal(members, "Fans VIP|" H2 "," H1);
    /* Replace wipes the list first. */
    run_file(st, "ErrorsOnly", HEAD LIST("777", "", "Replace") ITEM("777", "r0", "Email", H2),
             status, &res);
    assert_string_equal(status, "Completed");
    assert_string_equal(res.data, RESULT_HEAD);
    sgx_buf_free(&res);
    audience(st, "777", members, sizeof members);
    assert_string_equal(members, "Existing|" H2);
    sgx_emu_msads_stats_t s;
    sgx_emu_msads_stats(st->emu, &s);
    assert_int_equal(s.lists_created, 1);
    assert_int_equal(s.jobs_completed, 3);
    assert_int_equal(s.rows_received, 4 + 4 + 1);
    assert_int_equal(s.rows_failed, 0);
    assert_int_equal(s.uploads, 3);
}

/* Every grant returns a new refresh token; older ones keep working until they age out
 * (retire_refresh_tokens), then only the newest is honoured. */
static void test_refresh_rotation(void **state)
{
    (void)state;
    sgx_emu_msads_opts_t o = {.terms_accepted = true};
    sgx_emu_msads_t *emu = NULL;
    assert_int_equal(sgx_emu_msads_start(&o, &emu), SGX_OK);
    state_t st = {.emu = emu};
    snprintf(st.base, sizeof st.base, "http://127.0.0.1:%u", sgx_emu_msads_port(emu));
    resp_t r;
    get_token(&st, GOOD_FORM, &r);
    assert_int_equal(r.status, 200);
    const char *fresh = json_string_value(json_object_get(r.json, "refresh_token"));
    assert_non_null(fresh);
    assert_string_not_equal(fresh, SGX_EMU_MSADS_REFRESH);
    char now[64];
    sgx_emu_msads_refresh_token(emu, now, sizeof now);
    assert_string_equal(now, fresh);
    char form[256];
    snprintf(form, sizeof form,
             "grant_type=refresh_token&client_id=" SGX_EMU_MSADS_CLIENT
             "&refresh_token=%s&scope=%s", fresh, SCOPE_ENC);
    resp_free(&r);
    get_token(&st, GOOD_FORM, &r); /* the first one still works (and rotates again) */
    assert_int_equal(r.status, 200);
    resp_free(&r);
    sgx_emu_msads_refresh_token(emu, now, sizeof now);
    snprintf(form, sizeof form,
             "grant_type=refresh_token&client_id=" SGX_EMU_MSADS_CLIENT
             "&refresh_token=%s&scope=%s", now, SCOPE_ENC);
    emu_post(&st, "/_emulator/faults", "{\"kind\":\"retire_refresh_tokens\"}");
    get_token(&st, GOOD_FORM, &r); /* aged out */
    assert_int_equal(r.status, 400);
    assert_string_equal(json_string_value(json_object_get(r.json, "error")), "invalid_grant");
    resp_free(&r);
    get_token(&st, form, &r); /* the newest */
    assert_int_equal(r.status, 200);
    assert_non_null(json_object_get(r.json, "access_token"));
    resp_free(&r);
    sgx_emu_msads_stats_t s;
    sgx_emu_msads_stats(emu, &s);
    assert_int_equal(s.refresh_refused, 1);
    sgx_emu_msads_stop(emu);
}

/* 3227 on demand; a ZIP upload (the SDK's default) is read like the CSV; Expired, Aborted and
 * unknown statuses end a job (no result file). */
static void test_upload_zip_and_final_statuses(void **state)
{
    state_t *st = *state;
    sgx_emu_msads_add_list(st->emu, "777");
    char rid[32], url[160], status[48];
    resp_t r;
    upload_url(st, "ErrorsAndResults", rid, url);
    emu_post(st, "/_emulator/faults", "{\"kind\":\"too_many\",\"count\":1}");
    upload(st, url, ONE_ITEM, &r);
    assert_error(&r, 400, 3227, "BulkServiceTooManyRequests");
    resp_free(&r);
    sgx_buf_t zip = {0};
    const char *csv = HEAD LIST("777", "", "Add") ITEM("777", "r0", "Email", H2);
    assert_int_equal(sgx_emu_msads_zip("upload.csv", csv, strlen(csv), &zip), SGX_OK);
    creds_t c = good_upload(st);
    post_file(st, &c, url, "file", zip.data, zip.len, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    sgx_buf_free(&zip);
    for (int i = 0; i < 3; i++) {
        poll_status(st, rid, status, NULL);
    }
    assert_string_equal(status, "Completed");
    assert_int_equal(sgx_emu_msads_list_count(st->emu, "777", H2), 1);
    static const char *const finals[] = {"Expired", "Aborted", "SomethingNew"};
    for (size_t i = 0; i < 3; i++) {
        char body[96];
        snprintf(body, sizeof body, "{\"kind\":\"final_status\",\"status\":\"%s\"}", finals[i]);
        emu_post(st, "/_emulator/faults", body);
        sgx_buf_t res;
        run_file(st, "ErrorsAndResults", ONE_ITEM, status, &res);
        assert_string_equal(status, finals[i]);
        sgx_buf_free(&res);
    }
}

/* ---- GetAudiencesByIds (the find before a create) ------------------------------------------ */

/* POST {base}{path} with body: the REST adapter (soap false) or CampaignManagementService.svc. */
static void campaign(const state_t *st, const creds_t *c, bool soap, const char *body, resp_t *r)
{
    char url[192];
    snprintf(url, sizeof url, "%s%s", st->base,
             soap ? "/Api/Advertiser/CampaignManagement/v13/CampaignManagementService.svc"
                  : "/CampaignManagement/v13/Audiences/QueryByIds");
    http("POST", url, soap ? "text/xml; charset=utf-8" : "application/json", c, body,
         strlen(body), r);
}

/* The REST ApplicationFault: {"TrackingId","Type":kind,<list>:[{"Code","ErrorCode",...}]}. */
static void assert_fault(const resp_t *r, long status, const char *kind, int code)
{
    const char *list = strcmp(kind, "AdApiFaultDetail") == 0 ? "Errors" : "OperationErrors";
    json_t *e = json_array_get(json_object_get(r->json, list), 0);
    const char *type = json_string_value(json_object_get(r->json, "Type"));
    if (r->status != status || !type || strcmp(type, kind) != 0 ||
        json_integer_value(json_object_get(e, "Code")) != code ||
        !json_is_string(json_object_get(e, "ErrorCode"))) {
        fail_msg("want %ld %s %d, got %ld %s", status, kind, code, r->status,
                 r->body.data ? r->body.data : "");
    }
}

#define SOAP_FMT                                                                               \
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header>" \
        "<AuthenticationToken>%s</AuthenticationToken><CustomerAccountId>" SGX_EMU_MSADS_ACCOUNT \
        "</CustomerAccountId><CustomerId>" SGX_EMU_MSADS_CUSTOMER "</CustomerId><DeveloperToken>" \
        SGX_EMU_MSADS_DEV_TOKEN "</DeveloperToken></s:Header><s:Body><GetAudiencesByIdsRequest " \
        "xmlns=\"https://bingads.microsoft.com/CampaignManagement/v13\">%s" \
        "</GetAudiencesByIdsRequest></s:Body></s:Envelope>"

static void test_get_audiences(void **state)
{
    state_t *st = *state;
    char status[48];
    sgx_buf_t res;
    run_file(st, "ErrorsAndResults", HEAD LIST("-5", "Fans VIP", "Add") ITEM("-5", "r0", "Email", H1),
             status, &res);
    sgx_buf_free(&res);
    emu_post(st, "/_emulator/audiences", "{\"id\":\"777\",\"name\":\"Existing\"}");
    creds_t c = good(st);
    resp_t r;
    /* No ids: every Customer List of the account, the one the file created found by name. */
    campaign(st, &c, false, "{\"Type\":\"CustomerList\"}", &r);
    assert_int_equal(r.status, 200);
    json_t *a = json_object_get(r.json, "Audiences");
    assert_int_equal(json_array_size(a), 2);
    json_t *fans = json_array_get(a, 0);
    assert_string_equal(json_string_value(json_object_get(fans, "Name")), "Fans VIP");
    assert_string_equal(json_string_value(json_object_get(fans, "Id")), "9100000001");
    assert_string_equal(json_string_value(json_object_get(fans, "Type")), "CustomerList");
    assert_string_equal(json_string_value(json_object_get(fans, "ParentId")),
                        SGX_EMU_MSADS_CUSTOMER);
    assert_int_equal(json_array_size(json_object_get(r.json, "PartialErrors")), 0);
    resp_free(&r);
    campaign(st, &c, false, "{\"Type\":\"RemarketingList CustomSegment\"}", &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "Audiences")), 0);
    resp_free(&r);
    /* Ids: null items with a BatchError each for the ones not retrieved. */
    campaign(st, &c, false, "{\"Type\":\"CustomerList\",\"AudienceIds\":[\"777\",\"123\"]}", &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_null(json_array_get(json_object_get(r.json, "Audiences"), 1)));
    json_t *be = json_array_get(json_object_get(r.json, "PartialErrors"), 0);
    assert_int_equal(json_integer_value(json_object_get(be, "Code")), 4835);
    assert_int_equal(json_integer_value(json_object_get(be, "Index")), 1);
    resp_free(&r);
    static const struct {
        const char *body;
        int code;
    } bad[] = {{"{}", 4859}, {"{\"Type\":\"Lists\"}", 4859},
               {"{\"Type\":\"CustomerList\",\"AudienceIds\":[777]}", 4835},
               {"{\"Type\":\"CustomerList\",\"ReturnAdditionalFields\":\"Bogus\"}", 100},
               {"[1]", 100}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        campaign(st, &c, false, bad[i].body, &r);
        assert_fault(&r, 400, "ApiFaultDetail", bad[i].code);
        resp_free(&r);
    }
    sgx_buf_t many = {0};
    sgx_buf_puts(&many, "{\"Type\":\"CustomerList\",\"AudienceIds\":[\"1\"");
    for (int i = 0; i < 100; i++) {
        sgx_buf_puts(&many, ",\"2\"");
    }
    sgx_buf_puts(&many, "]}");
    campaign(st, &c, false, many.data, &r);
    assert_fault(&r, 400, "ApiFaultDetail", 4852);
    resp_free(&r);
    sgx_buf_free(&many);
    creds_t forged = c;
    forged.tok = "forged";
    campaign(st, &forged, false, "{\"Type\":\"CustomerList\"}", &r);
    assert_fault(&r, 401, "AdApiFaultDetail", 105);
    resp_free(&r);
    emu_post(st, "/_emulator/faults", "{\"kind\":\"throttle\",\"count\":1}");
    campaign(st, &c, false, "{\"Type\":\"CustomerList\"}", &r);
    assert_fault(&r, 400, "ApiFaultDetail", 117);
    resp_free(&r);
    /* SOAP: the same operation, credentials in the soap:Header. */
    char env[1024];
    snprintf(env, sizeof env, SOAP_FMT, st->token, "<Type>CustomerList</Type>");
    campaign(st, NULL, true, env, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "<Audience i:type=\"CustomerList\"><Description "
                                        "i:nil=\"true\"/><Id>9100000001</Id><Name>Fans VIP"));
    resp_free(&r);
    snprintf(env, sizeof env, SOAP_FMT, st->token, "");
    campaign(st, NULL, true, env, &r);
    assert_int_equal(r.status, 500);
    assert_non_null(strstr(r.body.data, "<Code>4859</Code>"));
    resp_free(&r);
    sgx_emu_msads_stats_t s;
    sgx_emu_msads_stats(st->emu, &s);
    assert_int_equal(s.audience_queries, 13);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
        cmocka_unit_test(test_token_ttl),
        cmocka_unit_test(test_terms),
        cmocka_unit_test_setup_teardown(test_upload_url, setup, teardown),
        cmocka_unit_test(test_url_ttl),
        cmocka_unit_test(test_call_rate_limit),
        cmocka_unit_test_setup_teardown(test_multipart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_format, setup_row_cap, teardown),
        cmocka_unit_test_setup_teardown(test_row_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_happy_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_audiences, setup, teardown),
        cmocka_unit_test(test_refresh_rotation),
        cmocka_unit_test_setup_teardown(test_upload_zip_and_final_statuses, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
