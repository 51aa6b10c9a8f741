/* Ownership (ownership.h): the group-contact gate with an explicit clock (steady ticks keep it
 * open; a pause longer than the limit closes it, and later ticks do not reopen it until
 * membership is confirmed), the limit, the purge handshake, per-record ownership across
 * revoke and re-assign, and sgx_aud_drop_if dropping open and held rows of unowned records
 * while keeping the order of the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/audience.h"
#include "base/mem.h"
#include "pipeline/ownership.h"

static void test_steady_ticks_keep_the_gate_open(void **state)
{
    (void)state;
    sgx_own_t o;
    sgx_own_init(&o, 6000, 1000, 1000);
    assert_int_equal(o.limit_ms, 4000);
    assert_true(sgx_own_may_send(&o, 5000));
    assert_false(sgx_own_may_send(&o, 5001)); /* nobody ticked since init */
    for (int64_t t = 1010; t <= 20000; t += 10) {
        assert_false(sgx_own_tick(&o, t));
    }
    assert_true(sgx_own_may_send(&o, 20000));
    assert_true(sgx_own_may_send(&o, 23990));
    assert_false(sgx_own_may_send(&o, 24000)); /* contact is the previous tick: 19990 */
}

static void test_pause_closes_until_confirmed(void **state)
{
    (void)state;
    sgx_own_t o;
    sgx_own_init(&o, 6000, 1000, 0);
    assert_false(sgx_own_tick(&o, 100));
    assert_false(sgx_own_tick(&o, 200));
    /* SIGSTOP for 9 s: the dispatcher may run before the poll thread's next tick. */
    assert_false(sgx_own_may_send(&o, 9200));
    assert_true(sgx_own_tick(&o, 9200));
    assert_true(o.suspect);
    /* The poll thread runs again, but running proves nothing about membership. */
    for (int64_t t = 9210; t < 15000; t += 10) {
        assert_false(sgx_own_tick(&o, t));
        assert_false(sgx_own_may_send(&o, t));
    }
    sgx_own_confirmed(&o, 15000);
    assert_false(o.suspect);
    assert_true(sgx_own_may_send(&o, 15000));
    assert_false(sgx_own_tick(&o, 15010));
    assert_false(sgx_own_tick(&o, 15020));
    assert_true(sgx_own_may_send(&o, 19010));
    /* A second pause while the gate was already closed is reported again. */
    assert_true(sgx_own_tick(&o, 30000));
    assert_false(sgx_own_may_send(&o, 30000));
}

static void test_limit_floor(void **state)
{
    (void)state;
    sgx_own_t o;
    sgx_own_init(&o, 6000, 3000, 0); /* the testkit's: 6 s session, librdkafka's 3 s beat */
    assert_int_equal(o.limit_ms, 2000);
    sgx_own_init(&o, 3000, 2500, 0);
    assert_int_equal(o.limit_ms, 1000);
    sgx_own_init(&o, 45000, 3000, 0); /* librdkafka's defaults */
    assert_int_equal(o.limit_ms, 41000);
}

static void test_purge_handshake(void **state)
{
    (void)state;
    sgx_own_t o;
    sgx_own_init(&o, 6000, 1000, 0);
    unsigned seen = 0;
    assert_false(sgx_own_purge_due(&o, &seen));
    unsigned e1 = sgx_own_revoke_begin(&o);
    assert_false(sgx_own_wait_purged(&o, e1, 3));
    assert_true(sgx_own_purge_due(&o, &seen));
    assert_int_equal(seen, e1);
    assert_false(sgx_own_purge_due(&o, &seen));
    sgx_own_purged(&o, seen);
    assert_true(sgx_own_wait_purged(&o, e1, 0));
    unsigned e2 = sgx_own_revoke_begin(&o);
    unsigned e3 = sgx_own_revoke_begin(&o);
    assert_false(sgx_own_wait_purged(&o, e2, 0));
    assert_true(sgx_own_purge_due(&o, &seen)); /* one purge covers both */
    sgx_own_purged(&o, seen);
    assert_true(sgx_own_wait_purged(&o, e2, 0));
    assert_true(sgx_own_wait_purged(&o, e3, 0));
}

