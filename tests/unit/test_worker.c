/* Worker threads (worker.h) with a real configuration, routes and Meta connector, but no
 * dispatcher: rows pile up in the worker's out ring. An abrupt stop while the worker waits for
 * room must not leak the row it holds nor the record's hold (issue 10 §6): the record comes
 * back through the done ring, so teardown can free it (ASan's LeakSanitizer checks the row). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "config/config.h"
#include "base/mem.h"
#include "pipeline/record.h"
#include "pipeline/worker.h"

static const char yaml[] =
    "kafka:\n  bootstrap.servers: \"127.0.0.1:9\"\n  group.id: g\n"
    "topics: [t]\ndead_letter_topic: dlq\n"
    "schema_registry:\n  url: http://127.0.0.1:9\n"
    "destinations:\n  - name: meta\n    type: facebook\n"
    "    settings:\n      access_token: tok\n      keys: EMAIL\n"
    "    segments:\n      seg-a: \"111\"\n";

/* A decoded ENTER of seg-a with an e-mail, slices pointing into the record's own bytes. */
static sgx_record_t *mkrec(int i)
{
    char body[128];
    int n = snprintf(body, sizeof body, "p%dseg-auser%d@example.com", i, i);
    sgx_record_t *rec = sgx_calloc(1, sizeof *rec + (size_t)n);
    atomic_init(&rec->pending, 1); /* the routing hold the poll thread takes */
    memcpy(rec->data, body, (size_t)n);
    rec->value_len = (uint32_t)n;
    rec->decoded = true;
    size_t plen = (size_t)snprintf(body, sizeof body, "p%d", i);
    rec->dec.profile_id = (sgx_slice_t){0, (uint32_t)plen};
    rec->dec.segment_id = (sgx_slice_t){(uint32_t)plen, 5};
    rec->dec.fields[SGX_F_EMAIL] = (sgx_slice_t){(uint32_t)plen + 5, (uint32_t)(n - plen - 5)};
    rec->dec.present = 1u << SGX_F_EMAIL;
    rec->dec.op = SGX_OP_ENTER;
    return rec;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void push_in(sgx_worker_t *w, sgx_record_t *rec)
{
    for (int i = 0; sgx_ring_push(w->in, rec) != SGX_OK; i++) {
        assert_true(i < 10000); /* 10 s */
        pause_ms(1);
    }
}

static void test_abort_while_out_ring_full(void **state)
{
    (void)state;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_config_t *cfg = NULL;
    assert_int_equal(sgx_config_parse(yaml, strlen(yaml), &cfg, errbuf), SGX_OK);
    sgx_routes_t *routes = NULL;
    assert_int_equal(sgx_routes_new(cfg, &routes), SGX_OK);
    sgx_dest_t dest = {.cfg = &cfg->dests[0], .def = cfg->dests[0].def};
    assert_int_equal(dest.def->init(&dest.cfg->settings, &dest.ctx, errbuf), SGX_OK);
    dest.def->keys(dest.ctx, &dest.keys, &dest.nkeys);
    sgx_stats_t stats;
    memset(&stats, 0, sizeof stats);
    atomic_bool stop = false, abort_now = false;
    sgx_worker_shared_t sh = {routes, &dest, 1, NULL, &stats, &stop, &abort_now};
    sgx_worker_t w;
    /* Rings of one slot: the first row fills the out ring, the second must wait for room. */
    assert_int_equal(sgx_worker_start(&w, &sh, 0, 1, 16), SGX_OK);
    sgx_record_t *recs[3] = {mkrec(0), mkrec(1), mkrec(2)};
    push_in(&w, recs[0]);
    push_in(&w, recs[1]);
    /* The in ring has one slot: once recs[2] fits, the worker took recs[1] and waits to hand
     * its row over to a full out ring. */
    push_in(&w, recs[2]);
    atomic_store(&abort_now, true);
    sgx_worker_join(&w);

    void *item = NULL;
    assert_int_equal(sgx_ring_pop(w.out, &item), SGX_OK); /* recs[0]'s row */
    sgx_row_t *row = item;
    assert_ptr_equal(row->ack, recs[0]);
    sgx_record_release(recs[0], w.done);
    sgx_row_free(row);
    assert_int_equal(sgx_ring_pop(w.out, &item), SGX_ERR_EMPTY);
    assert_int_equal(sgx_ring_pop(w.in, &item), SGX_OK); /* never taken */
    assert_ptr_equal(item, recs[2]);
    sgx_free(recs[2]);
    /* Both taken records are final: recs[1] too, although its row was never handed over. */
    bool back[2] = {false, false};
    while (sgx_ring_pop(w.done, &item) == SGX_OK) {
        back[item == recs[1]] = true;
        assert_true(item == recs[0] || item == recs[1]);
        sgx_free(item);
    }
    assert_true(back[0]);
    assert_true(back[1]);
    sgx_worker_free(&w);
    dest.def->destroy(dest.ctx);
    sgx_routes_destroy(routes);
    sgx_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abort_while_out_ring_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
