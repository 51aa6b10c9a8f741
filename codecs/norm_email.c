/* EMAIL: trimmed, lowercased, NFC, and shaped like local@domain.tld. No provider-specific
 * rewriting (Gmail dots, "+tag"): Meta does not document it, and hashing a rewritten address
 * would match nobody who uploaded the address as typed. */
#include "codecs/norm_internal.h"

/* RFC 5321 caps a path at 256 octets including the angle brackets. */
#define EMAIL_MAX 254

/* Characters that mean "this is not one address" (display names, lists, comments, quoting):
 * liberal otherwise, because real mailboxes use '+', '&', '\'', even consecutive dots. */
static bool local_char_ok(int32_t c)
{
    switch (c) {
    case ' ': case '"': case '(': case ')': case ',': case ':': case ';':
    case '<': case '>': case '[': case ']': case '\\':
        return false;
    default:
        return true;
    }
}

static bool label_char_ok(int32_t c)
{
    if (c < 0x80) {
        return sgx_norm_is_alpha(c) || sgx_norm_is_digit(c) || c == '-';
    }
    return sgx_norm_is_letter_or_mark(c); /* internationalized domain names, as typed */
}

/* One DNS label [b, e): non-empty, allowed characters, no hyphen at either end. The top-level
 * label is 2+ letters, or an IDN in its ASCII form ("xn--p1ai"). */
static bool label_ok(const int32_t *cp, size_t b, size_t e, bool tld)
{
    if (e <= b || cp[b] == '-' || cp[e - 1] == '-') {
        return false;
    }
    bool letters = true;
    for (size_t i = b; i < e; i++) {
        if (!label_char_ok(cp[i])) {
            return false;
        }
        letters = letters && (cp[i] >= 0x80 || sgx_norm_is_alpha(cp[i]));
    }
    bool punycode = e - b > 4 && cp[b] == 'x' && cp[b + 1] == 'n' && cp[b + 2] == '-' &&
                    cp[b + 3] == '-';
    return !tld || (e - b >= 2 && (letters || punycode));
}

static bool domain_ok(const int32_t *cp, size_t b, size_t e)
{
    size_t start = b, labels = 0;
    for (size_t i = b; i <= e; i++) {
        if (i == e || cp[i] == '.') {
            if (!label_ok(cp, start, i, i == e)) {
                return false;
            }
            labels++;
            start = i + 1;
        }
    }
    return labels >= 2;
}

sgx_drop_t sgx_norm_email(sgx_norm_text_t *t, char *out, size_t cap, size_t *out_len)
{
    if (t->n == 0) {
        return SGX_DROP_EMPTY;
    }
    if (t->n > EMAIL_MAX) {
        return SGX_DROP_INVALID_EMAIL;
    }
    size_t at = 0, ats = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->cp[i] == '@') {
            at = i;
            ats++;
        }
    }
    if (ats != 1 || at == 0) {
        return SGX_DROP_INVALID_EMAIL;
    }
    for (size_t i = 0; i < at; i++) {
        if (!local_char_ok(t->cp[i])) {
            return SGX_DROP_INVALID_EMAIL;
        }
    }
    if (!domain_ok(t->cp, at + 1, t->n)) {
        return SGX_DROP_INVALID_EMAIL;
    }
    return sgx_norm_emit(t->cp, t->n, out, cap, out_len);
}
