/* Dispatcher: which destination takes which key, hashed or not, how each key's text is
 * prepared, and the checks common to every key (length, UTF-8, control characters, pre-hashed
 * values, empty results). The per-key rules live in norm_email.c, norm_phone.c, norm_text.c and
 * norm_geo.c; printable-ASCII values of the keys that dominate the cost take byte-level
 * versions of those rules (norm_ascii.c). Nothing here allocates; the scratch (4 KiB, plus 16 KiB
 * for NFC of non-ASCII text) is on the stack. */
#include <string.h>

#include "codecs/norm_internal.h"

#define BIT(k) (1u << (k))
#define META_KEYS (BIT(SGX_KEY__COUNT) - 1 - BIT(SGX_KEY_FULLNAME))

static const unsigned accepted[SGX_DEST__COUNT] = {
    [SGX_DEST_FACEBOOK] = META_KEYS,
    [SGX_DEST_MICROSOFT_ADS] = BIT(SGX_KEY_EMAIL),
    [SGX_DEST_CRITEO] = BIT(SGX_KEY_EMAIL),
    [SGX_DEST_DOTDIGITAL] = BIT(SGX_KEY_EMAIL) | BIT(SGX_KEY_FN) | BIT(SGX_KEY_LN) |
                            BIT(SGX_KEY_FULLNAME) | BIT(SGX_KEY_GEN) | BIT(SGX_KEY_ZIP),
};

/* Criteo's hashing mode (plain/sha256/md5) is the connector's business: by default it hashes. */
static const unsigned hashed[SGX_DEST__COUNT] = {
    [SGX_DEST_FACEBOOK] = META_KEYS & ~(BIT(SGX_KEY_MADID) | BIT(SGX_KEY_EXTERN_ID)),
    [SGX_DEST_MICROSOFT_ADS] = BIT(SGX_KEY_EMAIL),
    [SGX_DEST_CRITEO] = BIT(SGX_KEY_EMAIL),
    [SGX_DEST_DOTDIGITAL] = 0,
};

static const char *const key_names[SGX_KEY__COUNT] = {
    "EMAIL", "PHONE", "FN", "LN", "FI", "GEN", "DOBY", "DOBM",
    "DOBD", "CT", "ST", "ZIP", "COUNTRY", "MADID", "EXTERN_ID", "FULLNAME",
};

static const char *const drop_names[SGX_DROP__COUNT] = {
    "ok", "empty", "invalid_utf8", "invalid_email", "invalid_phone", "no_country",
    "invalid_value", "too_long", "unsupported_key", "control_char",
};

static const char *const dest_names[SGX_DEST__COUNT] = {
    "facebook", "microsoft_ads", "criteo", "dotdigital",
};

/* How each Meta key's text is prepared before its rule runs. */
static const unsigned meta_prep[SGX_KEY__COUNT] = {
    [SGX_KEY_EMAIL] = SGX_PREP_LOWER | SGX_PREP_NFC | SGX_PREP_FULLWIDTH, /* IME input */
    [SGX_KEY_PHONE] = SGX_PREP_FULLWIDTH,
    [SGX_KEY_FN] = SGX_PREP_LOWER | SGX_PREP_NFC,
    [SGX_KEY_LN] = SGX_PREP_LOWER | SGX_PREP_NFC,
    [SGX_KEY_FI] = SGX_PREP_LOWER | SGX_PREP_NFC,
    [SGX_KEY_GEN] = SGX_PREP_LOWER | SGX_PREP_FULLWIDTH,
    [SGX_KEY_DOBY] = SGX_PREP_FULLWIDTH,
    [SGX_KEY_DOBM] = SGX_PREP_FULLWIDTH,
    [SGX_KEY_DOBD] = SGX_PREP_FULLWIDTH,
    [SGX_KEY_CT] = SGX_PREP_LOWER | SGX_PREP_NFC,
    [SGX_KEY_ST] = SGX_PREP_LOWER | SGX_PREP_NFC,
    [SGX_KEY_ZIP] = SGX_PREP_LOWER | SGX_PREP_NFC | SGX_PREP_FULLWIDTH,
    [SGX_KEY_COUNTRY] = SGX_PREP_LOWER | SGX_PREP_NFC | SGX_PREP_FULLWIDTH,
    [SGX_KEY_MADID] = SGX_PREP_LOWER | SGX_PREP_FULLWIDTH,
    [SGX_KEY_EXTERN_ID] = SGX_PREP_AS_GIVEN, /* opaque: only trimmed */
};

