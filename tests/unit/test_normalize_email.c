/* EMAIL for every destination: trim, lowercase, NFC, shape check, adversarial input, pre-hashed
 * pass-through, a SHA-256 known answer, and the no-allocation promise of the ASCII path. */
#include <malloc.h>
#include <stdlib.h>

#include "codecs/hash.h"
#include "tests/unit/norm_cases.h"

#define FB SGX_DEST_FACEBOOK
#define EM SGX_KEY_EMAIL
#define OK(in, out) {FB, EM, B(in), NULL, NULL, SGX_DROP_NONE, out, 0}
#define BAD(in, why) {FB, EM, B(in), NULL, NULL, why, NULL, 0}
#define INV(in) BAD(in, SGX_DROP_INVALID_EMAIL)
#define HEX64 "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
#define HEX64L "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static const norm_case_t basic[] = {
    OK("john.doe@example.com", "john.doe@example.com"),
    OK("John.Doe@Example.COM", "john.doe@example.com"),
    OK("JOHN.DOE@EXAMPLE.COM", "john.doe@example.com"),
    OK("  john@example.com  ", "john@example.com"),
    OK("\tjohn@example.com\r\n", "john@example.com"),
    OK("\vjohn@example.com\f", "john@example.com"),
    OK("a@b.co", "a@b.co"),
    OK("first.last+tag@gmail.com", "first.last+tag@gmail.com"), /* no Gmail rewriting */
    OK("j.o.h.n@googlemail.com", "j.o.h.n@googlemail.com"),
    OK("JohnDoe@GMAIL.com", "johndoe@gmail.com"),
    OK("o'brien@example.ie", "o'brien@example.ie"),
    OK("a&b@example.com", "a&b@example.com"),
    OK("user_name-1@sub.domain.example.co.uk", "user_name-1@sub.domain.example.co.uk"),
    OK("1234@example.com", "1234@example.com"),
    OK("x@123.example.com", "x@123.example.com"),
    OK("taro..yamada@docomo.ne.jp", "taro..yamada@docomo.ne.jp"), /* exists in the wild */
    OK("user@example.museum", "user@example.museum"),
    OK("user@example.xn--p1ai", "user@example.xn--p1ai"),
    OK("user@xn--bcher-kva.de", "user@xn--bcher-kva.de"),
    OK("USER@EXAMPLE.IO", "user@example.io"),
    OK("a.b.c.d.e.f@example.com", "a.b.c.d.e.f@example.com"),
    OK("{}|~!$%^*=?`@example.com", "{}|~!$%^*=?`@example.com"),
};

static const norm_case_t invalid[] = {
    INV("john"),
    INV("john@example"),
    INV("@example.com"),
    INV("john@"),
    INV("john@@example.com"),
    INV("john@doe@example.com"),
    INV("jo hn@example.com"),
    INV("john@exa mple.com"),
    INV("john @example.com"),
    INV("john@example.c"),
    INV("john@example.123"),
    INV("john@.example.com"),
    INV("john@example..com"),
    INV("john@example.com."),
    INV("john@-example.com"),
    INV("john@example-.com"),
    INV("john@exa_mple.com"),
    INV("\"john\"@example.com"),
    INV("John <john@example.com>"),
    INV("<john@example.com>"),
    INV("a,b@example.com"),
    INV("a;b@example.com"),
    INV("a:b@example.com"),
    INV("a(b)@example.com"),
    INV("a\\b@example.com"),
    INV("user@[192.168.0.1]"),
    INV("john@example.com,jane@example.com"),
    INV("john@example.com jane@example.com"),
    INV("mailto:john@example.com"),
    INV("n/a"),
    INV("null"),
    INV("-"),
    INV("john.example.com"),
    INV("john@localhost"),
    INV("john@example.c0m1"),
    INV(HEX64 "0"), /* 65 hex: not a hash */
    INV("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0"), /* 63 */
    INV("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g"), /* not hex */
    BAD("", SGX_DROP_EMPTY),
    BAD("   ", SGX_DROP_EMPTY),
    BAD("\t\r\n", SGX_DROP_EMPTY),
    BAD("\xe2\x80\x8b", SGX_DROP_EMPTY),             /* only a zero-width space */
    BAD("\xe2\x80\x8b \xef\xbb\xbf", SGX_DROP_EMPTY), /* ZWSP, space, BOM */
};

