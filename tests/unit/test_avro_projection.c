/* Projection decoder against bodies written by avro-c (sgx_avro_writer): canonical, wide and
 * renamed/nested schemas, nulls, unicode, dates; required fields; compile-time rejections.
 * Hostile input lives in test_avro_hostile.c. */
#include "tests/unit/avro_test_util.h"

#include <stdlib.h>

static const char *const samples[] = {
    "",          "a",           "user@example.com", "+33 6 12 34 56 78", "Zoë",
    "日本語テキスト", "Ünïcødé 🙂", "x y  z ",          "O'Brien-Smith",     "75001",
};

static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* A pseudo-random event; strings point into samples or into dob (caller storage). */
static void random_event(uint32_t *seed, sgx_event_in_t *ev, char dob[11])
{
    static char pid[32], seg[32];
    memset(ev, 0, sizeof *ev);
    snprintf(pid, sizeof pid, "p-%u", rng_next(seed));
    snprintf(seg, sizeof seg, "seg-%u", rng_next(seed) % 50);
    ev->profile_id = pid;
    ev->segment_id = seg;
    ev->op = (rng_next(seed) & 1) ? SGX_OP_EXIT : SGX_OP_ENTER;
    ev->event_time_ms = (int64_t)rng_next(seed) * 1000 - 2000000000000LL;
    for (int f = 0; f < SGX_F__COUNT; f++) {
        uint32_t r = rng_next(seed) % (sizeof samples / sizeof *samples + 2);
        ev->fields[f] = r < sizeof samples / sizeof *samples ? samples[r] : NULL;
    }
    unsigned y = 1900 + rng_next(seed) % 200, m = 1 + rng_next(seed) % 12,
             d = 1 + rng_next(seed) % 28;
    snprintf(dob, 11, "%04u-%02u-%02u", y % 10000, m % 100, d % 100);
    ev->fields[SGX_F_DATE_OF_BIRTH] = (rng_next(seed) % 3) ? dob : NULL;
}

/* Round-trips n random events; fields outside `in_schema` (a bit mask) are written as null. */
static void roundtrip_many(const char *schema, size_t len, const sgx_mapping_t *map, int n,
                           uint32_t in_schema)
{
    char err[SGX_ERRBUF_SIZE] = "";
    sgx_avro_writer_t *w = NULL;
    sgx_projection_t *p = NULL;
    assert_int_equal(sgx_avro_writer_new_mapped(schema, len, map, &w, err), SGX_OK);
    assert_int_equal(sgx_projection_new(schema, len, map, &p, err), SGX_OK);
    uint32_t seed = 12345;
    for (int i = 0; i < n; i++) {
        sgx_event_in_t ev;
        char dob[11];
        random_event(&seed, &ev, dob);
        for (int f = 0; f < SGX_F__COUNT; f++) {
            ev.fields[f] = ((in_schema >> f) & 1) ? ev.fields[f] : NULL;
        }
        sgx_test_roundtrip(w, p, &ev);
    }
    sgx_avro_writer_destroy(w);
    sgx_projection_destroy(p);
}

static void test_canonical_roundtrip(void **state)
{
    (void)state;
    size_t len;
    char *schema = sgx_test_canonical(&len);
    roundtrip_many(schema, len, NULL, 3000, (1u << SGX_F__COUNT) - 1);
    free(schema);
}