static void test_record_generation(void **state)
{
    (void)state;
    sgx_part_t p;
    memset(&p, 0, sizeof p);
    sgx_record_t old = {.part = &p}, cur = {.part = &p};
    p.generation = 1; /* assigned */
    sgx_own_publish(&p);
    old.generation = 1;
    assert_true(sgx_own_record(&old));
    p.generation = 2; /* revoked or lost */
    sgx_own_publish(&p);
    assert_false(sgx_own_record(&old));
    p.generation = 3; /* assigned again: the old assignment's records stay unowned */
    sgx_own_publish(&p);
    cur.generation = 3;
    assert_false(sgx_own_record(&old));
    assert_true(sgx_own_record(&cur));
}

/* ---- sgx_aud_drop_if ---- */

typedef struct {
    sgx_row_t *rows[16];
    size_t n;
} sink_t;

static void collect(sgx_row_t *row, void *arg)
{
    sink_t *s = arg;
    assert_true(s->n < 16);
    s->rows[s->n++] = row;
}

static int stale_ack, live_ack;

static bool is_stale(const sgx_row_t *row, void *arg)
{
    (void)arg;
    return row->ack == &stale_ack;
}

static sgx_row_t *mkrow(const char *id, uint64_t hash, sgx_op_t op, int *ack)
{
    sgx_row_t *row = sgx_calloc(1, sizeof *row);
    row->ack = ack;
    row->profile_hash = hash;
    row->profile_id = id;
    row->profile_len = (uint32_t)strlen(id);
    row->op = op;
    return row;
}

static void test_drop_open_and_held_rows(void **state)
{
    (void)state;
    sink_t superseded = {0}, gone = {0};
    sgx_aud_t *a = NULL;
    assert_int_equal(sgx_aud_new(collect, &superseded, &a), SGX_OK);
    /* p1 ENTER goes in flight; its EXIT waits behind the fence; p2 and p3 are open. */
    sgx_aud_add(a, mkrow("p1", 1, SGX_OP_ENTER, &stale_ack), 1);
    sgx_row_t *flight[1];
    sgx_aud_take(a, SGX_OP_ENTER, 1, flight, 2);
    sgx_aud_add(a, mkrow("p1", 1, SGX_OP_EXIT, &stale_ack), 3);
    sgx_aud_add(a, mkrow("p2", 2, SGX_OP_ENTER, &stale_ack), 4);
    sgx_row_t *p3 = mkrow("p3", 3, SGX_OP_ENTER, &live_ack);
    sgx_aud_add(a, p3, 5);
    assert_int_equal(sgx_aud_held_count(a), 1);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 2);

    assert_int_equal(sgx_aud_drop_if(a, is_stale, collect, &gone, 6), 2);
    assert_int_equal(gone.n, 2);
    assert_int_equal(sgx_aud_held_count(a), 0);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 0);
    sgx_row_t *const *open = NULL;
    assert_int_equal(sgx_aud_peek(a, SGX_OP_ENTER, 10, &open), 1);
    assert_ptr_equal(open[0], p3);
    /* A later row of p2 is not coalesced with the dropped one (nothing is handed back). */
    sgx_row_t *p2b = mkrow("p2", 2, SGX_OP_EXIT, &live_ack);
    sgx_aud_add(a, p2b, 7);
    assert_int_equal(superseded.n, 0);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 1);
    /* The in-flight row is the caller's: unfencing it still works. */
    sgx_aud_unfence(a, flight, 1, 8);
    sgx_free(flight[0]);
    for (size_t i = 0; i < gone.n; i++) {
        sgx_free(gone.rows[i]);
    }
    sgx_aud_destroy(a); /* hands p3 and p2b back */
    assert_int_equal(superseded.n, 2);
    for (size_t i = 0; i < superseded.n; i++) {
        sgx_free(superseded.rows[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_ticks_keep_the_gate_open),
        cmocka_unit_test(test_pause_closes_until_confirmed),
        cmocka_unit_test(test_limit_floor),
        cmocka_unit_test(test_purge_handshake),
        cmocka_unit_test(test_record_generation),
        cmocka_unit_test(test_drop_open_and_held_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
