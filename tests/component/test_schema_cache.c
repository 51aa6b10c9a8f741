/* Schema cache against the Schema Registry double over real HTTP on 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codecs/avro_writer.h"
#include "codecs/schema_cache.h"
#include "codecs/wire.h"
#include "emulators/registry.h"

static const char NO_PROFILE[] =
    "{\"type\":\"record\",\"name\":\"X\",\"fields\":[{\"name\":\"segment_id\",\"type\":\"string\"}]}";

static char *canonical_schema(size_t *len)
{
    FILE *f = fopen(SGX_SOURCE_DIR "/deploy/schemas/segment_membership.avsc", "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 16);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

static sgx_schema_cache_t *cache_for(const sgx_emu_registry_t *reg, const char *userinfo)
{
    char url[128];
    snprintf(url, sizeof url, "http://%s127.0.0.1:%u/", userinfo, sgx_emu_registry_port(reg));
    sgx_schema_cache_t *c = NULL;
    assert_int_equal(sgx_schema_cache_new(url, NULL, &c), SGX_OK);
    return c;
}

static void test_registered_id_resolves_and_is_cached(void **state)
{
    (void)state;
    size_t len;
    char *schema = canonical_schema(&len);
    sgx_emu_registry_t *reg;
    assert_int_equal(sgx_emu_registry_start(NULL, 0, &reg), SGX_OK);
    uint32_t id, again;
    assert_int_equal(sgx_emu_registry_register(reg, "segments-value", schema, &id), SGX_OK);
    assert_int_equal(sgx_emu_registry_register(reg, "other-value", schema, &again), SGX_OK);
    assert_int_equal(id, again); /* same schema, same id, any subject */
    sgx_schema_cache_t *c = cache_for(reg, "user:secret@");
    const sgx_projection_t *p = NULL;
    assert_int_equal(sgx_schema_cache_get(c, id, &p), SGX_OK);
    assert_non_null(p);
    size_t before = sgx_emu_registry_requests(reg);
    for (int i = 0; i < 100; i++) {
        const sgx_projection_t *q = NULL;
        assert_int_equal(sgx_schema_cache_get(c, id, &q), SGX_OK);
        assert_ptr_equal(p, q);
    }
    assert_int_equal(sgx_emu_registry_requests(reg), before); /* no refetch */

    /* the projection decodes what the writer produced */
    sgx_avro_writer_t *w;
    assert_int_equal(sgx_avro_writer_new(schema, len, &w, NULL), SGX_OK);
    sgx_event_in_t ev = {.profile_id = "p", .segment_id = "s", .op = SGX_OP_EXIT};
    sgx_buf_t b = {0};
    assert_int_equal(sgx_avro_writer_encode(w, id, &ev, &b), SGX_OK);
    uint32_t got;
    size_t off;
    sgx_decoded_t d;
    assert_int_equal(sgx_wire_parse((uint8_t *)b.data, b.len, &got, &off), SGX_OK);
    assert_int_equal(sgx_schema_cache_get(c, got, &p), SGX_OK);
    assert_int_equal(sgx_projection_decode(p, (uint8_t *)b.data + off, b.len - off, &d), SGX_OK);
    assert_int_equal(d.op, SGX_OP_EXIT);
    sgx_buf_free(&b);
    sgx_avro_writer_destroy(w);
    sgx_schema_cache_destroy(c);
    sgx_emu_registry_stop(reg);
    free(schema);
}