bool sgx_key_accepted(sgx_dest_kind_t dest, sgx_key_t key)
{
    return (unsigned)dest < SGX_DEST__COUNT && (unsigned)key < SGX_KEY__COUNT &&
           (accepted[dest] & BIT(key));
}

bool sgx_key_hashed(sgx_dest_kind_t dest, sgx_key_t key)
{
    return sgx_key_accepted(dest, key) && (hashed[dest] & BIT(key));
}

const char *sgx_key_name(sgx_key_t key)
{
    return (unsigned)key < SGX_KEY__COUNT ? key_names[key] : "UNKNOWN";
}

const char *sgx_drop_str(sgx_drop_t drop)
{
    return (unsigned)drop < SGX_DROP__COUNT ? drop_names[drop] : "unknown";
}

const char *sgx_dest_kind_name(sgx_dest_kind_t dest)
{
    return (unsigned)dest < SGX_DEST__COUNT ? dest_names[dest] : "unknown";
}

static bool ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        if (sgx_norm_ascii_lower((unsigned char)*a) != sgx_norm_ascii_lower((unsigned char)*b)) {
            return false;
        }
    }
    return *a == *b;
}

int sgx_key_parse(const char *name)
{
    /* Dotdigital's data-field names are accepted as aliases of the Meta keys they carry */
    static const struct {
        const char *alias;
        sgx_key_t key;
    } aliases[] = {{"FIRSTNAME", SGX_KEY_FN}, {"LASTNAME", SGX_KEY_LN},
                   {"GENDER", SGX_KEY_GEN},   {"POSTCODE", SGX_KEY_ZIP}};
    if (!name) {
        return -1;
    }
    for (int k = 0; k < SGX_KEY__COUNT; k++) {
        if (ascii_ieq(name, key_names[k])) {
            return k;
        }
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (ascii_ieq(name, aliases[i].alias)) {
            return (int)aliases[i].key;
        }
    }
    return -1;
}

int sgx_dest_kind_parse(const char *name)
{
    for (int d = 0; name && d < SGX_DEST__COUNT; d++) {
        if (ascii_ieq(name, dest_names[d])) {
            return d;
        }
    }
    return -1;
}

/* A value that already is a SHA-256 (64 hex digits) passes through, lowercased. Checked before
 * any key rule, which would mangle it (PHONE would keep only its digits). */
static bool prehashed_value(sgx_norm_text_t *t)
{
    if (t->n != 64) {
        return false;
    }
    for (size_t i = 0; i < 64; i++) {
        if (!sgx_norm_is_hex(t->cp[i])) {
            return false;
        }
        t->cp[i] = sgx_norm_ascii_lower(t->cp[i]);
    }
    return true;
}

static unsigned prep_opts(sgx_dest_kind_t dest, sgx_key_t key)
{
    if (dest == SGX_DEST_FACEBOOK || key == SGX_KEY_EMAIL) {
        return meta_prep[key];
    }
    return SGX_PREP_NFC; /* Dotdigital's other fields: trimmed, otherwise as given */
}

static sgx_drop_t run_rule(sgx_dest_kind_t dest, sgx_key_t key, sgx_norm_text_t *t,
                           const sgx_norm_ctx_t *ctx, char *out, size_t cap, size_t *out_len)
{
    if (key == SGX_KEY_EMAIL) {
        return sgx_norm_email(t, out, cap, out_len);
    }
    if (dest != SGX_DEST_FACEBOOK) {
        return sgx_norm_emit(t->cp, t->n, out, cap, out_len);
    }
    switch (key) {
    case SGX_KEY_PHONE: return sgx_norm_phone(t, ctx, out, cap, out_len);
    case SGX_KEY_FN:
    case SGX_KEY_LN:
    case SGX_KEY_CT: return sgx_norm_name(t, false, out, cap, out_len);
    case SGX_KEY_FI: return sgx_norm_name(t, true, out, cap, out_len);
    case SGX_KEY_GEN: return sgx_norm_gender(t, out, cap, out_len);
    case SGX_KEY_DOBY:
    case SGX_KEY_DOBM:
    case SGX_KEY_DOBD: return sgx_norm_dob(t, key, out, cap, out_len);
    case SGX_KEY_ST: return sgx_norm_state(t, ctx, out, cap, out_len);
    case SGX_KEY_ZIP: return sgx_norm_zip(t, ctx, out, cap, out_len);
    case SGX_KEY_COUNTRY: return sgx_norm_country(t, out, cap, out_len);
    case SGX_KEY_MADID: return sgx_norm_madid(t, out, cap, out_len);
    default: return sgx_norm_emit(t->cp, t->n, out, cap, out_len); /* EXTERN_ID */
    }
}

