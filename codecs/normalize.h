/* Identifier normalization per destination and key (destinations.md §7). Pure functions: no
 * I/O, no locale, no global state; the ASCII e-mail path does not allocate. */
#ifndef SGX_NORMALIZE_H
#define SGX_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    SGX_DEST_FACEBOOK = 0,
    SGX_DEST_MICROSOFT_ADS,
    SGX_DEST_CRITEO,
    SGX_DEST_DOTDIGITAL,
    SGX_DEST__COUNT
} sgx_dest_kind_t;

/* Destination keys. Each destination accepts a subset (sgx_key_accepted). */
typedef enum {
    SGX_KEY_EMAIL = 0,
    SGX_KEY_PHONE,
    SGX_KEY_FN,
    SGX_KEY_LN,
    SGX_KEY_FI,
    SGX_KEY_GEN,
    SGX_KEY_DOBY,
    SGX_KEY_DOBM,
    SGX_KEY_DOBD,
    SGX_KEY_CT,
    SGX_KEY_ST,
    SGX_KEY_ZIP,
    SGX_KEY_COUNTRY,
    SGX_KEY_MADID,
    SGX_KEY_EXTERN_ID,
    SGX_KEY_FULLNAME, /* Dotdigital */
    SGX_KEY__COUNT
} sgx_key_t;

/* Why a value was dropped. SGX_DROP_NONE means the output is usable. */
typedef enum {
    SGX_DROP_NONE = 0,
    SGX_DROP_EMPTY,          /* normalizes to nothing: never hashed */
    SGX_DROP_INVALID_UTF8,
    SGX_DROP_INVALID_EMAIL,
    SGX_DROP_INVALID_PHONE,
    SGX_DROP_NO_COUNTRY,     /* phone in national form, no country known */
    SGX_DROP_INVALID_VALUE,  /* fails the key's validation (gender, date, country…) */
    SGX_DROP_TOO_LONG,
    SGX_DROP_UNSUPPORTED_KEY,
    SGX_DROP_CONTROL_CHAR,   /* NUL or another control character inside the value */
    SGX_DROP__COUNT
} sgx_drop_t;

/* Largest normalized value (bytes); inputs that would exceed it are dropped as TOO_LONG. */
#define SGX_NORM_MAX 512

typedef struct {
    const char *country;         /* borrowed: the profile's country as given (may be NULL) */
    size_t country_len;
    const char *default_country; /* borrowed: destination default, alpha-2 (may be NULL) */
} sgx_norm_ctx_t;

/**
 * @brief Normalizes one value for (dest, key).
 * @param in borrowed, len bytes, not necessarily NUL-terminated, may contain any bytes.
 * @param out caller's buffer of cap bytes (>= SGX_NORM_MAX + 1); receives the normalized UTF-8
 *        value, NUL-terminated, length in *out_len.
 * @param prehashed set true when the input already was a 64-hex SHA-256 and the output is it,
 *        lowercased: the caller must not hash it again.
 * @returns SGX_DROP_NONE when *out is usable, else the reason (out is then unspecified).
 */
sgx_drop_t sgx_normalize(sgx_dest_kind_t dest, sgx_key_t key, const char *in, size_t len,
                         const sgx_norm_ctx_t *ctx, char *out, size_t cap, size_t *out_len,
                         bool *prehashed);

/** @returns true when dest sends key SHA-256-hashed (by default). */
bool sgx_key_hashed(sgx_dest_kind_t dest, sgx_key_t key);
/** @returns true when dest accepts key at all. */
bool sgx_key_accepted(sgx_dest_kind_t dest, sgx_key_t key);
/** @returns stable names: "EMAIL", …; "invalid_email", …; "facebook", … (static strings). */
const char *sgx_key_name(sgx_key_t key);
int sgx_key_parse(const char *name); /* -1 when unknown */
const char *sgx_drop_str(sgx_drop_t drop);
const char *sgx_dest_kind_name(sgx_dest_kind_t dest);
/** @returns true when cc (alpha-2, alpha-3 or English name; borrowed) is in the country table
 *  normalization resolves countries with, so a default_country can be checked before a run. */
bool sgx_country_known(const char *cc);
int sgx_dest_kind_parse(const char *name); /* -1 when unknown */

#endif
