/* Dotdigital emulator over real HTTP: auth, region, malformed files and bodies (exact errors),
 * the import lifecycle (NotFinished -> Finished, contacts visible only then), report and
 * report-faults, lookup and delete, concurrency and size caps, the tiered limit, faults. */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/buf.h"
#include "emulators/dotdigital.h"

#define AUTH "Authorization: Basic dTpw" /* u:p */
#define HOST "Host: r1-api.dotdigital.com"
#define MP "multipart/form-data; boundary=BND"

typedef struct {
    long status;
    sgx_buf_t body, hdrs;
} res_t;

static size_t on_data(char *p, size_t s, size_t n, void *arg)
{
    sgx_buf_append(arg, p, s * n);
    return s * n;
}

static uint16_t port;

/* One call; headers: NULL-terminated list. */
static void call(res_t *r, const char *method, const char *path, const char *ctype,
                 const char *body, size_t len, const char *h1, const char *h2)
{
    char url[512], ct[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    memset(r, 0, sizeof *r);
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    if (h1) {
        hl = curl_slist_append(hl, h1);
    }
    if (h2) {
        hl = curl_slist_append(hl, h2);
    }
    if (ctype) {
        snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
        hl = curl_slist_append(hl, ct);
    }
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->hdrs);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (!r->body.data) {
        sgx_buf_puts(&r->body, "");
    }
}

static void res_free(res_t *r)
{
    sgx_buf_free(&r->body);
    sgx_buf_free(&r->hdrs);
}

static void expect(const char *method, const char *path, const char *ctype, const char *body,
                   long status, const char *needle)
{
    res_t r;
    call(&r, method, path, ctype, body, body ? strlen(body) : 0, AUTH, HOST);
    if (r.status != status || (needle && !strstr(r.body.data, needle))) {
        fail_msg("%s %s: %ld '%s', expected %ld '%s'", method, path, r.status, r.body.data,
                 status, needle ? needle : "");
    }
    res_free(&r);
}

