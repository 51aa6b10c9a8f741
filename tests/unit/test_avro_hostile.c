/* Projection decoder on hostile bytes: every truncation, random garbage, mutated bodies, huge,
 * negative and overlong lengths, bad indexes, trailing bytes, deep recursion. The decoder must
 * return an error and never crash, loop, or read out of bounds (run under ASan). */
#include "tests/unit/avro_test_util.h"

#include <stdlib.h>

typedef struct {
    char *canon;
    size_t canon_len;
    sgx_projection_t *canon_p, *wide_p;
    sgx_avro_writer_t *canon_w, *wide_w;
} fixture_t;

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    fx->canon = sgx_test_canonical(&fx->canon_len);
    if (sgx_projection_new(fx->canon, fx->canon_len, NULL, &fx->canon_p, NULL) ||
        sgx_projection_new(WIDE_SCHEMA, strlen(WIDE_SCHEMA), NULL, &fx->wide_p, NULL) ||
        sgx_avro_writer_new(fx->canon, fx->canon_len, &fx->canon_w, NULL) ||
        sgx_avro_writer_new(WIDE_SCHEMA, strlen(WIDE_SCHEMA), &fx->wide_w, NULL)) {
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    sgx_projection_destroy(fx->canon_p);
    sgx_projection_destroy(fx->wide_p);
    sgx_avro_writer_destroy(fx->canon_w);
    sgx_avro_writer_destroy(fx->wide_w);
    free(fx->canon);
    free(fx);
    return 0;
}

static const sgx_event_in_t full_event = {
    .profile_id = "profile-0001",
    .segment_id = "segment-42",
    .op = SGX_OP_EXIT,
    .event_time_ms = 1700000000000,
    .fields = {"a@b.example", "+15551234567", "Zoë", "Smith", "f", "1985-07-14", "Paris", "IDF",
               "75001", "FR", "6D92078A-8246-4BA4-AE5B-76104861E7DC", "ext-9"},
};

static int is_defined_error(sgx_err_t err)
{
    return err == SGX_ERR_TRUNCATED || err == SGX_ERR_DECODE || err == SGX_ERR_MISSING_FIELD;
}

/* Copies each prefix into an exact-size heap block so ASan sees any overread. */
static void check_truncations(const sgx_projection_t *p, const uint8_t *body, size_t len)
{
    sgx_decoded_t d;
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, body, n);
        sgx_err_t err = sgx_projection_decode(p, copy, n, &d);
        if (err != SGX_ERR_TRUNCATED) {
            fail_msg("prefix %zu of %zu: %s", n, len, sgx_err_str(err));
        }
        free(copy);
    }
    assert_int_equal(sgx_projection_decode(p, body, len, &d), SGX_OK);
}

static void test_truncation_every_byte(void **state)
{
    fixture_t *fx = *state;
    for (int i = 0; i < 40; i++) {
        sgx_buf_t b = {0};
        sgx_event_in_t ev = full_event;
        ev.fields[i % SGX_F__COUNT] = NULL;
        sgx_avro_writer_t *w = (i & 1) ? fx->wide_w : fx->canon_w;
        assert_int_equal(sgx_avro_writer_encode(w, 1, &ev, &b), SGX_OK);
        check_truncations((i & 1) ? fx->wide_p : fx->canon_p, (uint8_t *)b.data + 5, b.len - 5);
        sgx_buf_free(&b);
    }
}

static void test_trailing_bytes(void **state)
{
    fixture_t *fx = *state;
    sgx_buf_t b = {0};
    assert_int_equal(sgx_avro_writer_encode(fx->canon_w, 1, &full_event, &b), SGX_OK);
    sgx_buf_putc(&b, 0);
    sgx_decoded_t d;
    assert_int_equal(sgx_projection_decode(fx->canon_p, (uint8_t *)b.data + 5, b.len - 5, &d),
                     SGX_ERR_DECODE);
    sgx_buf_free(&b);
}