static void test_unknown_and_uncompilable(void **state)
{
    (void)state;
    sgx_emu_registry_t *reg;
    assert_int_equal(sgx_emu_registry_start("127.0.0.1", 0, &reg), SGX_OK);
    uint32_t bad_id;
    assert_int_equal(sgx_emu_registry_register(reg, "x-value", NO_PROFILE, &bad_id), SGX_OK);
    assert_int_equal(sgx_emu_registry_register(reg, "x-value", "{not json", &bad_id),
                     SGX_ERR_DECODE);
    assert_int_equal(sgx_emu_registry_register(reg, "x-value", NO_PROFILE, &bad_id), SGX_OK);
    sgx_schema_cache_t *c = cache_for(reg, "");
    const sgx_projection_t *p;
    assert_int_equal(sgx_schema_cache_get(c, 999, &p), SGX_ERR_UNKNOWN_SCHEMA);
    size_t before = sgx_emu_registry_requests(reg);
    for (int i = 0; i < 50; i++) { /* remembered: a flood of bad ids does not hit the registry */
        assert_int_equal(sgx_schema_cache_get(c, 999, &p), SGX_ERR_UNKNOWN_SCHEMA);
    }
    assert_int_equal(sgx_emu_registry_requests(reg), before);
    /* a schema that exists but lacks profile_id: MISSING_FIELD, and the verdict is cached */
    assert_int_equal(sgx_schema_cache_get(c, bad_id, &p), SGX_ERR_MISSING_FIELD);
    before = sgx_emu_registry_requests(reg);
    assert_int_equal(sgx_schema_cache_get(c, bad_id, &p), SGX_ERR_MISSING_FIELD);
    assert_int_equal(sgx_emu_registry_requests(reg), before);
    sgx_schema_cache_destroy(c);
    sgx_emu_registry_stop(reg);
}

static void test_registry_down(void **state)
{
    (void)state;
    sgx_emu_registry_t *reg;
    assert_int_equal(sgx_emu_registry_start(NULL, 0, &reg), SGX_OK);
    sgx_schema_cache_t *c = cache_for(reg, "");
    sgx_emu_registry_stop(reg);
    const sgx_projection_t *p;
    assert_int_equal(sgx_schema_cache_get(c, 1, &p), SGX_ERR_UNAVAILABLE);
    assert_int_equal(sgx_schema_cache_get(c, 1, &p), SGX_ERR_UNAVAILABLE); /* not cached */
    sgx_schema_cache_destroy(c);
}

static void test_file_and_json_sources(void **state)
{
    (void)state;
    sgx_schema_cache_t *c;
    char err[SGX_ERRBUF_SIZE];
    assert_int_equal(sgx_schema_cache_new(NULL, NULL, &c), SGX_OK);
    assert_int_equal(sgx_schema_cache_add_file(
                         c, 7, SGX_SOURCE_DIR "/deploy/schemas/segment_membership.avsc", err),
                     SGX_OK);
    const sgx_projection_t *p = NULL;
    assert_int_equal(sgx_schema_cache_get(c, 7, &p), SGX_OK);
    assert_non_null(p);
    assert_int_equal(sgx_schema_cache_get(c, 8, &p), SGX_ERR_UNKNOWN_SCHEMA);
    assert_int_equal(sgx_schema_cache_add_file(c, 9, "/nonexistent/x.avsc", err), SGX_ERR_IO);
    assert_int_equal(sgx_schema_cache_add_json(c, 9, NO_PROFILE, strlen(NO_PROFILE), err),
                     SGX_ERR_MISSING_FIELD);
    assert_non_null(strstr(err, "profile_id"));
    for (uint32_t id = 100; id < 200; id++) { /* grows the table */
        size_t len;
        char *schema = canonical_schema(&len);
        assert_int_equal(sgx_schema_cache_add_json(c, id, schema, len, err), SGX_OK);
        free(schema);
    }
    assert_int_equal(sgx_schema_cache_get(c, 7, &p), SGX_OK);
    assert_int_equal(sgx_schema_cache_get(c, 150, &p), SGX_OK);
    sgx_schema_cache_destroy(c);
    sgx_schema_cache_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered_id_resolves_and_is_cached),
        cmocka_unit_test(test_unknown_and_uncompilable),
        cmocka_unit_test(test_registry_down),
        cmocka_unit_test(test_file_and_json_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
