/* PHONE: E.164 digits without '+', as Meta requires ("include the country code"). Unlike every
 * peer we complete national numbers with the profile's (else the destination's default)
 * country, after removing that country's trunk prefix; numbering data in phone_data.c. */
#include <string.h>

#include "codecs/norm_internal.h"

/* E.164 allows 15 digits; we read a little further so over-long input is reported, not cut. */
#define DIGITS_MAX 24
#define E164_MIN 7
#define E164_MAX 15

static bool is_separator(int32_t c)
{
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' ||
           (c >= 0x2010 && c <= 0x2015) || c == 0x2212;
}

/* Where a dialled number ends and an extension begins: x, #, ;, ',' or the word "ext". A lone
 * 'e' is not one, so a 63-digit hex string is reported as invalid rather than cut short. */
static bool is_extension_mark(const sgx_norm_text_t *t, size_t i)
{
    int32_t c = sgx_norm_ascii_lower(t->cp[i]);
    if (c == 'x' || c == '#' || c == ';' || c == ',') {
        return true;
    }
    return c == 'e' && i + 2 < t->n && sgx_norm_ascii_lower(t->cp[i + 1]) == 'x' &&
           sgx_norm_ascii_lower(t->cp[i + 2]) == 't';
}

/* Collects digits; *plus when the number starts with '+'. Letters other than an extension
 * mark make the value invalid: "1-800-FLOWERS" would otherwise hash a wrong number. */
static sgx_drop_t extract(const sgx_norm_text_t *t, char *d, size_t *n, bool *plus)
{
    *n = 0;
    *plus = false;
    for (size_t i = 0; i < t->n; i++) {
        int32_t c = t->cp[i];
        if (sgx_norm_is_digit(c)) {
            if (*n == DIGITS_MAX) {
                return SGX_DROP_INVALID_PHONE;
            }
            d[(*n)++] = (char)c;
        } else if (c == '+' && *n == 0 && !*plus) {
            *plus = true;
        } else if (is_extension_mark(t, i) && *n > 0) {
            break;
        } else if (!is_separator(c)) {
            return SGX_DROP_INVALID_PHONE;
        }
    }
    if (*n == 0) {
        return *plus ? SGX_DROP_INVALID_PHONE : SGX_DROP_EMPTY;
    }
    return SGX_DROP_NONE;
}

static bool in_range(size_t n, const sgx_phone_country_t *pc)
{
    return sgx_phone_nsn_ok(pc, n);
}

static bool has_trunk(const sgx_phone_country_t *pc, const char *t)
{
    for (size_t i = 0; pc->trunk[i]; i++) {
        if (strcmp(pc->trunk[i], t) == 0) {
            return true;
        }
    }
    return false;
}

static bool trunk_starts_with_0(const sgx_phone_country_t *pc)
{
    for (size_t i = 0; pc->trunk[i]; i++) {
        if (pc->trunk[i][0] == '0') {
            return true;
        }
    }
    return false;
}

static sgx_drop_t emit_digits(const char *d, size_t n, char *out, size_t cap, size_t *out_len)
{
    if (n < E164_MIN || n > E164_MAX) {
        return SGX_DROP_INVALID_PHONE;
    }
    if (n + 1 > cap) {
        return SGX_DROP_TOO_LONG;
    }
    memcpy(out, d, n);
    out[n] = '\0';
    *out_len = n;
    return SGX_DROP_NONE;
}

/* digits after '+' or an international prefix: calling code + national significant number. */
static sgx_drop_t international(const char *d, size_t n, char *out, size_t cap, size_t *out_len)
{
    if (n == 0 || d[0] == '0') {
        return SGX_DROP_INVALID_PHONE; /* no calling code starts with 0 */
    }
    const sgx_phone_country_t *pc = sgx_phone_by_calling_code(d, n);
    if (!pc) { /* a country outside our table: only the E.164 length can be checked */
        return emit_digits(d, n, out, cap, out_len);
    }
    char buf[DIGITS_MAX];
    size_t k = strlen(pc->calling_code), nsn = n - k;
    memcpy(buf, d, n);
    /* "+44 (0)20 7946 0958": the trunk 0 written after the calling code is not dialled; in
     * countries whose trunk prefix is 0 no national number starts with 0 */
    if (nsn > 0 && d[k] == '0' && has_trunk(pc, "0")) {
        memmove(buf + k, buf + k + 1, nsn - 1);
        nsn--;
    }
    if (!in_range(nsn, pc)) {
        return SGX_DROP_INVALID_PHONE;
    }
    return emit_digits(buf, k + nsn, out, cap, out_len);
}

