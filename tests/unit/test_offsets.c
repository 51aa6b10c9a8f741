/* Offsets: hand-written scenarios, then a random walk checked against a naive model (a plain
 * list of tracked offsets scanned linearly) after every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pipeline/offsets.h"

static sgx_offsets_t *fresh(void)
{
    sgx_offsets_t *o = NULL;
    assert_int_equal(sgx_offsets_new(&o), SGX_OK);
    assert_non_null(o);
    return o;
}

static void test_in_order(void **state)
{
    (void)state;
    sgx_offsets_t *o = fresh();
    int64_t next = -7;
    assert_int_equal(sgx_offsets_position(o), -1);
    assert_false(sgx_offsets_advance(o, &next));
    for (int64_t i = 0; i < 100; i++) {
        assert_int_equal(sgx_offsets_track(o, i), SGX_OK);
    }
    assert_int_equal(sgx_offsets_pending(o), 100);
    for (int64_t i = 0; i < 100; i++) {
        assert_int_equal(sgx_offsets_done(o, i), SGX_OK);
        assert_true(sgx_offsets_advance(o, &next));
        assert_int_equal(next, i + 1);
        assert_false(sgx_offsets_advance(o, &next));
        assert_int_equal(sgx_offsets_pending(o), (size_t)(99 - i));
    }
    assert_int_equal(sgx_offsets_position(o), 100);
    sgx_offsets_destroy(o);
    sgx_offsets_destroy(NULL);
}

static void test_reverse_order(void **state)
{
    (void)state;
    sgx_offsets_t *o = fresh();
    int64_t next = -7;
    for (int64_t i = 10; i < 210; i++) { /* more than the initial array: forces growth */
        assert_int_equal(sgx_offsets_track(o, i), SGX_OK);
    }
    for (int64_t i = 209; i > 10; i--) {
        assert_int_equal(sgx_offsets_done(o, i), SGX_OK);
        assert_int_equal(sgx_offsets_position(o), 10);
        assert_false(sgx_offsets_advance(o, &next));
    }
    assert_int_equal(sgx_offsets_pending(o), 1);
    assert_int_equal(sgx_offsets_done(o, 10), SGX_OK);
    assert_int_equal(sgx_offsets_position(o), 210);
    assert_true(sgx_offsets_advance(o, &next));
    assert_int_equal(next, 210);
    assert_int_equal(sgx_offsets_pending(o), 0);
    sgx_offsets_destroy(o);
}

static void test_gaps(void **state)
{
    (void)state;
    sgx_offsets_t *o = fresh();
    int64_t next = -7;
    static const int64_t offs[] = {0, 1, 5, 6, 100};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(sgx_offsets_track(o, offs[i]), SGX_OK);
    }
    assert_int_equal(sgx_offsets_done(o, 3), SGX_ERR_NOT_FOUND); /* gap inside the window */
    assert_int_equal(sgx_offsets_done(o, 50), SGX_ERR_NOT_FOUND);
    assert_int_equal(sgx_offsets_done(o, 5), SGX_OK);
    assert_int_equal(sgx_offsets_position(o), 0);
    assert_int_equal(sgx_offsets_done(o, 0), SGX_OK);
    assert_int_equal(sgx_offsets_position(o), 1);
    assert_int_equal(sgx_offsets_done(o, 1), SGX_OK);
    assert_int_equal(sgx_offsets_position(o), 6); /* over the gap 2..4 and the done 5 */
    assert_true(sgx_offsets_advance(o, &next));
    assert_int_equal(next, 6);
    assert_int_equal(sgx_offsets_done(o, 100), SGX_OK);
    assert_int_equal(sgx_offsets_position(o), 6);
    assert_int_equal(sgx_offsets_done(o, 6), SGX_OK);
    assert_int_equal(sgx_offsets_position(o), 101);
    /* A huge jump (compaction) costs one entry, and storing past it is right: the skipped
     * offsets do not exist. */
    assert_int_equal(sgx_offsets_track(o, INT64_C(5000000000)), SGX_OK);
    assert_int_equal(sgx_offsets_pending(o), 1);
    assert_int_equal(sgx_offsets_position(o), INT64_C(5000000000));
    assert_true(sgx_offsets_advance(o, &next));
    assert_int_equal(next, INT64_C(5000000000));
    assert_int_equal(sgx_offsets_done(o, INT64_C(5000000000)), SGX_OK);
    assert_int_equal(sgx_offsets_position(o), INT64_C(5000000001));
    sgx_offsets_destroy(o);
}

