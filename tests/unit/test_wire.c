/* Confluent framing: header parse, short buffers, foreign magic bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "codecs/wire.h"

static void test_parses_header(void **state)
{
    (void)state;
    const uint8_t msg[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0xaa};
    uint32_t id = 0;
    size_t off = 0;
    assert_int_equal(sgx_wire_parse(msg, sizeof msg, &id, &off), SGX_OK);
    assert_int_equal(id, 0x01020304u);
    assert_int_equal(off, 5);
    const uint8_t big[] = {0x00, 0xff, 0xff, 0xff, 0xfe};
    assert_int_equal(sgx_wire_parse(big, sizeof big, &id, &off), SGX_OK); /* empty body is ok */
    assert_int_equal(id, 0xfffffffeu);
}

static void test_short_and_bad_magic(void **state)
{
    (void)state;
    const uint8_t msg[] = {0x00, 0x00, 0x00, 0x00, 0x07};
    uint32_t id;
    size_t off;
    for (size_t n = 0; n < 5; n++) {
        assert_int_equal(sgx_wire_parse(msg, n, &id, &off), SGX_ERR_TRUNCATED);
    }
    assert_int_equal(sgx_wire_parse(NULL, 0, &id, &off), SGX_ERR_TRUNCATED);
    const uint8_t guid[] = {0x01, 0, 0, 0, 1, 2};
    assert_int_equal(sgx_wire_parse(guid, sizeof guid, &id, &off), SGX_ERR_BAD_MAGIC);
    const uint8_t json[] = "{\"a\":1}";
    assert_int_equal(sgx_wire_parse(json, sizeof json - 1, &id, &off), SGX_ERR_BAD_MAGIC);
}

static void test_header_roundtrip(void **state)
{
    (void)state;
    uint8_t hdr[SGX_WIRE_HEADER_LEN];
    uint32_t id;
    size_t off;
    sgx_wire_header(123456789u, hdr);
    assert_int_equal(sgx_wire_parse(hdr, sizeof hdr, &id, &off), SGX_OK);
    assert_int_equal(id, 123456789u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parses_header),
        cmocka_unit_test(test_short_and_bad_magic),
        cmocka_unit_test(test_header_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
