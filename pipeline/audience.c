#include "pipeline/audience.h"

#include <stdlib.h>
#include <string.h>

#include "base/hmap.h"
#include "base/mem.h"

/* The open rows are rows[head..n): taking from the front advances head instead of moving
 * what stays, so a backlog sent in URL-sized slices costs each request its own rows, not the
 * whole backlog (the memmove and re-slotting of every take were ~10% of the dispatcher). */
typedef struct {
    sgx_row_t **rows; /* arrival order; NULL where a row was coalesced away */
    int64_t *at;      /* when each of rows arrived (ms), parallel to rows */
    size_t head, n, cap, live;
    int64_t since;    /* arrival of the oldest row still open */
    bool cut;         /* the last request from it was cut short by a cap: the rest is due */
} open_batch_t;

/* An idle audience (nothing open, held or in flight) owns no buffers: its maps and arrays are
 * created by the first row (ensure_buffers) and freed by sgx_aud_trim, so thousands of
 * configured audiences that see no traffic cost only this struct each. */
struct sgx_aud {
    open_batch_t open[2];
    sgx_hmap_t *pending;    /* profile hash -> row in an open batch (coalescing) */
    sgx_hmap_t *fence;      /* profile hash -> (in-flight count << 1 | op) */
    sgx_hmap_t *held_count; /* profile hash -> rows of that profile waiting */
    sgx_row_t **held;       /* FIFO of rows waiting behind the fence */
    size_t nheld, held_cap;
    sgx_hmap_t *blocked;    /* scratch for sgx_aud_unfence */
    sgx_row_final_fn on_superseded;
    void *arg;
};

static uintptr_t map_get(const sgx_hmap_t *h, uint64_t key)
{
    bool found = false;
    void *v = sgx_hmap_get(h, key, &found);
    return found ? (uintptr_t)v : 0;
}

/* Counters live in the map as integers; zero means absent. */
static void map_adjust(sgx_hmap_t *h, uint64_t key, intptr_t delta)
{
    uintptr_t v = map_get(h, key) + (uintptr_t)delta;
    if (v == 0) {
        sgx_hmap_del(h, key, NULL);
    } else {
        sgx_hmap_put(h, key, (void *)v);
    }
}

sgx_err_t sgx_aud_new(sgx_row_final_fn on_superseded, void *arg, sgx_aud_t **out)
{
    sgx_aud_t *a = sgx_calloc(1, sizeof *a);
    a->on_superseded = on_superseded;
    a->arg = arg;
    *out = a;
    return SGX_OK;
}

/* Small to start with: the maps double as an audience gets busy, and go when it is idle. */
static void ensure_buffers(sgx_aud_t *a)
{
    if (a->pending) {
        return;
    }
    if (sgx_hmap_new(16, &a->pending) || sgx_hmap_new(16, &a->fence) ||
        sgx_hmap_new(16, &a->held_count) || sgx_hmap_new(16, &a->blocked)) {
        abort(); /* only an absurd capacity fails; allocation failure aborts in sgx_malloc */
    }
}

bool sgx_aud_idle(const sgx_aud_t *a)
{
    return a->open[0].live == 0 && a->open[1].live == 0 && a->nheld == 0 &&
           sgx_hmap_count(a->fence) == 0;
}

static void free_buffers(sgx_aud_t *a)
{
    for (int op = 0; op < 2; op++) {
        sgx_free(a->open[op].rows);
        sgx_free(a->open[op].at);
        a->open[op] = (open_batch_t){0};
    }
    sgx_free(a->held);
    a->held = NULL;
    a->nheld = a->held_cap = 0;
    sgx_hmap_destroy(a->pending);
    sgx_hmap_destroy(a->fence);
    sgx_hmap_destroy(a->held_count);
    sgx_hmap_destroy(a->blocked);
    a->pending = a->fence = a->held_count = a->blocked = NULL;
}

void sgx_aud_trim(sgx_aud_t *a)
{
    if (a->pending && sgx_aud_idle(a)) {
        free_buffers(a);
    }
}

void sgx_aud_destroy(sgx_aud_t *a)
{
    if (!a) {
        return;
    }
    for (int op = 0; op < 2; op++) {
        for (size_t i = a->open[op].head; i < a->open[op].n; i++) {
            if (a->open[op].rows[i]) {
                a->on_superseded(a->open[op].rows[i], a->arg);
            }
        }
    }
    for (size_t i = 0; i < a->nheld; i++) {
        a->on_superseded(a->held[i], a->arg);
    }
    free_buffers(a);
    sgx_free(a);
}

size_t sgx_aud_open_count(const sgx_aud_t *a, sgx_op_t op)
{
    return a->open[op].live;
}

int64_t sgx_aud_open_since(const sgx_aud_t *a, sgx_op_t op)
{
    return a->open[op].live ? a->open[op].since : 0;
}

void sgx_aud_mark_cut(sgx_aud_t *a, sgx_op_t op)
{
    a->open[op].cut = a->open[op].live > 0;
}

bool sgx_aud_open_cut(const sgx_aud_t *a, sgx_op_t op)
{
    return a->open[op].cut && a->open[op].live > 0;
}

