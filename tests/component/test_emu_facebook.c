/* Component test of the Meta Custom Audiences emulator over real HTTP (libcurl, 127.0.0.1,
 * ephemeral port): set semantics, every rejection of the wire contract, invalid-row accounting,
 * injected throttles / 5xx and the inspection endpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/buf.h"
#include "emulators/facebook.h"

#define TOKEN "tok-123"
#define SECRET "s3cret"

typedef struct {
    long status;
    sgx_buf_t body;
    char ctype[64];
    char usage[512]; /* X-Business-Use-Case-Usage */
    bool retry_after;
    json_t *json; /* parsed body, NULL when not JSON */
} resp_t;

typedef struct {
    sgx_emu_fb_t *emu;
    char base[64];
    char proof[65];
} state_t;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    sgx_buf_append(&((resp_t *)ud)->body, p, size * n);
    return size * n;
}

static void copy_header(const char *line, size_t len, const char *name, char *dst, size_t cap)
{
    size_t nlen = strlen(name);
    if (len > nlen + 2 && strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
        size_t vlen = len - nlen - 2;
        while (vlen && (line[nlen + 2 + vlen - 1] == '\r' || line[nlen + 2 + vlen - 1] == '\n')) {
            vlen--;
        }
        snprintf(dst, cap, "%.*s", (int)vlen, line + nlen + 2);
    }
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    resp_t *r = ud;
    copy_header(p, size * n, "X-Business-Use-Case-Usage", r->usage, sizeof r->usage);
    copy_header(p, size * n, "Content-Type", r->ctype, sizeof r->ctype);
    r->retry_after |= strncasecmp(p, "Retry-After:", 12) == 0;
    return size * n;
}

static void resp_free(resp_t *r)
{
    sgx_buf_free(&r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

/* Performs one request; body may be NULL. */
static void http(const char *method, const char *url, const char *body, size_t len, resp_t *r)
{
    memset(r, 0, sizeof *r);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(c);
    r->json = r->body.data ? json_loadb(r->body.data, r->body.len, 0, NULL) : NULL;
}

/* Appends key=urlencoded(value) to a form. */
static void form_add(sgx_buf_t *form, const char *key, const char *val)
{
    char *enc = curl_easy_escape(NULL, val, (int)strlen(val));
    if (form->len) {
        sgx_buf_putc(form, '&');
    }
    sgx_buf_puts(form, key);
    sgx_buf_putc(form, '=');
    sgx_buf_puts(form, enc);
    curl_free(enc);
}

/* A /users request with valid credentials unless token/proof are overridden ("" = omit). */
static void users_ex(const state_t *st, const char *method, const char *version, const char *aud,
                     const char *token, const char *proof, const char *payload,
                     const char *session, resp_t *r)
{
    sgx_buf_t form = {0};
    if (*token) {
        form_add(&form, "access_token", token);
    }
    if (*proof) {
        form_add(&form, "appsecret_proof", proof);
    }
    if (payload) {
        form_add(&form, "payload", payload);
    }
    if (session) {
        form_add(&form, "session", session);
    }
    /* A DELETE's parameters go in the query string, as the official SDK sends them. */
    bool del = strcmp(method, "DELETE") == 0;
    char *url = NULL;
    sgx_buf_t u = {0};
    sgx_buf_puts(&u, st->base);
    sgx_buf_putc(&u, '/');
    sgx_buf_puts(&u, version);
    sgx_buf_putc(&u, '/');
    sgx_buf_puts(&u, aud);
    sgx_buf_puts(&u, del ? "/users?" : "/users");
    if (del && form.data) {
        sgx_buf_puts(&u, form.data);
    }
    url = u.data;
    http(method, url, del ? NULL : form.data ? form.data : "", del ? 0 : form.len, r);
    sgx_buf_free(&u);
    sgx_buf_free(&form);
}

static void users(const state_t *st, const char *method, const char *aud, const char *payload,
                  resp_t *r)
{
    users_ex(st, method, "v25.0", aud, TOKEN, st->proof, payload, NULL, r);
}

static void hex64(char out[65], unsigned v)
{
    snprintf(out, 65, "%064x", v);
}

static json_t *audience(const state_t *st, const char *id)
{
    char url[256];
    resp_t r;
    snprintf(url, sizeof url, "%s/_emulator/audiences/%s", st->base, id);
    http("GET", url, NULL, 0, &r);
    json_t *j = r.status == 200 ? json_incref(r.json) : NULL;
    resp_free(&r);
    return j;
}

static size_t audience_count(const state_t *st, const char *id)
{
    json_t *j = audience(st, id);
    assert_non_null(j);
    size_t n = (size_t)json_integer_value(json_object_get(j, "count"));
    json_decref(j);
    return n;
}

static int err_code(const resp_t *r)
{
    return (int)json_integer_value(json_object_get(json_object_get(r->json, "error"), "code"));
}

static int err_subcode(const resp_t *r)
{
    json_t *e = json_object_get(r->json, "error");
    return (int)json_integer_value(json_object_get(e, "error_subcode"));
}

static const char *err_msg(const resp_t *r)
{
    const char *m =
        json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
    return m ? m : "";
}

static int setup(void **ctx)
{
    state_t *st = calloc(1, sizeof *st);
    sgx_emu_fb_opts_t o = {.listen_host = "127.0.0.1", .access_token = TOKEN,
                           .app_secret = SECRET};
    if (!st || sgx_emu_fb_start(&o, &st->emu) != SGX_OK) {
        return -1;
    }
    snprintf(st->base, sizeof st->base, "http://127.0.0.1:%u", sgx_emu_fb_port(st->emu));
    /* Computed here independently of the emulator, straight from the documented definition. */
    unsigned char md[32];
    unsigned int md_len = 0;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)TOKEN, strlen(TOKEN),
         md, &md_len);
    for (unsigned i = 0; i < md_len; i++) {
        snprintf(st->proof + 2 * i, 3, "%02x", md[i]);
    }
    *ctx = st;
    return 0;
}

