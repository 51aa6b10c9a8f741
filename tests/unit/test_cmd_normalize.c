/* `segexport normalize` through sgx_normalize_stream: JSON Lines in, JSON Lines out, in order,
 * with inline errors for malformed lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cmd_normalize.h"

/* Runs the stream over input and returns the whole output (owned, free()). */
static char *run(const char *input, sgx_dest_kind_t dest, const char *dc)
{
    FILE *in = tmpfile(), *out = tmpfile();
    assert_non_null(in);
    assert_non_null(out);
    fwrite(input, 1, strlen(input), in);
    rewind(in);
    assert_int_equal(sgx_normalize_stream(in, out, dest, dc), 0);
    long n = ftell(out);
    char *buf = calloc(1, (size_t)n + 1);
    rewind(out);
    assert_int_equal(fread(buf, 1, (size_t)n, out), (size_t)n);
    fclose(in);
    fclose(out);
    return buf;
}

static void expect(const char *input, sgx_dest_kind_t dest, const char *dc, const char *want)
{
    char *got = run(input, dest, dc);
    assert_string_equal(got, want);
    free(got);
}

static void test_facebook_lines(void **state)
{
    (void)state;
    expect("{\"key\":\"PHONE\",\"value\":\"020 7946 0958\",\"country\":\"gb\"}\n"
           "{\"key\":\"EMAIL\",\"value\":\" John.Doe@Example.COM \"}\n"
           "{\"key\":\"MADID\",\"value\":\"AEBE52E7-03EE-455A-B3C4-E57283966239\"}\n"
           "{\"key\":\"GEN\",\"value\":\"unknown\"}\n",
           SGX_DEST_FACEBOOK, NULL,
           "{\"key\":\"PHONE\",\"normalized\":\"442079460958\",\"sha256\":"
           "\"35e206e5dec4c89b9e8b71b8c32724a5bb518483ac5a20c6617d738375b3b823\"}\n"
           "{\"key\":\"EMAIL\",\"normalized\":\"john.doe@example.com\",\"sha256\":"
           "\"836f82db99121b3481011f16b49dfa5fbc714a0d1b1b9f784a1ebbbf5b39577f\"}\n"
           "{\"key\":\"MADID\",\"normalized\":\"aebe52e7-03ee-455a-b3c4-e57283966239\","
           "\"sha256\":null}\n"
           "{\"key\":\"GEN\",\"normalized\":null,\"sha256\":null,\"reason\":\"invalid_value\"}\n");
}

/* Default country, an explicit null country, CRLF, a pre-hashed value, no final newline. */
static void test_default_country(void **state)
{
    (void)state;
    char *got = run("{\"key\":\"PHONE\",\"value\":\"(415) 555-2671\"}\n"
                    "{\"key\":\"PHONE\",\"value\":\"(415) 555-2671\",\"country\":null}\n"
                    "{\"key\":\"EMAIL\",\"value\":"
                    "\"836F82DB99121B3481011F16B49DFA5FBC714A0D1B1B9F784A1EBBBF5B39577F\"}\r\n"
                    "{\"key\":\"PHONE\",\"value\":\"(415) 555-2671\"}",
                    SGX_DEST_FACEBOOK, "us");
    const char *pre = "{\"key\":\"EMAIL\",\"normalized\":"
                      "\"836f82db99121b3481011f16b49dfa5fbc714a0d1b1b9f784a1ebbbf5b39577f\","
                      "\"sha256\":"
                      "\"836f82db99121b3481011f16b49dfa5fbc714a0d1b1b9f784a1ebbbf5b39577f\"}\n";
    assert_non_null(strstr(got, pre));
    /* four lines, the phone ones complete with the default country */
    size_t lines = 0;
    for (const char *p = got; (p = strchr(p, '\n')); p++) {
        lines++;
    }
    assert_int_equal(lines, 4);
    assert_non_null(strstr(got, "\"normalized\":\"14155552671\""));
    assert_null(strstr(got, "no_country"));
    free(got);
    got = run("{\"key\":\"PHONE\",\"value\":\"(415) 555-2671\"}\n", SGX_DEST_FACEBOOK, NULL);
    assert_string_equal(got, "{\"key\":\"PHONE\",\"normalized\":null,\"sha256\":null,"
                             "\"reason\":\"no_country\"}\n");
    free(got);
}

