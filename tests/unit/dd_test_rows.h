/* Row and ctx helpers for the Dotdigital unit tests. */
#ifndef SGX_DD_TEST_ROWS_H
#define SGX_DD_TEST_ROWS_H

#include <string.h>

#include "base/mem.h"
#include "connectors/dotdigital/dotdigital.h"

#define DD_USER "apiuser-1@apiconnector.com"
#define DD_PASS "s3cr\xc3\xa9t"
#define DD_AUTH "Basic YXBpdXNlci0xQGFwaWNvbm5lY3Rvci5jb206czNjcsOpdA=="

/* NULL cell = absent value. */
static inline sgx_row_t *dd_row(const char *const *cells, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += cells[i] ? strlen(cells[i]) : 0;
    }
    sgx_row_t *row = sgx_calloc(1, sizeof *row + total + 1);
    size_t used = 0;
    row->nvals = (uint16_t)n;
    for (size_t i = 0; i < n; i++) {
        row->vals[i].off = (uint32_t)used;
        if (cells[i]) {
            row->vals[i].kind = SGX_VAL_TEXT;
            row->vals[i].len = (uint16_t)strlen(cells[i]);
            memcpy(row->data + used, cells[i], row->vals[i].len);
            used += row->vals[i].len;
        }
    }
    row->data_len = (uint16_t)used;
    return row;
}

static inline void *dd_ctx(const char *fields, const char *base_url, const char *poll)
{
    const char *k[5] = {"api_user", "api_password", "fields", "base_url", "poll_interval_ms"};
    const char *v[5] = {DD_USER, DD_PASS, fields, base_url, poll};
    sgx_dest_settings_t s = {"dd-test", 5, k, v};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    void *ctx = NULL;
    if (sgx_connector_dotdigital.init(&s, &ctx, errbuf) != SGX_OK) {
        return NULL;
    }
    return ctx;
}

#endif