static int teardown(void **ctx)
{
    state_t *st = *ctx;
    sgx_emu_fb_stop(st->emu);
    free(st);
    return 0;
}

/* Builds {"schema":"EMAIL_SHA256","data":[hex(first)..hex(first+n-1)]}. */
static char *email_payload(unsigned first, size_t n)
{
    sgx_buf_t b = {0};
    char h[65];
    sgx_buf_puts(&b, "{\"schema\":\"EMAIL_SHA256\",\"data\":[");
    for (size_t i = 0; i < n; i++) {
        hex64(h, first + (unsigned)i);
        sgx_buf_puts(&b, i ? ",\"" : "\"");
        sgx_buf_puts(&b, h);
        sgx_buf_putc(&b, '"');
    }
    sgx_buf_puts(&b, "]}");
    return b.data;
}

static void assert_members(const state_t *st, const char *id, const char *const *expect, size_t n)
{
    json_t *j = audience(st, id);
    assert_non_null(j);
    json_t *members = json_object_get(j, "members");
    assert_int_equal(json_integer_value(json_object_get(j, "count")), n);
    assert_int_equal(json_array_size(members), n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(json_string_value(json_array_get(members, i)), expect[i]);
    }
    json_decref(j);
}

static void test_add_remove_set_semantics(void **ctx)
{
    state_t *st = *ctx;
    resp_t r;
    char a[80], b[80], c[80], h[65];
    sgx_emu_fb_add_audience(st->emu, "1001");
    char *p = email_payload(3, 3); /* inserted out of order on purpose: GET must sort */
    users(st, "POST", "1001", p, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "audience_id")), "1001");
    assert_int_equal(json_integer_value(json_object_get(r.json, "num_received")), 3);
    assert_int_equal(json_integer_value(json_object_get(r.json, "num_invalid_entries")), 0);
    assert_non_null(json_string_value(json_object_get(r.json, "session_id")));
    resp_free(&r);
    free(p);
    hex64(h, 3), snprintf(a, sizeof a, "EMAIL:%s", h);
    hex64(h, 4), snprintf(b, sizeof b, "EMAIL:%s", h);
    hex64(h, 5), snprintf(c, sizeof c, "EMAIL:%s", h);
    const char *all[] = {a, b, c}, *after[] = {a, c};
    assert_members(st, "1001", all, 3);
    /* DELETE carries the same parameters as POST, in the query string. */
    p = email_payload(4, 1);
    users(st, "DELETE", "1001", p, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "num_received")), 1);
    resp_free(&r);
    assert_members(st, "1001", after, 2);
    users(st, "DELETE", "1001", p, &r); /* absent member: no-op, still 200 */
    assert_int_equal(r.status, 200);
    resp_free(&r);
    free(p);
    assert_members(st, "1001", after, 2);
}

