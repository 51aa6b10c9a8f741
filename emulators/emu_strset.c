/* Member sets over base/hmap.c; see emu_strset.h. */
#include "emulators/emu_strset.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/hmap.h"
#include "base/mem.h"

/* Members sharing one 64-bit hash: almost always exactly one. */
typedef struct member {
    struct member *next;
    size_t len;
    char key[]; /* len bytes and a NUL */
} member_t;

struct sgx_emu_strset {
    sgx_hmap_t *map; /* XXH3 of the member -> member_t list (owned) */
    size_t count;
};

sgx_emu_strset_t *sgx_emu_strset_new(void)
{
    sgx_emu_strset_t *s = sgx_calloc(1, sizeof *s);
    (void)sgx_hmap_new(0, &s->map); /* only fails for an absurd size hint */
    return s;
}

static void free_list(uint64_t key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    for (member_t *m = value, *next; m; m = next) {
        next = m->next;
        sgx_free(m);
    }
}

void sgx_emu_strset_destroy(sgx_emu_strset_t *s)
{
    if (s) {
        sgx_hmap_foreach(s->map, free_list, NULL);
        sgx_hmap_destroy(s->map);
        sgx_free(s);
    }
}

static member_t *find(member_t *m, const char *key, size_t len)
{
    while (m && !(m->len == len && memcmp(m->key, key, len) == 0)) {
        m = m->next;
    }
    return m;
}

bool sgx_emu_strset_add(sgx_emu_strset_t *s, const char *key, size_t len)
{
    uint64_t h = XXH3_64bits(key, len);
    member_t *head = sgx_hmap_get(s->map, h, NULL);
    if (find(head, key, len)) {
        return false;
    }
    member_t *m = sgx_malloc(sizeof *m + len + 1);
    m->next = head;
    m->len = len;
    memcpy(m->key, key, len);
    m->key[len] = '\0';
    if (sgx_hmap_put(s->map, h, m) != SGX_OK) {
        sgx_free(m); /* past 2^40 members: the set stays as it was */
        return false;
    }
    s->count++;
    return true;
}

bool sgx_emu_strset_del(sgx_emu_strset_t *s, const char *key, size_t len)
{
    uint64_t h = XXH3_64bits(key, len);
    member_t *head = sgx_hmap_get(s->map, h, NULL);
    member_t **link = &head;
    while (*link && !((*link)->len == len && memcmp((*link)->key, key, len) == 0)) {
        link = &(*link)->next;
    }
    member_t *m = *link;
    if (!m) {
        return false;
    }
    *link = m->next;
    if (head) {
        sgx_hmap_put(s->map, h, head); /* replaces the value: no growth, cannot fail */
    } else {
        sgx_hmap_del(s->map, h, NULL);
    }
    sgx_free(m);
    s->count--;
    return true;
}

bool sgx_emu_strset_has(const sgx_emu_strset_t *s, const char *key, size_t len)
{
    return find(sgx_hmap_get(s->map, XXH3_64bits(key, len), NULL), key, len) != NULL;
}

size_t sgx_emu_strset_count(const sgx_emu_strset_t *s)
{
    return s->count;
}

typedef struct {
    const char **keys;
    size_t n;
} collect_t;

static void collect(uint64_t key, void *value, void *arg)
{
    collect_t *c = arg;
    (void)key;
    for (const member_t *m = value; m; m = m->next) {
        c->keys[c->n++] = m->key;
    }
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *sgx_emu_strset_sorted_json(const sgx_emu_strset_t *s)
{
    collect_t c = {sgx_malloc((s->count ? s->count : 1) * sizeof *c.keys), 0};
    sgx_hmap_foreach(s->map, collect, &c);
    qsort(c.keys, c.n, sizeof *c.keys, cmp_str_ptr);
    json_t *arr = json_array();
    for (size_t i = 0; i < c.n; i++) {
        json_array_append_new(arr, json_string_nocheck(c.keys[i]));
    }
    sgx_free(c.keys);
    return arr;
}