static char *multipart(const char *fname, const char *csv)
{
    sgx_buf_t b = {0};
    sgx_buf_puts(&b, "--BND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"");
    sgx_buf_puts(&b, fname);
    sgx_buf_puts(&b, "\"\r\nContent-Type: text/csv\r\n\r\n");
    sgx_buf_puts(&b, csv);
    sgx_buf_puts(&b, "\r\n--BND--\r\n");
    return b.data;
}

/* Starts an import; @returns its guid (caller frees) or NULL when not 202. */
static char *import(const char *book, const char *csv)
{
    char path[128];
    snprintf(path, sizeof path, "/v2/address-books/%s/contacts/import", book);
    char *body = multipart("x.csv", csv);
    res_t r;
    call(&r, "POST", path, MP, body, strlen(body), AUTH, HOST);
    free(body);
    json_t *j = json_loads(r.body.data, 0, NULL);
    const char *id = json_string_value(json_object_get(j, "id"));
    char *guid = r.status == 202 && id ? strdup(id) : NULL;
    json_decref(j);
    res_free(&r);
    return guid;
}

static sgx_emu_dd_t *start(int steps, int max_imports, size_t max_file, int rate)
{
    sgx_emu_dd_opts_t o = {.api_user = "u", .api_password = "p", .import_steps = steps,
                           .max_concurrent_imports = max_imports, .max_file_bytes = max_file,
                           .rate_limit_per_min = rate, .suppressed_domain = "Suppressed.test"};
    sgx_emu_dd_t *e = NULL;
    assert_int_equal(sgx_emu_dd_start(&o, &e), SGX_OK);
    port = sgx_emu_dd_port(e);
    sgx_emu_dd_add_address_book(e, "11");
    return e;
}

static long members(sgx_emu_dd_t *e, const char *book, char *first, size_t cap)
{
    json_t *a = sgx_emu_dd_audience(e, book);
    assert_non_null(a);
    long n = (long)json_integer_value(json_object_get(a, "count"));
    const char *m = json_string_value(json_array_get(json_object_get(a, "members"), 0));
    snprintf(first, cap, "%s", m ? m : "");
    json_decref(a);
    return n;
}

static void test_auth_and_region(void **state)
{
    (void)state;
    sgx_emu_dd_t *e = start(0, 0, 0, 0);
    res_t r;
    call(&r, "GET", "/v2/contacts/a@b.com", NULL, NULL, 0, HOST, NULL);
    assert_int_equal(r.status, 401);
    res_free(&r);
    call(&r, "GET", "/v2/contacts/a@b.com", NULL, NULL, 0, "Authorization: Basic dTpx", HOST);
    assert_int_equal(r.status, 401);
    res_free(&r);
    call(&r, "GET", "/v2/contacts/a@b.com", NULL, NULL, 0, AUTH, "Host: r2-api.dotdigital.com");
    assert_int_equal(r.status, 403);
    /* the documented "403 - Forbidden: Access is denied", with no ERROR_ code */
    assert_non_null(strstr(r.body.data, "Access is denied"));
    assert_null(strstr(r.body.data, "ERROR_"));
    res_free(&r);
    call(&r, "GET", "/v2/contacts/a@b.com", NULL, NULL, 0, AUTH, NULL); /* 127.0.0.1 host */
    assert_int_equal(r.status, 403);
    res_free(&r);
    expect("GET", "/v2/contacts/a@b.com", NULL, NULL, 404, "ERROR_CONTACT_NOT_FOUND");
    sgx_emu_dd_stop(e);
}

static void test_malformed_uploads(void **state)
{
    (void)state;
    sgx_emu_dd_t *e = start(0, 0, 200, 0);
    const char *path = "/v2/address-books/11/contacts/import";
    char *b;
    b = multipart("x.csv", "Mail,FIRSTNAME\r\na@b.com,A\r\n");
    expect("POST", path, MP, b, 400, "ERROR_IMPORT_NO_EMAIL_COLUMN");
    free(b);
    b = multipart("x.csv", "Email,SHOESIZE\r\na@b.com,9\r\n");
    expect("POST", path, MP, b, 400, "ERROR_DATAFIELD_NOT_FOUND");
    free(b);
    b = multipart("x.csv", "email,FirstName,FIRSTNAME\r\na@b.com,A,B\r\n");
    expect("POST", path, MP, b, 400, "ERROR_IMPORT_DUPLICATE_COLUMN");
    free(b);
    b = multipart("x.xlsx", "Email\r\na@b.com\r\n");
    expect("POST", path, MP, b, 400, "ERROR_IMPORT_FILE_TYPE");
    free(b);
    b = multipart("x.csv", "");
    expect("POST", path, MP, b, 400, "ERROR_IMPORT_NO_EMAIL_COLUMN");
    free(b);
    expect("POST", path, MP, "--BND\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n"
                             "--BND--\r\n", 400, "ERROR_FILE_NOT_FOUND");
    expect("POST", path, "text/csv", "Email\r\na@b.com\r\n", 415, "ERROR_UNSUPPORTED_MEDIA_TYPE");
    expect("POST", path, "application/json", "{\"fileName\":\"x.csv\",\"data\":\"%%%\"}", 400,
           "ERROR_INVALID_FILE_MEDIA");
    expect("POST", path, "application/json", "{\"data\":\"RW1haWwNCg==\"}", 400,
           "ERROR_INVALID_FILE_MEDIA");
    b = multipart("x.csv", "Email\r\n");
    expect("POST", "/v2/address-books/99/contacts/import", MP, b, 404,
           "ERROR_ADDRESSBOOK_NOT_FOUND");
    free(b);
    /* 200-byte cap: a 399-byte file is refused, a 199-byte one accepted */
    char big[400];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "Email\r\n", 7);
    b = multipart("x.csv", big);
    expect("POST", path, MP, b, 400, "ERROR_IMPORT_FILE_TOO_LARGE");
    free(b);
    b = multipart("x.csv", big + 200);
    memcpy(strstr(b, "\r\n\r\n") + 4, "Email\r\n", 7);
    expect("POST", path, MP, b, 202, "NotFinished");
    free(b);
    /* JSON with base64 "Email\r\nj@k.com\r\n" is accepted */
    expect("POST", path, "application/json",
           "{\"fileName\":\"c.csv\",\"data\":\"RW1haWwNCmpAay5jb20NCg==\"}", 202, "NotFinished");
    /* delete bodies */
    expect("POST", "/v2/address-books/11/contacts/delete", "application/json", "[1,\"x\"]", 400,
           "ERROR_INVALID_REQUEST");
    expect("POST", "/v2/address-books/11/contacts/delete", "application/json", "{}", 400,
           "ERROR_INVALID_REQUEST");
    expect("POST", "/v2/address-books/98/contacts/delete", "application/json", "[1]", 404,
           "ERROR_ADDRESSBOOK_NOT_FOUND");
    sgx_emu_dd_stats_t st;
    sgx_emu_dd_stats(e, &st);
    assert_int_equal(st.imports, 2);
    assert_int_equal(st.rejected_4xx, 14);
    sgx_emu_dd_stop(e);
}

