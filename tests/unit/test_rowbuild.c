/* Row builder: field -> key mapping, normalize + SHA-256 (known answers), prehashed
 * passthrough, drop counting, no-usable-key rejection, DOB text/int paths, TEXT keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <xxhash.h>

#include "pipeline/rowbuild.h"

#define H_TEST "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
#define H_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct {
    unsigned char base[2048];
    size_t used;
    sgx_decoded_t d;
} ev_t;

static void ev_put(ev_t *e, sgx_slice_t *s, const char *v)
{
    size_t n = strlen(v);
    assert_true(e->used + n <= sizeof e->base);
    memcpy(e->base + e->used, v, n);
    s->off = (uint32_t)e->used;
    s->len = (uint32_t)n;
    e->used += n;
}

static void ev_init(ev_t *e, const char *profile)
{
    memset(e, 0, sizeof *e);
    memcpy(e->base, "junk", 4); /* slices must be honoured as offsets, not from 0 */
    e->used = 4;
    ev_put(e, &e->d.profile_id, profile);
}

static void ev_set(ev_t *e, sgx_field_t f, const char *v)
{
    ev_put(e, &e->d.fields[f], v);
    e->d.present |= 1u << f;
}

/* Independent of hash.c: OpenSSL's one-shot digest. */
static void sha(const char *s, unsigned char out[32])
{
    unsigned int n = 0;
    assert_int_equal(EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL), 1);
}

static void unhex(const char *hex, unsigned char out[32])
{
    for (size_t i = 0; i < 32; i++) {
        unsigned int b;
        sscanf(hex + 2 * i, "%2x", &b);
        out[i] = (unsigned char)b;
    }
}

static void expect_digest_of(const sgx_row_t *row, size_t i, const char *plain)
{
    const unsigned char *p;
    size_t n;
    unsigned char want[32];
    sha(plain, want);
    assert_int_equal(sgx_row_val(row, i, &p, &n), SGX_VAL_DIGEST);
    assert_int_equal(n, 32);
    assert_memory_equal(p, want, 32);
}

static void expect_text(const sgx_row_t *row, size_t i, const char *text)
{
    const unsigned char *p;
    size_t n;
    assert_int_equal(sgx_row_val(row, i, &p, &n), SGX_VAL_TEXT);
    assert_int_equal(n, strlen(text));
    assert_memory_equal(p, text, n);
}

static void expect_absent(const sgx_row_t *row, size_t i)
{
    const unsigned char *p;
    size_t n;
    assert_int_equal(sgx_row_val(row, i, &p, &n), SGX_VAL_ABSENT);
}

/* The classic bug: a digest of "" must never appear in any row. */
static void expect_no_empty_digest(const sgx_row_t *row)
{
    unsigned char empty[32];
    unhex(H_EMPTY, empty);
    for (size_t i = 0; i < row->nvals; i++) {
        const unsigned char *p;
        size_t n;
        if (sgx_row_val(row, i, &p, &n) == SGX_VAL_DIGEST) {
            assert_memory_not_equal(p, empty, 32);
        }
    }
}

static const sgx_key_t EP[] = {SGX_KEY_EMAIL, SGX_KEY_PHONE};

static sgx_row_t *build(sgx_rowbuilder_t *rb, sgx_dest_kind_t kind, const sgx_key_t *keys,
                        size_t nkeys, const char *dc, const ev_t *e, sgx_drop_counts_t *counts)
{
    sgx_row_t *row = NULL;
    const char *reason = "unset";
    assert_int_equal(
        sgx_row_build(rb, kind, keys, nkeys, dc, &e->d, e->base, &row, counts, &reason), SGX_OK);
    assert_non_null(row);
    assert_null(reason);
    expect_no_empty_digest(row);
    return row;
}

static int setup(void **state)
{
    sgx_rowbuilder_t *rb = NULL;
    assert_int_equal(sgx_rowbuilder_new(&rb), SGX_OK);
    *state = rb;
    return 0;
}

static int teardown(void **state)
{
    sgx_rowbuilder_destroy(*state);
    sgx_rowbuilder_destroy(NULL);
    sgx_row_free(NULL);
    return 0;
}

