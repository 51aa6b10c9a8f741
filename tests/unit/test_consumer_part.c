/* Partition state lookup (sgx_consumer_part): a hash index over every partition ever seen.
 * Many topics and partitions, names that share prefixes and differ only in their partition
 * number; each lookup finds its own state, creation is idempotent, unknown ones are NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "pipeline/consumer.h"
#include "base/mem.h"

#define NTOPICS 60
#define NPARTS 40

static void test_many_partitions(void **state)
{
    (void)state;
    sgx_consumer_t c = {0};
    static sgx_part_t *made[NTOPICS][NPARTS];
    char topic[32];
    for (int t = 0; t < NTOPICS; t++) {
        for (int p = 0; p < NPARTS; p++) {
            snprintf(topic, sizeof topic, "segments-%d", t);
            made[t][p] = sgx_consumer_part(&c, topic, p, true);
            assert_non_null(made[t][p]);
            assert_string_equal(made[t][p]->topic, topic);
            assert_int_equal(made[t][p]->partition, p);
        }
    }
    assert_int_equal(c.nparts, NTOPICS * NPARTS);
    for (int t = NTOPICS - 1; t >= 0; t--) {
        for (int p = 0; p < NPARTS; p++) {
            snprintf(topic, sizeof topic, "segments-%d", t);
            assert_ptr_equal(sgx_consumer_part(&c, topic, p, false), made[t][p]);
            assert_ptr_equal(sgx_consumer_part(&c, topic, p, true), made[t][p]);
        }
    }
    assert_int_equal(c.nparts, NTOPICS * NPARTS);
    assert_null(sgx_consumer_part(&c, "segments-1", NPARTS, false));
    assert_null(sgx_consumer_part(&c, "segments-", 1, false));
    assert_null(sgx_consumer_part(&c, "segments-10", -1, false));
    for (size_t i = 0; i < c.nparts; i++) {
        sgx_offsets_destroy(c.parts[i]->offsets);
        sgx_free(c.parts[i]->topic);
        sgx_free(c.parts[i]);
    }
    sgx_free(c.parts);
    sgx_hmap_destroy(c.part_index);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_partitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