static void test_repeat_add_is_noop(void **ctx)
{
    state_t *st = *ctx;
    sgx_emu_fb_stats_t before, after;
    resp_t r;
    sgx_emu_fb_add_audience(st->emu, "1002");
    sgx_emu_fb_stats(st->emu, &before);
    char *p = email_payload(42, 1);
    for (int i = 0; i < 2; i++) {
        users(st, "POST", "1002", p, &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(json_integer_value(json_object_get(r.json, "num_received")), 1);
        resp_free(&r);
    }
    free(p);
    assert_int_equal(audience_count(st, "1002"), 1);
    sgx_emu_fb_stats(st->emu, &after);
    assert_int_equal(after.rows_received - before.rows_received, 2);
    assert_int_equal(after.add_requests - before.add_requests, 2);
}

static void test_multi_key_member_order(void **ctx)
{
    state_t *st = *ctx;
    resp_t r;
    char h[65], payload[512], expect[256];
    sgx_emu_fb_add_audience(st->emu, "1003");
    hex64(h, 7);
    /* Columns out of Meta's key order and an empty PHONE: member is EXTERN_ID,EMAIL,FN. */
    snprintf(payload, sizeof payload,
             "{\"schema\":[\"FN\",\"PHONE\",\"EXTERN_ID\",\"EMAIL\"],\"is_raw\":true,"
             "\"data\":[[\"%s\",\"\",\"c-1\",\"%s\"]]}", h, h);
    users_ex(st, "POST", "v25.0", "1003", TOKEN, st->proof, payload,
             "{\"session_id\":77,\"batch_seq\":1,\"last_batch_flag\":true,"
             "\"estimated_num_total\":1}", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "session_id")), "77");
    resp_free(&r);
    snprintf(expect, sizeof expect, "EXTERN_ID:c-1,EMAIL:%s,FN:%s", h, h);
    const char *members[] = {expect};
    assert_members(st, "1003", members, 1);
}

#define H64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

typedef struct {
    const char *name;
    const char *version;
    const char *aud;
    const char *token; /* "" = omitted */
    const char *proof; /* NULL = the right one, "" = omitted */
    const char *payload;
    const char *session;
    long status;
    int code;
    int subcode;
    const char *msg_part;
} reject_case_t;

