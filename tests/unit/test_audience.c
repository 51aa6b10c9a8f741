/* Per-audience batching (audience.h) with hand-built rows: coalescing, the in-flight fence,
 * held rows and their order, hash collisions, peek/take, open_since and teardown. Every row
 * handed back through the superseded callback is recorded and freed, so ASan proves that no
 * row is leaked or handed back twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/mem.h"
#include "pipeline/audience.h"

#define MAX_GONE 256

/* What the callback saw: the rows it was given, in order. */
typedef struct {
    sgx_row_t *gone[MAX_GONE];
    size_t ngone;
} sink_t;

static int dummy_ack;

static void on_superseded(sgx_row_t *row, void *arg)
{
    sink_t *s = arg;
    assert_true(s->ngone < MAX_GONE);
    s->gone[s->ngone++] = row;
}

static void sink_free(sink_t *s)
{
    for (size_t i = 0; i < s->ngone; i++) {
        sgx_free(s->gone[i]);
    }
    s->ngone = 0;
}

/* A row for profile id, hashed as given (tests choose hashes to force collisions). */
static sgx_row_t *mkrow(const char *id, uint64_t hash, sgx_op_t op)
{
    sgx_row_t *row = sgx_calloc(1, sizeof *row);
    row->ack = &dummy_ack;
    row->profile_hash = hash;
    row->profile_id = id;
    row->profile_len = (uint32_t)strlen(id);
    row->op = op;
    return row;
}

/* A row carrying one text identifier (an e-mail), like the rows workers build. */
static sgx_row_t *mkrow_id(const char *id, uint64_t hash, sgx_op_t op, const char *email)
{
    size_t n = strlen(email);
    sgx_row_t *row = sgx_calloc(1, sizeof *row + n);
    row->ack = &dummy_ack;
    row->profile_hash = hash;
    row->profile_id = id;
    row->profile_len = (uint32_t)strlen(id);
    row->op = op;
    row->nvals = 1;
    row->vals[0] = (sgx_row_val_t){.kind = SGX_VAL_TEXT, .len = (uint16_t)n, .off = 0};
    row->data_len = (uint16_t)n;
    memcpy(row->data, email, n);
    return row;
}

static sgx_aud_t *fresh(sink_t *s)
{
    sgx_aud_t *a = NULL;
    memset(s, 0, sizeof *s);
    assert_int_equal(sgx_aud_new(on_superseded, s, &a), SGX_OK);
    assert_non_null(a);
    return a;
}

/* Takes every open row of op into out (caller frees them). @returns how many. */
static size_t take_all(sgx_aud_t *a, sgx_op_t op, sgx_row_t **out, int64_t now)
{
    size_t n = sgx_aud_open_count(a, op);
    sgx_aud_take(a, op, n, out, now);
    return n;
}

static void free_rows(sgx_row_t **rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sgx_free(rows[i]);
    }
}

static void test_coalesce_opposite_ops(void **state)
{
    (void)state;
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    sgx_row_t *enter = mkrow("p1", 1, SGX_OP_ENTER);
    sgx_row_t *exit_row = mkrow("p1", 1, SGX_OP_EXIT);
    sgx_aud_add(a, enter, 10);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 1);
    sgx_aud_add(a, exit_row, 11);
    /* The later op wins; the earlier row is final without being sent. */
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 0);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 1);
    assert_int_equal(s.ngone, 1);
    assert_ptr_equal(s.gone[0], enter);
    sgx_row_t *out[4];
    assert_int_equal(take_all(a, SGX_OP_EXIT, out, 12), 1);
    assert_ptr_equal(out[0], exit_row);
    /* The ENTER batch must not send the superseded row either. */
    sgx_row_t *const *rows = NULL;
    assert_int_equal(sgx_aud_peek(a, SGX_OP_ENTER, 10, &rows), 0);
    sgx_aud_unfence(a, out, 1, 13);
    free_rows(out, 1);
    sgx_aud_destroy(a);
    assert_int_equal(s.ngone, 1);
    sink_free(&s);
}

