/* Helpers shared by the destination connectors (see conn_util.h). */
#include "connectors/conn_util.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

sgx_err_t sgx_conn_cfg_error(char *errbuf, const char *fmt, ...)
{
    if (errbuf) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, SGX_ERRBUF_SIZE, fmt, ap);
        va_end(ap);
    }
    return SGX_ERR_CONFIG;
}

const char *sgx_conn_setting(const sgx_dest_settings_t *s, const char *key, const char *def)
{
    const char *v = s ? sgx_settings_get(s, key) : NULL;
    return (v && *v) ? v : def;
}

sgx_err_t sgx_conn_parse_int(const char *v, long lo, long hi, const char *name, int64_t *out,
                             char *errbuf)
{
    char *end = NULL;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || x < lo || x > hi) {
        return sgx_conn_cfg_error(errbuf, "%s must be an integer in [%ld, %ld]", name, lo, hi);
    }
    *out = x;
    return SGX_OK;
}

bool sgx_conn_http_scheme(const char *url)
{
    return strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0;
}

char *sgx_conn_url_dup(const char *url)
{
    size_t n = strlen(url);
    while (n > 8 && url[n - 1] == '/') {
        n--;
    }
    return sgx_strndup(url, n);
}

sgx_err_t sgx_conn_base_url(const char *url, char **out, char *errbuf)
{
    if (!sgx_conn_http_scheme(url)) {
        return sgx_conn_cfg_error(errbuf, "base_url must start with https:// or http://");
    }
    *out = sgx_conn_url_dup(url);
    return SGX_OK;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

void sgx_conn_urlencode(sgx_buf_t *out, const char *s, size_t n, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    /* One reservation for the worst case, then plain stores: the Meta payload head runs through
     * here. */
    sgx_buf_reserve(out, 3 * n);
    char *w = out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep && c && strchr(keep, c))) {
            *w++ = (char)c;
        } else {
            w[0] = '%';
            w[1] = hex[c >> 4];
            w[2] = hex[c & 15];
            w += 3;
        }
    }
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
}

void sgx_conn_json_escape(sgx_buf_t *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            sgx_buf_append(out, esc, 2);
        } else if (c < 0x20) {
            char esc[7];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            sgx_buf_append(out, esc, 6);
        } else {
            sgx_buf_putc(out, (char)c); /* UTF-8 passes through JSON as is */
        }
    }
}

void sgx_conn_csv_field(sgx_buf_t *out, const char *s, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++) {
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    }
    if (!quote) {
        sgx_buf_append(out, s, n);
        return;
    }
    sgx_buf_reserve(out, 2 * n + 2);
    sgx_buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            sgx_buf_putc(out, '"');
        }
        sgx_buf_putc(out, s[i]);
    }
    sgx_buf_putc(out, '"');
}

void sgx_conn_copy_token(char *dst, size_t cap, const char *src, const char *extra,
                         const char *fallback)
{
    dst[0] = '\0';
    if (!src || !*src) {
        return;
    }
    size_t n = strlen(src);
    bool clean = n < cap;
    for (size_t i = 0; clean && i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        clean = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                strchr(extra, c) != NULL;
    }
    snprintf(dst, cap, "%s", clean ? src : fallback);
}

void sgx_conn_free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
    }
    sgx_free(s);
}

int64_t sgx_conn_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int sgx_conn_month_index(const char *mon)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++) {
        if (strncmp(names + 3 * i, mon, 3) == 0) {
            return i + 1;
        }
    }
    return 0;
}

sgx_err_t sgx_conn_numeric_audience(const char *id, const char *what, bool can_create,
                                    const char *how, char *errbuf)
{
    if (!*id) {
        return can_create ? SGX_OK
                          : sgx_conn_cfg_error(errbuf, "empty %s: %s", what, how);
    }
    size_t n = strlen(id);
    if (n > 20 || strspn(id, "0123456789") != n) {
        return sgx_conn_cfg_error(errbuf, "%s '%.32s' must be a number (digits only)", what, id);
    }
    return SGX_OK;
}

bool sgx_conn_probe_status(const sgx_response_t *resp, const char *prefix, char *reason)
{
    long st = resp->status;
    const char *what = st == 401   ? "credentials refused"
                       : st == 403 ? "no access to this audience or account"
                       : st == 404 ? "audience not found"
                       : st == 429 ? "throttled, try again later"
                                   : "unexpected answer";
    if (st == 200) {
        return true;
    }
    if (st == 0) {
        snprintf(reason, 128, "%s: transport error %d (unreachable, TLS or timeout)", prefix,
                 resp->transport_error);
    } else {
        snprintf(reason, 128, "%s: %s (HTTP %ld)", prefix, what, st);
    }
    return false;
}