static const reject_case_t reject_cases[] = {
    {"missing token", "v25.0", "1004", "", NULL, "{\"schema\":\"EMAIL_SHA256\",\"data\":[\"" H64 "\"]}", NULL, 400, 190, 0, ""},
    {"wrong token", "v25.0", "1004", "nope", NULL, "{\"schema\":\"EMAIL_SHA256\",\"data\":[\"" H64 "\"]}", NULL, 400, 190, 0, ""},
    {"bad proof", "v25.0", "1004", TOKEN, "deadbeef", "{\"schema\":\"EMAIL_SHA256\",\"data\":[\"" H64 "\"]}", NULL, 400, 100, 0, "appsecret_proof"},
    {"missing proof", "v25.0", "1004", TOKEN, "", "{\"schema\":\"EMAIL_SHA256\",\"data\":[\"" H64 "\"]}", NULL, 400, 100, 0, "appsecret_proof"},
    {"version without .0", "v25", "1004", TOKEN, NULL, "{\"schema\":\"EMAIL_SHA256\",\"data\":[\"" H64 "\"]}", NULL, 400, 2500, 0, ""},
    {"version without v", "25.0", "1004", TOKEN, NULL, "{\"schema\":\"EMAIL_SHA256\",\"data\":[\"" H64 "\"]}", NULL, 400, 2500, 0, ""},
    {"minor version", "v25.1", "1004", TOKEN, NULL, "{\"schema\":\"EMAIL_SHA256\",\"data\":[\"" H64 "\"]}", NULL, 400, 2500, 0, ""},
    {"unknown audience", "v25.0", "999999", TOKEN, NULL, "{\"schema\":\"EMAIL_SHA256\",\"data\":[\"" H64 "\"]}", NULL, 400, 100, 33, "does not exist"},
    {"payload not JSON", "v25.0", "1004", TOKEN, NULL, "schema=EMAIL", NULL, 400, 100, 0, ""},
    {"payload missing", "v25.0", "1004", TOKEN, NULL, NULL, NULL, 400, 100, 0, "payload"},
    {"unknown key", "v25.0", "1004", TOKEN, NULL, "{\"schema\":[\"EMAIL\",\"SSN\"],\"data\":[[\"" H64 "\",\"\"]]}", NULL, 400, 100, 0, "unknown key"},
    {"unknown single key", "v25.0", "1004", TOKEN, NULL, "{\"schema\":\"EMAIL_MD5\",\"data\":[\"" H64 "\"]}", NULL, 400, 100, 0, "unknown key"},
    {"duplicate key", "v25.0", "1004", TOKEN, NULL, "{\"schema\":[\"EMAIL\",\"EMAIL\"],\"data\":[[\"" H64 "\",\"" H64 "\"]]}", NULL, 400, 100, 0, "duplicate"},
    {"wrong row length", "v25.0", "1004", TOKEN, NULL, "{\"schema\":[\"EMAIL\",\"FN\"],\"data\":[[\"" H64 "\",\"\"],[\"" H64 "\"]]}", NULL, 400, 100, 0, "data[1]"},
    {"non-string cell", "v25.0", "1004", TOKEN, NULL, "{\"schema\":[\"EXTERN_ID\"],\"data\":[[\"x\"],[7]]}", NULL, 400, 100, 0, "data[1][0]"},
    {"flat non-string", "v25.0", "1004", TOKEN, NULL, "{\"schema\":\"EXTERN_ID\",\"data\":[\"x\",null]}", NULL, 400, 100, 0, "data[1]"},
    {"empty data", "v25.0", "1004", TOKEN, NULL, "{\"schema\":\"EMAIL_SHA256\",\"data\":[]}", NULL, 400, 100, 0, "data"},
    {"missing data", "v25.0", "1004", TOKEN, NULL, "{\"schema\":\"EMAIL_SHA256\"}", NULL, 400, 100, 0, "data"},
    {"is_raw not bool", "v25.0", "1004", TOKEN, NULL, "{\"schema\":\"EXTERN_ID\",\"is_raw\":1,\"data\":[\"x\"]}", NULL, 400, 100, 0, "is_raw"},
    {"session batch_seq 0", "v25.0", "1004", TOKEN, NULL, "{\"schema\":\"EXTERN_ID\",\"data\":[\"x\"]}", "{\"session_id\":1,\"batch_seq\":0,\"last_batch_flag\":false}", 400, 100, 0, "session"},
    {"session not JSON", "v25.0", "1004", TOKEN, NULL, "{\"schema\":\"EXTERN_ID\",\"data\":[\"x\"]}", "1", 400, 100, 0, "session"},
};

static void test_rejections(void **ctx)
{
    state_t *st = *ctx;
    sgx_emu_fb_add_audience(st->emu, "1004");
    for (size_t i = 0; i < sizeof reject_cases / sizeof reject_cases[0]; i++) {
        const reject_case_t *c = &reject_cases[i];
        resp_t r;
        print_message("case: %s\n", c->name);
        users_ex(st, "POST", c->version, c->aud, c->token, c->proof ? c->proof : st->proof,
                 c->payload, c->session, &r);
        assert_int_equal(r.status, c->status);
        assert_non_null(r.json);
        assert_int_equal(err_code(&r), c->code);
        assert_int_equal(err_subcode(&r), c->subcode);
        assert_non_null(strstr(err_msg(&r), c->msg_part));
        json_t *e = json_object_get(r.json, "error");
        assert_non_null(json_string_value(json_object_get(e, "type")));
        assert_true(strlen(json_string_value(json_object_get(e, "fbtrace_id"))) > 0);
        resp_free(&r);
        assert_int_equal(audience_count(st, "1004"), 0); /* nothing applied */
    }
}