static void test_coalesce_same_op(void **state)
{
    (void)state;
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    sgx_row_t *first = mkrow("p1", 1, SGX_OP_ENTER);
    sgx_row_t *second = mkrow("p1", 1, SGX_OP_ENTER);
    sgx_row_t *other = mkrow("p2", 2, SGX_OP_ENTER);
    sgx_aud_add(a, first, 1);
    sgx_aud_add(a, other, 2);
    sgx_aud_add(a, second, 3);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 2);
    assert_int_equal(s.ngone, 1);
    assert_ptr_equal(s.gone[0], first);
    sgx_row_t *const *rows = NULL;
    assert_int_equal(sgx_aud_peek(a, SGX_OP_ENTER, 10, &rows), 2);
    /* Arrival order of the survivors: the replacement counts from when it arrived. */
    assert_ptr_equal(rows[0], other);
    assert_ptr_equal(rows[1], second);
    sgx_aud_destroy(a);
    assert_int_equal(s.ngone, 3);
    sink_free(&s);
}

/* The age of what a take leaves behind is its oldest survivor's arrival, holes squeezed out:
 * with the clock restarted at the take instead, this batch would read 500, not 300. */
static void test_age_after_take_skips_coalesced(void **state)
{
    (void)state;
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    sgx_aud_add(a, mkrow("p1", 1, SGX_OP_ENTER), 100);
    sgx_aud_add(a, mkrow("p2", 2, SGX_OP_ENTER), 200);
    sgx_aud_add(a, mkrow("p3", 3, SGX_OP_ENTER), 300);
    sgx_aud_add(a, mkrow("p2", 2, SGX_OP_ENTER), 400); /* p2@200 coalesced away */
    sgx_row_t *out[3];
    sgx_aud_take(a, SGX_OP_ENTER, 1, out, 500);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 2);
    assert_int_equal(sgx_aud_open_since(a, SGX_OP_ENTER), 300);
    sgx_aud_take(a, SGX_OP_ENTER, 1, out + 1, 600);
    assert_int_equal(sgx_aud_open_since(a, SGX_OP_ENTER), 400);
    sgx_aud_take(a, SGX_OP_ENTER, 1, out + 2, 700);
    assert_int_equal(sgx_aud_open_since(a, SGX_OP_ENTER), 0);
    sgx_aud_unfence(a, out, 3, 701);
    free_rows(out, 3);
    sgx_aud_destroy(a);
    sink_free(&s);
}

/* A backlog taken in small slices while rows keep arriving and some are superseded: every
 * row comes out once, in arrival order, none that was superseded, across the arrays' growth
 * and the moves back to their start (their slots must follow, or superseding would blank the
 * wrong row). row->audience carries the arrival number here. */
#define SLICE_PROFILES 6000
static void test_sliced_backlog_keeps_order(void **state)
{
    (void)state;
    static char ids[SLICE_PROFILES][8];
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    uint32_t seq = 0, last = 0;
    size_t next = 0, taken = 0, gone = 0;
    int64_t now = 1;
    for (int round = 0; next < SLICE_PROFILES || sgx_aud_open_count(a, SGX_OP_ENTER); round++) {
        for (int k = 0; k < (round < 100 ? 60 : 12) && next < SLICE_PROFILES; k++, next++) {
            snprintf(ids[next], sizeof ids[next], "p%zu", next);
            sgx_row_t *r = mkrow(ids[next], next + 1, SGX_OP_ENTER);
            r->audience = ++seq;
            sgx_aud_add(a, r, now);
        }
        if (round < 100 && next > 30 && s.ngone < MAX_GONE) {
            sgx_row_t *r = mkrow(ids[next - 30], next - 29, SGX_OP_ENTER); /* supersedes */
            r->audience = ++seq;
            sgx_aud_add(a, r, now);
        }
        sgx_row_t *const *peek = NULL;
        size_t n = sgx_aud_peek(a, SGX_OP_ENTER, 50, &peek);
        sgx_row_t *out[50];
        sgx_aud_take(a, SGX_OP_ENTER, n, out, ++now);
        for (size_t i = 0; i < n; i++) {
            assert_true(out[i]->audience > last);
            last = out[i]->audience;
            for (size_t g = gone; g < s.ngone; g++) {
                assert_ptr_not_equal(out[i], s.gone[g]);
            }
        }
        taken += n;
        sgx_aud_unfence(a, out, n, now);
        free_rows(out, n);
    }
    gone = s.ngone;
    assert_true(gone >= 90); /* the superseding rows of the first 100 rounds found theirs open */
    assert_int_equal(taken + gone, seq);
    sgx_aud_destroy(a);
    sink_free(&s);
}