/* Argentina dials a mobile nationally as [0] area code + "15" + subscriber (area code and
 * subscriber: 10 digits); internationally it is +54 9 area subscriber. libphonenumber rewrites it
 * with nationalPrefixForParsing/TransformRule, whose list of area codes we do not carry: the
 * area code is 2 digits for Buenos Aires (11), else the first of 3 or 4 followed by "15". */
static sgx_drop_t ar_mobile15(const char *d, size_t n, char *out, size_t cap, size_t *out_len)
{
    size_t skip = (n == 13 && d[0] == '0') ? 1 : 0;
    if (n - skip != 12) {
        return SGX_DROP_INVALID_PHONE;
    }
    d += skip;
    size_t area = (d[0] == '1' && d[1] == '1') ? 2 : 3;
    for (; area <= 4; area++) {
        if (d[area] == '1' && d[area + 1] == '5') {
            char buf[16] = "549";
            memcpy(buf + 3, d, area);
            memcpy(buf + 3 + area, d + area + 2, 10 - area);
            return emit_digits(buf, 13, out, cap, out_len);
        }
        if (area == 2) {
            break;
        }
    }
    return SGX_DROP_INVALID_PHONE;
}

/* A number without '+': international prefix, calling code without prefix, or national form. */
static sgx_drop_t national(const char *d, size_t n, const sgx_phone_country_t *pc, char *out,
                           size_t cap, size_t *out_len)
{
    for (size_t i = 0; pc->intl_prefix[i]; i++) {
        size_t k = sgx_phone_prefix_match(pc->intl_prefix[i], d, n);
        if (k > 0) {
            return international(d + k, n - k, out, cap, out_len);
        }
    }
    size_t cc_len = strlen(pc->calling_code);
    if (!in_range(n, pc) && n > cc_len && sgx_phone_prefix_match(pc->calling_code, d, n) &&
        in_range(n - cc_len, pc)) {
        return emit_digits(d, n, out, cap, out_len); /* "442079460958": code already there */
    }
    size_t skip = 0;
    for (size_t i = 0; pc->trunk[i] && skip == 0; i++) {
        size_t k = sgx_phone_prefix_match(pc->trunk[i], d, n);
        skip = (k > 0 && in_range(n - k, pc)) ? k : 0;
    }
    /* where the trunk prefix starts with 0 no national number does: "020 7946 09" is short,
     * not the 9-digit number 020794609 */
    if (!in_range(n - skip, pc) && strcmp(pc->cc, "ar") == 0) {
        return ar_mobile15(d, n, out, cap, out_len);
    }
    if (!in_range(n - skip, pc) || (skip == 0 && d[0] == '0' && trunk_starts_with_0(pc))) {
        return SGX_DROP_INVALID_PHONE;
    }
    char buf[DIGITS_MAX + 4];
    memcpy(buf, pc->calling_code, cc_len);
    memcpy(buf + cc_len, d + skip, n - skip);
    return emit_digits(buf, cc_len + n - skip, out, cap, out_len);
}

/* The profile's country wins over the destination default; both may be a name or a code.
 * A known country outside the table yields NULL too: its trunk rules are unknown. */
static const sgx_phone_country_t *phone_country(const sgx_norm_ctx_t *ctx)
{
    char cc[3];
    return sgx_norm_ctx_country(ctx, cc) ? sgx_phone_country(cc) : NULL;
}

sgx_drop_t sgx_norm_phone(sgx_norm_text_t *t, const sgx_norm_ctx_t *ctx, char *out, size_t cap,
                          size_t *out_len)
{
    char d[DIGITS_MAX];
    size_t n;
    bool plus;
    sgx_drop_t r = extract(t, d, &n, &plus);
    if (r != SGX_DROP_NONE) {
        return r;
    }
    if (plus) {
        return international(d, n, out, cap, out_len);
    }
    const sgx_phone_country_t *pc = phone_country(ctx);
    if (pc) {
        return national(d, n, pc, out, cap, out_len);
    }
    /* Without table data "00" is still the ITU-recommended prefix used by most countries;
     * a national number, though, cannot be completed. */
    if (n > 2 && d[0] == '0' && d[1] == '0') {
        return international(d + 2, n - 2, out, cap, out_len);
    }
    return SGX_DROP_NO_COUNTRY;
}
