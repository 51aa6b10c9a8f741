/* FN, LN, FI, CT, GEN, DOBY/DOBM/DOBD and MADID for Meta Custom Audiences. */
#include <utf8proc.h>

#include "codecs/norm_internal.h"

static bool is_mark(int32_t c)
{
    if (c < 0x80) {
        return false;
    }
    utf8proc_category_t cat = utf8proc_category(c);
    return cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME;
}

/* Names and cities keep letters and combining marks only: Meta's "a-z, no punctuation;
 * non-ASCII as UTF-8". Digits go too (a city "Paris 15" is "paris"). */
sgx_drop_t sgx_norm_name(sgx_norm_text_t *t, bool initial, char *out, size_t cap,
                         size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < t->n; i++) {
        int32_t c = t->cp[i];
        if (sgx_norm_is_letter_or_mark(c)) {
            t->cp[o++] = c;
        }
    }
    t->n = o;
    if (initial) {
        /* the first letter (a stray leading combining mark is not an initial) */
        size_t i = 0;
        while (i < o && is_mark(t->cp[i])) {
            i++;
        }
        return i < o ? sgx_norm_emit(t->cp + i, 1, out, cap, out_len) : SGX_DROP_EMPTY;
    }
    return sgx_norm_emit(t->cp, o, out, cap, out_len);
}

static bool text_is(const sgx_norm_text_t *t, const char *s)
{
    size_t i = 0;
    for (; s[i]; i++) {
        if (i >= t->n || t->cp[i] != (unsigned char)s[i]) {
            return false;
        }
    }
    return i == t->n;
}

sgx_drop_t sgx_norm_gender(sgx_norm_text_t *t, char *out, size_t cap, size_t *out_len)
{
    int32_t g;
    if (t->n == 0) {
        return SGX_DROP_EMPTY;
    }
    if (text_is(t, "m") || text_is(t, "male")) {
        g = 'm';
    } else if (text_is(t, "f") || text_is(t, "female")) {
        g = 'f';
    } else {
        return SGX_DROP_INVALID_VALUE;
    }
    return sgx_norm_emit(&g, 1, out, cap, out_len);
}

/* Reads 1..max digits at *i; returns the value or -1. */
static int read_num(const sgx_norm_text_t *t, size_t *i, size_t min, size_t max)
{
    int v = 0;
    size_t k = 0;
    while (*i < t->n && k < max && sgx_norm_is_digit(t->cp[*i])) {
        v = v * 10 + (t->cp[*i] - '0');
        (*i)++;
        k++;
    }
    return k >= min ? v : -1;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return (m == 2 && leap) ? 29 : days[m - 1];
}

/* YYYY-MM-DD (the decoder's rendering of an Avro date), also with '/' or '.' and one-digit
 * month/day, or compact YYYYMMDD. Returns false unless it is a real date in 1900..2100. */
static bool parse_date(const sgx_norm_text_t *t, int *y, int *m, int *d)
{
    size_t i = 0;
    bool compact = t->n == 8;
    for (size_t k = 0; compact && k < 8; k++) {
        compact = sgx_norm_is_digit(t->cp[k]);
    }
    if (compact) {
        *y = read_num(t, &i, 4, 4);
        *m = read_num(t, &i, 2, 2);
        *d = read_num(t, &i, 2, 2);
    } else {
        *y = read_num(t, &i, 4, 4);
        int32_t sep = i < t->n ? t->cp[i++] : 0;
        if (sep != '-' && sep != '/' && sep != '.') {
            return false;
        }
        *m = read_num(t, &i, 1, 2);
        if (i >= t->n || t->cp[i++] != sep) {
            return false;
        }
        *d = read_num(t, &i, 1, 2);
    }
    return i == t->n && *y >= 1900 && *y <= 2100 && *m >= 1 && *m <= 12 && *d >= 1 &&
           *d <= days_in_month(*y, *m);
}

/* A bare component ("1990" for DOBY, "7" for DOBM) is accepted too: some sources store the
 * three parts separately. */
static bool parse_component(const sgx_norm_text_t *t, sgx_key_t key, int *v)
{
    size_t i = 0;
    bool year = key == SGX_KEY_DOBY;
    *v = read_num(t, &i, year ? 4 : 1, year ? 4 : 2);
    if (i != t->n || *v < 0) {
        return false;
    }
    return year ? (*v >= 1900 && *v <= 2100) : (*v >= 1 && *v <= (key == SGX_KEY_DOBM ? 12 : 31));
}

sgx_drop_t sgx_norm_dob(sgx_norm_text_t *t, sgx_key_t key, char *out, size_t cap,
                        size_t *out_len)
{
    int y, m, d, v;
    if (t->n == 0) {
        return SGX_DROP_EMPTY;
    }
    if (parse_date(t, &y, &m, &d)) {
        v = key == SGX_KEY_DOBY ? y : key == SGX_KEY_DOBM ? m : d;
    } else if (!parse_component(t, key, &v)) {
        return SGX_DROP_INVALID_VALUE;
    }
    int32_t cp[4];
    size_t n = key == SGX_KEY_DOBY ? 4 : 2;
    for (size_t i = n; i-- > 0; v /= 10) {
        cp[i] = '0' + v % 10;
    }
    return sgx_norm_emit(cp, n, out, cap, out_len);
}

/* IDFA / GAID: a UUID 8-4-4-4-12, lowercase, hyphens kept. The all-zero id is what devices
 * report when the user limited ad tracking: it identifies nobody, so it is dropped. */
sgx_drop_t sgx_norm_madid(sgx_norm_text_t *t, char *out, size_t cap, size_t *out_len)
{
    bool zero = true;
    if (t->n == 0) {
        return SGX_DROP_EMPTY;
    }
    if (t->n != 36) {
        return SGX_DROP_INVALID_VALUE;
    }
    for (size_t i = 0; i < 36; i++) {
        int32_t c = t->cp[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !sgx_norm_is_hex(c)) {
            return SGX_DROP_INVALID_VALUE;
        }
        zero = zero && (dash || c == '0');
    }
    return zero ? SGX_DROP_INVALID_VALUE : sgx_norm_emit(t->cp, 36, out, cap, out_len);
}