static void test_row_cap(void **ctx)
{
    state_t *st = *ctx;
    resp_t r;
    sgx_emu_fb_add_audience(st->emu, "1005");
    char *p = email_payload(100000, 10001);
    users(st, "POST", "1005", p, &r);
    free(p);
    assert_int_equal(r.status, 400);
    assert_int_equal(err_code(&r), 100);
    assert_non_null(strstr(err_msg(&r), "too many users in one request"));
    resp_free(&r);
    assert_int_equal(audience_count(st, "1005"), 0);
    p = email_payload(100000, 10000); /* the cap itself is allowed */
    users(st, "POST", "1005", p, &r);
    free(p);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "num_received")), 10000);
    resp_free(&r);
    assert_int_equal(audience_count(st, "1005"), 10000);
}

static void test_oversize_body(void **ctx)
{
    (void)ctx;
    sgx_emu_fb_t *emu = NULL;
    sgx_emu_fb_opts_t o = {.access_token = TOKEN, .max_body_bytes = 4096};
    assert_int_equal(sgx_emu_fb_start(&o, &emu), SGX_OK);
    state_t st = {.emu = emu};
    snprintf(st.base, sizeof st.base, "http://127.0.0.1:%u", sgx_emu_fb_port(emu));
    sgx_emu_fb_add_audience(emu, "1");
    resp_t r;
    char *p = email_payload(1, 200); /* ~13 KB */
    users_ex(&st, "POST", "v25.0", "1", TOKEN, "", p, NULL, &r);
    assert_int_equal(r.status, 413);
    assert_int_equal(err_code(&r), 100);
    resp_free(&r);
    assert_int_equal(audience_count(&st, "1"), 0);
    free(p);
    p = email_payload(1, 10); /* same server, small body: fine, and no proof needed here */
    users_ex(&st, "POST", "v25.0", "1", TOKEN, "", p, NULL, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    free(p);
    sgx_emu_fb_stop(emu);
}

static void test_invalid_hash_cells(void **ctx)
{
    state_t *st = *ctx;
    resp_t r;
    char h[65], upper[65], payload[1024];
    sgx_emu_fb_add_audience(st->emu, "1006");
    hex64(h, 0xabc);
    snprintf(upper, sizeof upper, "%064X", 0xabcu);
    /* rows: valid, uppercase hex, 63 chars, all empty, raw MADID (never hashed) */
    snprintf(payload, sizeof payload,
             "{\"schema\":[\"EMAIL\",\"MADID\"],\"data\":[[\"%s\",\"\"],[\"%s\",\"\"],"
             "[\"%.63s\",\"\"],[\"\",\"\"],[\"\",\"AB-cd\"]]}", h, upper, h);
    users(st, "POST", "1006", payload, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "num_received")), 5);
    assert_int_equal(json_integer_value(json_object_get(r.json, "num_invalid_entries")), 3);
    json_t *samples = json_object_get(r.json, "invalid_entry_samples");
    assert_int_equal(json_object_size(samples), 3);
    const char *keys[] = {"1", "2", "3"};
    for (size_t i = 0; i < 3; i++) {
        const char *why = json_string_value(json_object_get(samples, keys[i]));
        assert_non_null(why);
        assert_null(strstr(why, upper)); /* reasons never echo the value */
        assert_null(strstr(why, "abc"));
    }
    resp_free(&r);
    char m1[128], m2[] = "MADID:AB-cd";
    snprintf(m1, sizeof m1, "EMAIL:%s", h);
    const char *members[] = {m1, m2};
    assert_members(st, "1006", members, 2);
}

/* After throttled calls that applied nothing: the audience is empty, the next add is applied
 * with no usage header (no limit in force). Frees p. */
static void added_once_clear(const state_t *st, const char *aud, char *p)
{
    resp_t r;
    assert_int_equal(audience_count(st, aud), 0);
    users(st, "POST", aud, p, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.usage, "");
    resp_free(&r);
    free(p);
    assert_int_equal(audience_count(st, aud), 1);
}

