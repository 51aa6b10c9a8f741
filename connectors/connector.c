#include "connectors/connector.h"

#include <stdio.h>
#include <strings.h>

const char *sgx_settings_get(const sgx_dest_settings_t *s, const char *key)
{
    for (size_t i = 0; i < s->nsettings; i++) {
        if (strcmp(s->keys[i], key) == 0) {
            return s->values[i];
        }
    }
    return NULL;
}

void sgx_request_clear(sgx_request_t *req)
{
    if (!req) {
        return;
    }
    sgx_free(req->url);
    sgx_free(req->content_type);
    sgx_buf_free(&req->owned_body);
    for (int i = 0; i < req->nheaders; i++) {
        sgx_free(req->headers[i]);
    }
    memset(req, 0, sizeof *req);
}

sgx_err_t sgx_request_add_header(sgx_request_t *req, const char *name, const char *value)
{
    if (req->nheaders >= SGX_MAX_HEADERS) {
        return SGX_ERR_FULL;
    }
    size_t n = strlen(name) + strlen(value) + 3;
    char *h = sgx_malloc(n);
    snprintf(h, n, "%s: %s", name, value);
    req->headers[req->nheaders++] = h;
    return SGX_OK;
}

sgx_err_t sgx_response_header(const sgx_response_t *resp, const char *name, const char **value,
                              size_t *len)
{
    size_t nlen = strlen(name);
    const char *p = resp->headers;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t line = eol ? (size_t)(eol - p) : strlen(p);
        if (line > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
            const char *v = p + nlen + 1;
            const char *end = p + line;
            while (v < end && (*v == ' ' || *v == '\t')) {
                v++;
            }
            while (end > v && (end[-1] == '\r' || end[-1] == ' ')) {
                end--;
            }
            *value = v;
            *len = (size_t)(end - v);
            return SGX_OK;
        }
        p = eol ? eol + 1 : NULL;
    }
    return SGX_ERR_NOT_FOUND;
}

sgx_val_kind_t sgx_row_val(const sgx_row_t *row, size_t i, const unsigned char **p, size_t *len)
{
    const sgx_row_val_t *v = &row->vals[i];
    *p = row->data + v->off;
    *len = v->len;
    return (sgx_val_kind_t)v->kind;
}

void sgx_classification_clear(sgx_classification_t *c)
{
    if (!c) {
        return;
    }
    for (uint32_t i = 0; c->row_reasons && i < c->nrejected; i++) {
        sgx_free(c->row_reasons[i]);
    }
    sgx_free(c->row_reasons);
    sgx_free(c->rejected_idx);
    sgx_free(c->state);
    sgx_free(c->created_audience_id);
    memset(c, 0, sizeof *c);
}