static void test_errors(void **state)
{
    (void)state;
    sgx_offsets_t *o = fresh();
    assert_int_equal(sgx_offsets_done(o, 0), SGX_ERR_NOT_FOUND); /* nothing tracked */
    assert_int_equal(sgx_offsets_track(o, -1), SGX_ERR_INVALID);
    assert_int_equal(sgx_offsets_track(o, 10), SGX_OK);
    assert_int_equal(sgx_offsets_track(o, 10), SGX_ERR_INVALID); /* not increasing */
    assert_int_equal(sgx_offsets_track(o, 9), SGX_ERR_INVALID);
    assert_int_equal(sgx_offsets_track(o, 11), SGX_OK);
    assert_int_equal(sgx_offsets_track(o, 12), SGX_OK);
    assert_int_equal(sgx_offsets_done(o, 9), SGX_ERR_NOT_FOUND);  /* before the first */
    assert_int_equal(sgx_offsets_done(o, 13), SGX_ERR_NOT_FOUND); /* after the last */
    assert_int_equal(sgx_offsets_done(o, -1), SGX_ERR_NOT_FOUND);
    assert_int_equal(sgx_offsets_done(o, 11), SGX_OK);
    assert_int_equal(sgx_offsets_done(o, 11), SGX_ERR_INVALID); /* double, still held */
    assert_int_equal(sgx_offsets_done(o, 10), SGX_OK);
    assert_int_equal(sgx_offsets_done(o, 10), SGX_ERR_INVALID); /* double, released */
    assert_int_equal(sgx_offsets_done(o, 11), SGX_ERR_INVALID);
    assert_int_equal(sgx_offsets_pending(o), 1);
    assert_int_equal(sgx_offsets_position(o), 12);
    sgx_offsets_destroy(o);
}

static void test_reset(void **state)
{
    (void)state;
    sgx_offsets_t *o = fresh();
    int64_t next = -7;
    for (int64_t i = 100; i < 300; i++) {
        assert_int_equal(sgx_offsets_track(o, i), SGX_OK);
    }
    assert_int_equal(sgx_offsets_done(o, 100), SGX_OK);
    assert_true(sgx_offsets_advance(o, &next));
    sgx_offsets_reset(o);
    assert_int_equal(sgx_offsets_position(o), -1);
    assert_int_equal(sgx_offsets_pending(o), 0);
    assert_false(sgx_offsets_advance(o, &next));
    assert_int_equal(sgx_offsets_done(o, 150), SGX_ERR_NOT_FOUND);
    /* Re-assigned from an older committed offset. */
    assert_int_equal(sgx_offsets_track(o, 50), SGX_OK);
    assert_int_equal(sgx_offsets_position(o), 50);
    assert_false(sgx_offsets_advance(o, &next)); /* baseline, not a movement */
    assert_int_equal(sgx_offsets_done(o, 50), SGX_OK);
    assert_true(sgx_offsets_advance(o, &next));
    assert_int_equal(next, 51);
    sgx_offsets_destroy(o);
}

