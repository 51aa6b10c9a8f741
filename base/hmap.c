/* Linear-probing map; see hmap.h for why it exists.
 *
 * A slot whose key is 0 is empty, so key 0 itself lives outside the table (has_zero and
 * zero_value), the way fastutil and many open-addressing tables handle their sentinel: no
 * per-slot flag byte, slots stay 16 bytes.
 *
 * Index = top bits of (key ^ key >> 32) * 2^64/phi (Fibonacci hashing). The keys are already
 * xxh3 hashes, but tests, fallbacks and future callers may use structured keys (small integers,
 * values differing only in their high bits); the fold and the multiply cost two instructions
 * and make every key bit reach the index bits.
 */
#include "base/hmap.h"

#include "base/mem.h"

_Static_assert(sizeof(size_t) >= 8, "the map sizes assume a 64-bit size_t");

#define SGX_HMAP_MIN_CAP ((size_t)8)
#define SGX_HMAP_MAX_KEYS ((size_t)1 << 40)
#define SGX_HMAP_MAX_CAP ((size_t)1 << 41) /* holds MAX_KEYS under the 70% load limit */

struct sgx_hmap_slot {
    uint64_t key; /* 0: empty */
    void *value;
};

struct sgx_hmap {
    struct sgx_hmap_slot *slots;
    size_t cap;     /* power of two */
    unsigned shift; /* 64 - log2(cap): the index is the top log2(cap) bits of the mix */
    size_t used;    /* nonzero keys in slots */
    bool has_zero;
    void *zero_value;
};

static size_t home(const sgx_hmap_t *h, uint64_t key)
{
    uint64_t x = key ^ (key >> 32);
    x *= UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(x >> h->shift);
}

/* Keeps the load at or under 70%. */
static bool over_load(size_t keys, size_t cap)
{
    return keys * 10 > cap * 7;
}

static void alloc_table(sgx_hmap_t *h, size_t cap)
{
    unsigned bits = 0;
    while (((size_t)1 << bits) < cap) {
        bits++;
    }
    h->slots = sgx_calloc(cap, sizeof *h->slots);
    h->cap = cap;
    h->shift = 64u - bits;
    h->used = 0;
}

/* Places a key known to be absent, with room known to exist. */
static void insert_fresh(sgx_hmap_t *h, uint64_t key, void *value)
{
    size_t mask = h->cap - 1;
    size_t i = home(h, key);
    while (h->slots[i].key != 0) {
        i = (i + 1) & mask;
    }
    h->slots[i].key = key;
    h->slots[i].value = value;
    h->used++;
}

sgx_err_t sgx_hmap_new(size_t initial_capacity, sgx_hmap_t **out)
{
    if (initial_capacity > SGX_HMAP_MAX_KEYS) {
        return SGX_ERR_INVALID;
    }
    size_t cap = SGX_HMAP_MIN_CAP;
    while (over_load(initial_capacity, cap)) {
        cap <<= 1;
    }
    sgx_hmap_t *h = sgx_calloc(1, sizeof *h);
    alloc_table(h, cap);
    *out = h;
    return SGX_OK;
}

void sgx_hmap_destroy(sgx_hmap_t *h)
{
    if (!h) {
        return;
    }
    sgx_free(h->slots);
    sgx_free(h);
}

/* Slot index holding key (nonzero), or cap if absent. */
static size_t find(const sgx_hmap_t *h, uint64_t key)
{
    size_t mask = h->cap - 1;
    for (size_t i = home(h, key);; i = (i + 1) & mask) {
        if (h->slots[i].key == key) {
            return i;
        }
        if (h->slots[i].key == 0) {
            return h->cap;
        }
    }
}

void *sgx_hmap_get(const sgx_hmap_t *h, uint64_t key, bool *found)
{
    bool hit;
    void *value = NULL;
    if (!h) {
        hit = false;
    } else if (key == 0) {
        hit = h->has_zero;
        value = hit ? h->zero_value : NULL;
    } else {
        size_t i = find(h, key);
        hit = i < h->cap;
        value = hit ? h->slots[i].value : NULL;
    }
    if (found) {
        *found = hit;
    }
    return value;
}

static sgx_err_t grow(sgx_hmap_t *h)
{
    if (h->cap >= SGX_HMAP_MAX_CAP) {
        return SGX_ERR_NOMEM;
    }
    struct sgx_hmap_slot *old = h->slots;
    size_t old_cap = h->cap;
    alloc_table(h, old_cap * 2);
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].key != 0) {
            insert_fresh(h, old[i].key, old[i].value);
        }
    }
    sgx_free(old);
    return SGX_OK;
}

sgx_err_t sgx_hmap_put(sgx_hmap_t *h, uint64_t key, void *value)
{
    if (key == 0) {
        h->has_zero = true;
        h->zero_value = value;
        return SGX_OK;
    }
    size_t i = find(h, key);
    if (i < h->cap) {
        h->slots[i].value = value;
        return SGX_OK;
    }
    if (over_load(h->used + 1, h->cap)) {
        sgx_err_t err = grow(h);
        if (err) {
            return err;
        }
    }
    insert_fresh(h, key, value);
    return SGX_OK;
}

/* Empties slot i and closes the hole: walks the run after it and moves back every entry
 * whose home is not inside (i, j], so each remaining key stays reachable from its home
 * without tombstones (Knuth's Algorithm R for linear probing). */
static void remove_at(sgx_hmap_t *h, size_t i)
{
    size_t mask = h->cap - 1;
    for (size_t j = (i + 1) & mask; h->slots[j].key != 0; j = (j + 1) & mask) {
        size_t k = home(h, h->slots[j].key);
        /* Movable iff the hole i lies cyclically within [k, j). */
        if (((j - k) & mask) >= ((j - i) & mask)) {
            h->slots[i] = h->slots[j];
            i = j;
        }
    }
    h->slots[i].key = 0;
    h->slots[i].value = NULL;
    h->used--;
}

sgx_err_t sgx_hmap_del(sgx_hmap_t *h, uint64_t key, void **old)
{
    void *value;
    if (!h) {
        return SGX_ERR_NOT_FOUND;
    }
    if (key == 0) {
        if (!h->has_zero) {
            return SGX_ERR_NOT_FOUND;
        }
        value = h->zero_value;
        h->has_zero = false;
        h->zero_value = NULL;
    } else {
        size_t i = find(h, key);
        if (i == h->cap) {
            return SGX_ERR_NOT_FOUND;
        }
        value = h->slots[i].value;
        remove_at(h, i);
    }
    if (old) {
        *old = value;
    }
    return SGX_OK;
}

size_t sgx_hmap_count(const sgx_hmap_t *h)
{
    return h ? h->used + (h->has_zero ? 1 : 0) : 0;
}

void sgx_hmap_foreach(const sgx_hmap_t *h, sgx_hmap_visit_fn fn, void *arg)
{
    if (h->has_zero) {
        fn(0, h->zero_value, arg);
    }
    for (size_t i = 0; i < h->cap; i++) {
        if (h->slots[i].key != 0) {
            fn(h->slots[i].key, h->slots[i].value, arg);
        }
    }
}