static void test_throttle_then_recovery(void **ctx)
{
    state_t *st = *ctx;
    sgx_emu_fb_stats_t before, after;
    resp_t r;
    sgx_emu_fb_add_audience(st->emu, "1007");
    sgx_emu_fb_stats(st->emu, &before);
    sgx_emu_fb_inject(st->emu, SGX_EMU_FAULT_THROTTLE, 2, 17, 5);
    char *p = email_payload(9, 1);
    for (int i = 0; i < 2; i++) {
        users(st, "POST", "1007", p, &r);
        assert_int_equal(r.status, 400);
        assert_int_equal(err_code(&r), 17);
        assert_int_equal(err_subcode(&r), 2446079);
        assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "error"),
                                                              "type")), "OAuthException");
        assert_non_null(strstr(err_msg(&r), "User request limit reached"));
        json_t *usage = json_loads(r.usage, 0, NULL);
        assert_non_null(usage);
        const char *biz;
        json_t *list;
        json_object_foreach(usage, biz, list) {
            json_t *u = json_array_get(list, 0);
            assert_string_equal(json_string_value(json_object_get(u, "type")), "custom_audience");
            assert_int_equal(
                json_integer_value(json_object_get(u, "estimated_time_to_regain_access")), 5);
        }
        assert_int_equal(json_object_size(usage), 1);
        json_decref(usage);
        assert_false(r.retry_after); /* Meta sends none; clients must use the header above */
        resp_free(&r);
    }
    added_once_clear(st, "1007", p);
    sgx_emu_fb_stats(st->emu, &after);
    assert_int_equal(after.throttled - before.throttled, 2);
}

static void test_other_throttle_codes(void **ctx)
{
    state_t *st = *ctx;
    static const int codes[][2] = {{4, 0}, {613, 1487742}, {80003, 0}};
    resp_t r;
    sgx_emu_fb_add_audience(st->emu, "1008");
    char *p = email_payload(9, 1);
    for (size_t i = 0; i < 3; i++) {
        sgx_emu_fb_inject(st->emu, SGX_EMU_FAULT_THROTTLE, 1, codes[i][0], 1);
        users(st, "POST", "1008", p, &r);
        assert_int_equal(r.status, 400);
        assert_int_equal(err_code(&r), codes[i][0]);
        assert_int_equal(err_subcode(&r), codes[i][1]);
        assert_non_null(strstr(r.usage, "\"estimated_time_to_regain_access\":1"));
        resp_free(&r);
    }
    free(p);
}

/* The modelled business-use-case limit: 4 calls per 30 s. Every /users reply reports the usage
 * after it; the fifth call is refused with 80003 (is_transient, usage 100, the minutes until
 * the first call leaves the window) and not applied; turning the model off ends it. */
static void test_business_use_case_limit(void **ctx)
{
    state_t *st = *ctx;
    static const char *const pcts[] = {"\"call_count\":25,", "\"call_count\":50,",
                                       "\"call_count\":75,", "\"call_count\":100,"};
    resp_t r;
    sgx_emu_fb_add_audience(st->emu, "1010");
    sgx_emu_fb_set_buc(st->emu, 4, 30000);
    char *p = email_payload(40, 1);
    for (size_t i = 0; i < 4; i++) {
        users(st, i % 2 ? "DELETE" : "POST", "1010", p, &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.usage, pcts[i]));
        assert_non_null(strstr(r.usage, "\"type\":\"custom_audience\""));
        resp_free(&r);
    }
    users(st, "POST", "1010", p, &r);
    assert_int_equal(r.status, 400);
    assert_int_equal(err_code(&r), 80003);
    assert_true(json_is_true(json_object_get(json_object_get(r.json, "error"), "is_transient")));
    assert_non_null(strstr(r.usage, "\"call_count\":100,"));
    assert_non_null(strstr(r.usage, "\"estimated_time_to_regain_access\":0")); /* < 1 min */
    resp_free(&r);
    sgx_emu_fb_set_buc(st->emu, 0, 0); /* add, remove, add, remove; refused: empty */
    added_once_clear(st, "1010", p);
}