static void test_canonical_edges(void **state)
{
    (void)state;
    size_t len;
    char *schema = sgx_test_canonical(&len);
    sgx_avro_writer_t *w;
    sgx_projection_t *p;
    assert_int_equal(sgx_avro_writer_new(schema, len, &w, NULL), SGX_OK);
    assert_int_equal(sgx_projection_new(schema, len, NULL, &p, NULL), SGX_OK);
    static const char *const dates[] = {"1970-01-01", "1969-12-31", "1900-02-28", "2000-02-29",
                                        "0001-01-01", "9999-12-31", "2024-12-31"};
    sgx_event_in_t ev = {.profile_id = "p", .segment_id = "s", .op = SGX_OP_EXIT,
                         .event_time_ms = INT64_MIN};
    for (size_t i = 0; i < sizeof dates / sizeof *dates; i++) {
        ev.fields[SGX_F_DATE_OF_BIRTH] = dates[i];
        ev.event_time_ms = i ? INT64_MAX - (int64_t)i : INT64_MIN;
        sgx_test_roundtrip(w, p, &ev);
    }
    for (int f = 0; f < SGX_F__COUNT; f++) { /* all null except one, then all set */
        memset(ev.fields, 0, sizeof ev.fields);
        ev.fields[f] = f == SGX_F_DATE_OF_BIRTH ? "1985-07-14" : "only-this-one";
        sgx_test_roundtrip(w, p, &ev);
    }
    sgx_avro_writer_destroy(w);
    sgx_projection_destroy(p);
    free(schema);
}

static void test_wide_schema(void **state)
{
    (void)state;
    uint32_t in_schema = 1u << SGX_F_EXTERNAL_ID | 1u << SGX_F_EMAIL | 1u << SGX_F_PHONE |
                         1u << SGX_F_DATE_OF_BIRTH | 1u << SGX_F_FIRST_NAME;
    roundtrip_many(WIDE_SCHEMA, strlen(WIDE_SCHEMA), NULL, 2000, in_schema);
}

static const char RENAMED_SCHEMA[] =
    "{\"type\":\"record\",\"name\":\"Ev\",\"fields\":["
    "{\"name\":\"meta\",\"type\":{\"type\":\"record\",\"name\":\"Meta\",\"fields\":["
    "{\"name\":\"pid\",\"type\":[\"string\",\"null\"]},{\"name\":\"ts\",\"type\":"
    "[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}]}]}},"
    "{\"name\":\"action\",\"type\":\"string\"},"
    "{\"name\":\"audience\",\"type\":\"string\"},"
    "{\"name\":\"other_meta\",\"type\":[\"null\",\"Meta\"]},"
    "{\"name\":\"contact\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Contact\","
    "\"fields\":[{\"name\":\"mail\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"tel\",\"type\":[\"null\",\"string\"]}]}]},"
    "{\"name\":\"birthday\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"fname\",\"type\":[\"null\",\"string\"]}]}";

static sgx_mapping_t renamed_map(void)
{
    sgx_mapping_t map = {.profile_id = "meta.pid", .segment_id = "audience", .op = "action",
                         .event_time = "meta.ts"};
    map.fields[SGX_F_EMAIL] = "contact.mail";
    map.fields[SGX_F_PHONE] = "contact.tel";
    map.fields[SGX_F_DATE_OF_BIRTH] = "birthday";
    map.fields[SGX_F_FIRST_NAME] = "fname";
    return map;
}

static void test_renamed_nested_fields(void **state)
{
    (void)state;
    sgx_mapping_t map = renamed_map();
    char err[SGX_ERRBUF_SIZE];
    sgx_avro_writer_t *w;
    sgx_projection_t *p;
    assert_int_equal(sgx_avro_writer_new_mapped(RENAMED_SCHEMA, strlen(RENAMED_SCHEMA), &map, &w,
                                                err),
                     SGX_OK);
    assert_int_equal(sgx_projection_new(RENAMED_SCHEMA, strlen(RENAMED_SCHEMA), &map, &p, err),
                     SGX_OK);
    uint32_t seed = 99;
    for (int i = 0; i < 1000; i++) {
        sgx_event_in_t ev;
        char dob[11];
        random_event(&seed, &ev, dob);
        /* fields this schema lacks are never present */
        for (int f = 0; f < SGX_F__COUNT; f++) {
            if (f != SGX_F_EMAIL && f != SGX_F_PHONE && f != SGX_F_DATE_OF_BIRTH &&
                f != SGX_F_FIRST_NAME) {
                ev.fields[f] = NULL;
            }
        }
        sgx_test_roundtrip(w, p, &ev);
    }
    sgx_avro_writer_destroy(w);
    sgx_projection_destroy(p);
}

