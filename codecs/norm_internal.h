/* Internals shared by the normalizer files (normalize.c, norm_*.c, *_data.c). Not part of the
 * public contract: only codecs/norm_*.c include this. Nothing here allocates: sgx_norm_text_t
 * lives on the caller's stack, and the NFC scratch on the stack of the non-ASCII path only. */
#ifndef SGX_NORM_INTERNAL_H
#define SGX_NORM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/normalize.h"

/* Longest accepted input in bytes; longer values are dropped as TOO_LONG before any work, which
 * also bounds every scratch buffer below. */
#define SGX_NORM_IN_MAX 1024
/* Canonical decomposition expands one code point to at most 4 (Hangul: 3), so NFC scratch
 * needs 4x the input. */
#define SGX_NORM_DECOMP_MAX (4 * SGX_NORM_IN_MAX)

/* Options for sgx_norm_prepare. */
enum {
    SGX_PREP_LOWER = 1 << 0,     /* Unicode simple lowercase (not case folding: ß stays ß) */
    SGX_PREP_NFC = 1 << 1,       /* canonical composition (e + U+0301 == é) */
    SGX_PREP_FULLWIDTH = 1 << 2, /* fold U+FF01..U+FF5E to ASCII (full-width digits, +, -) */
    SGX_PREP_AS_GIVEN = 1 << 3,  /* keep Cf characters and white space kinds (opaque ids) */
};

/* A value decoded into code points, cleaned and trimmed. */
typedef struct {
    int32_t cp[SGX_NORM_IN_MAX];
    size_t n;
    bool ascii; /* every code point < 0x80: NFC and lowercase are trivial */
} sgx_norm_text_t;

/**
 * @brief Decodes strict UTF-8 (no overlongs, surrogates, > U+10FFFF, truncation), removes
 * format characters (zero-width, bidi controls, soft hyphen), maps Unicode white space to ' ',
 * trims, then applies opts. Other control characters (NUL, C0, DEL, C1) drop the value.
 * @returns SGX_DROP_NONE, SGX_DROP_INVALID_UTF8, SGX_DROP_CONTROL_CHAR or SGX_DROP_TOO_LONG.
 */
sgx_drop_t sgx_norm_prepare(const char *in, size_t len, unsigned opts, sgx_norm_text_t *t);

/** @brief Lowercases and/or NFC-composes t in place (opts as above). */
sgx_drop_t sgx_norm_fold(sgx_norm_text_t *t, unsigned opts);

/**
 * @brief Encodes cp[0..n) as UTF-8 into out (cap bytes incl. NUL).
 * @returns SGX_DROP_EMPTY when n == 0, SGX_DROP_TOO_LONG when it does not fit SGX_NORM_MAX/cap.
 */
sgx_drop_t sgx_norm_emit(const int32_t *cp, size_t n, char *out, size_t cap, size_t *out_len);

/* Character classes on code points; ASCII answered inline, the rest via utf8proc categories. */
bool sgx_norm_is_letter_or_mark(int32_t c);
bool sgx_norm_is_space(int32_t c);

static inline bool sgx_norm_is_digit(int32_t c)
{
    return c >= '0' && c <= '9';
}