size_t sgx_aud_held_count(const sgx_aud_t *a)
{
    return a->nheld;
}

static bool same_profile(const sgx_row_t *x, const sgx_row_t *y)
{
    return x->profile_len == y->profile_len &&
           memcmp(x->profile_id, y->profile_id, x->profile_len) == 0;
}

/* Coalescing may drop the earlier row only when both carry the same identifier values: a row
 * for other identifiers (the profile changed its e-mail) names other members, and dropping it
 * would leave them in the audience (EXIT A then ENTER B must remove A and add B). */
static bool same_ids(const sgx_row_t *x, const sgx_row_t *y)
{
    if (x->nvals != y->nvals) {
        return false;
    }
    for (size_t i = 0; i < x->nvals; i++) {
        const unsigned char *px, *py;
        size_t lx, ly;
        if (sgx_row_val(x, i, &px, &lx) != sgx_row_val(y, i, &py, &ly) || lx != ly ||
            (lx && memcmp(px, py, lx) != 0)) {
            return false;
        }
    }
    return true;
}

/* Moves the open rows back to the start of the arrays: their slots are indices. */
static void rebase(open_batch_t *b)
{
    size_t len = b->n - b->head;
    memmove(b->rows, b->rows + b->head, len * sizeof *b->rows);
    memmove(b->at, b->at + b->head, len * sizeof *b->at);
    for (size_t i = 0; i < len; i++) {
        if (b->rows[i]) {
            b->rows[i]->slot = (uint32_t)i;
        }
    }
    b->head = 0;
    b->n = len;
}

static void open_append(sgx_aud_t *a, sgx_row_t *row, int64_t now_ms)
{
    open_batch_t *b = &a->open[row->op];
    if (b->n == b->cap && b->head > 0 && b->head >= b->cap / 4) {
        rebase(b); /* a quarter or more was taken: reuse the space, amortized O(1) a row */
    }
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        b->rows = sgx_realloc(b->rows, b->cap * sizeof *b->rows);
        b->at = sgx_realloc(b->at, b->cap * sizeof *b->at);
    }
    if (b->live == 0) {
        b->since = now_ms;
    }
    row->slot = (uint32_t)b->n;
    b->at[b->n] = now_ms;
    b->rows[b->n++] = row;
    b->live++;
}

/* Joins the open batch; a previous open row of the same profile is superseded by it. The
 * caller has made sure the open row of that hash, if any, is the same profile with the same
 * identifiers (see blocked_by_pending). */
static void place(sgx_aud_t *a, sgx_row_t *row, int64_t now_ms)
{
    bool found = false;
    sgx_row_t *prev = sgx_hmap_get(a->pending, row->profile_hash, &found);
    if (found) {
        open_batch_t *b = &a->open[prev->op];
        b->rows[prev->slot] = NULL;
        b->live--;
        a->on_superseded(prev, a->arg);
    }
    open_append(a, row, now_ms);
    sgx_hmap_put(a->pending, row->profile_hash, row);
}

/* At most one row per profile hash is open, and only a row that may replace it joins. The
 * others wait (held, in order) until the open one has been taken into a request: two profiles
 * whose 64-bit hashes collide, and a later row of the same profile with other identifiers. The
 * latter then still waits behind the fence while the earlier request carries the opposite op,
 * so EXIT(A) is final before ENTER(B) is sent; rows of the same op may be in flight together. */
static bool blocked_by_pending(const sgx_aud_t *a, const sgx_row_t *row)
{
    bool found = false;
    const sgx_row_t *prev = sgx_hmap_get(a->pending, row->profile_hash, &found);
    return found && !(same_profile(prev, row) && same_ids(prev, row));
}

static bool fence_conflict(const sgx_aud_t *a, const sgx_row_t *row)
{
    uintptr_t f = map_get(a->fence, row->profile_hash);
    return f != 0 && (sgx_op_t)(f & 1) != row->op;
}

static void hold(sgx_aud_t *a, sgx_row_t *row)
{
    if (a->nheld == a->held_cap) {
        a->held_cap = a->held_cap ? a->held_cap * 2 : 64;
        a->held = sgx_realloc(a->held, a->held_cap * sizeof *a->held);
    }
    a->held[a->nheld++] = row;
    map_adjust(a->held_count, row->profile_hash, 1);
}

static void release_held(sgx_aud_t *a, int64_t now_ms);

void sgx_aud_add(sgx_aud_t *a, sgx_row_t *row, int64_t now_ms)
{
    ensure_buffers(a);
    if (map_get(a->held_count, row->profile_hash) || fence_conflict(a, row) ||
        blocked_by_pending(a, row)) {
        hold(a, row);
        return;
    }
    place(a, row, now_ms);
}

/* The fence value packs the in-flight row count (<< 1) with the op those rows carry: rows of
 * one profile in flight never have opposite ops, so one op bit suffices. */
static void fence_enter(sgx_aud_t *a, const sgx_row_t *row)
{
    uintptr_t f = map_get(a->fence, row->profile_hash);
    f = f ? f + 2 : (2 | (uintptr_t)row->op);
    sgx_hmap_put(a->fence, row->profile_hash, (void *)f);
}

