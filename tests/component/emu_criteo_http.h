/* Shared by the Criteo emulator's component tests (test_emu_criteo*.c): one HTTP request over
 * libcurl, the emulator started with a token taken, and the JSON:API error code of a reply.
 * Functions are static inline so a test that uses some of them only still builds -Werror. */
#ifndef SGX_TEST_EMU_CRITEO_HTTP_H
#define SGX_TEST_EMU_CRITEO_HTTP_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "base/buf.h"
#include "emulators/criteo.h"

#define CID "cid-1"
#define CSECRET "s3cret&x"
#define V "/2026-07/marketing-solutions/audience-segments"
#define H1 "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
#define H2 "7f73355bf032dcbb8e5a3f51f1e4a8ba92ef1344de2d95382634cf91da6d6181"
#define M1 "55502f40dc8b7c769880b10874abc9d0"

typedef struct {
    long status;
    sgx_buf_t body;
    sgx_buf_t headers;
    json_t *json;
} resp_t;

typedef struct {
    sgx_emu_criteo_t *emu;
    char base[64];
    char token[128];
} state_t;

static inline size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    sgx_buf_append(&((resp_t *)ud)->body, p, size * n);
    return size * n;
}

static inline size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    sgx_buf_append(&((resp_t *)ud)->headers, p, size * n);
    return size * n;
}

static inline void resp_free(resp_t *r)
{
    sgx_buf_free(&r->body);
    sgx_buf_free(&r->headers);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

/* One request; ctype/auth may be NULL (header omitted). */
static inline void http(const char *method, const char *url, const char *ctype, const char *token,
                 const char *body, resp_t *r)
{
    memset(r, 0, sizeof *r);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct curl_slist *h = NULL;
    char line[256];
    if (ctype) {
        snprintf(line, sizeof line, "Content-Type: %s", ctype);
        h = curl_slist_append(h, line);
    }
    if (token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, line);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    sgx_buf_putc(&r->headers, '\0');
    r->json = r->body.data ? json_loadb(r->body.data, r->body.len, 0, NULL) : NULL;
}

static inline void api(const state_t *st, const char *method, const char *path, const char *body,
                resp_t *r)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", st->base, path);
    http(method, url, "application/json", st->token, body, r);
}

static inline void get_token(state_t *st, const char *form, resp_t *r)
{
    char url[128];
    snprintf(url, sizeof url, "%s/oauth2/token", st->base);
    http("POST", url, "application/x-www-form-urlencoded", NULL, form, r);
}

#define GOOD_FORM "grant_type=client_credentials&client_id=" CID "&client_secret=s3cret%26x"

static inline int setup_with(void **state, const sgx_emu_criteo_opts_t *o)
{
    state_t *st = calloc(1, sizeof *st);
    if (sgx_emu_criteo_start(o, &st->emu) != SGX_OK) {
        free(st);
        return -1;
    }
    snprintf(st->base, sizeof st->base, "http://127.0.0.1:%u", sgx_emu_criteo_port(st->emu));
    sgx_emu_criteo_add_audience(st->emu, "42");
    resp_t r;
    get_token(st, GOOD_FORM, &r);
    const char *tok = json_string_value(json_object_get(r.json, "access_token"));
    snprintf(st->token, sizeof st->token, "%s", tok ? tok : "");
    resp_free(&r);
    *state = st;
    return 0;
}

static inline int setup(void **state)
{
    sgx_emu_criteo_opts_t o = {.client_id = CID, .client_secret = CSECRET,
                               .max_identifiers = 3, .rate_limit = -1};
    return setup_with(state, &o);
}

static inline int teardown(void **state)
{
    state_t *st = *state;
    sgx_emu_criteo_stop(st->emu);
    free(st);
    return 0;
}

/* The first error's code, with every JSON:API field present. */
static inline const char *err_code(const resp_t *r)
{
    json_t *e = json_array_get(json_object_get(r->json, "errors"), 0);
    static const char *const fields[] = {"traceId", "type", "code", "instance", "title",
                                         "detail"};
    for (size_t i = 0; i < 6; i++) {
        if (!json_is_string(json_object_get(e, fields[i]))) {
            return "missing-field";
        }
    }
    return json_string_value(json_object_get(e, "code"));
}

#endif
