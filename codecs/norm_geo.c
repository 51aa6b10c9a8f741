/* COUNTRY, ST and ZIP: the keys whose rule depends on the country (tables in geo_data.c). */
#include <string.h>
#include <utf8proc.h>

#include "codecs/norm_internal.h"

/* Longest squashed country or state name we look up ("southgeorgiaandthesouthsandwichislands"
 * is 38); anything longer is not in the tables. */
#define SQUASH_MAX 64

/* Lowercase ASCII letters only, accents stripped ("Côte d'Ivoire" -> "cotedivoire").
 * Returns false when the result would not fit or the input is not valid UTF-8. */
static bool squash_bytes(const char *in, size_t len, char *o, size_t cap)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        int32_t c = s[i], dec[4];
        int bound = 0;
        utf8proc_ssize_t k = 1, m = 1;
        if (c >= 0x80) {
            k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
            m = k > 0 ? utf8proc_decompose_char(c, dec, 4, UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK,
                                                &bound)
                      : -1;
            if (k <= 0 || m < 0 || m > 4) {
                return false;
            }
        } else {
            dec[0] = c;
        }
        i += (size_t)k;
        for (utf8proc_ssize_t j = 0; j < m; j++) {
            int32_t l = sgx_norm_ascii_lower(dec[j]);
            if (l >= 'a' && l <= 'z') {
                if (n + 1 >= cap) {
                    return false;
                }
                o[n++] = (char)l;
            }
        }
    }
    o[n] = '\0';
    return true;
}

bool sgx_norm_country_code(const char *in, size_t len, char cc[3])
{
    char sq[SQUASH_MAX];
    if (len > 4 * SQUASH_MAX || !squash_bytes(in, len, sq, sizeof sq)) {
        return false;
    }
    size_t n = strlen(sq);
    const char *code = n == 2 ? sgx_geo_country_by_alpha2(sq)
                       : n == 3 ? sgx_geo_country_by_alpha3(sq)
                                : NULL;
    if (!code && n >= 2) {
        code = sgx_geo_country_by_name(sq);
    }
    if (!code) {
        return false;
    }
    memcpy(cc, code, 3);
    return true;
}

bool sgx_country_known(const char *cc)
{
    char out[3];
    return cc && sgx_norm_country_code(cc, strlen(cc), out);
}

bool sgx_norm_ctx_country(const sgx_norm_ctx_t *ctx, char cc[3])
{
    if (!ctx) {
        return false;
    }
    if (ctx->country && ctx->country_len > 0 &&
        sgx_norm_country_code(ctx->country, ctx->country_len, cc)) {
        return true;
    }
    return ctx->default_country &&
           sgx_norm_country_code(ctx->default_country, strlen(ctx->default_country), cc);
}

sgx_drop_t sgx_norm_country(sgx_norm_text_t *t, char *out, size_t cap, size_t *out_len)
{
    char buf[4 * SQUASH_MAX + 1], cc[3];
    size_t n;
    if (t->n == 0) {
        return SGX_DROP_EMPTY;
    }
    /* back to UTF-8 so that the byte-level lookup shared with the phone context applies */
    if (sgx_norm_emit(t->cp, t->n, buf, sizeof buf, &n) != SGX_DROP_NONE ||
        !sgx_norm_country_code(buf, n, cc)) {
        return SGX_DROP_INVALID_VALUE;
    }
    int32_t cp[2] = {cc[0], cc[1]};
    return sgx_norm_emit(cp, 2, out, cap, out_len);
}

/* Keeps letters, marks and digits: drops punctuation, symbols and white space. */
static size_t keep_alnum(sgx_norm_text_t *t)
{
    size_t o = 0;
    for (size_t i = 0; i < t->n; i++) {
        int32_t c = t->cp[i];
        if (sgx_norm_is_digit(c) || sgx_norm_is_letter_or_mark(c) ||
            (c >= 0x80 && utf8proc_category(c) == UTF8PROC_CATEGORY_ND)) {
            t->cp[o++] = c;
        }
    }
    return t->n = o;
}