static void test_import_lifecycle(void **state)
{
    (void)state;
    sgx_emu_dd_t *e = start(2, 0, 0, 0);
    char first[128], path[128];
    char *g = import("11", "Email,FIRSTNAME,POSTCODE\r\n\" Zoe@Example.com \",\"Zo, e\",AB1\r\n"
                           "ann@x.org,Ann,\r\nbad-email,X,\r\nsam@SUPPRESSED.test,Sam,\r\n"
                           "ann@x.org,Ann2,\r\n");
    assert_non_null(g);
    snprintf(path, sizeof path, "/v2/contacts/import/%s/report-faults", g);
    expect("GET", path, NULL, NULL, 400, "ERROR_IMPORT_REPORT_NOT_FOUND");
    snprintf(path, sizeof path, "/v2/contacts/import/%s", g);
    expect("GET", path, NULL, NULL, 200, "\"NotFinished\"");
    expect("GET", path, NULL, NULL, 200, "\"NotFinished\"");
    assert_int_equal(members(e, "11", first, sizeof first), 0); /* not visible yet */
    expect("GET", path, NULL, NULL, 200, "\"Finished\"");
    expect("GET", path, NULL, NULL, 200, "\"Finished\"");
    assert_int_equal(members(e, "11", first, sizeof first), 2);
    assert_string_equal(first, "ann@x.org");
    snprintf(path, sizeof path, "/v2/contacts/import/%s/report-faults", g);
    expect("GET", path, NULL, NULL, 200,
           "\xEF\xBB\xBFReason,email\r\nInvalid Email,bad-email\r\n"
           "Globally Suppressed,sam@SUPPRESSED.test\r\n");
    snprintf(path, sizeof path, "/v2/contacts/import/%s/report", g);
    expect("GET", path, NULL, NULL, 200, "\"duplicateEmails\":1");
    expect("GET", path, NULL, NULL, 200, "\"globallySuppressed\":1");
    expect("GET", "/v2/contacts/ZOE@example.com", NULL, NULL, 200, "\"value\":\"Zo, e\"");
    expect("GET", "/v2/contacts/ann@x.org", NULL, NULL, 200, "\"value\":\"Ann2\"");
    expect("GET", "/v2/contacts/import/nope", NULL, NULL, 404, "ERROR_IMPORT_NOT_FOUND");
    /* delete: zoe's id (1) leaves the book; unknown ids are ignored */
    expect("POST", "/v2/address-books/11/contacts/delete", "application/json", "[1, 999]", 202,
           "\"status\"");
    assert_int_equal(members(e, "11", first, sizeof first), 1);
    assert_string_equal(first, "ann@x.org");
    expect("GET", "/v2/contacts/1", NULL, NULL, 200, "zoe@example.com"); /* still a contact */
    free(g);
    /* a structurally broken file is accepted, then fails as InvalidFileFormat */
    g = import("11", "Email,FIRSTNAME\r\nq@x.org,\"unterminated\r\n");
    assert_non_null(g);
    snprintf(path, sizeof path, "/v2/contacts/import/%s", g);
    expect("GET", path, NULL, NULL, 200, "\"NotFinished\"");
    expect("GET", path, NULL, NULL, 200, "\"NotFinished\"");
    expect("GET", path, NULL, NULL, 200, "\"InvalidFileFormat\"");
    free(g);
    g = import("11", "Email,FIRSTNAME\r\nq@x.org\r\n"); /* wrong field count */
    snprintf(path, sizeof path, "/v2/contacts/import/%s", g);
    for (int i = 0; i < 2; i++) {
        expect("GET", path, NULL, NULL, 200, "\"NotFinished\"");
    }
    expect("GET", path, NULL, NULL, 200, "\"InvalidFileFormat\"");
    free(g);
    /* an injected failure */
    sgx_emu_dd_fail_next_import(e, "RejectedByWatchdog");
    g = import("11", "Email\r\nw@x.org\r\n");
    snprintf(path, sizeof path, "/v2/contacts/import/%s", g);
    for (int i = 0; i < 2; i++) {
        expect("GET", path, NULL, NULL, 200, "\"NotFinished\"");
    }
    expect("GET", path, NULL, NULL, 200, "\"RejectedByWatchdog\"");
    free(g);
    assert_int_equal(members(e, "11", first, sizeof first), 1);
    sgx_emu_dd_stop(e);
}