/* ENTER in flight, then EXIT for the same profile: held until the ENTER request is final. A
 * later ENTER must queue behind the held EXIT (not jump into the open ENTER batch). */
static void test_fence_holds_and_keeps_order(void **state)
{
    (void)state;
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    sgx_row_t *inflight[4];
    sgx_aud_add(a, mkrow("p1", 1, SGX_OP_ENTER), 1);
    assert_int_equal(take_all(a, SGX_OP_ENTER, inflight, 2), 1);
    sgx_row_t *exit_row = mkrow("p1", 1, SGX_OP_EXIT);
    sgx_aud_add(a, exit_row, 3);
    assert_int_equal(sgx_aud_held_count(a), 1);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 0);
    sgx_row_t *reenter = mkrow("p1", 1, SGX_OP_ENTER);
    sgx_aud_add(a, reenter, 4);
    assert_int_equal(sgx_aud_held_count(a), 2);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 0);
    /* Another profile is not affected by p1's fence. */
    sgx_row_t *p2 = mkrow("p2", 2, SGX_OP_EXIT);
    sgx_aud_add(a, p2, 5);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 1);
    assert_int_equal(s.ngone, 0);
    sgx_aud_unfence(a, inflight, 1, 6);
    free_rows(inflight, 1);
    /* Released in order into one open window: EXIT then ENTER, so ENTER is the survivor. */
    assert_int_equal(sgx_aud_held_count(a), 0);
    assert_int_equal(s.ngone, 1);
    assert_ptr_equal(s.gone[0], exit_row);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 1);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 1);
    sgx_row_t *const *rows = NULL;
    assert_int_equal(sgx_aud_peek(a, SGX_OP_ENTER, 10, &rows), 1);
    assert_ptr_equal(rows[0], reenter);
    assert_int_equal(sgx_aud_peek(a, SGX_OP_EXIT, 10, &rows), 1);
    assert_ptr_equal(rows[0], p2);
    sgx_aud_destroy(a);
    sink_free(&s);
}

/* Issue 10 §3: the profile changes e-mail from A to B within one open window. EXIT(A) must
 * not be coalesced away (A would stay in the audience forever): it is sent, and ENTER(B) waits
 * until the EXIT request is final, then is sent. */
