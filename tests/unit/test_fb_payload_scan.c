/* The Meta emulator's fast payload reader (facebook_payload_scan.c) must not change what the
 * emulator accepts or answers: for every payload below, sgx_emu_fb_payload_parse (fast reader,
 * jansson when it declines) and sgx_emu_fb_payload_parse_tree (always jansson, the reader the
 * emulator used before) give the same verdict, message, counts, members and samples. The fast
 * reader is also checked to take the documented shapes and to decline the unusual ones, so the
 * comparison exercises both branches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "emulators/facebook_payload.h"
#include "emulators/facebook_payload_scan.h"

#define H1 "0f1e2d3c4b5a69780f1e2d3c4b5a69780f1e2d3c4b5a69780f1e2d3c4b5a6978"
#define H2 "a1b2c3d4e5f60718a1b2c3d4e5f60718a1b2c3d4e5f60718a1b2c3d4e5f60718"
#define UP "A1B2C3D4E5F60718A1B2C3D4E5F60718A1B2C3D4E5F60718A1B2C3D4E5F60718"

typedef struct {
    const char *text;
    bool fast; /* the fast reader takes it (else jansson does) */
} fb_case_t;

static const fb_case_t cases[] = {
    {"{\"schema\":[\"EMAIL\",\"PHONE\"],\"is_raw\":true,\"data\":[[\"" H1 "\",\"" H2 "\"],"
     "[\"" UP "\",\"" H2 "\"],[\"\",\"" H1 "\"],[\"\",\"\"],[\"" H2 "\",\"abc\"]]}", true},
    {" {\n \"data\" : [ [ \"" H1 "\" , \"" H2 "\" ] ] ,\t\"schema\" : [ \"PHONE\" , \"EMAIL\" ]"
     " }\r\n", true},
    {"{\"schema\":\"EMAIL_SHA256\",\"data\":[\"" H1 "\",\"" UP "\",\"\"]}", true},
    {"{\"schema\":[\"EXTERN_ID\",\"EMAIL\"],\"data\":[[\"x-1\",\"\"],[\"\",\"\"]]}", true},
    {"{\"schema\":[\"EMAIL\"],\"data\":[\"" H1 "\"]}", true},
    {"{\"schema\":\"EMAIL_SHA256\",\"data\":[[\"" H1 "\"]]}", true},
    {"{\"schema\":[\"EMAIL\",\"PHONE\"],\"data\":[[\"" H1 "\"]]}", true},
    {"{\"schema\":[\"EMAIL\",\"EMAIL\"],\"data\":[[\"" H1 "\",\"" H2 "\"]]}", true},
    {"{\"schema\":[\"EMAIL\",\"NOPE\"],\"data\":[[\"" H1 "\",\"" H2 "\"]]}", true},
    {"{\"schema\":\"NOPE\",\"data\":[\"" H1 "\"]}", true},
    {"{\"schema\":[\"EMAIL\"],\"data\":[]}", true},
    {"{\"schema\":[\"EMAIL\"],\"is_raw\":false,\"data\":[[\"" H1 "\"],[\"" H2 "\"],[\"" H1
     "\"]]}", true},
    {"{\"schema\":[\"EMAIL\"],\"is_raw\":\"yes\",\"data\":[[\"" H1 "\"]]}", false},
    {"{\"schema\":[],\"data\":[[\"" H1 "\"]]}", false},
    {"{\"schema\":[\"EMAIL\"],\"data\":[[\"" H1 "\"],\"" H2 "\"]}", false},
    {"{\"schema\":[\"EMAIL\"],\"data\":[\"" H2 "\",[\"" H1 "\"]]}", false},
    {"{\"schema\":[\"EMAIL\",\"PHONE\"],\"data\":[[\"" H1 "\",\"" H2 "\"],[\"" H1 "\"]]}", false},
    {"{\"schema\":[\"EMAIL\"],\"data\":[[5]]}", false},
    {"{\"schema\":[\"EMAIL\"],\"data\":[[]]}", false},
    {"{\"schema\":[\"EMAIL\"],\"data\":[[\"\\u0030" H1 "\"]]}", false},
    {"{\"schema\":[\"EXTERN_ID\"],\"data\":[[\"caf\xc3\xa9\"]]}", false},
    {"{\"schema\":[\"EXTERN_ID\"],\"data\":[[\"caf\xe9\"]]}", false},
    {"{\"schema\":[\"EMAIL\"],\"schema\":\"EMAIL_SHA256\",\"data\":[\"" H1 "\"]}", false},
    {"{\"schema\":[\"EMAIL\"],\"data\":[[\"" H1 "\"]],\"data\":[]}", false},
    {"{\"schema\":[\"EMAIL\"],\"data\":[[\"" H1 "\"]],\"extra\":1}", false},
    {"{\"schema\":[\"EMAIL\"],\"data\":[[\"" H1 "\"]]}x", false},
    {"{\"schema\":[\"EMAIL\"],\"data\":[[\"" H1 "\"]]", false},
    {"{\"schema\":[\"EMAIL\"]}", false},
    {"{\"data\":[[\"" H1 "\"]]}", false},
    {"[\"schema\",\"data\"]", false},
    {"{\"schema\":[\"EMAIL\"],\"data\":{}}", false},
    {"{\"schema\":[\"EMAIL\"],\"data\":[[\"" H1 "\",]]}", false},
    {"", false},
};