static void test_caps_and_limits(void **state)
{
    (void)state;
    sgx_emu_dd_t *e = start(5, 2, 0, 0);
    char *g1 = import("11", "Email\r\na@x.org\r\n"), *g2 = import("11", "Email\r\nb@x.org\r\n");
    assert_non_null(g1);
    assert_non_null(g2);
    char *b = multipart("x.csv", "Email\r\nc@x.org\r\n");
    expect("POST", "/v2/address-books/11/contacts/import", MP, b, 400,
           "ERROR_IMPORT_TOOMANYACTIVEIMPORTS");
    free(b);
    free(g1);
    free(g2);
    /* injected 5xx and 429 */
    sgx_emu_dd_inject(e, SGX_EMU_DD_FAULT_5XX, 1, 502);
    expect("GET", "/v2/contacts/a@x.org", NULL, NULL, 502, NULL);
    expect("GET", "/v2/contacts/a@x.org", NULL, NULL, 404, NULL);
    sgx_emu_dd_inject(e, SGX_EMU_DD_FAULT_THROTTLE, 1, 30);
    res_t r;
    long now = (long)time(NULL);
    call(&r, "GET", "/v2/contacts/a@x.org", NULL, NULL, 0, AUTH, HOST);
    assert_int_equal(r.status, 429);
    const char *h = strstr(r.hdrs.data, "x-ratelimit-reset: ");
    assert_non_null(h);
    long reset = atol(h + 19);
    assert_true(reset >= now + 29 && reset <= now + 31);
    assert_non_null(strstr(r.hdrs.data, "Date: "));
    res_free(&r);
    sgx_emu_dd_stop(e);
    /* tiered limit: 3 calls a minute (skip the test's own minute boundary) */
    while (time(NULL) % 60 > 55) {
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
    }
    e = start(0, 0, 0, 3);
    for (int i = 0; i < 3; i++) {
        expect("GET", "/v2/contacts/a@x.org", NULL, NULL, 404, NULL);
    }
    call(&r, "GET", "/v2/contacts/a@x.org", NULL, NULL, 0, AUTH, HOST);
    assert_int_equal(r.status, 429);
    assert_non_null(strstr(r.hdrs.data, "x-ratelimit-limit: 3"));
    assert_non_null(strstr(r.hdrs.data, "x-ratelimit-scope: tier"));
    h = strstr(r.hdrs.data, "x-ratelimit-reset: ");
    assert_non_null(h);
    assert_int_equal(atol(h + 19) % 60, 0);
    res_free(&r);
    sgx_emu_dd_stats_t st;
    sgx_emu_dd_stats(e, &st);
    assert_int_equal(st.throttled, 1);
    sgx_emu_dd_stop(e);
}