static void test_email_phone(void **state)
{
    ev_t e;
    ev_init(&e, "profile-1");
    ev_set(&e, SGX_F_EMAIL, "  Test@Example.com ");
    ev_set(&e, SGX_F_PHONE, "+1 (555) 123-4567");
    sgx_drop_counts_t counts = {{{0}}};
    sgx_row_t *row = build(*state, SGX_DEST_FACEBOOK, EP, 2, NULL, &e, &counts);
    unsigned char want[32];
    unhex(H_TEST, want); /* known answer: sha256("test@example.com") */
    const unsigned char *p;
    size_t n;
    assert_int_equal(sgx_row_val(row, 0, &p, &n), SGX_VAL_DIGEST);
    assert_memory_equal(p, want, 32);
    expect_digest_of(row, 1, "15551234567");
    assert_int_equal(row->nvals, 2);
    assert_int_equal(row->data_len, 64);
    assert_null(row->ack);
    assert_int_equal(row->audience, 0);
    assert_int_equal(row->profile_len, 9);
    assert_ptr_equal(row->profile_id, (const char *)e.base + 4);
    assert_int_equal(row->profile_hash, XXH3_64bits("profile-1", 9));
    sgx_drop_counts_t zero = {{{0}}};
    assert_memory_equal(&counts, &zero, sizeof counts);
    sgx_row_free(row);
}

static void test_phone_country(void **state)
{
    ev_t e;
    ev_init(&e, "p");
    ev_set(&e, SGX_F_PHONE, "07700 900123");
    ev_set(&e, SGX_F_COUNTRY, "GB");
    sgx_row_t *row = build(*state, SGX_DEST_FACEBOOK, EP, 2, "us", &e, NULL);
    expect_absent(row, 0);
    expect_digest_of(row, 1, "447700900123"); /* the profile's country wins */
    sgx_row_free(row);

    ev_init(&e, "p");
    ev_set(&e, SGX_F_PHONE, "07700 900123");
    ev_set(&e, SGX_F_EMAIL, "a@b.co");
    row = build(*state, SGX_DEST_FACEBOOK, EP, 2, "gb", &e, NULL);
    expect_digest_of(row, 1, "447700900123"); /* else the destination default */
    sgx_row_free(row);

    sgx_drop_counts_t counts = {{{0}}};
    row = build(*state, SGX_DEST_FACEBOOK, EP, 2, "", &e, &counts); /* "" = unset */
    expect_digest_of(row, 0, "a@b.co");
    expect_absent(row, 1); /* national form, no country known */
    assert_int_equal(counts.dropped[SGX_KEY_PHONE][SGX_DROP_NO_COUNTRY], 1);
    sgx_row_free(row);
}

static void test_prehashed(void **state)
{
    ev_t e;
    ev_init(&e, "p");
    ev_set(&e, SGX_F_EMAIL, "973DFE463EC85785F5F95AF5BA3906EEDB2D931C24E69824A89EA65DBA4E813B");
    sgx_row_t *row = build(*state, SGX_DEST_FACEBOOK, EP, 2, NULL, &e, NULL);
    unsigned char want[32];
    unhex(H_TEST, want);
    const unsigned char *p;
    size_t n;
    assert_int_equal(sgx_row_val(row, 0, &p, &n), SGX_VAL_DIGEST);
    assert_memory_equal(p, want, 32); /* decoded, not hashed again */
    expect_absent(row, 1);
    sgx_row_free(row);
}

/* Keys the connector wants as text (Criteo plain/md5) carry the normalized value; a value that
 * was already a SHA-256 hex cannot become one and is dropped. */
static void test_plain_keys(void **state)
{
    static const sgx_key_t E[] = {SGX_KEY_EMAIL};
    ev_t e;
    ev_init(&e, "p");
    ev_set(&e, SGX_F_EMAIL, "  Test@Example.com ");
    sgx_row_t *row = NULL;
    const char *reason = NULL;
    assert_int_equal(sgx_row_build_plain(*state, SGX_DEST_CRITEO, E, 1, 1u << SGX_KEY_EMAIL,
                                         NULL, &e.d, e.base, &row, NULL, &reason),
                     SGX_OK);
    const unsigned char *p;
    size_t n;
    assert_int_equal(sgx_row_val(row, 0, &p, &n), SGX_VAL_TEXT);
    assert_int_equal(n, strlen("test@example.com"));
    assert_memory_equal(p, "test@example.com", n);
    sgx_row_free(row);

    ev_init(&e, "p");
    ev_set(&e, SGX_F_EMAIL, H_TEST);
    sgx_drop_counts_t counts = {{{0}}};
    row = NULL;
    assert_int_equal(sgx_row_build_plain(*state, SGX_DEST_CRITEO, E, 1, 1u << SGX_KEY_EMAIL,
                                         NULL, &e.d, e.base, &row, &counts, &reason),
                     SGX_ERR_MISSING_FIELD);
    assert_null(row);
    assert_int_equal(counts.dropped[SGX_KEY_EMAIL][SGX_DROP_INVALID_VALUE], 1);
}