static void test_identifier_change_not_coalesced(void **state)
{
    (void)state;
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    sgx_row_t *exit_a = mkrow_id("p1", 1, SGX_OP_EXIT, "a@example.com");
    sgx_row_t *enter_b = mkrow_id("p1", 1, SGX_OP_ENTER, "b@example.com");
    sgx_aud_add(a, exit_a, 1);
    sgx_aud_add(a, enter_b, 2);
    assert_int_equal(s.ngone, 0);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 1);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 0);
    assert_int_equal(sgx_aud_held_count(a), 1);
    sgx_row_t *out[2];
    assert_int_equal(take_all(a, SGX_OP_EXIT, out, 3), 1);
    assert_ptr_equal(out[0], exit_a);
    /* REMOVE A is in flight: ADD B must not overtake it. */
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 0);
    assert_int_equal(sgx_aud_held_count(a), 1);
    sgx_aud_unfence(a, out, 1, 4);
    free_rows(out, 1);
    assert_int_equal(sgx_aud_held_count(a), 0);
    assert_int_equal(take_all(a, SGX_OP_ENTER, out, 5), 1);
    assert_ptr_equal(out[0], enter_b);
    sgx_aud_unfence(a, out, 1, 6);
    free_rows(out, 1);
    sgx_aud_destroy(a);
    assert_int_equal(s.ngone, 0);
}

/* Same op, other identifiers (a second e-mail): both rows are sent, none is dropped; the
 * second joins once the first left the open batch, and may be in flight beside it. Rows with
 * the same identifiers still coalesce. */
static void test_identifier_change_same_op(void **state)
{
    (void)state;
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    sgx_row_t *enter_a = mkrow_id("p1", 1, SGX_OP_ENTER, "a@example.com");
    sgx_row_t *enter_b = mkrow_id("p1", 1, SGX_OP_ENTER, "b@example.com");
    sgx_row_t *exit_b = mkrow_id("p1", 1, SGX_OP_EXIT, "b@example.com");
    sgx_aud_add(a, enter_a, 1);
    sgx_aud_add(a, enter_b, 2);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 1);
    assert_int_equal(sgx_aud_held_count(a), 1);
    sgx_row_t *first[2], *second[2];
    assert_int_equal(take_all(a, SGX_OP_ENTER, first, 3), 1);
    assert_ptr_equal(first[0], enter_a);
    assert_int_equal(sgx_aud_held_count(a), 0);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 1);
    /* EXIT(B) waits while ENTER(A) of the same profile is in flight with the opposite op... */
    sgx_aud_add(a, exit_b, 4);
    assert_int_equal(s.ngone, 0);
    assert_int_equal(sgx_aud_held_count(a), 1);
    sgx_aud_unfence(a, first, 1, 5);
    free_rows(first, 1);
    /* ...then, carrying B's identifiers, replaces the open ENTER(B). */
    assert_int_equal(s.ngone, 1);
    assert_ptr_equal(s.gone[0], enter_b);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 0);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 1);
    assert_int_equal(take_all(a, SGX_OP_EXIT, second, 6), 1);
    assert_ptr_equal(second[0], exit_b);
    sgx_aud_unfence(a, second, 1, 7);
    free_rows(second, 1);
    sgx_aud_destroy(a);
    sink_free(&s);
}

/* The held EXIT moves into the open EXIT batch once the ENTER is final. */
static void test_unfence_moves_held_to_open(void **state)
{
    (void)state;
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    sgx_row_t *inflight[2];
    sgx_aud_add(a, mkrow("p1", 1, SGX_OP_ENTER), 1);
    assert_int_equal(take_all(a, SGX_OP_ENTER, inflight, 2), 1);
    sgx_row_t *exit_row = mkrow("p1", 1, SGX_OP_EXIT);
    sgx_aud_add(a, exit_row, 3);
    assert_int_equal(sgx_aud_held_count(a), 1);
    assert_int_equal(sgx_aud_open_since(a, SGX_OP_EXIT), 0);
    sgx_aud_unfence(a, inflight, 1, 50);
    free_rows(inflight, 1);
    assert_int_equal(sgx_aud_held_count(a), 0);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 1);
    /* Its window opens when it was released, not when it arrived. */
    assert_int_equal(sgx_aud_open_since(a, SGX_OP_EXIT), 50);
    sgx_row_t *out[2];
    assert_int_equal(take_all(a, SGX_OP_EXIT, out, 51), 1);
    assert_ptr_equal(out[0], exit_row);
    sgx_aud_unfence(a, out, 1, 52);
    free_rows(out, 1);
    sgx_aud_destroy(a);
    assert_int_equal(s.ngone, 0);
}