/* GET /v2/address-books/{id}/contacts pages the book in join order; select is 1..1000. */
static void test_book_pages(void **state)
{
    (void)state;
    sgx_emu_dd_t *e = start(0, 0, 0, 0);
    char *g = import("11", "Email,FIRSTNAME\r\nc@x.org,C\r\na@x.org,A\r\nb@x.org,B\r\n");
    char path[128];
    snprintf(path, sizeof path, "/v2/contacts/import/%s", g);
    expect("GET", path, NULL, NULL, 200, "\"Finished\"");
    free(g);
    expect("GET", "/v2/address-books/11", NULL, NULL, 200, "\"contacts\":3");
    expect("GET", "/v2/address-books/11/contacts?select=2&skip=0", NULL, NULL, 200,
           "[{\"id\":1,\"email\":\"c@x.org\"");
    expect("GET", "/v2/address-books/11/contacts?select=2&skip=0", NULL, NULL, 200,
           "\"dataFields\":null");
    expect("GET", "/v2/address-books/11/contacts?select=2&skip=2", NULL, NULL, 200,
           "[{\"id\":3,\"email\":\"b@x.org\"");
    expect("GET", "/v2/address-books/11/contacts?skip=3", NULL, NULL, 200, "[]");
    expect("GET", "/v2/address-books/11/contacts?withFullData=true&skip=1&select=1", NULL, NULL,
           200, "\"value\":\"A\"");
    expect("GET", "/v2/address-books/11/contacts?select=1001", NULL, NULL, 400,
           "ERROR_PARAMETER_INVALID");
    expect("GET", "/v2/address-books/11/contacts?skip=-1", NULL, NULL, 400,
           "ERROR_PARAMETER_INVALID");
    expect("GET", "/v2/address-books/11/contacts?withFullData=maybe", NULL, NULL, 400,
           "ERROR_PARAMETER_INVALID");
    expect("GET", "/v2/address-books/12/contacts", NULL, NULL, 404, "ERROR_ADDRESSBOOK_NOT_FOUND");
    /* removing c shifts the pages: a is first now */
    expect("POST", "/v2/address-books/11/contacts/delete", "application/json", "[1]", 202, NULL);
    expect("GET", "/v2/address-books/11/contacts?select=1", NULL, NULL, 200, "\"a@x.org\"");
    sgx_emu_dd_stop(e);
}

/* The flat hourly allowance: past it every call is refused with ERROR_APIUSAGE_EXCEEDED (403,
 * no region wording, no rate-limit headers) and refused calls do not count. */