static void test_nested_null_record(void **state)
{
    (void)state;
    sgx_mapping_t map = renamed_map();
    sgx_projection_t *p;
    assert_int_equal(sgx_projection_new(RENAMED_SCHEMA, strlen(RENAMED_SCHEMA), &map, &p, NULL),
                     SGX_OK);
    sgx_buf_t b = {0};
    sgx_test_put_long(&b, 0); /* meta.pid: string branch */
    sgx_test_put_str(&b, "p1");
    sgx_test_put_long(&b, 0); /* meta.ts: null -> 0 */
    sgx_test_put_str(&b, "EXIT");
    sgx_test_put_str(&b, "aud");
    sgx_test_put_long(&b, 1); /* other_meta: Meta, must not overwrite profile_id */
    sgx_test_put_long(&b, 0);
    sgx_test_put_str(&b, "other");
    sgx_test_put_long(&b, 1);
    sgx_test_put_long(&b, 777);
    sgx_test_put_long(&b, 0); /* contact: null -> email, phone absent */
    sgx_test_put_long(&b, 0);
    sgx_test_put_long(&b, 0);
    sgx_decoded_t d;
    assert_int_equal(sgx_projection_decode(p, (uint8_t *)b.data, b.len, &d), SGX_OK);
    sgx_test_assert_slice((uint8_t *)b.data, &d, d.profile_id, "p1");
    assert_int_equal(d.op, SGX_OP_EXIT);
    assert_true(d.event_time_ms == 0);
    assert_int_equal(d.present, 0);
    b.data[0] = 2; /* meta.pid -> null branch: a required field is null */
    assert_int_equal(sgx_projection_decode(p, (uint8_t *)b.data, 1, &d), SGX_ERR_MISSING_FIELD);
    sgx_buf_free(&b);
    sgx_projection_destroy(p);
}

static const char NULLABLE_PID[] =
    "{\"type\":\"record\",\"name\":\"E\",\"fields\":[{\"name\":\"profile_id\",\"type\":"
    "[\"null\",\"string\"]},{\"name\":\"segment_id\",\"type\":\"string\"},{\"name\":\"op\","
    "\"type\":\"string\"},{\"name\":\"date_of_birth\",\"type\":[\"null\",{\"type\":\"int\","
    "\"logicalType\":\"date\"}]}]}";

static void test_missing_profile_and_bad_op(void **state)
{
    (void)state;
    sgx_avro_writer_t *w;
    sgx_projection_t *p;
    assert_int_equal(sgx_avro_writer_new(NULLABLE_PID, strlen(NULLABLE_PID), &w, NULL), SGX_OK);
    assert_int_equal(sgx_projection_new(NULLABLE_PID, strlen(NULLABLE_PID), NULL, &p, NULL),
                     SGX_OK);
    sgx_event_in_t ev = {.profile_id = NULL, .segment_id = "s"};
    const char *pids[] = {NULL, ""};
    for (int i = 0; i < 2; i++) {
        sgx_buf_t b = {0};
        ev.profile_id = pids[i];
        assert_int_equal(sgx_avro_writer_encode(w, 1, &ev, &b), SGX_OK);
        sgx_decoded_t d;
        assert_int_equal(sgx_projection_decode(p, (uint8_t *)b.data + 5, b.len - 5, &d),
                         SGX_ERR_MISSING_FIELD);
        sgx_buf_free(&b);
    }
    sgx_buf_t b = {0};
    sgx_test_put_long(&b, 1);
    sgx_test_put_str(&b, "p");
    sgx_test_put_str(&b, "s");
    sgx_test_put_str(&b, "LEAVE"); /* op string other than ENTER/EXIT */
    sgx_test_put_long(&b, 1);
    sgx_test_put_long(&b, 100000000); /* date far past year 9999: dropped, not fatal */
    sgx_decoded_t d;
    assert_int_equal(sgx_projection_decode(p, (uint8_t *)b.data, b.len, &d), SGX_ERR_DECODE);
    memcpy(b.data + 6, "EXIT ", 5); /* same length: "EXIT " is still not EXIT */
    assert_int_equal(sgx_projection_decode(p, (uint8_t *)b.data, b.len, &d), SGX_ERR_DECODE);
    memcpy(b.data + 6, "ENTER", 5);
    assert_int_equal(sgx_projection_decode(p, (uint8_t *)b.data, b.len, &d), SGX_OK);
    assert_false(sgx_decoded_has(&d, SGX_F_DATE_OF_BIRTH));
    sgx_buf_free(&b);
    sgx_avro_writer_destroy(w);
    sgx_projection_destroy(p);
}