static uint32_t rng(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void test_random_garbage(void **state)
{
    fixture_t *fx = *state;
    uint32_t seed = 7;
    sgx_decoded_t d;
    for (int i = 0; i < 20000; i++) {
        size_t n = rng(&seed) % 300;
        uint8_t *buf = malloc(n ? n : 1);
        for (size_t k = 0; k < n; k++) {
            /* bias toward small varints so decoding gets past the first fields */
            buf[k] = (uint8_t)((rng(&seed) % 4) ? rng(&seed) % 16 : rng(&seed));
        }
        sgx_err_t e1 = sgx_projection_decode(fx->canon_p, buf, n, &d);
        sgx_err_t e2 = sgx_projection_decode(fx->wide_p, buf, n, &d);
        assert_true(e1 == SGX_OK || is_defined_error(e1));
        assert_true(e2 == SGX_OK || is_defined_error(e2));
        free(buf);
    }
}

static void test_mutated_bodies(void **state)
{
    fixture_t *fx = *state;
    uint32_t seed = 11;
    sgx_decoded_t d;
    for (int i = 0; i < 4000; i++) {
        sgx_buf_t b = {0};
        sgx_avro_writer_t *w = (i & 1) ? fx->wide_w : fx->canon_w;
        assert_int_equal(sgx_avro_writer_encode(w, 1, &full_event, &b), SGX_OK);
        size_t n = b.len - 5;
        uint8_t *body = malloc(n);
        memcpy(body, b.data + 5, n);
        for (int k = 0; k < 1 + (int)(rng(&seed) % 4); k++) {
            body[rng(&seed) % n] = (uint8_t)rng(&seed);
        }
        sgx_err_t err = sgx_projection_decode((i & 1) ? fx->wide_p : fx->canon_p, body, n, &d);
        assert_true(err == SGX_OK || is_defined_error(err));
        free(body);
        sgx_buf_free(&b);
    }
}

static sgx_err_t decode_buf(const sgx_projection_t *p, const sgx_buf_t *b)
{
    sgx_decoded_t d;
    uint8_t *copy = malloc(b->len ? b->len : 1);
    memcpy(copy, b->data, b->len);
    sgx_err_t err = sgx_projection_decode(p, copy, b->len, &d);
    free(copy);
    return err;
}

static void test_hostile_lengths(void **state)
{
    fixture_t *fx = *state;
    const struct {
        const char *raw; /* bytes after which profile_id's length starts */
        size_t n;
        sgx_err_t want;
    } cases[] = {
        {"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11, SGX_ERR_DECODE}, /* 11-byte varint */
        {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, SGX_ERR_DECODE},     /* INT64_MIN */
        {"\x01", 1, SGX_ERR_DECODE},                                          /* -1 */
        {"\x80\x80\x80\x80\x80\x80\x01", 7, SGX_ERR_DECODE},                  /* 2^41 */
        {"\x80\x80\x80\x80\x10", 5, SGX_ERR_DECODE},                          /* 2^31 */
        {"\xc8\x01xx", 4, SGX_ERR_TRUNCATED},                                 /* 100, 2 left */
        {"\x80\x80", 2, SGX_ERR_TRUNCATED},                                   /* unfinished */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sgx_buf_t b = {0};
        sgx_buf_append(&b, cases[i].raw, cases[i].n);
        assert_int_equal(decode_buf(fx->canon_p, &b), cases[i].want);
        sgx_buf_free(&b);
    }
}

/* Wide schema, first field `tags` (array of Tag): hostile block counts. */
static void test_hostile_blocks(void **state)
{
    fixture_t *fx = *state;
    sgx_buf_t b = {0};
    sgx_test_put_long(&b, INT64_MAX); /* items claimed, bytes absent */
    assert_int_equal(decode_buf(fx->wide_p, &b), SGX_ERR_TRUNCATED);
    sgx_buf_reset(&b);
    sgx_test_put_long(&b, INT64_MIN); /* cannot be negated */
    assert_int_equal(decode_buf(fx->wide_p, &b), SGX_ERR_DECODE);
    sgx_buf_reset(&b);
    sgx_test_put_long(&b, -3); /* negative count: byte size follows */
    sgx_test_put_long(&b, 1 << 30);
    assert_int_equal(decode_buf(fx->wide_p, &b), SGX_ERR_TRUNCATED);
    sgx_buf_reset(&b);
    sgx_test_put_long(&b, -3);
    sgx_test_put_long(&b, -5);
    assert_int_equal(decode_buf(fx->wide_p, &b), SGX_ERR_DECODE);

    /* zero-sized items cannot be bounded by the input: a budget stops them */
    const char *nulls = "{\"type\":\"record\",\"name\":\"N\",\"fields\":["
                        "{\"name\":\"x\",\"type\":{\"type\":\"array\",\"items\":\"null\"}},"
                        "{\"name\":\"profile_id\",\"type\":\"string\"},"
                        "{\"name\":\"segment_id\",\"type\":\"string\"},"
                        "{\"name\":\"op\",\"type\":\"string\"}]}";
    sgx_projection_t *p;
    assert_int_equal(sgx_projection_new(nulls, strlen(nulls), NULL, &p, NULL), SGX_OK);
    for (int blocks = 0; blocks < 2; blocks++) {
        sgx_buf_reset(&b);
        for (int k = 0; k < (blocks ? 1000 : 1); k++) {
            sgx_test_put_long(&b, blocks ? 1000 : INT64_MAX);
        }
        sgx_test_put_long(&b, 0);
        sgx_test_put_str(&b, "p");
        sgx_test_put_str(&b, "s");
        sgx_test_put_str(&b, "ENTER");
        assert_int_equal(decode_buf(p, &b), SGX_ERR_DECODE);
    }
    sgx_buf_reset(&b);
    sgx_test_put_long(&b, 3);
    sgx_test_put_long(&b, 0);
    sgx_test_put_str(&b, "p");
    sgx_test_put_str(&b, "s");
    sgx_test_put_str(&b, "ENTER");
    assert_int_equal(decode_buf(p, &b), SGX_OK);
    sgx_projection_destroy(p);
    sgx_buf_free(&b);
}

static void test_bad_indexes(void **state)
{
    fixture_t *fx = *state;
    sgx_buf_t b = {0};
    for (int variant = 0; variant < 4; variant++) {
        sgx_buf_reset(&b);
        sgx_test_put_str(&b, "p");
        sgx_test_put_str(&b, "s");
        sgx_test_put_long(&b, variant == 0 ? 2 : (variant == 1 ? -1 : 0)); /* op enum index */
        sgx_test_put_long(&b, 5);
        for (int f = 0; f < SGX_F__COUNT; f++) {
            sgx_test_put_long(&b, (variant == 2 && f == 3) ? 2 : (variant == 3 && f == 0) ? -1 : 0);
        }
        assert_int_equal(decode_buf(fx->canon_p, &b), SGX_ERR_DECODE);
    }
    /* boolean byte other than 0/1 */
    const char *boolean = "{\"type\":\"record\",\"name\":\"B\",\"fields\":["
                          "{\"name\":\"f\",\"type\":\"boolean\"},"
                          "{\"name\":\"profile_id\",\"type\":\"string\"},"
                          "{\"name\":\"segment_id\",\"type\":\"string\"},"
                          "{\"name\":\"op\",\"type\":\"string\"}]}";
    sgx_projection_t *p;
    assert_int_equal(sgx_projection_new(boolean, strlen(boolean), NULL, &p, NULL), SGX_OK);
    for (int v = 0; v < 3; v++) {
        sgx_buf_reset(&b);
        sgx_buf_putc(&b, (char)v);
        sgx_test_put_str(&b, "p");
        sgx_test_put_str(&b, "s");
        sgx_test_put_str(&b, "EXIT");
        assert_int_equal(decode_buf(p, &b), v < 2 ? SGX_OK : SGX_ERR_DECODE);
    }
    sgx_projection_destroy(p);
    sgx_buf_free(&b);
}

static void test_depth_limit(void **state)
{
    (void)state;
    const char *list = "{\"type\":\"record\",\"name\":\"L\",\"fields\":["
                       "{\"name\":\"profile_id\",\"type\":\"string\"},"
                       "{\"name\":\"segment_id\",\"type\":\"string\"},"
                       "{\"name\":\"op\",\"type\":\"string\"},"
                       "{\"name\":\"next\",\"type\":[\"null\",\"L\"]}]}";
    sgx_projection_t *p;
    assert_int_equal(sgx_projection_new(list, strlen(list), NULL, &p, NULL), SGX_OK);
    for (int depth = 1; depth < 200; depth += 7) {
        sgx_buf_t b = {0};
        for (int k = 0; k < depth; k++) {
            sgx_test_put_str(&b, k ? "inner" : "outer");
            sgx_test_put_str(&b, "s");
            sgx_test_put_str(&b, "ENTER");
            sgx_test_put_long(&b, k + 1 < depth ? 1 : 0);
        }
        sgx_decoded_t d;
        sgx_err_t err = sgx_projection_decode(p, (uint8_t *)b.data, b.len, &d);
        if (depth < 20) {
            assert_int_equal(err, SGX_OK);
            sgx_test_assert_slice((uint8_t *)b.data, &d, d.profile_id, "outer");
        } else if (depth > 2 * SGX_PROJECTION_MAX_DEPTH) {
            assert_int_equal(err, SGX_ERR_DECODE);
        }
        sgx_buf_free(&b);
    }
    sgx_projection_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncation_every_byte), cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_random_garbage),        cmocka_unit_test(test_mutated_bodies),
        cmocka_unit_test(test_hostile_lengths),       cmocka_unit_test(test_hostile_blocks),
        cmocka_unit_test(test_bad_indexes),           cmocka_unit_test(test_depth_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
