/* Hash map: edge cases, growth, then 100k random put/get/del against a naive model over a key
 * pool built to collide (small integers, keys differing only in high bits, 0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/hmap.h"

#define P(i) ((void *)(uintptr_t)(i))
#define U(p) ((uintptr_t)(p))

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_basics_and_zero_key(void **state)
{
    (void)state;
    sgx_hmap_t *h = NULL;
    bool found = true;
    assert_int_equal(sgx_hmap_new(0, &h), SGX_OK);
    assert_null(sgx_hmap_get(h, 0, &found));
    assert_false(found);
    assert_int_equal(sgx_hmap_del(h, 0, NULL), SGX_ERR_NOT_FOUND);
    assert_int_equal(sgx_hmap_put(h, 0, P(10)), SGX_OK);
    assert_int_equal(sgx_hmap_put(h, 1, P(11)), SGX_OK);
    assert_int_equal(sgx_hmap_put(h, UINT64_MAX, NULL), SGX_OK); /* a stored NULL */
    assert_int_equal(sgx_hmap_count(h), 3);
    assert_int_equal(U(sgx_hmap_get(h, 0, &found)), 10);
    assert_true(found);
    assert_null(sgx_hmap_get(h, UINT64_MAX, &found));
    assert_true(found);
    assert_int_equal(U(sgx_hmap_get(h, 1, NULL)), 11);
    assert_int_equal(sgx_hmap_put(h, 0, P(20)), SGX_OK); /* replace */
    assert_int_equal(sgx_hmap_count(h), 3);
    void *old = NULL;
    assert_int_equal(sgx_hmap_del(h, 0, &old), SGX_OK);
    assert_int_equal(U(old), 20);
    assert_int_equal(sgx_hmap_del(h, 0, &old), SGX_ERR_NOT_FOUND);
    assert_int_equal(sgx_hmap_del(h, 2, &old), SGX_ERR_NOT_FOUND);
    assert_int_equal(sgx_hmap_count(h), 2);
    sgx_hmap_destroy(h);
    sgx_hmap_destroy(NULL);
    assert_int_equal(sgx_hmap_new((size_t)1 << 41, &h), SGX_ERR_INVALID);
}

static void test_growth(void **state)
{
    (void)state;
    sgx_hmap_t *h = NULL;
    assert_int_equal(sgx_hmap_new(4, &h), SGX_OK);
    const uint64_t n = 100000;
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(sgx_hmap_put(h, i * 7919, P(i + 1)), SGX_OK);
    }
    assert_int_equal(sgx_hmap_count(h), n);
    for (uint64_t i = 0; i < n; i++) {
        bool found = false;
        assert_int_equal(U(sgx_hmap_get(h, i * 7919, &found)), i + 1);
        assert_true(found);
    }
    for (uint64_t i = 0; i < n; i += 2) {
        assert_int_equal(sgx_hmap_del(h, i * 7919, NULL), SGX_OK);
    }
    assert_int_equal(sgx_hmap_count(h), n / 2);
    for (uint64_t i = 0; i < n; i++) {
        bool found = true;
        void *v = sgx_hmap_get(h, i * 7919, &found);
        assert_int_equal(found, i % 2 == 1);
        assert_int_equal(U(v), found ? i + 1 : 0);
    }
    sgx_hmap_destroy(h);
}

/* ---- random operations against a naive model ---- */

#define POOL 3000

struct model {
    uint64_t key[POOL];
    bool present[POOL];
    uintptr_t value[POOL];
    size_t count;
};

struct visit {
    const struct model *m;
    unsigned seen[POOL];
    size_t calls;
};

/* Keys chosen to stress the index function and the probe runs: 0, small integers, multiples
 * of 2^32 and 2^48 (only high bits differ), and random 64-bit values. */
static void make_pool(struct model *m, uint64_t *s)
{
    for (size_t i = 0; i < POOL; i++) {
        switch (i % 4) {
        case 0: m->key[i] = i / 4; break; /* includes 0 */
        case 1: m->key[i] = (uint64_t)(i / 4 + 1) << 32; break;
        case 2: m->key[i] = (uint64_t)(i / 4 + 1) << 48 | 0x5; break;
        default: m->key[i] = rng(s); break;
        }
        m->present[i] = false;
    }
    m->count = 0;
}

static void visit_fn(uint64_t key, void *value, void *arg)
{
    struct visit *v = arg;
    v->calls++;
    for (size_t i = 0; i < POOL; i++) { /* naive: linear search */
        if (v->m->key[i] == key) {
            assert_true(v->m->present[i]);
            assert_int_equal(U(value), v->m->value[i]);
            v->seen[i]++;
            return;
        }
    }
    fail_msg("foreach visited unknown key %llu", (unsigned long long)key);
}

static void check_foreach(const sgx_hmap_t *h, const struct model *m)
{
    static struct visit v;
    v.m = m;
    v.calls = 0;
    for (size_t i = 0; i < POOL; i++) {
        v.seen[i] = 0;
    }
    sgx_hmap_foreach(h, visit_fn, &v);
    assert_int_equal(v.calls, m->count);
    for (size_t i = 0; i < POOL; i++) {
        assert_int_equal(v.seen[i], m->present[i] ? 1 : 0);
    }
}

static void random_op(sgx_hmap_t *h, struct model *m, uint64_t *s, uint64_t op)
{
    size_t i = (size_t)(rng(s) % POOL);
    uint64_t r = rng(s) % 100;
    bool found = false;
    if (r < 45) {
        uintptr_t val = (op % 17 == 0) ? 0 : (uintptr_t)op; /* sometimes NULL */
        assert_int_equal(sgx_hmap_put(h, m->key[i], P(val)), SGX_OK);
        m->count += !m->present[i];
        m->present[i] = true;
        m->value[i] = val;
    } else if (r < 75) {
        void *old = P(0xbad);
        sgx_err_t err = sgx_hmap_del(h, m->key[i], &old);
        assert_int_equal(err, m->present[i] ? SGX_OK : SGX_ERR_NOT_FOUND);
        assert_int_equal(U(old), m->present[i] ? m->value[i] : 0xbad);
        m->count -= m->present[i];
        m->present[i] = false;
    } else {
        void *v = sgx_hmap_get(h, m->key[i], &found);
        assert_int_equal(found, m->present[i]);
        assert_int_equal(U(v), m->present[i] ? m->value[i] : 0);
    }
    assert_int_equal(sgx_hmap_count(h), m->count);
}

static void test_random_vs_model(void **state)
{
    (void)state;
    static struct model m;
    uint64_t seed = 0x4a5b6c7d8e9fULL;
    make_pool(&m, &seed);
    sgx_hmap_t *h = NULL;
    assert_int_equal(sgx_hmap_new(0, &h), SGX_OK);
    for (uint64_t op = 1; op <= 100000; op++) {
        random_op(h, &m, &seed, op);
        if (op % 10000 == 0) {
            check_foreach(h, &m);
            /* Every key, present or not, must answer as the model says. */
            for (size_t i = 0; i < POOL; i++) {
                bool found;
                void *v = sgx_hmap_get(h, m.key[i], &found);
                assert_int_equal(found, m.present[i]);
                assert_int_equal(U(v), m.present[i] ? m.value[i] : 0);
            }
        }
    }
    sgx_hmap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basics_and_zero_key),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_random_vs_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