static void expect_error(const char *schema, const sgx_mapping_t *map, const char *needle,
                         sgx_err_t code)
{
    char err[SGX_ERRBUF_SIZE] = "";
    sgx_projection_t *p = (sgx_projection_t *)1;
    assert_int_equal(sgx_projection_new(schema, strlen(schema), map, &p, err), code);
    assert_ptr_equal(p, (sgx_projection_t *)1); /* untouched on failure */
    if (!strstr(err, needle)) {
        fail_msg("errbuf '%s' lacks '%s'", err, needle);
    }
}

#define expect_config(schema, map, needle) expect_error(schema, map, needle, SGX_ERR_CONFIG)

#define REC(fields) "{\"type\":\"record\",\"name\":\"R\",\"fields\":[" fields "]}"
#define F(n, t) "{\"name\":\"" n "\",\"type\":" t "}"
#define BASE F("profile_id", "\"string\"") "," F("segment_id", "\"string\"") ","
#define OP_ENUM "{\"type\":\"enum\",\"name\":\"Op\",\"symbols\":[\"ENTER\",\"EXIT\"]}"

static void test_compile_errors(void **state)
{
    (void)state;
    expect_error(REC(F("segment_id", "\"string\"") "," F("op", OP_ENUM)), NULL, "profile_id",
                 SGX_ERR_MISSING_FIELD);
    expect_config(REC(F("profile_id", "\"int\"") "," F("segment_id", "\"string\"") "," F(
                      "op", OP_ENUM)),
                  NULL, "profile_id");
    expect_config(REC(BASE F("op", "\"int\"")), NULL, "op");
    expect_config(REC(BASE F("op", OP_ENUM) "," F("email", "[\"null\",\"int\"]")), NULL, "email");
    expect_config(REC(BASE F("op", OP_ENUM) "," F("email", "[\"null\",\"string\",\"int\"]")), NULL,
                  "email");
    expect_config(REC(BASE F("op", OP_ENUM) "," F("date_of_birth", "\"int\"")), NULL,
                  "date_of_birth");
    expect_config(REC(BASE F("op", OP_ENUM) "," F("event_time", "\"string\"")), NULL,
                  "event_time");
    expect_config(REC(BASE F("op", "{\"type\":\"enum\",\"name\":\"X\",\"symbols\":[\"A\"]}")),
                  NULL, "op");
    expect_config("\"string\"", NULL, "record");
    expect_config("{\"type\":\"record\",", NULL, "schema");
    expect_config(REC(BASE F("op", OP_ENUM) "," F("x", "\"Nope\"")), NULL, "Nope");
    sgx_mapping_t map = {.profile_id = "segment_id.x"};
    expect_config(REC(BASE F("op", OP_ENUM)), &map, "segment_id.x");
    /* a mapped identifier absent from the schema is fine: older versions lack newer fields */
    sgx_mapping_t ok = {0};
    ok.fields[SGX_F_EMAIL] = "contact.mail";
    sgx_projection_t *p = NULL;
    const char *s = REC(BASE F("op", "\"string\""));
    assert_int_equal(sgx_projection_new(s, strlen(s), &ok, &p, NULL), SGX_OK);
    sgx_projection_destroy(p);
    sgx_projection_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_roundtrip),
        cmocka_unit_test(test_canonical_edges),
        cmocka_unit_test(test_wide_schema),
        cmocka_unit_test(test_renamed_nested_fields),
        cmocka_unit_test(test_nested_null_record),
        cmocka_unit_test(test_missing_profile_and_bad_op),
        cmocka_unit_test(test_compile_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