static void fence_leave(sgx_aud_t *a, const sgx_row_t *row)
{
    uintptr_t f = map_get(a->fence, row->profile_hash);
    if (f >> 1 <= 1) {
        sgx_hmap_del(a->fence, row->profile_hash, NULL);
    } else {
        sgx_hmap_put(a->fence, row->profile_hash, (void *)(f - 2));
    }
}

/* Makes the first `want` open rows (fewer if fewer are open) contiguous from head, squeezing
 * out the coalesced holes among them by moving them towards the rows after them; only that
 * prefix is visited, not the whole backlog. */
static void gather(open_batch_t *b, size_t want)
{
    size_t end = b->head;
    for (size_t k = 0; end < b->n && k < want; end++) {
        k += b->rows[end] != NULL;
    }
    size_t w = end;
    for (size_t r = end; r-- > b->head;) {
        if (b->rows[r] && --w != r) {
            b->rows[w] = b->rows[r];
            b->at[w] = b->at[r];
            b->rows[w]->slot = (uint32_t)w;
        }
    }
    b->head = w;
}

size_t sgx_aud_peek(sgx_aud_t *a, sgx_op_t op, size_t max, sgx_row_t *const **rows)
{
    open_batch_t *b = &a->open[op];
    gather(b, max);
    *rows = b->rows + b->head;
    return b->live < max ? b->live : max;
}

void sgx_aud_take(sgx_aud_t *a, sgx_op_t op, size_t n, sgx_row_t **out, int64_t now_ms)
{
    open_batch_t *b = &a->open[op];
    gather(b, n);
    n = n < b->live ? n : b->live;
    for (size_t i = 0; i < n; i++) {
        sgx_row_t *row = b->rows[b->head + i];
        out[i] = row;
        bool found = false;
        if (sgx_hmap_get(a->pending, row->profile_hash, &found) == row && found) {
            sgx_hmap_del(a->pending, row->profile_hash, NULL);
        }
        fence_enter(a, row);
    }
    b->head += n;
    b->live -= n;
    while (b->head < b->n && !b->rows[b->head]) {
        b->head++; /* holes at the front are gone for good */
    }
    if (b->live == 0) {
        b->head = b->n = 0;
    }
    /* What a request could not carry keeps its real age: restarting the clock here ranked a
     * backlogged audience's oldest rows youngest, so the oldest-first scheduler (sched.h) sent
     * them last and they held back every partition's committed offset for the whole drain. */
    b->since = b->live ? b->at[b->head] : now_ms;
    b->cut = false;
    release_held(a, now_ms);
}

void sgx_aud_unfence(sgx_aud_t *a, sgx_row_t *const *rows, size_t n, int64_t now_ms)
{
    for (size_t i = 0; i < n; i++) {
        fence_leave(a, rows[i]);
    }
    release_held(a, now_ms);
}

/* Moves held rows that no longer conflict into the open batches, in their original order: a
 * row stays behind any earlier held row of the same profile hash. */
static void release_held(sgx_aud_t *a, int64_t now_ms)
{
    if (a->nheld == 0) {
        return;
    }
    size_t w = 0;
    for (size_t r = 0; r < a->nheld; r++) {
        sgx_row_t *row = a->held[r];
        if (map_get(a->blocked, row->profile_hash) || fence_conflict(a, row) ||
            blocked_by_pending(a, row)) {
            sgx_hmap_put(a->blocked, row->profile_hash, (void *)1);
            a->held[w++] = row;
            continue;
        }
        map_adjust(a->held_count, row->profile_hash, -1);
        place(a, row, now_ms);
    }
    a->nheld = w;
    /* Clear the scratch set by deleting what this pass added. */
    for (size_t r = 0; r < a->nheld; r++) {
        sgx_hmap_del(a->blocked, a->held[r]->profile_hash, NULL);
    }
}

size_t sgx_aud_drop_if(sgx_aud_t *a, sgx_row_pred_fn drop, sgx_row_final_fn gone, void *arg,
                       int64_t now_ms)
{
    size_t n = 0;
    for (int op = 0; op < 2; op++) {
        open_batch_t *b = &a->open[op];
        for (size_t i = b->head; i < b->n; i++) {
            sgx_row_t *row = b->rows[i];
            if (!row || !drop(row, arg)) {
                continue;
            }
            bool found = false;
            if (sgx_hmap_get(a->pending, row->profile_hash, &found) == row && found) {
                sgx_hmap_del(a->pending, row->profile_hash, NULL);
            }
            b->rows[i] = NULL;
            b->live--;
            gone(row, arg);
            n++;
        }
    }
    size_t w = 0;
    for (size_t r = 0; r < a->nheld; r++) {
        sgx_row_t *row = a->held[r];
        if (drop(row, arg)) {
            map_adjust(a->held_count, row->profile_hash, -1);
            gone(row, arg);
            n++;
        } else {
            a->held[w++] = row;
        }
    }
    a->nheld = w;
    if (n) {
        release_held(a, now_ms);
    }
    return n;
}
