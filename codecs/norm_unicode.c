/* Unicode groundwork for the normalizers: strict UTF-8 decoding, cleaning, lowercase + NFC and
 * re-encoding. utf8proc_map() is deliberately not used: it mallocs on every call, and identifiers
 * are normalized millions of times per minute. utf8proc's per-code-point functions work on our
 * stack scratch instead, and pure-ASCII values never reach utf8proc at all. */
#include <utf8proc.h>

#include "codecs/norm_internal.h"

/* Returns the sequence length and stores the code point, or 0 for anything RFC 3629 forbids:
 * overlongs, surrogates, values above U+10FFFF, stray continuation bytes, truncation. */
static size_t utf8_decode(const unsigned char *s, size_t len, int32_t *cp)
{
    unsigned char b = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 2;
        *cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 3;
        *cp = b & 0x0F;
        lo = (b == 0xE0) ? 0xA0 : 0x80; /* E0 80..9F would be overlong */
        hi = (b == 0xED) ? 0x9F : 0xBF; /* ED A0..BF would be a surrogate */
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 4;
        *cp = b & 0x07;
        lo = (b == 0xF0) ? 0x90 : 0x80;
        hi = (b == 0xF4) ? 0x8F : 0xBF; /* F4 90.. is beyond U+10FFFF */
    } else {
        return 0;
    }
    if (len < need || s[1] < lo || s[1] > hi) {
        return 0;
    }
    *cp = (*cp << 6) | (s[1] & 0x3F);
    for (size_t i = 2; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    return need;
}

bool sgx_norm_is_space(int32_t c)
{
    if (c < 0x80) {
        return c == ' ' || (c >= 0x09 && c <= 0x0D);
    }
    if (c == 0x85) { /* NEL: a C1 control, but a line break in practice */
        return true;
    }
    utf8proc_category_t cat = utf8proc_category(c);
    return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
           cat == UTF8PROC_CATEGORY_ZP;
}

bool sgx_norm_is_letter_or_mark(int32_t c)
{
    if (c < 0x80) {
        return sgx_norm_is_alpha(c);
    }
    utf8proc_category_t cat = utf8proc_category(c);
    return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
           (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME);
}

/* Classifies one decoded code point: 1 keep, 0 remove (format characters such as zero-width
 * space, bidi marks, BOM, soft hyphen), -1 control character (drops the value). */
static int classify(int32_t c, unsigned opts)
{
    if (c >= 0x20 && c < 0x7F) {
        return 1;
    }
    if (sgx_norm_is_space(c)) {
        return 1;
    }
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
        return -1;
    }
    if (!(opts & SGX_PREP_AS_GIVEN) && utf8proc_category(c) == UTF8PROC_CATEGORY_CF) {
        return 0;
    }
    return 1;
}

static void trim(sgx_norm_text_t *t)
{
    size_t b = 0, e = t->n;
    while (b < e && sgx_norm_is_space(t->cp[b])) {
        b++;
    }
    while (e > b && sgx_norm_is_space(t->cp[e - 1])) {
        e--;
    }
    if (b > 0) {
        for (size_t i = b; i < e; i++) {
            t->cp[i - b] = t->cp[i];
        }
    }
    t->n = e - b;
}

/* The leading run of printable ASCII, copied (lowercased if asked) with a local count so the
 * compiler keeps it in a register: most identifiers are nothing else. Returns its length. */
static size_t ascii_run(const unsigned char *s, size_t len, bool lower, int32_t *cp)
{
    size_t i = 0;
    if (lower) {
        for (; i < len && s[i] >= 0x20 && s[i] < 0x7F; i++) {
            cp[i] = sgx_norm_ascii_lower(s[i]);
        }
    } else {
        for (; i < len && s[i] >= 0x20 && s[i] < 0x7F; i++) {
            cp[i] = s[i];
        }
    }
    return i;
}

sgx_drop_t sgx_norm_prepare(const char *in, size_t len, unsigned opts, sgx_norm_text_t *t)
{
    const unsigned char *s = (const unsigned char *)in;
    t->n = 0;
    t->ascii = true;
    if (len > SGX_NORM_IN_MAX) {
        return SGX_DROP_TOO_LONG;
    }
    size_t i = ascii_run(s, len, (opts & SGX_PREP_LOWER) != 0, t->cp);
    t->n = i;
    while (i < len) {
        int32_t c = s[i];
        size_t k = 1;
        if (c >= 0x20 && c < 0x7F) { /* printable ASCII: the common case, one branch */
            t->cp[t->n++] = (opts & SGX_PREP_LOWER) ? sgx_norm_ascii_lower(c) : c;
            i++;
            continue;
        }
        if (c >= 0x80 && (k = utf8_decode(s + i, len - i, &c)) == 0) {
            return SGX_DROP_INVALID_UTF8;
        }
        i += k;
        if ((opts & SGX_PREP_FULLWIDTH) && c >= 0xFF01 && c <= 0xFF5E) {
            c -= 0xFF01 - 0x21;
        }
        int cls = classify(c, opts);
        if (cls < 0) {
            return SGX_DROP_CONTROL_CHAR;
        }
        if (cls > 0) {
            c = (!(opts & SGX_PREP_AS_GIVEN) && sgx_norm_is_space(c)) ? ' ' : c;
            c = (opts & SGX_PREP_LOWER) ? sgx_norm_ascii_lower(c) : c; /* folded full-width */
            t->ascii = t->ascii && c < 0x80;
            t->cp[t->n++] = c;
        }
    }
    trim(t);
    return sgx_norm_fold(t, opts);
}