/* Two requests hold ENTER for p1: the EXIT waits until both are final, not just the first. */
static void test_fence_counts_requests(void **state)
{
    (void)state;
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    sgx_row_t *req1[1], *req2[1];
    sgx_aud_add(a, mkrow("p1", 1, SGX_OP_ENTER), 1);
    take_all(a, SGX_OP_ENTER, req1, 2);
    sgx_aud_add(a, mkrow("p1", 1, SGX_OP_ENTER), 3); /* same op as in flight: not held */
    assert_int_equal(sgx_aud_held_count(a), 0);
    assert_int_equal(take_all(a, SGX_OP_ENTER, req2, 4), 1);
    sgx_aud_add(a, mkrow("p1", 1, SGX_OP_EXIT), 5);
    assert_int_equal(sgx_aud_held_count(a), 1);
    sgx_aud_unfence(a, req1, 1, 6);
    assert_int_equal(sgx_aud_held_count(a), 1);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 0);
    sgx_aud_unfence(a, req2, 1, 7);
    assert_int_equal(sgx_aud_held_count(a), 0);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 1);
    free_rows(req1, 1);
    free_rows(req2, 1);
    sgx_aud_destroy(a);
    assert_int_equal(s.ngone, 1); /* the open EXIT handed back at teardown */
    sink_free(&s);
}

/* Different profiles with one 64-bit hash must never replace each other. */
/* Profiles whose hashes collide are never coalesced together, and never open at the same
 * time: the second waits until the first left the open batch, so the one-op-per-hash fence
 * still keeps opposite ops of either profile from being in flight together. */
static void test_hash_collision_not_coalesced(void **state)
{
    (void)state;
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    sgx_row_t *x = mkrow("alice", 42, SGX_OP_ENTER);
    sgx_row_t *y = mkrow("bob", 42, SGX_OP_ENTER);
    sgx_row_t *y2 = mkrow("bob", 42, SGX_OP_EXIT);
    sgx_aud_add(a, x, 1);
    sgx_aud_add(a, y, 2);
    sgx_aud_add(a, y2, 3);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 1);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 0);
    assert_int_equal(sgx_aud_held_count(a), 2);
    assert_int_equal(s.ngone, 0);
    /* alice goes out: bob's ENTER may open, his EXIT stays behind the in-flight hash. */
    sgx_row_t *taken[1];
    sgx_aud_take(a, SGX_OP_ENTER, 1, taken, 4);
    assert_ptr_equal(taken[0], x);
    sgx_row_t *const *rows = NULL;
    assert_int_equal(sgx_aud_peek(a, SGX_OP_ENTER, 10, &rows), 1);
    assert_ptr_equal(rows[0], y);
    assert_int_equal(sgx_aud_held_count(a), 1);
    /* alice's request is final: bob's EXIT supersedes his open ENTER. */
    sgx_aud_unfence(a, taken, 1, 5);
    assert_int_equal(sgx_aud_held_count(a), 0);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 0);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 1);
    assert_int_equal(s.ngone, 1);
    assert_ptr_equal(s.gone[0], y);
    sgx_free(x);
    sgx_aud_destroy(a);
    assert_int_equal(s.ngone, 2);
    sink_free(&s);
}

