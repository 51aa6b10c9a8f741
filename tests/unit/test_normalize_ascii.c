/* The byte-level ASCII paths (codecs/norm_ascii.c) and the Latin shortcut of the fold
 * (norm_unicode.c) against the general code-point path. A zero-width space (U+200B, removed by
 * every rule that takes the ASCII path) inserted anywhere in a value sends the same value down
 * the general path, so both can be compared through the public API on random input. */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <utf8proc.h>

#include "tests/unit/norm_cases.h"

#define ZWSP "\xe2\x80\x8b"
#define ROUNDS 40000

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32) % n;
}

/* Letters of both cases, digits, the characters the e-mail and name rules look at, and spaces. */
static const char alphabet[] = "abcxnzABCXNZ019 @@..--+'_\"(),:;<>[]\\!#$%&*/=?^`{|}~";
static const char *const words[] = {
    "New York", "newyork", "NY", "ny", "California", "TEXAS", "District of Columbia", "xn--",
    "Example", "COM", "co", "uk", "XN--P1AI", "a", "1", "-",
};

static size_t random_value(char *buf, size_t cap)
{
    size_t n = 0, len = rnd(8) == 0 ? rnd(700) : rnd(40);
    int shape = (int)rnd(4);
    if (shape == 0) { /* 64 hex digits, padded: the pre-hashed pass-through */
        n = (size_t)snprintf(buf, cap, "%s", rnd(2) ? " " : "");
        for (int i = 0; i < 64; i++) {
            buf[n++] = "0123456789abcdefABCDEF"[rnd(rnd(5) == 0 ? 23 : 22)];
        }
        buf[n] = '\0';
        return n + (size_t)snprintf(buf + n, cap - n, "%s", rnd(2) ? "  " : "");
    }
    while (n < len && n + 32 < cap) {
        if (shape == 1 && rnd(3) == 0) {
            n += (size_t)snprintf(buf + n, cap - n, "%s", words[rnd(sizeof words / sizeof *words)]);
        } else {
            buf[n++] = alphabet[rnd(sizeof alphabet - 1)];
        }
    }
    if (shape == 2) { /* mostly well-formed addresses: local@label.label */
        char local[16];
        snprintf(local, sizeof local, "%.*s", (int)(n % 12), buf);
        n = (size_t)snprintf(buf, cap, "%s%s@%s.%s%s", rnd(2) ? " " : "", local,
                             words[rnd(16)], words[rnd(16)], rnd(2) ? " " : "");
    }
    return n;
}

static void compare(sgx_dest_kind_t dest, sgx_key_t key, const char *in, size_t len,
                    const sgx_norm_ctx_t *ctx, size_t cap)
{
    char general[1100], out_a[SGX_NORM_MAX + 1], out_g[SGX_NORM_MAX + 1];
    size_t at = len ? rnd((uint32_t)len + 1) : 0, n_a = 0, n_g = 0;
    bool pre_a = false, pre_g = false;
    memcpy(general, in, at);
    memcpy(general + at, ZWSP, 3);
    memcpy(general + at + 3, in + at, len - at);
    sgx_drop_t r_a = sgx_normalize(dest, key, in, len, ctx, out_a, cap, &n_a, &pre_a);
    sgx_drop_t r_g = sgx_normalize(dest, key, general, len + 3, ctx, out_g, cap, &n_g, &pre_g);
    if (r_a != r_g || (r_a == SGX_DROP_NONE && (n_a != n_g || memcmp(out_a, out_g, n_a) != 0 ||
                                                 out_a[n_a] != '\0' || pre_a != pre_g))) {
        fail_msg("%s/%s cap %zu \"%.*s\": ascii %s \"%s\", general %s \"%s\"",
                 sgx_dest_kind_name(dest), sgx_key_name(key), cap, (int)len, in,
                 sgx_drop_str(r_a), r_a == SGX_DROP_NONE ? out_a : "", sgx_drop_str(r_g),
                 r_g == SGX_DROP_NONE ? out_g : "");
    }
}

