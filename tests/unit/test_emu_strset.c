/* Emulator member sets (emulators/emu_strset.c): edge keys, then 50k random add/del/has against
 * a naive model over a small pool of keys that share prefixes and lengths, then the sorted
 * listing the inspection endpoints return. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "emulators/emu_strset.h"

static void test_edges(void **state)
{
    (void)state;
    sgx_emu_strset_t *s = sgx_emu_strset_new();
    assert_false(sgx_emu_strset_has(s, "", 0));
    assert_true(sgx_emu_strset_add(s, "", 0));
    assert_false(sgx_emu_strset_add(s, "", 0));
    assert_true(sgx_emu_strset_add(s, "ab", 1)); /* "a": len, not the NUL, delimits a key */
    assert_true(sgx_emu_strset_add(s, "ab", 2));
    assert_true(sgx_emu_strset_has(s, "a", 1));
    assert_false(sgx_emu_strset_has(s, "abc", 3));
    assert_int_equal(sgx_emu_strset_count(s), 3);
    assert_true(sgx_emu_strset_del(s, "a", 1));
    assert_false(sgx_emu_strset_del(s, "a", 1));
    assert_true(sgx_emu_strset_has(s, "ab", 2));
    assert_int_equal(sgx_emu_strset_count(s), 2);
    sgx_emu_strset_destroy(s);
    sgx_emu_strset_destroy(NULL);
}

#define POOL 512

static void test_random_vs_model(void **state)
{
    (void)state;
    static char keys[POOL][40];
    bool model[POOL] = {false};
    size_t n = 0;
    for (int i = 0; i < POOL; i++) {
        snprintf(keys[i], sizeof keys[i], "EMAIL:%0*d", 1 + i % 7, i);
    }
    sgx_emu_strset_t *s = sgx_emu_strset_new();
    uint64_t x = 88172645463325252ULL;
    for (int step = 0; step < 50000; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int k = (int)(x % POOL);
        size_t len = strlen(keys[k]);
        switch ((x >> 20) % 3) {
        case 0:
            assert_int_equal(sgx_emu_strset_add(s, keys[k], len), !model[k]);
            n += !model[k];
            model[k] = true;
            break;
        case 1:
            assert_int_equal(sgx_emu_strset_del(s, keys[k], len), model[k]);
            n -= model[k];
            model[k] = false;
            break;
        default: assert_int_equal(sgx_emu_strset_has(s, keys[k], len), model[k]);
        }
        assert_int_equal(sgx_emu_strset_count(s), n);
    }
    json_t *arr = sgx_emu_strset_sorted_json(s);
    assert_int_equal(json_array_size(arr), n);
    for (size_t i = 1; i < json_array_size(arr); i++) {
        assert_true(strcmp(json_string_value(json_array_get(arr, i - 1)),
                           json_string_value(json_array_get(arr, i))) < 0);
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *v = json_string_value(json_array_get(arr, i));
        int k = -1;
        for (int j = 0; j < POOL && k < 0; j++) {
            k = strcmp(keys[j], v) == 0 ? j : -1;
        }
        assert_true(k >= 0 && model[k]);
    }
    json_decref(arr);
    sgx_emu_strset_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_random_vs_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
