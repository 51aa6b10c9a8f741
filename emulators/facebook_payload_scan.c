/* Strict subset reader for the Custom Audiences payload; see facebook_payload_scan.h. */
#include "emulators/facebook_payload_scan.h"

#include <string.h>

#include "base/mem.h"

typedef struct {
    const char *s;
    const char *end;
} scan_t;

/* JSON's four whitespace bytes (RFC 8259 §2). */
static void skip_ws(scan_t *sc)
{
    while (sc->s < sc->end && (*sc->s == ' ' || *sc->s == '\n' || *sc->s == '\r' || *sc->s == '\t')) {
        sc->s++;
    }
}

static bool take(scan_t *sc, char c)
{
    skip_ws(sc);
    if (sc->s < sc->end && *sc->s == c) {
        sc->s++;
        return true;
    }
    return false;
}

/* Printable ASCII but '"' and '\\': bytes a JSON string holds as themselves (RFC 8259 §7), so
 * the cell is the bytes between the quotes. Anything else (escapes, UTF-8, control bytes) is
 * left to jansson, which decodes or rejects it. */
static bool plain_byte(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static bool take_string(scan_t *sc, sgx_emu_fb_cell_t *out)
{
    if (!take(sc, '"')) {
        return false;
    }
    const char *b = sc->s;
    while (sc->s < sc->end && plain_byte((unsigned char)*sc->s)) {
        sc->s++;
    }
    if (sc->s == sc->end || *sc->s != '"') {
        return false;
    }
    *out = (sgx_emu_fb_cell_t){b, (size_t)(sc->s - b)};
    sc->s++;
    return true;
}

static bool take_word(scan_t *sc, const char *w)
{
    size_t n = strlen(w);
    skip_ws(sc);
    if ((size_t)(sc->end - sc->s) < n || memcmp(sc->s, w, n) != 0) {
        return false;
    }
    sc->s += n;
    return true;
}

static void push_cell(sgx_emu_fb_flat_t *f, sgx_emu_fb_cell_t c)
{
    if (f->ncells == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 1024;
        f->cells = sgx_realloc(f->cells, f->cap * sizeof *f->cells);
    }
    f->cells[f->ncells++] = c;
}

/* "schema": a key name, or an array of them (an empty array is left to the general parser). */
static bool scan_schema(scan_t *sc, sgx_emu_fb_flat_t *f)
{
    sgx_emu_fb_cell_t c;
    skip_ws(sc);
    if (sc->s < sc->end && *sc->s == '"') {
        if (!take_string(sc, &c)) {
            return false;
        }
        f->schema = json_stringn_nocheck(c.p, c.len);
        return true;
    }
    if (!take(sc, '[')) {
        return false;
    }
    f->schema = json_array();
    do {
        if (!take_string(sc, &c)) {
            return false;
        }
        json_array_append_new(f->schema, json_stringn_nocheck(c.p, c.len));
    } while (take(sc, ','));
    return take(sc, ']');
}

/* One row: a string, or an array of strings as wide as the first row's. */
static bool scan_row(scan_t *sc, sgx_emu_fb_flat_t *f)
{
    sgx_emu_fb_cell_t c;
    skip_ws(sc);
    bool array = sc->s < sc->end && *sc->s == '[';
    if (!array) {
        if (f->width != 0 || !take_string(sc, &c)) {
            return false;
        }
        push_cell(f, c);
        return true;
    }
    if (f->nrows > 0 && f->width == 0) {
        return false;
    }
    sc->s++;
    size_t w = 0;
    do {
        if (!take_string(sc, &c)) {
            return false;
        }
        push_cell(f, c);
        w++;
    } while (take(sc, ','));
    if (f->nrows > 0 && w != f->width) {
        return false;
    }
    f->width = w;
    return take(sc, ']');
}

static bool scan_data(scan_t *sc, sgx_emu_fb_flat_t *f)
{
    if (!take(sc, '[')) {
        return false;
    }
    if (take(sc, ']')) {
        return true;
    }
    do {
        if (!scan_row(sc, f)) {
            return false;
        }
        f->nrows++;
    } while (take(sc, ','));
    return take(sc, ']');
}

/* One member of the top-level object; each of the three at most once, no other. */
static bool scan_member(scan_t *sc, sgx_emu_fb_flat_t *f, bool *seen_data)
{
    sgx_emu_fb_cell_t key;
    if (!take_string(sc, &key) || !take(sc, ':')) {
        return false;
    }
    if (key.len == 6 && memcmp(key.p, "schema", 6) == 0 && !f->schema) {
        return scan_schema(sc, f);
    }
    if (key.len == 6 && memcmp(key.p, "is_raw", 6) == 0 && !f->is_raw) {
        f->is_raw = take_word(sc, "true") ? json_true() : take_word(sc, "false") ? json_false()
                                                                                : NULL;
        return f->is_raw != NULL;
    }
    if (key.len == 4 && memcmp(key.p, "data", 4) == 0 && !*seen_data) {
        *seen_data = true;
        return scan_data(sc, f);
    }
    return false;
}

bool sgx_emu_fb_flat_scan(const char *text, size_t len, sgx_emu_fb_flat_t *out)
{
    memset(out, 0, sizeof *out);
    scan_t sc = {text, text + len};
    bool seen_data = false;
    if (!take(&sc, '{')) {
        return false;
    }
    do {
        if (!scan_member(&sc, out, &seen_data)) {
            return false;
        }
    } while (take(&sc, ','));
    if (!take(&sc, '}')) {
        return false;
    }
    skip_ws(&sc); /* as jansson's end-of-input check: only whitespace may follow */
    return sc.s == sc.end && out->schema && seen_data;
}

void sgx_emu_fb_flat_free(sgx_emu_fb_flat_t *f)
{
    if (f) {
        json_decref(f->schema);
        json_decref(f->is_raw);
        sgx_free(f->cells);
        memset(f, 0, sizeof *f);
    }
}