static void test_take_peek_order(void **state)
{
    (void)state;
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    static const char *const ids[] = {"p0", "p1", "p2", "p3", "p4"};
    sgx_row_t *r[5];
    for (int i = 0; i < 5; i++) {
        r[i] = mkrow(ids[i], (uint64_t)i + 100, SGX_OP_ENTER);
        sgx_aud_add(a, r[i], i);
    }
    sgx_row_t *r1b = mkrow("p1", 101, SGX_OP_ENTER); /* replaces r[1], joins at the end */
    sgx_aud_add(a, r1b, 9);
    sgx_row_t *const *rows = NULL;
    assert_int_equal(sgx_aud_peek(a, SGX_OP_ENTER, 3, &rows), 3);
    assert_ptr_equal(rows[0], r[0]);
    assert_ptr_equal(rows[1], r[2]);
    assert_ptr_equal(rows[2], r[3]);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 5); /* peek takes nothing */
    sgx_row_t *out[5];
    sgx_aud_take(a, SGX_OP_ENTER, 2, out, 20);
    assert_ptr_equal(out[0], r[0]);
    assert_ptr_equal(out[1], r[2]);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 3);
    assert_int_equal(sgx_aud_peek(a, SGX_OP_ENTER, 10, &rows), 3);
    assert_ptr_equal(rows[0], r[3]);
    assert_ptr_equal(rows[1], r[4]);
    assert_ptr_equal(rows[2], r1b);
    /* A taken row is no longer the coalescing target: a new p0 row is simply added. */
    sgx_row_t *p0b = mkrow("p0", 100, SGX_OP_ENTER);
    sgx_aud_add(a, p0b, 21);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 4);
    assert_int_equal(s.ngone, 1);
    sgx_aud_unfence(a, out, 2, 22);
    free_rows(out, 2);
    sgx_aud_destroy(a);
    assert_int_equal(s.ngone, 5);
    sink_free(&s);
}

static void test_open_since(void **state)
{
    (void)state;
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    assert_int_equal(sgx_aud_open_since(a, SGX_OP_ENTER), 0);
    sgx_aud_add(a, mkrow("p1", 1, SGX_OP_ENTER), 100);
    sgx_aud_add(a, mkrow("p2", 2, SGX_OP_ENTER), 200);
    assert_int_equal(sgx_aud_open_since(a, SGX_OP_ENTER), 100);
    assert_int_equal(sgx_aud_open_since(a, SGX_OP_EXIT), 0);
    sgx_row_t *out[2];
    sgx_aud_take(a, SGX_OP_ENTER, 1, out, 250);
    /* What is left keeps its own age (p2 arrived at 200), not the take's: a backlog that
     * restarted its clock at every take was ranked youngest and sent last. */
    assert_int_equal(sgx_aud_open_since(a, SGX_OP_ENTER), 200);
    assert_false(sgx_aud_open_cut(a, SGX_OP_ENTER));
    /* A request cut short by a cap leaves the rest due; the next take clears that. */
    sgx_aud_mark_cut(a, SGX_OP_ENTER);
    assert_true(sgx_aud_open_cut(a, SGX_OP_ENTER));
    assert_int_equal(sgx_aud_open_since(a, SGX_OP_ENTER), 200);
    sgx_aud_mark_cut(a, SGX_OP_EXIT); /* nothing open: nothing to mark */
    assert_false(sgx_aud_open_cut(a, SGX_OP_EXIT));
    assert_int_equal(sgx_aud_open_since(a, SGX_OP_EXIT), 0);
    sgx_aud_take(a, SGX_OP_ENTER, 1, out + 1, 260);
    assert_int_equal(sgx_aud_open_since(a, SGX_OP_ENTER), 0);
    assert_false(sgx_aud_open_cut(a, SGX_OP_ENTER));
    sgx_aud_add(a, mkrow("p3", 3, SGX_OP_ENTER), 300);
    assert_int_equal(sgx_aud_open_since(a, SGX_OP_ENTER), 300);
    sgx_aud_unfence(a, out, 2, 301);
    free_rows(out, 2);
    sgx_aud_destroy(a);
    assert_int_equal(s.ngone, 1);
    sink_free(&s);
}

/* Teardown hands back every open and held row exactly once (ASan catches leaks/doubles). */
/* Trim frees only an idle audience, and a trimmed one works as a fresh one: the fence of a
 * request in flight survives trim attempts, and after the request the audience comes back. */