static void test_5xx_injection(void **ctx)
{
    state_t *st = *ctx;
    resp_t r;
    sgx_emu_fb_add_audience(st->emu, "1009");
    char *p = email_payload(11, 1);
    sgx_emu_fb_inject(st->emu, SGX_EMU_FAULT_5XX, 1, 500, 0);
    users(st, "POST", "1009", p, &r);
    assert_int_equal(r.status, 500);
    assert_int_equal(err_code(&r), 2);
    assert_true(json_is_true(json_object_get(json_object_get(r.json, "error"), "is_transient")));
    resp_free(&r);
    sgx_emu_fb_inject(st->emu, SGX_EMU_FAULT_5XX, 1, 503, 0);
    users(st, "DELETE", "1009", p, &r);
    assert_int_equal(r.status, 503);
    assert_null(r.json); /* plain text, as from an edge proxy */
    assert_non_null(strstr(r.ctype, "text/plain"));
    resp_free(&r);
    assert_int_equal(audience_count(st, "1009"), 0);
    users(st, "POST", "1009", p, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    free(p);
    assert_int_equal(audience_count(st, "1009"), 1);
}

/* The same seed gives the same fault sequence, and p>0 actually produces faults. */
static void test_random_faults_deterministic(void **ctx)
{
    state_t *st = *ctx;
    long seq[2][40];
    resp_t r;
    sgx_emu_fb_add_audience(st->emu, "1010");
    char *p = email_payload(12, 1);
    for (int run = 0; run < 2; run++) {
        sgx_emu_fb_random_faults(st->emu, 0.3, 2, 7);
        for (int i = 0; i < 40; i++) {
            users(st, "POST", "1010", p, &r);
            seq[run][i] = r.status;
            resp_free(&r);
        }
    }
    sgx_emu_fb_random_faults(st->emu, 0, 0, 0);
    free(p);
    int fails = 0;
    for (int i = 0; i < 40; i++) {
        assert_int_equal(seq[0][i], seq[1][i]);
        assert_true(seq[0][i] == 200 || seq[0][i] == 503);
        fails += seq[0][i] == 503;
    }
    assert_true(fails > 0 && fails < 40);
}

static void test_delay_injection(void **ctx)
{
    state_t *st = *ctx;
    resp_t r;
    sgx_emu_fb_add_audience(st->emu, "1011");
    sgx_emu_fb_inject(st->emu, SGX_EMU_FAULT_DELAY, 1, 0, 300);
    char *p = email_payload(13, 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    users(st, "POST", "1011", p, &r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    free(p);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 290);
    assert_int_equal(audience_count(st, "1011"), 1);
}

static void test_create_audience_and_query_token(void **ctx)
{
    state_t *st = *ctx;
    resp_t r;
    char url[256], body[256];
    snprintf(url, sizeof url, "%s/v25.0/act_42/customaudiences", st->base);
    snprintf(body, sizeof body, "access_token=%s&appsecret_proof=%s&name=seg+1&subtype=CUSTOM"
             "&customer_file_source=USER_PROVIDED_ONLY", TOKEN, st->proof);
    http("POST", url, body, strlen(body), &r);
    assert_int_equal(r.status, 200);
    const char *id = json_string_value(json_object_get(r.json, "id"));
    assert_non_null(id);
    char aud[64];
    snprintf(aud, sizeof aud, "%s", id);
    resp_free(&r);
    assert_int_equal(audience_count(st, aud), 0);
    /* access_token and appsecret_proof as query parameters, payload in the body. */
    char *p = email_payload(21, 2);
    char *enc = curl_easy_escape(NULL, p, 0);
    sgx_buf_t form = {0};
    sgx_buf_puts(&form, "payload=");
    sgx_buf_puts(&form, enc);
    snprintf(url, sizeof url, "%s/v25.0/%s/users?access_token=%s&appsecret_proof=%s", st->base,
             aud, TOKEN, st->proof);
    http("POST", url, form.data, form.len, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    curl_free(enc);
    sgx_buf_free(&form);
    free(p);
    assert_int_equal(audience_count(st, aud), 2);
    snprintf(body, sizeof body, "access_token=%s&appsecret_proof=%s&name=x&subtype=LOOKALIKE"
             "&customer_file_source=USER_PROVIDED_ONLY", TOKEN, st->proof);
    snprintf(url, sizeof url, "%s/v25.0/act_42/customaudiences", st->base);
    http("POST", url, body, strlen(body), &r);
    assert_int_equal(r.status, 400);
    assert_int_equal(err_code(&r), 100);
    resp_free(&r);
}

static void test_auto_create(void **ctx)
{
    (void)ctx;
    sgx_emu_fb_t *emu = NULL;
    sgx_emu_fb_opts_t o = {.auto_create = true};
    assert_int_equal(sgx_emu_fb_start(&o, &emu), SGX_OK);
    state_t st = {.emu = emu};
    snprintf(st.base, sizeof st.base, "http://127.0.0.1:%u", sgx_emu_fb_port(emu));
    resp_t r;
    assert_null(audience(&st, "555"));
    users_ex(&st, "POST", "v1.0", "555", "test-token", "",
             "{\"schema\":\"EXTERN_ID\",\"data\":[\"u1\"]}", NULL, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    assert_int_equal(audience_count(&st, "555"), 1);
    sgx_emu_fb_stop(emu);
    sgx_emu_fb_stop(NULL);
}

static void test_inspection_endpoints(void **ctx)
{
    state_t *st = *ctx;
    resp_t r;
    char url[256];
    const char *body = "{\"kind\":\"throttle\",\"count\":1,\"code\":80003,\"param\":3}";
    snprintf(url, sizeof url, "%s/_emulator/audiences", st->base);
    http("POST", url, "{\"id\":\"1012\"}", 13, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    snprintf(url, sizeof url, "%s/_emulator/faults", st->base);
    http("POST", url, body, strlen(body), &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    char *p = email_payload(31, 3);
    users(st, "POST", "1012", p, &r);
    assert_int_equal(err_code(&r), 80003);
    resp_free(&r);
    users(st, "POST", "1012", p, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    free(p);
    snprintf(url, sizeof url, "%s/_emulator/requests?last=2", st->base);
    http("GET", url, NULL, 0, &r);
    assert_int_equal(json_array_size(r.json), 2);
    json_t *a = json_array_get(r.json, 0), *b = json_array_get(r.json, 1);
    assert_int_equal(json_integer_value(json_object_get(a, "code")), 80003);
    assert_int_equal(json_integer_value(json_object_get(a, "status")), 400);
    assert_int_equal(json_integer_value(json_object_get(b, "rows")), 3);
    assert_string_equal(json_string_value(json_object_get(b, "audience")), "1012");
    assert_string_equal(json_string_value(json_object_get(b, "method")), "POST");
    assert_null(strstr(r.body.data, "0000000000")); /* no row values */
    resp_free(&r);
    snprintf(url, sizeof url, "%s/_emulator/stats", st->base);
    http("GET", url, NULL, 0, &r);
    sgx_emu_fb_stats_t s;
    sgx_emu_fb_stats(st->emu, &s);
    assert_int_equal(json_integer_value(json_object_get(r.json, "requests")), s.requests);
    assert_int_equal(json_integer_value(json_object_get(r.json, "rows_received")),
                     s.rows_received);
    assert_true(s.requests > 0);
    resp_free(&r);
    snprintf(url, sizeof url, "%s/_emulator/audiences/nope", st->base);
    http("GET", url, NULL, 0, &r);
    assert_int_equal(r.status, 404);
    assert_non_null(r.json);
    resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_remove_set_semantics),
        cmocka_unit_test(test_repeat_add_is_noop),
        cmocka_unit_test(test_multi_key_member_order),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_row_cap),
        cmocka_unit_test(test_oversize_body),
        cmocka_unit_test(test_invalid_hash_cells),
        cmocka_unit_test(test_throttle_then_recovery),
        cmocka_unit_test(test_other_throttle_codes),
        cmocka_unit_test(test_business_use_case_limit),
        cmocka_unit_test(test_5xx_injection),
        cmocka_unit_test(test_random_faults_deterministic),
        cmocka_unit_test(test_delay_injection),
        cmocka_unit_test(test_create_audience_and_query_token),
        cmocka_unit_test(test_auto_create),
        cmocka_unit_test(test_inspection_endpoints),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return failed;
}
