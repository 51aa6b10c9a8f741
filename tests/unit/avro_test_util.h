/* Helpers shared by the projection tests: schemas, a tiny hand encoder for hostile bodies, and
 * comparison of a decoded event with what was written. Header-only, test code only. */
#ifndef SGX_AVRO_TEST_UTIL_H
#define SGX_AVRO_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "codecs/avro_projection.h"
#include "codecs/avro_writer.h"
#include "codecs/wire.h"
#include "tests/unit/test_util.h"

/* Every Avro type, fields reordered, targets interleaved with extras, op enum reordered with a
 * symbol we never write, a recursive list and unions with named-type branches. */
static const char WIDE_SCHEMA[] =
    "{\"type\":\"record\",\"name\":\"Wide\",\"namespace\":\"t\",\"fields\":["
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\","
    "\"name\":\"Tag\",\"fields\":[{\"name\":\"k\",\"type\":\"string\"},"
    "{\"name\":\"w\",\"type\":\"double\"}]}}},"
    "{\"name\":\"external_id\",\"type\":[\"string\",\"null\"]},"
    "{\"name\":\"scores\",\"type\":{\"type\":\"map\",\"values\":\"long\"}},"
    "{\"name\":\"event_time\",\"type\":\"long\"},"
    "{\"name\":\"blob\",\"type\":\"bytes\"},"
    "{\"name\":\"email\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"md5\",\"type\":{\"type\":\"fixed\",\"name\":\"MD5\",\"size\":16}},"
    "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\",\"symbols\":[\"A\",\"B\","
    "\"C\"]}},"
    "{\"name\":\"op\",\"type\":{\"type\":\"enum\",\"name\":\"Op\",\"symbols\":[\"UNUSED\","
    "\"EXIT\",\"ENTER\"]}},"
    "{\"name\":\"ratio\",\"type\":\"float\"},"
    "{\"name\":\"flag\",\"type\":\"boolean\"},"
    "{\"name\":\"nothing\",\"type\":\"null\"},"
    "{\"name\":\"choice\",\"type\":[\"null\",\"int\",\"string\",\"Tag\",\"MD5\"]},"
    "{\"name\":\"segment_id\",\"type\":\"string\"},"
    "{\"name\":\"nested\",\"type\":{\"type\":\"record\",\"name\":\"Inner\",\"fields\":["
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":"
    "\"int\"}}},{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":[\"null\",\"t.Tag\"]}}]}},"
    "{\"name\":\"list\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Node\",\"fields\":["
    "{\"name\":\"v\",\"type\":\"int\"},{\"name\":\"next\",\"type\":[\"null\",\"Node\"]}]}]},"
    "{\"name\":\"phone\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"date_of_birth\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"profile_id\",\"type\":\"string\"},"
    "{\"name\":\"first_name\",\"type\":[\"string\",\"null\"]}]}";

static inline char *sgx_test_canonical(size_t *len)
{
    return sgx_test_read_file("deploy/schemas/segment_membership.avsc", len);
}

/* Hand encoder for crafting bodies avro-c would never write. */
static inline void sgx_test_put_long(sgx_buf_t *b, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    do {
        uint8_t byte = (uint8_t)(z & 0x7f);
        z >>= 7;
        sgx_buf_putc(b, (char)(byte | (z ? 0x80 : 0)));
    } while (z);
}

static inline void sgx_test_put_str(sgx_buf_t *b, const char *s)
{
    sgx_test_put_long(b, (int64_t)strlen(s));
    sgx_buf_append(b, s, strlen(s));
}

static inline void sgx_test_assert_slice(const uint8_t *body, const sgx_decoded_t *d,
                                         sgx_slice_t s, const char *want)
{
    const char *got = s.off == SGX_SLICE_DOB_TEXT ? d->dob_text : (const char *)body + s.off;
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(got, want, s.len);
}

/* Checks d against what ev said; empty identifiers count as absent. */
static inline void sgx_test_check(const uint8_t *body, const sgx_decoded_t *d,
                                  const sgx_event_in_t *ev)
{
    sgx_test_assert_slice(body, d, d->profile_id, ev->profile_id);
    sgx_test_assert_slice(body, d, d->segment_id, ev->segment_id);
    assert_int_equal(d->op, ev->op);
    assert_true(d->event_time_ms == ev->event_time_ms);
    for (int f = 0; f < SGX_F__COUNT; f++) {
        const char *want = ev->fields[f];
        if (!want || !*want) {
            assert_false(sgx_decoded_has(d, (sgx_field_t)f));
        } else {
            assert_true(sgx_decoded_has(d, (sgx_field_t)f));
            sgx_test_assert_slice(body, d, d->fields[f], want);
        }
    }
}

/* Frames, decodes and checks; returns nothing, fails the test on mismatch. */
static inline void sgx_test_roundtrip(sgx_avro_writer_t *w, const sgx_projection_t *p,
                                      const sgx_event_in_t *ev)
{
    sgx_buf_t b = {0};
    assert_int_equal(sgx_avro_writer_encode(w, 42, ev, &b), SGX_OK);
    uint32_t id;
    size_t off;
    assert_int_equal(sgx_wire_parse((const uint8_t *)b.data, b.len, &id, &off), SGX_OK);
    assert_int_equal(id, 42);
    sgx_decoded_t d;
    const uint8_t *body = (const uint8_t *)b.data + off;
    assert_int_equal(sgx_projection_decode(p, body, b.len - off, &d), SGX_OK);
    sgx_test_check(body, &d, ev);
    sgx_buf_free(&b);
}

#endif