static const norm_case_t unicode[] = {
    OK("john@example.com\xe2\x80\x8b", "john@example.com"),           /* trailing ZWSP */
    OK("\xe2\x80\x8bjohn@exa\xe2\x80\x8dmple.com", "john@example.com"), /* ZWSP, ZWJ */
    OK("jo\xe2\x80\x8chn@example.com", "john@example.com"),           /* ZWNJ */
    OK("john\xe2\x81\xa0@example.com", "john@example.com"),           /* word joiner */
    OK("\xef\xbb\xbfjohn@example.com", "john@example.com"),           /* BOM */
    OK("\xe2\x80\xaejohn@example.com\xe2\x80\xac", "john@example.com"), /* RLO .. PDF */
    OK("\xe2\x80\x8ejohn@example.com\xe2\x80\x8f", "john@example.com"), /* LRM, RLM */
    OK("\xe2\x81\xa6john@example.com\xe2\x81\xa9", "john@example.com"), /* LRI .. PDI */
    OK("\xe2\x80\xaajohn@example.com\xe2\x80\xab", "john@example.com"), /* LRE, RLE */
    OK("jo\xc2\xadhn@example.com", "john@example.com"),               /* soft hyphen */
    OK("\xc2\xa0john@example.com\xc2\xa0", "john@example.com"),       /* NBSP */
    OK("\xe3\x80\x80john@example.com\xe3\x80\x80", "john@example.com"), /* ideographic */
    OK("\xc2\x85john@example.com\xc2\x85", "john@example.com"),       /* NEL */
    OK("\xe2\x80\xa8john@example.com\xe2\x80\xa9", "john@example.com"), /* LS, PS */
    OK("JOS\xc3\x89@example.com", "jos\xc3\xa9@example.com"),         /* É */
    OK("jose\xcc\x81@example.com", "jos\xc3\xa9@example.com"),        /* e + U+0301 == é */
    OK("JOSE\xcc\x81@EXAMPLE.COM", "jos\xc3\xa9@example.com"),
    OK("user@b\xc3\xbc" "cher.de", "user@b\xc3\xbc" "cher.de"),
    OK("user@BU\xcc\x88" "CHER.DE", "user@b\xc3\xbc" "cher.de"),     /* U + U+0308 */
    OK("Stra\xc3\x9f" "e@example.de", "stra\xc3\x9f" "e@example.de"), /* ß stays (no fold) */
    OK("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd@\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80."
       "\xd1\x80\xd1\x84",
       "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80."
       "\xd1\x80\xd1\x84"), /* Иван@пример.рф */
    OK("\xe7\x94\xb0\xe4\xb8\xad@example.jp", "\xe7\x94\xb0\xe4\xb8\xad@example.jp"), /* 田中 */
    /* full-width IME input: ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ */
    OK("\xef\xbd\x8a\xef\xbd\x8f\xef\xbd\x88\xef\xbd\x8e\xef\xbc\xa0\xef\xbd\x85\xef\xbd\x98"
       "\xef\xbd\x81\xef\xbd\x8d\xef\xbd\x90\xef\xbd\x8c\xef\xbd\x85\xef\xbc\x8e\xef\xbd\x83"
       "\xef\xbd\x8f\xef\xbd\x8d",
       "john@example.com"),
    OK("\xef\xbc\xaa" "ohn@example.com", "john@example.com"), /* Ｊ */
    INV("jo\xe3\x80\x80hn@example.com"), /* ideographic space inside */
    INV("john@ex\xe2\x98\x83mple.com"),  /* snowman in a domain label */
    INV("john@example.\xd1\x80"),        /* one-letter TLD */
};