/* Canonical ordering of combining marks (the step utf8proc_normalize_utf32 leaves to
 * utf8proc_decompose): a stable bubble sort by combining class, as in utf8proc itself. */
static void canonical_order(int32_t *buf, size_t n)
{
    size_t pos = 0;
    while (n > 1 && pos < n - 1) {
        int ca = utf8proc_get_property(buf[pos])->combining_class;
        int cb = utf8proc_get_property(buf[pos + 1])->combining_class;
        if (ca > cb && cb > 0) {
            int32_t tmp = buf[pos];
            buf[pos] = buf[pos + 1];
            buf[pos + 1] = tmp;
            pos = pos > 0 ? pos - 1 : pos + 1;
        } else {
            pos++;
        }
    }
}

static sgx_drop_t fold_unicode(sgx_norm_text_t *t, unsigned opts)
{
    int32_t scratch[SGX_NORM_DECOMP_MAX];
    utf8proc_ssize_t m = 0;
    for (size_t i = 0; i < t->n; i++) {
        int32_t c = (opts & SGX_PREP_LOWER) ? utf8proc_tolower(t->cp[i]) : t->cp[i];
        if (!(opts & SGX_PREP_NFC)) {
            t->cp[i] = c;
            continue;
        }
        int bound = 0;
        utf8proc_ssize_t k = utf8proc_decompose_char(c, scratch + m, SGX_NORM_DECOMP_MAX - m,
                                                     UTF8PROC_COMPOSE | UTF8PROC_STABLE, &bound);
        if (k < 0 || k > SGX_NORM_DECOMP_MAX - m) {
            return SGX_DROP_TOO_LONG;
        }
        m += k;
    }
    if (!(opts & SGX_PREP_NFC)) {
        return SGX_DROP_NONE;
    }
    canonical_order(scratch, (size_t)m);
    m = utf8proc_normalize_utf32(scratch, m, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (m < 0 || m > SGX_NORM_IN_MAX) {
        return SGX_DROP_TOO_LONG;
    }
    for (utf8proc_ssize_t i = 0; i < m; i++) {
        t->cp[i] = scratch[i];
    }
    t->n = (size_t)m;
    return SGX_DROP_NONE;
}

/* Below U+0300 (Latin-1, Latin Extended-A/B, IPA, spacing modifiers) there are no combining
 * marks, every character is a starter that NFC leaves alone and no two of them compose (checked
 * exhaustively in tests/unit/test_normalize_ascii.c), so text made only of them is NFC as it
 * is, and stays so once lowercased if the lowercase letters are in that range too (U+023A's is
 * U+2C65: such text takes the full path). Accented European names are the common non-ASCII
 * input; this spares them the decomposition round trip. Returns false, t untouched, when the
 * text does not qualify. */
static bool fold_latin(sgx_norm_text_t *t, unsigned opts)
{
    bool lower = (opts & SGX_PREP_LOWER) != 0;
    for (size_t i = 0; i < t->n; i++) {
        int32_t c = t->cp[i];
        if (c >= 0x300 || (lower && c >= 0x80 && utf8proc_tolower(c) >= 0x300)) {
            return false;
        }
    }
    for (size_t i = 0; lower && i < t->n; i++) {
        if (t->cp[i] >= 0x80) {
            t->cp[i] = utf8proc_tolower(t->cp[i]);
        }
    }
    return true;
}

sgx_drop_t sgx_norm_fold(sgx_norm_text_t *t, unsigned opts)
{
    if (!(opts & (SGX_PREP_LOWER | SGX_PREP_NFC))) {
        return SGX_DROP_NONE;
    }
    if (t->ascii) { /* ASCII is NFC already, and sgx_norm_prepare lowercased it */
        return SGX_DROP_NONE;
    }
    if (fold_latin(t, opts)) {
        return SGX_DROP_NONE;
    }
    return fold_unicode(t, opts);
}

static size_t utf8_encode(int32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

sgx_drop_t sgx_norm_emit(const int32_t *cp, size_t n, char *out, size_t cap, size_t *out_len)
{
    if (n == 0) {
        return SGX_DROP_EMPTY;
    }
    size_t limit = cap - 1 < SGX_NORM_MAX ? cap - 1 : SGX_NORM_MAX;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char tmp[4];
        if (cp[i] < 0x80 && o < limit) {
            out[o++] = (char)cp[i];
            continue;
        }
        size_t k = utf8_encode(cp[i], tmp);
        if (o + k > limit) {
            return SGX_DROP_TOO_LONG;
        }
        for (size_t j = 0; j < k; j++) {
            out[o++] = tmp[j];
        }
    }
    out[o] = '\0';
    *out_len = o;
    return SGX_DROP_NONE;
}
