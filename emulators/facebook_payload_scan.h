/* A fast, strict reader for the documented shape of the Custom Audiences `payload`, a JSON
 * string {"schema":..., "is_raw":..., "data":[...]} (https://developers.facebook.com/docs/
 * marketing-api/reference/custom-audience/users, [FB-users] in destinations.md), used by
 * facebook_payload.c before jansson. It accepts only a subset of JSON whose meaning is
 * unambiguous without building a tree: each of the three members at most once and no other
 * member, strings of printable ASCII without escapes, rows all strings or all arrays of the same
 * width. Anything else (including everything jansson would
 * reject) makes it decline, and the caller parses with jansson as before, so what the emulator
 * accepts and how it words its errors do not depend on which reader ran. Pure: no I/O, no locks. */
#ifndef SGX_EMU_FACEBOOK_PAYLOAD_SCAN_H
#define SGX_EMU_FACEBOOK_PAYLOAD_SCAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A string's bytes, borrowed from the payload text (no escapes, so no decoding was needed). */
typedef struct {
    const char *p;
    size_t len;
} sgx_emu_fb_cell_t;

typedef struct {
    json_t *schema;          /* owned: the schema member (a string or an array of strings) */
    json_t *is_raw;          /* owned: true or false, NULL when absent */
    sgx_emu_fb_cell_t *cells; /* owned: nrows * (width ? width : 1) cells, row after row */
    size_t ncells;
    size_t cap;
    size_t nrows;
    size_t width; /* cells per row array; 0 when the rows are bare strings */
} sgx_emu_fb_flat_t;

/**
 * @brief Reads len bytes of text (borrowed; cells point into it) into *out.
 * @returns true when the text is in the subset, with `schema` and `data` both present; false
 *          when the caller must use the general parser. Free *out with sgx_emu_fb_flat_free in
 *          every case.
 */
bool sgx_emu_fb_flat_scan(const char *text, size_t len, sgx_emu_fb_flat_t *out);

/** @brief Frees what a scan kept; NULL-safe and safe on a zeroed struct. */
void sgx_emu_fb_flat_free(sgx_emu_fb_flat_t *f);

#endif