static void test_ascii_matches_general(void **state)
{
    static const sgx_key_t fb_keys[] = {SGX_KEY_EMAIL, SGX_KEY_FN, SGX_KEY_LN,
                                        SGX_KEY_FI,    SGX_KEY_CT, SGX_KEY_ST};
    static const sgx_norm_ctx_t ctxs[] = {
        {NULL, 0, NULL}, {"us", 2, NULL}, {"FR", 2, "us"}, {"zz", 2, NULL}, {NULL, 0, "gb"},
    };
    static const size_t caps[] = {SGX_NORM_MAX + 1, 2, 3, 8, 30, 64, 65};
    (void)state;
    for (int i = 0; i < ROUNDS; i++) {
        char in[800];
        size_t len = random_value(in, sizeof in);
        const sgx_norm_ctx_t *ctx = &ctxs[rnd(5)];
        size_t cap = rnd(4) == 0 ? caps[rnd(7)] : SGX_NORM_MAX + 1;
        for (size_t k = 0; k < sizeof fb_keys / sizeof *fb_keys; k++) {
            compare(SGX_DEST_FACEBOOK, fb_keys[k], in, len, ctx, cap);
        }
        for (int d = SGX_DEST_MICROSOFT_ADS; d < SGX_DEST__COUNT; d++) {
            compare((sgx_dest_kind_t)d, SGX_KEY_EMAIL, in, len, ctx, cap);
        }
    }
}

/* Hand-picked edges of the byte-level rules. */
static void test_ascii_edges(void **state)
{
    static const char *const values[] = {
        "", " ", "   ", "@", "a@b", "a@b.c", "a@b.co", "a@b.c0", "a@-b.com", "a@b-.com",
        "a@b..com", "a@.b.com", "a@b.com.", "@b.com", "a@@b.com", "a@b@c.com", "a b@c.com",
        "a@b.xn--p1ai", "a@b.XN--P1AI", "a@b.xn--", "A@B.CO", "\"a\"@b.com", "a(b)@c.com",
        "a@b.c-m", "a@1.23", "O'Brien", "  MARY-JANE ", "St. Louis", "Paris 15", "123", "...",
        "NEW YORK", "new  york", "N Y", "Wyoming", "wy", "Puerto Rico", "Armed Forces Europe",
        "Ile-de-France", "x", "X", "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
        " 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0 ",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g",
    };
    static const sgx_norm_ctx_t ctxs[] = {{NULL, 0, NULL}, {"us", 2, NULL}, {"de", 2, NULL}};
    static const sgx_key_t keys[] = {SGX_KEY_EMAIL, SGX_KEY_FN, SGX_KEY_LN,
                                     SGX_KEY_FI,    SGX_KEY_CT, SGX_KEY_ST};
    (void)state;
    for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
        for (size_t c = 0; c < 3; c++) {
            for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
                for (size_t cap = 2; cap < 70; cap += 67) {
                    compare(SGX_DEST_FACEBOOK, keys[k], values[v], strlen(values[v]), &ctxs[c],
                            cap);
                }
            }
        }
    }
    char longest[1024];
    for (size_t n = 250; n <= 1024; n += n < 260 ? 1 : 127) { /* EMAIL_MAX, SGX_NORM_MAX */
        memset(longest, 'a', sizeof longest);
        memcpy(longest + n - 6, "@b.com", 6);
        for (size_t k = 0; k < sizeof keys / sizeof *keys && n <= 1021; k++) {
            compare(SGX_DEST_FACEBOOK, keys[k], longest, n, &ctxs[0], SGX_NORM_MAX + 1);
        }
    }
}

/* What fold_latin relies on: below U+0300 every character is a starter (combining class 0)
 * that NFC keeps, and no two of them compose. Checked on every character and every pair. */
static bool nfc_unchanged(const int32_t *cp, size_t n)
{
    uint8_t in[16];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        len += (size_t)utf8proc_encode_char(cp[i], in + len);
    }
    in[len] = 0;
    uint8_t *out = utf8proc_NFC(in);
    bool same = out && strcmp((const char *)out, (const char *)in) == 0;
    free(out);
    return same;
}

static bool latin(int32_t c)
{
    return (c >= 0x20 && c < 0x7F) || (c >= 0xA0 && c < 0x300);
}

static void test_latin_block_is_nfc(void **state)
{
    (void)state;
    for (int32_t a = 0x20; a < 0x300; a++) {
        if (!latin(a)) {
            continue;
        }
        assert_int_equal(utf8proc_get_property(a)->combining_class, 0);
        assert_true(nfc_unchanged(&a, 1));
        for (int32_t b = 0x20; b < 0x300; b++) {
            int32_t pair[2] = {a, b};
            if (latin(b) && !nfc_unchanged(pair, 2)) {
                fail_msg("U+%04X U+%04X composes", (unsigned)a, (unsigned)b);
            }
        }
    }
}