static void test_drops_and_missing(void **state)
{
    ev_t e;
    ev_init(&e, "p");
    ev_set(&e, SGX_F_EMAIL, "not-an-email");
    ev_set(&e, SGX_F_PHONE, "+44 7700 900123");
    sgx_drop_counts_t counts = {{{0}}};
    sgx_row_t *row = build(*state, SGX_DEST_FACEBOOK, EP, 2, NULL, &e, &counts);
    expect_absent(row, 0);
    expect_digest_of(row, 1, "447700900123");
    assert_int_equal(counts.dropped[SGX_KEY_EMAIL][SGX_DROP_INVALID_EMAIL], 1);
    sgx_row_free(row);

    /* Nothing usable left: rejected with a static, PII-free reason. */
    ev_init(&e, "p");
    ev_set(&e, SGX_F_EMAIL, "  ");
    row = (sgx_row_t *)&e; /* must be overwritten with NULL */
    const char *reason = NULL;
    memset(&counts, 0, sizeof counts);
    assert_int_equal(sgx_row_build(*state, SGX_DEST_FACEBOOK, EP, 2, NULL, &e.d, e.base, &row,
                                   &counts, &reason),
                     SGX_ERR_MISSING_FIELD);
    assert_null(row);
    assert_string_equal(reason, "no_usable_identifier");
    assert_int_equal(counts.dropped[SGX_KEY_EMAIL][SGX_DROP_EMPTY], 1);
    assert_int_equal(counts.dropped[SGX_KEY_PHONE][SGX_DROP_NONE], 0);

    /* The same for an EXIT: its reason says that it is an EXIT (what the ENTER added stays). */
    ev_init(&e, "p");
    e.d.op = SGX_OP_EXIT;
    reason = NULL;
    assert_int_equal(sgx_row_build(*state, SGX_DEST_FACEBOOK, EP, 2, NULL, &e.d, e.base, &row,
                                   NULL, &reason),
                     SGX_ERR_MISSING_FIELD);
    assert_null(row);
    assert_string_equal(reason, "no_usable_identifier_on_exit");

    /* Plainly absent fields are not drops. */
    ev_init(&e, "p");
    memset(&counts, 0, sizeof counts);
    assert_int_equal(sgx_row_build(*state, SGX_DEST_FACEBOOK, EP, 2, NULL, &e.d, e.base, &row,
                                   &counts, NULL),
                     SGX_ERR_MISSING_FIELD);
    sgx_drop_counts_t zero = {{{0}}};
    assert_memory_equal(&counts, &zero, sizeof counts);
}

static void test_dob_paths(void **state)
{
    static const sgx_key_t dob[] = {SGX_KEY_DOBY, SGX_KEY_DOBM, SGX_KEY_DOBD};
    ev_t e;
    ev_init(&e, "p");
    ev_set(&e, SGX_F_DATE_OF_BIRTH, "1985-03-07");
    sgx_row_t *row = build(*state, SGX_DEST_FACEBOOK, dob, 3, NULL, &e, NULL);
    expect_digest_of(row, 0, "1985");
    expect_digest_of(row, 1, "03");
    expect_digest_of(row, 2, "07");
    sgx_row_free(row);

    /* An Avro `date` has no bytes in the body: the decoder renders it into dob_text. */
    ev_init(&e, "p");
    e.d.fields[SGX_F_DATE_OF_BIRTH] = (sgx_slice_t){SGX_SLICE_DOB_TEXT, 10};
    e.d.present |= 1u << SGX_F_DATE_OF_BIRTH;
    memcpy(e.d.dob_text, "1985-03-07", 11);
    row = build(*state, SGX_DEST_FACEBOOK, dob, 3, NULL, &e, NULL);
    expect_digest_of(row, 0, "1985");
    expect_digest_of(row, 1, "03");
    expect_digest_of(row, 2, "07");
    sgx_row_free(row);
}

