/* Shared HTTP helpers for the emulators; see emu_http.h. */
#include "emulators/emu_http.h"

#include <string.h>

#include "base/mem.h"

void sgx_emu_body_init(sgx_emu_body_t *body, size_t cap)
{
    memset(body, 0, sizeof *body);
    body->cap = cap;
}

void sgx_emu_body_append(sgx_emu_body_t *body, const char *data, size_t n)
{
    if (body->overflow) {
        return;
    }
    if (n > body->cap - body->buf.len) {
        /* Keep draining but stop storing: the reply is decided once the upload ends. */
        body->overflow = true;
        sgx_buf_free(&body->buf);
        return;
    }
    sgx_buf_append(&body->buf, data, n);
}

void sgx_emu_body_free(sgx_emu_body_t *body)
{
    if (body) {
        sgx_buf_free(&body->buf);
    }
}

enum MHD_Result sgx_emu_reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
                              const char *data, size_t len, const char *hname, const char *hval)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
    if (!resp) {
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (hname && hval) {
        MHD_add_response_header(resp, hname, hval);
    }
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result sgx_emu_reply_json(struct MHD_Connection *conn, unsigned status, json_t *json,
                                   const char *hname, const char *hval)
{
    char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
    json_decref(json);
    if (!text) {
        return MHD_NO;
    }
    enum MHD_Result ret =
        sgx_emu_reply(conn, status, "application/json", text, strlen(text), hname, hval);
    free(text); /* json_dumps allocates with jansson's allocator, which is malloc here */
    return ret;
}

sgx_err_t sgx_emu_path_split(const char *url, sgx_emu_path_t *path)
{
    memset(path, 0, sizeof *path);
    path->buf = sgx_strndup(url, strcspn(url, "?"));
    char *save = NULL;
    for (char *tok = strtok_r(path->buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        if (path->n == SGX_EMU_PATH_MAX_SEGS) {
            return SGX_ERR_TOO_LARGE;
        }
        path->seg[path->n++] = tok;
    }
    return SGX_OK;
}

void sgx_emu_path_free(sgx_emu_path_t *path)
{
    if (path) {
        sgx_free(path->buf);
        memset(path, 0, sizeof *path);
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes [src, end) into dst (never longer than the source); returns the decoded length or
 * (size_t)-1 on a bad escape. */
static size_t form_decode(const char *src, const char *end, char *dst)
{
    size_t n = 0;
    while (src < end) {
        /* Runs without '%' or '+' (most of a payload: hex digits) are copied as they are. */
        const char *run = src;
        while (run < end && *run != '%' && *run != '+') {
            run++;
        }
        memcpy(dst + n, src, (size_t)(run - src));
        n += (size_t)(run - src);
        src = run;
        if (src == end) {
            break;
        }
        if (*src == '+') {
            dst[n++] = ' ';
            src++;
        } else {
            int hi = end - src >= 3 ? hexval(src[1]) : -1;
            int lo = end - src >= 3 ? hexval(src[2]) : -1;
            if (hi < 0 || lo < 0) {
                return (size_t)-1;
            }
            dst[n++] = (char)(hi << 4 | lo);
            src += 3;
        }
    }
    dst[n] = '\0';
    return n;
}

static void form_push(sgx_emu_form_t *form, const char *key, const char *val, size_t val_len)
{
    if (form->n == form->cap) {
        form->cap = form->cap ? form->cap * 2 : 8;
        form->fields = sgx_realloc(form->fields, form->cap * sizeof *form->fields);
    }
    form->fields[form->n++] = (sgx_emu_field_t){.key = key, .val = val, .val_len = val_len};
}

sgx_err_t sgx_emu_form_parse(const char *data, size_t len, sgx_emu_form_t *out)
{
    memset(out, 0, sizeof *out);
    /* Decoding never grows text, but each pair adds two NULs while a bare "k&" pair only frees
     * one separator byte, so 2x the input bounds the worst case without a second pass. */
    out->buf = sgx_malloc(len * 2 + 2);
    char *dst = out->buf;
    const char *p = data;
    const char *end = data + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        const char *key_end = eq ? eq : pair_end;
        if (key_end > p) {
            size_t klen = form_decode(p, key_end, dst);
            if (klen == (size_t)-1) {
                return SGX_ERR_INVALID;
            }
            char *key = dst;
            dst += klen + 1;
            size_t vlen = eq ? form_decode(eq + 1, pair_end, dst) : form_decode(end, end, dst);
            if (vlen == (size_t)-1) {
                return SGX_ERR_INVALID;
            }
            form_push(out, key, dst, vlen);
            dst += vlen + 1;
        }
        p = amp ? amp + 1 : end;
    }
    return SGX_OK;
}

typedef struct {
    sgx_emu_form_t *form;
    size_t bytes; /* first pass: room the pairs need */
    char *dst;    /* second pass: where the next pair goes */
} args_walk_t;

/* An empty key is dropped and a key without '=' reads as an empty value, as the same pairs
 * re-encoded and given to sgx_emu_form_parse would. */
static enum MHD_Result arg_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size)
{
    args_walk_t *w = cls;
    (void)kind;
    (void)key;
    (void)value;
    w->bytes += key_size ? key_size + value_size + 2 : 0;
    return MHD_YES;
}

static enum MHD_Result arg_copy(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size)
{
    args_walk_t *w = cls;
    (void)kind;
    if (key_size) {
        char *k = w->dst, *v = k + key_size + 1;
        memcpy(k, key, key_size);
        k[key_size] = '\0';
        value_size = value ? value_size : 0;
        memcpy(v, value ? value : "", value_size);
        v[value_size] = '\0';
        form_push(w->form, k, v, value_size);
        w->dst = v + value_size + 1;
    }
    return MHD_YES;
}

void sgx_emu_form_from_query(struct MHD_Connection *conn, sgx_emu_form_t *out)
{
    memset(out, 0, sizeof *out);
    args_walk_t w = {.form = out};
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, arg_size, &w);
    out->buf = sgx_malloc(w.bytes + 1);
    w.dst = out->buf;
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, arg_copy, &w);
}

const char *sgx_emu_form_get(const sgx_emu_form_t *form, const char *key, size_t *len)
{
    for (size_t i = 0; i < form->n; i++) {
        if (strcmp(form->fields[i].key, key) == 0) {
            if (len) {
                *len = form->fields[i].val_len;
            }
            return form->fields[i].val;
        }
    }
    return NULL;
}

void sgx_emu_form_free(sgx_emu_form_t *form)
{
    if (form) {
        sgx_free(form->buf);
        sgx_free(form->fields);
        memset(form, 0, sizeof *form);
    }
}