/* Random Latin (and now and then other) text through FN, against utf8proc's own lowercase +
 * NFC with the name rule applied afterwards, and through Dotdigital's FN (NFC only). No NBSP
 * or soft hyphen: white space and format characters are not what this compares. */
static void test_latin_fold_matches_utf8proc(void **state)
{
    static const int32_t extra[] = {0x0301, 0x0308, 0x023A, 0x023E, 0x0130, 0x1E9E, 0x0399,
                                    0x0345, 0x212B, 0x00C5, 0x0041};
    (void)state;
    for (int i = 0; i < ROUNDS / 4; i++) {
        int32_t cp[24];
        size_t n = 1 + rnd(20), len = 0, lo = 0;
        uint8_t in[128], low[128];
        for (size_t k = 0; k < n; k++) {
            do {
                cp[k] = rnd(6) == 0 ? extra[rnd(sizeof extra / sizeof *extra)]
                                    : (int32_t)(0x41 + rnd(0x300 - 0x41));
            } while ((!latin(cp[k]) && cp[k] < 0x300) || cp[k] == 0xA0 || cp[k] == 0xAD);
            len += (size_t)utf8proc_encode_char(cp[k], in + len);
            lo += (size_t)utf8proc_encode_char(utf8proc_tolower(cp[k]), low + lo);
        }
        in[len] = 0;
        low[lo] = 0;
        char out[SGX_NORM_MAX + 1], want[256];
        size_t out_len = 0, w = 0;
        /* Meta FN: simple lowercase, NFC, then letters and marks only */
        uint8_t *nfc = utf8proc_NFC(low);
        assert_non_null(nfc);
        for (utf8proc_ssize_t k = 0, step; nfc[k]; k += step) {
            int32_t c;
            step = utf8proc_iterate(nfc + k, -1, &c);
            utf8proc_category_t cat = utf8proc_category(c);
            if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME)) {
                memcpy(want + w, nfc + k, (size_t)step);
                w += (size_t)step;
            }
        }
        free(nfc);
        want[w] = '\0';
        sgx_drop_t r = sgx_normalize(SGX_DEST_FACEBOOK, SGX_KEY_FN, (const char *)in, len, NULL,
                                     out, sizeof out, &out_len, NULL);
        if (w == 0) {
            assert_int_equal(r, SGX_DROP_EMPTY);
        } else {
            assert_int_equal(r, SGX_DROP_NONE);
            assert_string_equal(out, want);
        }
        /* Dotdigital FN: NFC of the value, case kept (no spaces in it, so nothing to trim) */
        nfc = utf8proc_NFC(in);
        assert_non_null(nfc);
        assert_int_equal(sgx_normalize(SGX_DEST_DOTDIGITAL, SGX_KEY_FN, (const char *)in, len,
                                       NULL, out, sizeof out, &out_len, NULL),
                         SGX_DROP_NONE);
        assert_string_equal(out, (const char *)nfc);
        free(nfc);
    }
}

/* The byte-level paths do not allocate (glibc's arena statistics stay put). */
static void test_ascii_paths_do_not_allocate(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    skip();
#else
    static const struct {
        sgx_key_t key;
        const char *in;
    } vals[] = {{SGX_KEY_EMAIL, " John.Doe@Example.COM "}, {SGX_KEY_FN, "  MARY-JANE "},
                {SGX_KEY_LN, "O'Brien"},                   {SGX_KEY_FI, "john"},
                {SGX_KEY_CT, "St. Louis"},                 {SGX_KEY_ST, "New York"},
                {SGX_KEY_ST, "Bavaria"}};
    sgx_norm_ctx_t ctx = {"us", 2, NULL};
    char out[SGX_NORM_MAX + 1];
    size_t n;
    struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < 10000; i++) {
        for (size_t k = 0; k < sizeof vals / sizeof *vals; k++) {
            assert_int_equal(sgx_normalize(SGX_DEST_FACEBOOK, vals[k].key, vals[k].in,
                                           strlen(vals[k].in), &ctx, out, sizeof out, &n, NULL),
                             SGX_DROP_NONE);
        }
    }
    struct mallinfo2 after = mallinfo2();
    assert_int_equal(before.uordblks, after.uordblks);
    assert_int_equal(before.hblks, after.hblks);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_matches_general),
        cmocka_unit_test(test_ascii_edges),
        cmocka_unit_test(test_latin_block_is_nfc),
        cmocka_unit_test(test_latin_fold_matches_utf8proc),
        cmocka_unit_test(test_ascii_paths_do_not_allocate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