static const norm_case_t hostile[] = {
    BAD("john\0@example.com", SGX_DROP_CONTROL_CHAR),
    BAD("john@example.com\0", SGX_DROP_CONTROL_CHAR),
    BAD("\0john@example.com", SGX_DROP_CONTROL_CHAR),
    BAD("\0", SGX_DROP_CONTROL_CHAR),
    BAD("jo\x01hn@example.com", SGX_DROP_CONTROL_CHAR),
    BAD("john@example.com\x1b[0m", SGX_DROP_CONTROL_CHAR),
    BAD("jo\x7fhn@example.com", SGX_DROP_CONTROL_CHAR),
    BAD("jo\xc2\x80hn@example.com", SGX_DROP_CONTROL_CHAR), /* C1 */
    BAD("jo\xc2\x9fhn@example.com", SGX_DROP_CONTROL_CHAR),
    BAD("\xc0\xaf@example.com", SGX_DROP_INVALID_UTF8),          /* overlong '/' */
    BAD("\xc1\xbf@example.com", SGX_DROP_INVALID_UTF8),          /* overlong */
    BAD("\xe0\x80\xaf@example.com", SGX_DROP_INVALID_UTF8),      /* 3-byte overlong */
    BAD("\xf0\x80\x80\xaf@example.com", SGX_DROP_INVALID_UTF8),  /* 4-byte overlong */
    BAD("\xed\xa0\x80@example.com", SGX_DROP_INVALID_UTF8),      /* surrogate D800 */
    BAD("\xed\xbf\xbf@example.com", SGX_DROP_INVALID_UTF8),      /* surrogate DFFF */
    BAD("\xf4\x90\x80\x80@example.com", SGX_DROP_INVALID_UTF8),  /* > U+10FFFF */
    BAD("\xf5\x80\x80\x80@example.com", SGX_DROP_INVALID_UTF8),
    BAD("john@example.com\xe2\x82", SGX_DROP_INVALID_UTF8),      /* truncated */
    BAD("john@example.com\xc3", SGX_DROP_INVALID_UTF8),
    BAD("\x80john@example.com", SGX_DROP_INVALID_UTF8),          /* stray continuation */
    BAD("jo\xc3\x28hn@example.com", SGX_DROP_INVALID_UTF8),      /* bad continuation */
    BAD("\xff\xfe@example.com", SGX_DROP_INVALID_UTF8),
    BAD("\xfe@example.com", SGX_DROP_INVALID_UTF8),
    BAD("\xe2\x28\xa1@example.com", SGX_DROP_INVALID_UTF8),
    BAD("\xf0\x9f\x98@example.com", SGX_DROP_INVALID_UTF8),      /* truncated emoji */
};

static const norm_case_t prehashed[] = {
    {FB, EM, B(HEX64), NULL, NULL, SGX_DROP_NONE, HEX64L, 1},
    {FB, EM, B(HEX64L), NULL, NULL, SGX_DROP_NONE, HEX64L, 1},
    {FB, EM, B("  " HEX64 "\n"), NULL, NULL, SGX_DROP_NONE, HEX64L, 1},
    {FB, EM, B("\xe2\x80\x8b" HEX64L), NULL, NULL, SGX_DROP_NONE, HEX64L, 1},
    {SGX_DEST_MICROSOFT_ADS, EM, B(HEX64), NULL, NULL, SGX_DROP_NONE, HEX64L, 1},
    {SGX_DEST_CRITEO, EM, B(HEX64), NULL, NULL, SGX_DROP_NONE, HEX64L, 1},
    /* Dotdigital sends plain text: a hash there is not an e-mail address */
    {SGX_DEST_DOTDIGITAL, EM, B(HEX64), NULL, NULL, SGX_DROP_INVALID_EMAIL, NULL, 0},
};

