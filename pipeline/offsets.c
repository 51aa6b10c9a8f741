/* Offset tracker as a growable circular array of explicit (offset, done) entries, oldest first.
 *
 * Why explicit offsets rather than a bitmap indexed by offset - base: a compacted topic can
 * jump by millions of offsets between two records, and a bitmap would have to fill that span.
 * Storing each tracked offset keeps memory proportional to the records held, and the common
 * no-gap case is still O(1): an offset's slot is guessed as offset - front, which is exact when
 * there is no gap between them; only a miss (gaps present) falls back to a binary search.
 *
 * Invariant: the front entry, if any, is pending. done() pops the done run at the front, so
 * the committable position is simply the front offset, or last + 1 when the array is empty.
 * track and done are O(1) amortized (each entry is pushed and popped once; growth doubles).
 */
#include "pipeline/offsets.h"

#include "base/mem.h"

#define SGX_OFFSETS_INITIAL_CAP 64

struct sgx_offsets_entry {
    int64_t off;
    bool done;
};

struct sgx_offsets {
    struct sgx_offsets_entry *e; /* cap slots, cap a power of two */
    size_t cap;
    size_t head;     /* slot of the oldest held entry */
    size_t n;        /* held entries: the front pending one and everything after it */
    size_t pending;  /* held entries not done */
    int64_t first;   /* first tracked offset since reset, -1 if none */
    int64_t last;    /* last tracked offset since reset, -1 if none */
    int64_t reported; /* position last returned by advance (or the baseline), -1 if none */
};

static struct sgx_offsets_entry *at(const sgx_offsets_t *o, size_t i)
{
    return &o->e[(o->head + i) & (o->cap - 1)];
}

sgx_err_t sgx_offsets_new(sgx_offsets_t **out)
{
    sgx_offsets_t *o = sgx_calloc(1, sizeof *o);
    o->cap = SGX_OFFSETS_INITIAL_CAP;
    o->e = sgx_calloc(o->cap, sizeof *o->e);
    sgx_offsets_reset(o);
    *out = o;
    return SGX_OK;
}

void sgx_offsets_destroy(sgx_offsets_t *o)
{
    if (!o) {
        return;
    }
    sgx_free(o->e);
    sgx_free(o);
}

void sgx_offsets_reset(sgx_offsets_t *o)
{
    o->head = 0;
    o->n = 0;
    o->pending = 0;
    o->first = -1;
    o->last = -1;
    o->reported = -1;
}

/* Doubles the array, unrolling the wrapped contents to start at slot 0. */
static void grow(sgx_offsets_t *o)
{
    size_t ncap = o->cap * 2;
    struct sgx_offsets_entry *ne = sgx_malloc(ncap * sizeof *ne);
    for (size_t i = 0; i < o->n; i++) {
        ne[i] = *at(o, i);
    }
    sgx_free(o->e);
    o->e = ne;
    o->cap = ncap;
    o->head = 0;
}

sgx_err_t sgx_offsets_track(sgx_offsets_t *o, int64_t offset)
{
    if (offset < 0 || offset <= o->last) {
        return SGX_ERR_INVALID;
    }
    if (o->n == o->cap) {
        grow(o);
    }
    *at(o, o->n) = (struct sgx_offsets_entry){.off = offset, .done = false};
    o->n++;
    o->pending++;
    if (o->first < 0) {
        o->first = offset;
        o->reported = offset; /* baseline: see sgx_offsets_advance */
    }
    o->last = offset;
    return SGX_OK;
}

/* Index (from the front) of the held entry for offset, or o->n if none. The caller guarantees
 * front <= offset. Offsets are strictly increasing, so entry i holds at least front + i and the
 * wanted index is at most offset - front: exact when no gap precedes it. */
static size_t find(const sgx_offsets_t *o, int64_t offset)
{
    uint64_t d = (uint64_t)(offset - at(o, 0)->off);
    size_t hi = d < o->n ? (size_t)d : o->n - 1;
    if (at(o, hi)->off == offset) {
        return hi;
    }
    size_t lo = 0; /* search [lo, hi): at(hi) > offset is known */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t v = at(o, mid)->off;
        if (v == offset) {
            return mid;
        }
        if (v < offset) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return o->n;
}

sgx_err_t sgx_offsets_done(sgx_offsets_t *o, int64_t offset)
{
    if (o->first < 0 || offset < o->first || offset > o->last) {
        return SGX_ERR_NOT_FOUND;
    }
    if (o->n == 0 || offset < at(o, 0)->off) {
        return SGX_ERR_INVALID; /* below the position: already done and released */
    }
    size_t i = find(o, offset);
    if (i == o->n) {
        return SGX_ERR_NOT_FOUND; /* a gap: never consumed */
    }
    struct sgx_offsets_entry *ent = at(o, i);
    if (ent->done) {
        return SGX_ERR_INVALID;
    }
    ent->done = true;
    o->pending--;
    /* Release the done run at the front to restore the invariant. */
    while (o->n > 0 && at(o, 0)->done) {
        o->head = (o->head + 1) & (o->cap - 1);
        o->n--;
    }
    return SGX_OK;
}

int64_t sgx_offsets_position(const sgx_offsets_t *o)
{
    if (o->last < 0) {
        return -1;
    }
    return o->n > 0 ? at(o, 0)->off : o->last + 1;
}

bool sgx_offsets_advance(sgx_offsets_t *o, int64_t *next)
{
    int64_t pos = sgx_offsets_position(o);
    if (pos <= o->reported) {
        return false;
    }
    o->reported = pos;
    *next = pos;
    return true;
}

size_t sgx_offsets_pending(const sgx_offsets_t *o)
{
    return o->pending;
}

size_t sgx_offsets_held(const sgx_offsets_t *o)
{
    return o->n;
}