sgx_drop_t sgx_norm_state(sgx_norm_text_t *t, const sgx_norm_ctx_t *ctx, char *out, size_t cap,
                          size_t *out_len)
{
    char cc[3] = "";
    bool us = !sgx_norm_ctx_country(ctx, cc) || strcmp(cc, "us") == 0;
    if (us && t->n > 0 && t->n < SQUASH_MAX) {
        char buf[4 * SQUASH_MAX + 1], sq[SQUASH_MAX];
        size_t n;
        const char *code = NULL;
        if (sgx_norm_emit(t->cp, t->n, buf, sizeof buf, &n) == SGX_DROP_NONE &&
            squash_bytes(buf, n, sq, sizeof sq)) {
            code = sgx_geo_us_state(sq);
        }
        if (code) {
            int32_t cp[2] = {code[0], code[1]};
            return sgx_norm_emit(cp, 2, out, cap, out_len);
        }
    }
    keep_alnum(t);
    return sgx_norm_emit(t->cp, t->n, out, cap, out_len);
}

static bool digits_at(const int32_t *cp, size_t b, size_t e)
{
    for (size_t i = b; i < e; i++) {
        if (!sgx_norm_is_digit(cp[i])) {
            return false;
        }
    }
    return true;
}

/* 12345, 12345-6789 or 123456789 (ZIP+4 without its dash). */
static bool us_zip(const sgx_norm_text_t *t, bool strict)
{
    const int32_t *cp = t->cp;
    size_t n = t->n;
    if (n == 5 || (!strict && n == 9)) {
        return digits_at(cp, 0, n);
    }
    return n == 10 && cp[5] == '-' && digits_at(cp, 0, 5) && digits_at(cp, 6, 10);
}

/* UK outward code: A9, A99, AA9, AA99, A9A, AA9A (and the Girobank's GIR). */
static bool uk_outward(const int32_t *cp, size_t n)
{
    if (n == 3 && cp[0] == 'g' && cp[1] == 'i' && cp[2] == 'r') {
        return true;
    }
    if (n < 2 || n > 4 || !sgx_norm_is_alpha(cp[0])) {
        return false;
    }
    bool digit = false;
    for (size_t i = 1; i < n; i++) {
        digit = digit || sgx_norm_is_digit(cp[i]);
        if (!sgx_norm_is_digit(cp[i]) && !sgx_norm_is_alpha(cp[i])) {
            return false;
        }
    }
    return digit;
}

/* Returns how many code points of a UK postcode to keep (outward code + sector digit), or 0.
 * A value already cut to the sector or district is kept as it is. */
static size_t uk_keep(const sgx_norm_text_t *t, bool full_only)
{
    const int32_t *cp = t->cp;
    size_t n = t->n;
    if (n >= 5 && n <= 7 && sgx_norm_is_digit(cp[n - 3]) && sgx_norm_is_alpha(cp[n - 2]) &&
        sgx_norm_is_alpha(cp[n - 1]) && uk_outward(cp, n - 3)) {
        return n - 2;
    }
    if (full_only) {
        return 0;
    }
    if (n >= 3 && sgx_norm_is_digit(cp[n - 1]) && uk_outward(cp, n - 1)) {
        return n;
    }
    return uk_outward(cp, n) ? n : 0;
}

sgx_drop_t sgx_norm_zip(sgx_norm_text_t *t, const sgx_norm_ctx_t *ctx, char *out, size_t cap,
                        size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->cp[i] != ' ') {
            t->cp[o++] = t->cp[i];
        }
    }
    t->n = o;
    if (o == 0) {
        return SGX_DROP_EMPTY;
    }
    char cc[3] = "";
    bool known = sgx_norm_ctx_country(ctx, cc);
    bool us = known ? strcmp(cc, "us") == 0 : us_zip(t, true);
    bool gb = known ? strcmp(cc, "gb") == 0 : uk_keep(t, true) > 0;
    if (us) {
        if (!us_zip(t, false)) {
            return SGX_DROP_INVALID_VALUE;
        }
        t->n = 5;
    } else if (gb) {
        size_t keep = uk_keep(t, false);
        if (keep == 0) {
            return SGX_DROP_INVALID_VALUE;
        }
        t->n = keep;
    }
    return sgx_norm_emit(t->cp, t->n, out, cap, out_len);
}