static inline bool sgx_norm_is_alpha(int32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int32_t sgx_norm_ascii_lower(int32_t c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static inline bool sgx_norm_is_hex(int32_t c)
{
    return sgx_norm_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Per-key normalizers: t is prepared by the caller as the key needs (see normalize.c). */
sgx_drop_t sgx_norm_email(sgx_norm_text_t *t, char *out, size_t cap, size_t *out_len);
sgx_drop_t sgx_norm_phone(sgx_norm_text_t *t, const sgx_norm_ctx_t *ctx, char *out, size_t cap,
                          size_t *out_len);
sgx_drop_t sgx_norm_name(sgx_norm_text_t *t, bool initial, char *out, size_t cap,
                         size_t *out_len);
sgx_drop_t sgx_norm_gender(sgx_norm_text_t *t, char *out, size_t cap, size_t *out_len);
sgx_drop_t sgx_norm_dob(sgx_norm_text_t *t, sgx_key_t key, char *out, size_t cap,
                        size_t *out_len);
sgx_drop_t sgx_norm_state(sgx_norm_text_t *t, const sgx_norm_ctx_t *ctx, char *out, size_t cap,
                          size_t *out_len);
sgx_drop_t sgx_norm_zip(sgx_norm_text_t *t, const sgx_norm_ctx_t *ctx, char *out, size_t cap,
                        size_t *out_len);
sgx_drop_t sgx_norm_country(sgx_norm_text_t *t, char *out, size_t cap, size_t *out_len);
sgx_drop_t sgx_norm_madid(sgx_norm_text_t *t, char *out, size_t cap, size_t *out_len);

/* Byte-level rules for printable-ASCII values (every byte 0x20..0x7E; norm_ascii.c): s[0..n)
 * is the value trimmed of ' ' but not lowercased. Each gives exactly what the code-point rule
 * above gives for the same value, without decoding it, and allocates nothing. */
sgx_drop_t sgx_norm_ascii_copy(const char *s, size_t n, bool lower_case, char *out, size_t cap,
                               size_t *out_len);
sgx_drop_t sgx_norm_ascii_email(const char *s, size_t n, char *out, size_t cap,
                                size_t *out_len);
sgx_drop_t sgx_norm_ascii_name(const char *s, size_t n, bool initial, char *out, size_t cap,
                               size_t *out_len);
sgx_drop_t sgx_norm_ascii_state(const char *s, size_t n, const sgx_norm_ctx_t *ctx, char *out,
                                size_t cap, size_t *out_len);

/**
 * @brief Resolves a country as given (alpha-2, alpha-3, English name, alias; any case, spaces,
 * accents) to a lowercase alpha-2 code.
 * @returns true and writes 2 letters + NUL into cc[3], false when unknown.
 */
bool sgx_norm_country_code(const char *in, size_t len, char cc[3]);
/** @brief The profile's country if it resolves, else the destination default; false if neither. */
bool sgx_norm_ctx_country(const sgx_norm_ctx_t *ctx, char cc[3]);

/* geo_data.c lookups on squashed keys (lowercase a-z only). */
const char *sgx_geo_country_by_alpha2(const char *a2);
const char *sgx_geo_country_by_alpha3(const char *a3);
const char *sgx_geo_country_by_name(const char *squashed);
const char *sgx_geo_us_state(const char *squashed); /* name or code → code, NULL if none */

/* Phone numbering data for one country (phone_data.c). Prefix patterns are literal digits plus
 * 'D' (any digit) and bracket classes such as "[1-35]", the subset of libphonenumber's regular
 * expressions the table needs. */
typedef struct {
    char cc[3];                  /* ISO alpha-2, lowercase */
    const char *calling_code;    /* "44" */
    const char *intl_prefix[9];  /* international (IDD) prefixes; NULL-terminated */
    const char *trunk[15];       /* national prefixes for parsing, in order; NULL-terminated */
    uint32_t nsn_lengths;        /* bit n set: an n-digit national significant number exists */
    bool main;                   /* main country of a shared calling code ("1": us) */
} sgx_phone_country_t;

/** @returns true when a national significant number of n digits is possible in pc. */
static inline bool sgx_phone_nsn_ok(const sgx_phone_country_t *pc, size_t n)
{
    return n < 32 && (pc->nsn_lengths >> n) & 1u;
}

/** @returns the numbering data of alpha-2 cc (lowercase), NULL when not in the table. */
const sgx_phone_country_t *sgx_phone_country(const char *cc);
/**
 * @brief The table's country whose calling code prefixes digits[0..n) (longest match; for a
 * shared code such as 1 or 7 the main country, whose rules the others follow).
 * @returns NULL when no table country matches.
 */
const sgx_phone_country_t *sgx_phone_by_calling_code(const char *digits, size_t n);
/** @returns how many digits the prefix pattern matched at the start of digits, else 0. */
size_t sgx_phone_prefix_match(const char *pattern, const char *digits, size_t n);

#endif