static void test_text_keys(void **state)
{
    static const sgx_key_t keys[] = {SGX_KEY_EXTERN_ID, SGX_KEY_EMAIL, SGX_KEY_FI, SGX_KEY_LN};
    ev_t e;
    ev_init(&e, "p");
    ev_set(&e, SGX_F_EXTERNAL_ID, "  Cust-42 ");
    ev_set(&e, SGX_F_FIRST_NAME, "Jane");
    ev_set(&e, SGX_F_LAST_NAME, "O'Neil");
    sgx_row_t *row = build(*state, SGX_DEST_FACEBOOK, keys, 4, NULL, &e, NULL);
    expect_text(row, 0, "Cust-42");
    expect_absent(row, 1);
    expect_digest_of(row, 2, "j");
    expect_digest_of(row, 3, "oneil");
    assert_int_equal(row->data_len, 7 + 32 + 32);
    sgx_row_free(row);

    static const sgx_key_t dd[] = {SGX_KEY_EMAIL, SGX_KEY_FULLNAME};
    ev_set(&e, SGX_F_EMAIL, "Jane@Example.com");
    row = build(*state, SGX_DEST_DOTDIGITAL, dd, 2, NULL, &e, NULL);
    expect_text(row, 0, "jane@example.com");
    expect_text(row, 1, "Jane O'Neil");
    sgx_row_free(row);
}

static void test_bad_args(void **state)
{
    sgx_key_t many[SGX_MAX_ROW_VALS + 1];
    for (size_t i = 0; i < SGX_MAX_ROW_VALS + 1; i++) {
        many[i] = SGX_KEY_EMAIL;
    }
    ev_t e;
    ev_init(&e, "p");
    ev_set(&e, SGX_F_EMAIL, "a@b.co");
    sgx_row_t *row = NULL;
    const char *reason = NULL;
    assert_int_equal(sgx_row_build(*state, SGX_DEST_FACEBOOK, many, SGX_MAX_ROW_VALS + 1, NULL,
                                   &e.d, e.base, &row, NULL, &reason),
                     SGX_ERR_INVALID);
    assert_null(row);
    assert_non_null(reason);
    /* The widest legal row: 16 keys. */
    row = build(*state, SGX_DEST_FACEBOOK, many, SGX_MAX_ROW_VALS, NULL, &e, NULL);
    assert_int_equal(row->nvals, SGX_MAX_ROW_VALS);
    assert_int_equal(row->data_len, 32 * SGX_MAX_ROW_VALS);
    sgx_row_free(row);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Hot path budget: ~150,000 EMAIL+PHONE events/s per core. Printed, loosely asserted (the
 * sanitizer and -O0 builds run here too); bench/ holds the real measurement. */
static void test_speed(void **state)
{
    ev_t e;
    ev_init(&e, "profile-123456");
    ev_set(&e, SGX_F_EMAIL, "Some.Person+tag@Example.com");
    ev_set(&e, SGX_F_PHONE, "+44 7700 900123");
    enum { N = 100000 };
    double t0 = now_ms();
    for (int i = 0; i < N; i++) {
        sgx_row_t *row = NULL;
        assert_int_equal(sgx_row_build(*state, SGX_DEST_FACEBOOK, EP, 2, NULL, &e.d, e.base,
                                       &row, NULL, NULL),
                         SGX_OK);
        sgx_row_free(row);
    }
    double dt = now_ms() - t0;
    printf("rowbuild: %d EMAIL+PHONE rows in %.1f ms = %.0f rows/s on one core\n", N, dt,
           N / dt * 1e3);
    assert_true(dt < 20000.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email_phone),   cmocka_unit_test(test_phone_country),
        cmocka_unit_test(test_prehashed),     cmocka_unit_test(test_drops_and_missing),
        cmocka_unit_test(test_plain_keys),
        cmocka_unit_test(test_dob_paths),     cmocka_unit_test(test_text_keys),
        cmocka_unit_test(test_bad_args),      cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
