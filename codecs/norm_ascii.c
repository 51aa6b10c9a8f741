/* Byte-level fast paths for printable-ASCII values (every byte 0x20..0x7E), the overwhelming
 * case: no decoding into code points, no utf8proc, no allocation. Each function gives exactly
 * what the code-point rule gives for the same value (norm_email.c, norm_text.c, norm_geo.c):
 * for such input sgx_norm_prepare only trims ' ' and lowercases, and ASCII is NFC already.
 * tests/unit/test_normalize_ascii.c runs random ASCII values through both paths. */
#include <string.h>

#include "codecs/norm_internal.h"

/* Same limits as norm_email.c and norm_geo.c. */
#define EMAIL_MAX 254
#define SQUASH_MAX 64

static inline char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static inline bool is_alpha(char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

static inline bool is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* sgx_norm_emit's bound: the output limit for cap, SGX_NORM_MAX at most. */
static inline size_t out_limit(size_t cap)
{
    return cap - 1 < SGX_NORM_MAX ? cap - 1 : SGX_NORM_MAX;
}

sgx_drop_t sgx_norm_ascii_copy(const char *s, size_t n, bool lower_case, char *out, size_t cap,
                               size_t *out_len)
{
    if (n == 0) {
        return SGX_DROP_EMPTY;
    }
    if (n > out_limit(cap)) {
        return SGX_DROP_TOO_LONG;
    }
    if (lower_case) {
        for (size_t i = 0; i < n; i++) {
            out[i] = lower(s[i]);
        }
    } else {
        memcpy(out, s, n);
    }
    out[n] = '\0';
    *out_len = n;
    return SGX_DROP_NONE;
}

/* local_char_ok of norm_email.c */
static inline bool local_ok(char c)
{
    switch (c) {
    case ' ': case '"': case '(': case ')': case ',': case ':': case ';':
    case '<': case '>': case '[': case ']': case '\\':
        return false;
    default:
        return true;
    }
}

/* label_ok of norm_email.c on raw bytes: letters compare case-insensitively. */
static bool label_ok(const char *s, size_t b, size_t e, bool tld)
{
    if (e <= b || s[b] == '-' || s[e - 1] == '-') {
        return false;
    }
    bool letters = true;
    for (size_t i = b; i < e; i++) {
        bool alpha = is_alpha(s[i]);
        if (!alpha && !is_digit(s[i]) && s[i] != '-') {
            return false;
        }
        letters = letters && alpha;
    }
    bool punycode = e - b > 4 && lower(s[b]) == 'x' && lower(s[b + 1]) == 'n' &&
                    s[b + 2] == '-' && s[b + 3] == '-';
    return !tld || (e - b >= 2 && (letters || punycode));
}

sgx_drop_t sgx_norm_ascii_email(const char *s, size_t n, char *out, size_t cap,
                                size_t *out_len)
{
    if (n == 0) {
        return SGX_DROP_EMPTY;
    }
    if (n > EMAIL_MAX) {
        return SGX_DROP_INVALID_EMAIL;
    }
    const char *at = memchr(s, '@', n);
    if (!at || at == s || memchr(at + 1, '@', n - (size_t)(at - s) - 1)) {
        return SGX_DROP_INVALID_EMAIL;
    }
    size_t a = (size_t)(at - s), start = a + 1, labels = 0;
    for (size_t i = 0; i < a; i++) {
        if (!local_ok(s[i])) {
            return SGX_DROP_INVALID_EMAIL;
        }
    }
    for (size_t i = start; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!label_ok(s, start, i, i == n)) {
                return SGX_DROP_INVALID_EMAIL;
            }
            labels++;
            start = i + 1;
        }
    }
    if (labels < 2) {
        return SGX_DROP_INVALID_EMAIL;
    }
    return sgx_norm_ascii_copy(s, n, true, out, cap, out_len);
}

sgx_drop_t sgx_norm_ascii_name(const char *s, size_t n, bool initial, char *out, size_t cap,
                               size_t *out_len)
{
    size_t limit = out_limit(cap), o = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_alpha(s[i])) {
            continue;
        }
        if (initial) { /* ASCII has no combining marks: the first letter is the initial */
            out[0] = lower(s[i]);
            out[1] = '\0';
            *out_len = 1;
            return SGX_DROP_NONE;
        }
        if (o == limit) {
            return SGX_DROP_TOO_LONG;
        }
        out[o++] = lower(s[i]);
    }
    if (o == 0) {
        return SGX_DROP_EMPTY;
    }
    out[o] = '\0';
    *out_len = o;
    return SGX_DROP_NONE;
}

/* ST: a US state name or code (when the country is the US or unknown) becomes its code; else
 * letters and digits, lowercased (sgx_norm_state). */
sgx_drop_t sgx_norm_ascii_state(const char *s, size_t n, const sgx_norm_ctx_t *ctx, char *out,
                                size_t cap, size_t *out_len)
{
    char cc[3] = "";
    bool us = !sgx_norm_ctx_country(ctx, cc) || strcmp(cc, "us") == 0;
    if (us && n > 0 && n < SQUASH_MAX) {
        char sq[SQUASH_MAX];
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (is_alpha(s[i])) {
                sq[k++] = lower(s[i]);
            }
        }
        sq[k] = '\0'; /* k < n < SQUASH_MAX: fits, as in squash_bytes */
        const char *code = sgx_geo_us_state(sq);
        if (code) {
            return sgx_norm_ascii_copy(code, 2, false, out, cap, out_len);
        }
    }
    size_t limit = out_limit(cap), o = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_alpha(s[i]) || is_digit(s[i])) {
            if (o == limit) {
                return SGX_DROP_TOO_LONG;
            }
            out[o++] = lower(s[i]);
        }
    }
    if (o == 0) {
        return SGX_DROP_EMPTY;
    }
    out[o] = '\0';
    *out_len = o;
    return SGX_DROP_NONE;
}