static void test_hourly_allowance(void **state)
{
    (void)state;
    sgx_emu_dd_opts_t o = {.api_user = "u", .api_password = "p", .hourly_allowance = 3};
    sgx_emu_dd_t *e = NULL;
    assert_int_equal(sgx_emu_dd_start(&o, &e), SGX_OK);
    port = sgx_emu_dd_port(e);
    for (int i = 0; i < 3; i++) {
        expect("GET", "/v2/contacts/a@x.org", NULL, NULL, 404, "ERROR_CONTACT_NOT_FOUND");
    }
    for (int i = 0; i < 2; i++) {
        res_t r;
        call(&r, "GET", "/v2/contacts/a@x.org", NULL, NULL, 0, AUTH, HOST);
        assert_int_equal(r.status, 403);
        assert_non_null(strstr(r.body.data, "temporarily capped"));
        assert_non_null(strstr(r.body.data, "ERROR_APIUSAGE_EXCEEDED"));
        assert_null(strstr(r.hdrs.data, "x-ratelimit"));
        res_free(&r);
    }
    sgx_emu_dd_stats_t st;
    sgx_emu_dd_stats(e, &st);
    assert_int_equal(st.usage_capped, 2);
    assert_int_equal(st.lookups, 3);
    sgx_emu_dd_stop(e);
}

/* The tiered limit's allowance on every answer: the calls left in the window fall with each
 * call, the reset is the window's end (epoch multiples of rate_window_s) against a Date from
 * the same clock, and past the limit the 429 says none are left. */
static void test_tier_headers(void **state)
{
    (void)state;
    sgx_emu_dd_opts_t o = {.api_user = "u", .api_password = "p", .rate_limit_per_min = 3,
                           .rate_window_s = 3600};
    while (time(NULL) % 3600 > 3590) { /* all four calls in one window */
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
    }
    sgx_emu_dd_t *e = NULL;
    assert_int_equal(sgx_emu_dd_start(&o, &e), SGX_OK);
    port = sgx_emu_dd_port(e);
    long now = (long)time(NULL);
    for (int i = 0; i < 4; i++) {
        res_t r;
        char left[40];
        call(&r, "GET", "/v2/contacts/a@x.org", NULL, NULL, 0, AUTH, HOST);
        assert_int_equal(r.status, i < 3 ? 404 : 429);
        snprintf(left, sizeof left, "x-ratelimit-remaining: %d\r\n", i < 3 ? 2 - i : 0);
        assert_non_null(strstr(r.hdrs.data, left));
        assert_non_null(strstr(r.hdrs.data, "x-ratelimit-limit: 3\r\n"));
        assert_non_null(strstr(r.hdrs.data, "Date: "));
        const char *h = strstr(r.hdrs.data, "x-ratelimit-reset: ");
        assert_non_null(h);
        long reset = atol(h + 19);
        assert_int_equal(reset % 3600, 0);
        assert_true(reset > now && reset <= now + 3600);
        res_free(&r);
    }
    sgx_emu_dd_stop(e);
}

/* The flat allowance rolls over allowance_window_s: a refused call goes through once the
 * admitted one has left the period. */
static void test_allowance_window(void **state)
{
    (void)state;
    sgx_emu_dd_opts_t o = {.api_user = "u", .api_password = "p", .hourly_allowance = 1,
                           .allowance_window_s = 1};
    sgx_emu_dd_t *e = NULL;
    assert_int_equal(sgx_emu_dd_start(&o, &e), SGX_OK);
    port = sgx_emu_dd_port(e);
    expect("GET", "/v2/contacts/a@x.org", NULL, NULL, 404, "ERROR_CONTACT_NOT_FOUND");
    time_t first = time(NULL);
    expect("GET", "/v2/contacts/a@x.org", NULL, NULL, 403, "ERROR_APIUSAGE_EXCEEDED");
    while (time(NULL) < first + 2) {
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    expect("GET", "/v2/contacts/a@x.org", NULL, NULL, 404, "ERROR_CONTACT_NOT_FOUND");
    sgx_emu_dd_stop(e);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_and_region),
        cmocka_unit_test(test_malformed_uploads),
        cmocka_unit_test(test_import_lifecycle),
        cmocka_unit_test(test_caps_and_limits),
        cmocka_unit_test(test_book_pages),
        cmocka_unit_test(test_hourly_allowance),
        cmocka_unit_test(test_tier_headers),
        cmocka_unit_test(test_allowance_window),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