static const norm_case_t destinations[] = {
    {SGX_DEST_MICROSOFT_ADS, EM, B(" John@Example.com "), NULL, NULL, 0, "john@example.com", 0},
    {SGX_DEST_CRITEO, EM, B(" John@Example.com "), NULL, NULL, 0, "john@example.com", 0},
    {SGX_DEST_DOTDIGITAL, EM, B(" John@Example.com "), NULL, NULL, 0, "john@example.com", 0},
    {SGX_DEST_MICROSOFT_ADS, EM, B("john@example"), NULL, NULL, SGX_DROP_INVALID_EMAIL, NULL, 0},
    {SGX_DEST_CRITEO, EM, B("john"), NULL, NULL, SGX_DROP_INVALID_EMAIL, NULL, 0},
    {SGX_DEST_DOTDIGITAL, EM, B("john@"), NULL, NULL, SGX_DROP_INVALID_EMAIL, NULL, 0},
    {SGX_DEST_DOTDIGITAL, EM, B(""), NULL, NULL, SGX_DROP_EMPTY, NULL, 0},
    {SGX_DEST_MICROSOFT_ADS, SGX_KEY_PHONE, B("+14155552671"), NULL, NULL,
     SGX_DROP_UNSUPPORTED_KEY, NULL, 0},
    {SGX_DEST_MICROSOFT_ADS, SGX_KEY_FN, B("John"), NULL, NULL, SGX_DROP_UNSUPPORTED_KEY, NULL,
     0},
    {SGX_DEST_CRITEO, SGX_KEY_MADID, B("x"), NULL, NULL, SGX_DROP_UNSUPPORTED_KEY, NULL, 0},
    {SGX_DEST_DOTDIGITAL, SGX_KEY_PHONE, B("1"), NULL, NULL, SGX_DROP_UNSUPPORTED_KEY, NULL, 0},
    {FB, SGX_KEY_FULLNAME, B("John Doe"), NULL, NULL, SGX_DROP_UNSUPPORTED_KEY, NULL, 0},
    {FB, (sgx_key_t)99, B("x"), NULL, NULL, SGX_DROP_UNSUPPORTED_KEY, NULL, 0},
    {(sgx_dest_kind_t)9, EM, B("x@y.zz"), NULL, NULL, SGX_DROP_UNSUPPORTED_KEY, NULL, 0},
};

static void test_basic(void **state)
{
    (void)state;
    RUN_TABLE(basic);
}

static void test_invalid(void **state)
{
    (void)state;
    RUN_TABLE(invalid);
}

static void test_unicode(void **state)
{
    (void)state;
    RUN_TABLE(unicode);
}

static void test_hostile(void **state)
{
    (void)state;
    RUN_TABLE(hostile);
}

static void test_prehashed(void **state)
{
    (void)state;
    RUN_TABLE(prehashed);
}

static void test_destinations(void **state)
{
    (void)state;
    RUN_TABLE(destinations);
}

static sgx_drop_t norm(const char *in, size_t len, char *out, size_t cap)
{
    size_t n;
    bool pre;
    return sgx_normalize(FB, EM, in, len, NULL, out, cap, &n, &pre);
}

/* 254 characters is the longest path; 1024 input bytes the longest value we look at. */
static void test_lengths(void **state)
{
    (void)state;
    char in[2048], out[SGX_NORM_MAX + 1];
    memset(in, 'a', sizeof in);
    memcpy(in + 242, "@example.com", 12); /* 254 chars */
    assert_int_equal(norm(in, 254, out, sizeof out), SGX_DROP_NONE);
    assert_int_equal(strlen(out), 254);
    memcpy(in + 243, "@example.com", 12); /* 255 chars */
    assert_int_equal(norm(in, 255, out, sizeof out), SGX_DROP_INVALID_EMAIL);
    memset(in, ' ', 1000);
    memcpy(in + 1000, "a@example.com", 13); /* 1013 bytes, mostly padding */
    assert_int_equal(norm(in, 1013, out, sizeof out), SGX_DROP_NONE);
    assert_string_equal(out, "a@example.com");
    assert_int_equal(norm(in, 1025, out, sizeof out), SGX_DROP_TOO_LONG);
    assert_int_equal(norm(in, sizeof in, out, sizeof out), SGX_DROP_TOO_LONG);
    /* a caller buffer smaller than the result: TOO_LONG-style refusal, never an overflow */
    assert_int_equal(norm(B("john@example.com"), out, 8), SGX_DROP_TOO_LONG);
    assert_int_equal(norm(B("john@example.com"), out, 1), SGX_DROP_TOO_LONG);
    assert_int_equal(norm(NULL, 0, out, sizeof out), SGX_DROP_EMPTY);
}