static void assert_same(const char *text, size_t len, size_t max_rows)
{
    sgx_emu_fb_batch_t a, b;
    char ma[256] = "", mb[256] = "";
    sgx_err_t ea = sgx_emu_fb_payload_parse(text, len, max_rows, &a, ma, sizeof ma);
    sgx_err_t eb = sgx_emu_fb_payload_parse_tree(text, len, max_rows, &b, mb, sizeof mb);
    assert_int_equal(ea, eb);
    if (ea != SGX_OK) {
        assert_string_equal(ma, mb);
    } else {
        assert_int_equal(a.num_received, b.num_received);
        assert_int_equal(a.num_invalid, b.num_invalid);
        assert_int_equal(a.n_members, b.n_members);
        assert_int_equal(a.members.len, b.members.len);
        assert_memory_equal(a.members.data ? a.members.data : "", b.members.data ? b.members.data
                            : "", a.members.len);
        assert_true(json_equal(a.samples, b.samples));
    }
    sgx_emu_fb_batch_free(&a);
    sgx_emu_fb_batch_free(&b);
}

static void test_same_as_jansson(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].text);
        sgx_emu_fb_flat_t f;
        bool fast = sgx_emu_fb_flat_scan(cases[i].text, len, &f);
        sgx_emu_fb_flat_free(&f);
        if (fast != cases[i].fast) {
            fail_msg("case %zu: fast reader %s it", i, fast ? "took" : "declined");
        }
        assert_same(cases[i].text, len, 10000);
        assert_same(cases[i].text, len, 2); /* the row cap, before and after the rows */
    }
}

/* An embedded NUL (len covers it) and every prefix of a valid payload: jansson rejects all of
 * them but the whole text, and so must the emulator. */
static void test_prefixes_and_nul(void **state)
{
    (void)state;
    const char *ok = cases[0].text;
    for (size_t n = 0; n <= strlen(ok); n++) {
        assert_same(ok, n, 10000);
    }
    static const char nul[] = "{\"schema\":[\"EMAIL\"],\"data\":[[\"a\0b\"]]}";
    assert_same(nul, sizeof nul - 1, 10000);
}

/* More than ten invalid rows: both keep the first ten samples. */
static void test_many_invalid(void **state)
{
    (void)state;
    char text[4096] = "{\"schema\":\"EMAIL_SHA256\",\"data\":[";
    for (int i = 0; i < 14; i++) {
        strcat(text, i ? ",\"" UP "\"" : "\"" UP "\"");
    }
    strcat(text, ",\"" H1 "\"]}");
    assert_same(text, strlen(text), 10000);
}

/* Payloads mutated a few bytes at a time with JSON's structural bytes and others: whatever the
 * fast reader takes or declines, the outcome equals jansson's. Deterministic (fixed seed). */
static void test_mutations(void **state)
{
    (void)state;
    static const char alphabet[] = "\"[]{},: \\a0eE-\t\x7f\xc3\x01";
    char text[1024];
    uint32_t x = 2463534242u;
    for (int it = 0; it < 20000; it++) {
        const char *src = cases[(size_t)it % 12].text; /* the ones the fast reader takes */
        size_t len = strlen(src);
        memcpy(text, src, len);
        for (int m = 0; m < 1 + it % 3; m++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            text[x % len] = alphabet[(x >> 16) % (sizeof alphabet - 1)];
        }
        assert_same(text, len, 10000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_jansson),
        cmocka_unit_test(test_prefixes_and_nul),
        cmocka_unit_test(test_many_invalid),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