/* Every byte printable ASCII: no decoding, format characters, white space other than ' ',
 * full-width forms, case mapping beyond A-Z or composition to care about. Eight bytes at a time:
 * a byte is outside 0x20..0x7E when b - 0x20 or b + 1 sets its top bit, or it had it already. */
static bool printable_ascii(const char *in, size_t len)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, in + i, 8);
        if ((w | (w - 0x20 * ones) | (w + ones)) & high) {
            return false;
        }
    }
    for (; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c < 0x20 || c > 0x7E) {
            return false;
        }
    }
    return true;
}

/* Keys with a byte-level rule (norm_ascii.c); the others are cheap on the general path. */
static bool ascii_rule_exists(sgx_dest_kind_t dest, sgx_key_t key)
{
    if (key == SGX_KEY_EMAIL) {
        return true;
    }
    return dest == SGX_DEST_FACEBOOK && (key == SGX_KEY_FN || key == SGX_KEY_LN ||
                                         key == SGX_KEY_FI || key == SGX_KEY_CT ||
                                         key == SGX_KEY_ST);
}

/* sgx_normalize for a printable-ASCII value of a key with a byte-level rule: what
 * sgx_norm_prepare, the pre-hashed check and the key's rule do, on the bytes. */
static sgx_drop_t normalize_ascii(sgx_dest_kind_t dest, sgx_key_t key, const char *in,
                                  size_t len, const sgx_norm_ctx_t *ctx, char *out, size_t cap,
                                  size_t *out_len, bool *prehashed)
{
    size_t b = 0, e = len;
    while (b < e && in[b] == ' ') {
        b++;
    }
    while (e > b && in[e - 1] == ' ') {
        e--;
    }
    const char *s = in + b;
    size_t n = e - b, hex = 0;
    if (n == 0) {
        return SGX_DROP_EMPTY;
    }
    while (n == 64 && hex < 64 && sgx_norm_is_hex((unsigned char)s[hex])) {
        hex++;
    }
    if (hex == 64 && sgx_key_hashed(dest, key)) {
        *prehashed = true;
        return sgx_norm_ascii_copy(s, n, true, out, cap, out_len);
    }
    switch (key) {
    case SGX_KEY_EMAIL: return sgx_norm_ascii_email(s, n, out, cap, out_len);
    case SGX_KEY_ST: return sgx_norm_ascii_state(s, n, ctx, out, cap, out_len);
    default: return sgx_norm_ascii_name(s, n, key == SGX_KEY_FI, out, cap, out_len);
    }
}

sgx_drop_t sgx_normalize(sgx_dest_kind_t dest, sgx_key_t key, const char *in, size_t len,
                         const sgx_norm_ctx_t *ctx, char *out, size_t cap, size_t *out_len,
                         bool *prehashed)
{
    sgx_norm_text_t t;
    bool ignored;
    prehashed = prehashed ? prehashed : &ignored;
    *prehashed = false;
    if (!sgx_key_accepted(dest, key)) {
        return SGX_DROP_UNSUPPORTED_KEY;
    }
    if (!out || !out_len || cap < 2 || len > SGX_NORM_IN_MAX) {
        return SGX_DROP_TOO_LONG;
    }
    if (!in || len == 0) {
        return SGX_DROP_EMPTY;
    }
    if (ascii_rule_exists(dest, key) && printable_ascii(in, len)) {
        return normalize_ascii(dest, key, in, len, ctx, out, cap, out_len, prehashed);
    }
    /* lowercase and NFC leave 64 hex digits as they are, so the pre-hashed check can follow */
    sgx_drop_t r = sgx_norm_prepare(in, len, prep_opts(dest, key), &t);
    if (r != SGX_DROP_NONE) {
        return r;
    }
    if (t.n == 0) {
        return SGX_DROP_EMPTY;
    }
    if (sgx_key_hashed(dest, key) && prehashed_value(&t)) {
        *prehashed = true;
        return sgx_norm_emit(t.cp, t.n, out, cap, out_len);
    }
    return run_rule(dest, key, &t, ctx, out, cap, out_len);
}