/* Idempotence: normalizing an output again yields it unchanged. */
static void test_idempotent(void **state)
{
    (void)state;
    const norm_case_t *tabs[] = {basic, unicode};
    size_t counts[] = {sizeof basic / sizeof basic[0], sizeof unicode / sizeof unicode[0]};
    for (size_t t = 0; t < 2; t++) {
        for (size_t i = 0; i < counts[t]; i++) {
            char again[SGX_NORM_MAX + 1];
            const char *o = tabs[t][i].out;
            if (tabs[t][i].want != SGX_DROP_NONE) {
                continue;
            }
            assert_int_equal(norm(o, strlen(o), again, sizeof again), SGX_DROP_NONE);
            assert_string_equal(again, o);
        }
    }
}

/* Known answer: SHA-256 of the normalized address, as Meta and Microsoft expect it. */
static void test_sha256_known_answer(void **state)
{
    (void)state;
    char out[SGX_NORM_MAX + 1], hex[2 * SGX_SHA256_LEN + 1];
    unsigned char md[SGX_SHA256_LEN];
    size_t n;
    bool pre;
    sgx_hasher_t *h = NULL;
    assert_int_equal(sgx_hasher_new(&h), SGX_OK);
    assert_int_equal(sgx_normalize(FB, EM, B("  John.Doe@Example.COM\n"), NULL, out, sizeof out,
                                   &n, &pre),
                     SGX_DROP_NONE);
    assert_false(pre);
    assert_int_equal(sgx_hasher_sha256(h, out, n, md), SGX_OK);
    sgx_hex_lower(md, sizeof md, hex);
    assert_string_equal(hex, "836f82db99121b3481011f16b49dfa5fbc714a0d1b1b9f784a1ebbbf5b39577f");
    sgx_hasher_destroy(h);
}

/* The SHA-NI path (when the CPU has it) and the EVP path agree for every length that crosses a
 * block or padding boundary, one at a time and two at a time (sgx_hasher_sha256_many). */
static void test_sha256_paths_agree(void **state)
{
    (void)state;
    static unsigned char buf[300];
    unsigned char fast[SGX_SHA256_LEN], slow[SGX_SHA256_LEN], many[3][SGX_SHA256_LEN];
    sgx_hasher_t *h = NULL;
    assert_int_equal(sgx_hasher_new(&h), SGX_OK);
    for (size_t i = 0; i < sizeof buf; i++) {
        buf[i] = (unsigned char)(i * 131 + 7);
    }
    for (size_t len = 1; len < 200; len++) {
        bool accel = sgx_hasher_accel(h, true);
        assert_int_equal(sgx_hasher_sha256(h, buf, len, fast), SGX_OK);
        for (size_t len2 = 1; len2 < 140; len2 += 3) {
            const void *data[3] = {buf + 1, buf, buf + 2};
            size_t lens[3] = {len2, len, 5};
            assert_int_equal(sgx_hasher_sha256_many(h, 3, data, lens, many), SGX_OK);
            assert_memory_equal(many[1], fast, SGX_SHA256_LEN);
            assert_int_equal(sgx_hasher_sha256(h, buf + 1, len2, slow), SGX_OK);
            assert_memory_equal(many[0], slow, SGX_SHA256_LEN);
        }
        assert_false(sgx_hasher_accel(h, false));
        assert_int_equal(sgx_hasher_sha256(h, buf, len, slow), SGX_OK);
        assert_memory_equal(fast, slow, SGX_SHA256_LEN);
        (void)accel;
    }
    const void *empty[2] = {buf, buf};
    size_t lens[2] = {3, 0};
    assert_int_equal(sgx_hasher_sha256_many(h, 2, empty, lens, many), SGX_ERR_INVALID);
    sgx_hasher_destroy(h);
}

