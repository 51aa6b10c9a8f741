/* A set of byte strings for an emulator's audience members: the Meta emulator inserts one per
 * accepted row, so it must cost far less than a jansson object used as a set did (jansson hashes
 * each ~140-byte member with its own hash and allocates a pair per key). Keys are hashed once
 * with XXH3 into base/hmap.c; members whose 64-bit hashes collide share a slot through a short
 * list, so the set stays exact whatever the members are.
 * Not thread-safe: the owner serializes access (the Meta emulator holds its mutex). */
#ifndef SGX_EMU_STRSET_H
#define SGX_EMU_STRSET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct sgx_emu_strset sgx_emu_strset_t;

/** @brief Creates an empty set; owned by the caller, free with sgx_emu_strset_destroy. */
sgx_emu_strset_t *sgx_emu_strset_new(void);

/** @brief Frees the set and its copies of the members. NULL-safe. */
void sgx_emu_strset_destroy(sgx_emu_strset_t *s);

/** @brief Adds a copy of len bytes of key (borrowed). @returns true when it was not there. */
bool sgx_emu_strset_add(sgx_emu_strset_t *s, const char *key, size_t len);

/** @brief Removes key. @returns true when it was there. */
bool sgx_emu_strset_del(sgx_emu_strset_t *s, const char *key, size_t len);

/** @returns whether key is a member. */
bool sgx_emu_strset_has(const sgx_emu_strset_t *s, const char *key, size_t len);

/** @returns the number of members. */
size_t sgx_emu_strset_count(const sgx_emu_strset_t *s);

/** @returns a new JSON array of the members as strings, sorted by strcmp (the inspection
 *  endpoint's order). Members are expected to be UTF-8 without NUL bytes. */
json_t *sgx_emu_strset_sorted_json(const sgx_emu_strset_t *s);

#endif