static void test_trim_only_when_idle(void **state)
{
    (void)state;
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    assert_true(sgx_aud_idle(a));
    sgx_aud_trim(a); /* never used: nothing to free */
    sgx_aud_add(a, mkrow("p1", 1, SGX_OP_ENTER), 10);
    assert_false(sgx_aud_idle(a));
    sgx_aud_trim(a);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 1);
    sgx_row_t *flight[1];
    assert_int_equal(take_all(a, SGX_OP_ENTER, flight, 20), 1);
    assert_false(sgx_aud_idle(a)); /* in flight */
    sgx_aud_trim(a);
    sgx_aud_add(a, mkrow("p1", 1, SGX_OP_EXIT), 30);
    assert_int_equal(sgx_aud_held_count(a), 1); /* the fence survived the trim attempt */
    sgx_aud_unfence(a, flight, 1, 40);
    sgx_free(flight[0]);
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_EXIT), 1);
    assert_int_equal(take_all(a, SGX_OP_EXIT, flight, 50), 1);
    sgx_aud_unfence(a, flight, 1, 60);
    sgx_free(flight[0]);
    assert_true(sgx_aud_idle(a));
    sgx_aud_trim(a);
    sgx_aud_add(a, mkrow("p2", 2, SGX_OP_ENTER), 70); /* buffers come back */
    sgx_aud_add(a, mkrow("p2", 2, SGX_OP_ENTER), 80); /* and coalescing works */
    assert_int_equal(sgx_aud_open_count(a, SGX_OP_ENTER), 1);
    assert_int_equal(s.ngone, 1);
    sgx_aud_destroy(a);
    assert_int_equal(s.ngone, 2);
    sink_free(&s);
}

static void test_destroy_hands_back_rows(void **state)
{
    (void)state;
    sink_t s;
    sgx_aud_t *a = fresh(&s);
    sgx_row_t *inflight[1];
    sgx_aud_add(a, mkrow("p1", 1, SGX_OP_ENTER), 1);
    take_all(a, SGX_OP_ENTER, inflight, 2);
    sgx_aud_add(a, mkrow("p1", 1, SGX_OP_EXIT), 3);  /* held */
    sgx_aud_add(a, mkrow("p2", 2, SGX_OP_EXIT), 4);  /* open EXIT */
    sgx_aud_add(a, mkrow("p3", 3, SGX_OP_ENTER), 5); /* open ENTER */
    sgx_aud_add(a, mkrow("p3", 3, SGX_OP_ENTER), 6); /* supersedes the previous */
    assert_int_equal(s.ngone, 1);
    sgx_aud_destroy(a);
    assert_int_equal(s.ngone, 4);
    for (size_t i = 0; i < s.ngone; i++) {
        for (size_t j = i + 1; j < s.ngone; j++) {
            assert_ptr_not_equal(s.gone[i], s.gone[j]);
        }
    }
    sink_free(&s);
    free_rows(inflight, 1); /* in flight: the caller's, never the callback's */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coalesce_opposite_ops),
        cmocka_unit_test(test_coalesce_same_op),
        cmocka_unit_test(test_fence_holds_and_keeps_order),
        cmocka_unit_test(test_identifier_change_not_coalesced),
        cmocka_unit_test(test_identifier_change_same_op),
        cmocka_unit_test(test_unfence_moves_held_to_open),
        cmocka_unit_test(test_fence_counts_requests),
        cmocka_unit_test(test_hash_collision_not_coalesced),
        cmocka_unit_test(test_take_peek_order),
        cmocka_unit_test(test_open_since),
        cmocka_unit_test(test_age_after_take_skips_coalesced),
        cmocka_unit_test(test_sliced_backlog_keeps_order),
        cmocka_unit_test(test_trim_only_when_idle),
        cmocka_unit_test(test_destroy_hands_back_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