/* The ASCII path must not allocate: glibc's arena statistics stay put across many calls.
 * (Sanitizers replace malloc and mallinfo2, so the check only runs in normal builds.) */
static void test_ascii_path_does_not_allocate(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    skip();
#else
    char out[SGX_NORM_MAX + 1];
    assert_int_equal(norm(B("Warm.Up@Example.com"), out, sizeof out), SGX_DROP_NONE);
    struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < 10000; i++) {
        assert_int_equal(norm(B("  John.Doe+x@Example.COM "), out, sizeof out), SGX_DROP_NONE);
        assert_int_equal(norm(B("bad@"), out, sizeof out), SGX_DROP_INVALID_EMAIL);
    }
    struct mallinfo2 after = mallinfo2();
    assert_int_equal(before.uordblks, after.uordblks);
    assert_int_equal(before.hblks, after.hblks);
#endif
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(sgx_key_name(SGX_KEY_EMAIL), "EMAIL");
    assert_int_equal(sgx_key_parse("EMAIL"), SGX_KEY_EMAIL);
    assert_int_equal(sgx_key_parse("email"), SGX_KEY_EMAIL);
    assert_int_equal(sgx_key_parse("EXTERN_ID"), SGX_KEY_EXTERN_ID);
    assert_int_equal(sgx_key_parse("FIRSTNAME"), SGX_KEY_FN);
    assert_int_equal(sgx_key_parse("POSTCODE"), SGX_KEY_ZIP);
    assert_int_equal(sgx_key_parse("NOPE"), -1);
    assert_int_equal(sgx_key_parse(NULL), -1);
    assert_string_equal(sgx_drop_str(SGX_DROP_INVALID_EMAIL), "invalid_email");
    assert_string_equal(sgx_drop_str(SGX_DROP_CONTROL_CHAR), "control_char");
    assert_string_equal(sgx_drop_str(SGX_DROP__COUNT), "unknown");
    assert_int_equal(sgx_dest_kind_parse("microsoft_ads"), SGX_DEST_MICROSOFT_ADS);
    assert_int_equal(sgx_dest_kind_parse("facebook"), SGX_DEST_FACEBOOK);
    assert_int_equal(sgx_dest_kind_parse("myspace"), -1);
    assert_string_equal(sgx_dest_kind_name(SGX_DEST_DOTDIGITAL), "dotdigital");
    assert_true(sgx_key_hashed(SGX_DEST_CRITEO, EM));
    assert_true(sgx_key_hashed(SGX_DEST_MICROSOFT_ADS, EM));
    assert_false(sgx_key_hashed(SGX_DEST_DOTDIGITAL, EM));
    assert_false(sgx_key_hashed(FB, SGX_KEY_MADID));
    assert_false(sgx_key_hashed(FB, SGX_KEY_EXTERN_ID));
    assert_true(sgx_key_hashed(FB, SGX_KEY_COUNTRY));
    assert_true(sgx_key_accepted(SGX_DEST_DOTDIGITAL, SGX_KEY_FULLNAME));
    assert_false(sgx_key_accepted(FB, SGX_KEY_FULLNAME));
    assert_false(sgx_key_accepted(SGX_DEST_CRITEO, SGX_KEY_PHONE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_prehashed),
        cmocka_unit_test(test_destinations),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_sha256_known_answer),
        cmocka_unit_test(test_sha256_paths_agree),
        cmocka_unit_test(test_ascii_path_does_not_allocate),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