static void test_advance_only_on_movement(void **state)
{
    (void)state;
    sgx_offsets_t *o = fresh();
    int64_t next = -7;
    assert_false(sgx_offsets_advance(o, &next));
    assert_int_equal(sgx_offsets_track(o, 5), SGX_OK);
    assert_false(sgx_offsets_advance(o, &next));
    assert_int_equal(sgx_offsets_track(o, 6), SGX_OK);
    assert_int_equal(sgx_offsets_done(o, 6), SGX_OK);
    assert_false(sgx_offsets_advance(o, &next)); /* 5 still pending */
    assert_int_equal(next, -7);                  /* untouched when false */
    assert_int_equal(sgx_offsets_done(o, 5), SGX_OK);
    assert_true(sgx_offsets_advance(o, &next));
    assert_int_equal(next, 7);
    assert_false(sgx_offsets_advance(o, &next));
    assert_int_equal(sgx_offsets_track(o, 7), SGX_OK);
    assert_false(sgx_offsets_advance(o, &next)); /* position still 7 */
    sgx_offsets_destroy(o);
}

/* Wrap the circular array (front moved) and then grow it. */
static void test_wrap_then_grow(void **state)
{
    (void)state;
    sgx_offsets_t *o = fresh();
    for (int64_t i = 0; i < 50; i++) {
        assert_int_equal(sgx_offsets_track(o, i), SGX_OK);
    }
    for (int64_t i = 0; i < 40; i++) {
        assert_int_equal(sgx_offsets_done(o, i), SGX_OK);
    }
    for (int64_t i = 50; i < 1050; i++) {
        assert_int_equal(sgx_offsets_track(o, i), SGX_OK);
    }
    for (int64_t i = 1049; i >= 40; i -= 2) { /* odd ones, descending */
        assert_int_equal(sgx_offsets_done(o, i), SGX_OK);
    }
    assert_int_equal(sgx_offsets_position(o), 40);
    for (int64_t i = 40; i < 1050; i += 2) {
        assert_int_equal(sgx_offsets_done(o, i), SGX_OK);
        assert_int_equal(sgx_offsets_position(o), i + 2);
    }
    assert_int_equal(sgx_offsets_pending(o), 0);
    sgx_offsets_destroy(o);
}

/* ---- random walk against a naive model ---- */

#define MODEL_MAX 8192

struct model {
    int64_t off[MODEL_MAX];
    bool done[MODEL_MAX];
    size_t n;
    int64_t reported;
};

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int64_t model_position(const struct model *m)
{
    if (m->n == 0) {
        return -1;
    }
    for (size_t i = 0; i < m->n; i++) {
        if (!m->done[i]) {
            return m->off[i];
        }
    }
    return m->off[m->n - 1] + 1;
}

static size_t model_pending(const struct model *m)
{
    size_t p = 0;
    for (size_t i = 0; i < m->n; i++) {
        p += !m->done[i];
    }
    return p;
}

/* The documented contract of sgx_offsets_done, restated naively. */
static sgx_err_t model_done(struct model *m, int64_t x)
{
    for (size_t i = 0; i < m->n; i++) {
        if (m->off[i] == x) {
            if (m->done[i]) {
                return SGX_ERR_INVALID;
            }
            m->done[i] = true;
            return SGX_OK;
        }
    }
    if (m->n > 0 && x >= m->off[0] && x < model_position(m)) {
        return SGX_ERR_INVALID; /* a gap already released */
    }
    return SGX_ERR_NOT_FOUND;
}

/* How often each outcome of a random done() occurred (ok, invalid, not found), to prove the
 * walk reaches every branch. */
static unsigned stats[3];