static void test_other_destinations(void **state)
{
    (void)state;
    expect("{\"key\":\"EMAIL\",\"value\":\"John.Doe@Example.COM\"}\n"
           "{\"key\":\"PHONE\",\"value\":\"+14155552671\"}\n",
           SGX_DEST_MICROSOFT_ADS, NULL,
           "{\"key\":\"EMAIL\",\"normalized\":\"john.doe@example.com\",\"sha256\":"
           "\"836f82db99121b3481011f16b49dfa5fbc714a0d1b1b9f784a1ebbbf5b39577f\"}\n"
           "{\"key\":\"PHONE\",\"normalized\":null,\"sha256\":null,"
           "\"reason\":\"unsupported_key\"}\n");
    expect("{\"key\":\"EMAIL\",\"value\":\"John.Doe@Example.COM\"}\n"
           "{\"key\":\"FIRSTNAME\",\"value\":\" Jos\\u00e9 \"}\n"
           "{\"key\":\"FULLNAME\",\"value\":\"Jos\\u00e9 Doe\"}\n",
           SGX_DEST_DOTDIGITAL, NULL,
           "{\"key\":\"EMAIL\",\"normalized\":\"john.doe@example.com\",\"sha256\":null}\n"
           "{\"key\":\"FN\",\"normalized\":\"Jos\xc3\xa9\",\"sha256\":null}\n"
           "{\"key\":\"FULLNAME\",\"normalized\":\"Jos\xc3\xa9 Doe\",\"sha256\":null}\n");
}

static void test_malformed_lines(void **state)
{
    (void)state;
    expect("not json at all secret@example.com\n"
           "[1,2]\n"
           "{\"value\":\"x\"}\n"
           "{\"key\":\"SHOE_SIZE\",\"value\":\"x\"}\n"
           "{\"key\":\"EMAIL\"}\n"
           "{\"key\":\"ZIP\",\"value\":94103}\n"
           "{\"key\":\"PHONE\",\"value\":\"1\",\"country\":44}\n"
           "\n"
           "{\"key\":\"EMAIL\",\"value\":\"a@b.co\",\"key\":\"PHONE\"}\n"
           "{\"key\":\"EMAIL\",\"value\":null}\n"
           "{\"key\":\"EMAIL\",\"value\":\"a\\u0000@b.co\"}\n"
           "{\"key\":\"EMAIL\",\"value\":\"a@b.co\"}\n",
           SGX_DEST_FACEBOOK, NULL,
           "{\"error\":\"invalid JSON\",\"line\":1}\n"
           "{\"error\":\"not a JSON object\",\"line\":2}\n"
           "{\"error\":\"missing key\",\"line\":3}\n"
           "{\"error\":\"unknown key\",\"line\":4}\n"
           "{\"error\":\"missing value\",\"line\":5}\n"
           "{\"error\":\"value must be a string\",\"line\":6}\n"
           "{\"error\":\"country must be a string\",\"line\":7}\n"
           "{\"error\":\"invalid JSON\",\"line\":8}\n"
           "{\"error\":\"invalid JSON\",\"line\":9}\n"
           "{\"key\":\"EMAIL\",\"normalized\":null,\"sha256\":null,\"reason\":\"empty\"}\n"
           "{\"key\":\"EMAIL\",\"normalized\":null,\"sha256\":null,"
           "\"reason\":\"control_char\"}\n"
           "{\"key\":\"EMAIL\",\"normalized\":\"a@b.co\",\"sha256\":"
           "\"80305c9bb1bb2480e03894350e0a8a366dcbdeb302e69e0817aa0743abd77054\"}\n");
}

static void test_usage(void **state)
{
    (void)state;
    char *a1[] = {"normalize", NULL};
    char *a2[] = {"normalize", "--destination", "myspace", NULL};
    char *a3[] = {"normalize", "--destination=facebook", "--bogus", NULL};
    char *a4[] = {"normalize", "--destination", "facebook", "--default-country", "Narnia", NULL};
    char *a5[] = {"normalize", "--destination", NULL};
    assert_int_equal(sgx_cmd_normalize(1, a1), 2);
    assert_int_equal(sgx_cmd_normalize(3, a2), 2);
    assert_int_equal(sgx_cmd_normalize(3, a3), 2);
    assert_int_equal(sgx_cmd_normalize(5, a4), 2);
    assert_int_equal(sgx_cmd_normalize(2, a5), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_facebook_lines),
        cmocka_unit_test(test_default_country),
        cmocka_unit_test(test_other_destinations),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