static void random_step(sgx_offsets_t *o, struct model *m, uint64_t *s)
{
    uint64_t r = rng(s) % 1000;
    if (r < 1) {
        sgx_offsets_reset(o);
        m->n = 0;
        m->reported = -1;
    } else if (r < 500 && m->n < MODEL_MAX) {
        int64_t last = m->n ? m->off[m->n - 1] : (int64_t)(rng(s) % 1000);
        uint64_t g = rng(s) % 100;
        int64_t gap = g < 90 ? 0 : g < 98 ? (int64_t)(rng(s) % 5) + 1 : (int64_t)(rng(s) % 1000000);
        int64_t x = m->n ? last + 1 + gap : last;
        assert_int_equal(sgx_offsets_track(o, x), SGX_OK);
        if (m->n == 0) {
            m->reported = x;
        }
        m->off[m->n] = x;
        m->done[m->n++] = false;
    } else if (r < 900) {
        size_t p = model_pending(m);
        if (p == 0) {
            return;
        }
        size_t k = (size_t)(rng(s) % p), i = 0;
        for (; m->done[i] || k--; i++) { /* the k-th pending entry */
        }
        assert_int_equal(model_done(m, m->off[i]), SGX_OK);
        assert_int_equal(sgx_offsets_done(o, m->off[i]), SGX_OK);
    } else if (m->n > 0) {
        int64_t lo = m->off[0] - 3, span = m->off[m->n - 1] + 6 - lo;
        int64_t x = lo + (int64_t)(rng(s) % (uint64_t)span);
        sgx_err_t want = model_done(m, x);
        assert_int_equal(sgx_offsets_done(o, x), want);
        stats[want == SGX_OK ? 0 : want == SGX_ERR_INVALID ? 1 : 2]++;
    }
}

static void check_against_model(sgx_offsets_t *o, struct model *m)
{
    int64_t pos = model_position(m), next = -7;
    assert_int_equal(sgx_offsets_position(o), pos);
    assert_int_equal(sgx_offsets_pending(o), model_pending(m));
    bool moved = pos > m->reported;
    assert_int_equal(sgx_offsets_advance(o, &next), moved);
    if (moved) {
        assert_int_equal(next, pos);
        m->reported = pos;
    }
}

/* The uncommitted span: one stuck offset holds everything tracked after it, done or not. */
static void test_held_behind_stuck(void **state)
{
    (void)state;
    sgx_offsets_t *o = fresh();
    assert_int_equal(sgx_offsets_held(o), 0);
    for (int64_t i = 10; i < 1010; i++) {
        assert_int_equal(sgx_offsets_track(o, i), SGX_OK);
    }
    for (int64_t i = 11; i < 1010; i++) {
        assert_int_equal(sgx_offsets_done(o, i), SGX_OK);
    }
    assert_int_equal(sgx_offsets_pending(o), 1);
    assert_int_equal(sgx_offsets_held(o), 1000);
    assert_int_equal(sgx_offsets_done(o, 10), SGX_OK);
    assert_int_equal(sgx_offsets_held(o), 0);
    assert_int_equal(sgx_offsets_track(o, 2000), SGX_OK);
    assert_int_equal(sgx_offsets_held(o), 1);
    sgx_offsets_destroy(o);
}

static void test_random_vs_model(void **state)
{
    (void)state;
    static struct model m;
    uint64_t seed = 0x5eed0ff5e75ULL;
    m.n = 0;
    m.reported = -1;
    size_t max_pending = 0;
    sgx_offsets_t *o = fresh();
    for (int step = 0; step < 20000; step++) {
        random_step(o, &m, &seed);
        check_against_model(o, &m);
        if (sgx_offsets_pending(o) > max_pending) {
            max_pending = sgx_offsets_pending(o);
        }
    }
    sgx_offsets_destroy(o);
    /* The walk must have grown the array past its initial size and hit every outcome. */
    print_message("max pending %zu, random done ok/invalid/not_found %u/%u/%u\n", max_pending,
                  stats[0], stats[1], stats[2]);
    assert_true(max_pending > 200);
    assert_true(stats[0] > 0 && stats[1] > 0 && stats[2] > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_reverse_order),
        cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_advance_only_on_movement),
        cmocka_unit_test(test_wrap_then_grow),
        cmocka_unit_test(test_held_behind_stuck),
        cmocka_unit_test(test_random_vs_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
