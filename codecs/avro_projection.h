/* A bounds-checked, allocation-free Avro binary decoder that extracts only the fields segexport
 * needs, driven by the *writer* schema fetched by id.
 *
 * Why not avro-c's decoder (kafka.md §5): it allocates every string before its bounds check and
 * leaks it on failure, passes negative lengths to malloc, crashes on some schema resolutions and
 * has no reader defaults. Here avro-c only validates the schema text; the schema is compiled
 * once into a flat program of type nodes and every message is walked against it. Fields we do
 * not need are skipped, so writers may add, reorder or nest fields freely. */
#ifndef SGX_AVRO_PROJECTION_H
#define SGX_AVRO_PROJECTION_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "codecs/event.h"

/* Writer-schema field names feeding each target; NULL means the canonical name ("profile_id",
 * "segment_id", "op", "event_time", sgx_field_name(f)). Names may be dotted paths into nested
 * records ("contact.email"); a record on the path may be wrapped in a union with null, and a
 * null there means the target is absent. All strings are borrowed for the call only. */
typedef struct {
    const char *profile_id, *segment_id, *op, *event_time;
    const char *fields[SGX_F__COUNT];
} sgx_mapping_t;

typedef struct sgx_projection sgx_projection_t;

/* Nesting cap while decoding (records, arrays, maps, unions): a recursive schema cannot make the
 * decoder recurse more than this. */
#define SGX_PROJECTION_MAX_DEPTH 64

/**
 * @brief Validates and compiles a writer schema (JSON text) for the given mapping.
 *
 * Accepted target types: profile_id and segment_id string; op enum (symbols ENTER/EXIT, other
 * symbols fail at decode) or string; event_time long (timestamp-millis, or timestamp-micros
 * which is scaled down); identifier fields string, and date_of_birth also int with
 * logicalType date. Each may be wrapped in a union with null (any branch order).
 * profile_id, segment_id or op missing from the schema, or any mapped field of another type,
 * is SGX_ERR_CONFIG with a message in errbuf. Identifier fields missing from the schema are
 * simply never present (older schema versions may lack newer fields).
 *
 * @param schema_json borrowed, len bytes (need not be NUL-terminated).
 * @param map borrowed for the call; NULL = canonical names.
 * @param out owned on success; free with sgx_projection_destroy.
 * @param errbuf SGX_ERRBUF_SIZE bytes or NULL; never receives identifier values.
 */
sgx_err_t sgx_projection_new(const char *schema_json, size_t len, const sgx_mapping_t *map,
                             sgx_projection_t **out, char *errbuf);

/** @brief Frees a projection. NULL-safe. */
void sgx_projection_destroy(sgx_projection_t *p);

/**
 * @brief Decodes one Avro body (no framing) written with the projection's schema.
 *
 * Slices in out are offsets relative to body. No allocation; safe on any byte string;
 * thread-safe (p is read-only). Errors: SGX_ERR_TRUNCATED (read past the end),
 * SGX_ERR_DECODE (negative or overlong length, varint over 10 bytes, bad union/enum index,
 * boolean byte other than 0/1, nesting over SGX_PROJECTION_MAX_DEPTH, trailing bytes, op symbol
 * other than ENTER/EXIT), SGX_ERR_MISSING_FIELD (profile_id/segment_id null or empty, op null),
 * SGX_ERR_TOO_LARGE (len over 4 GiB). An identifier that is null or empty is not present; a
 * date outside years 0000-9999 is not present either.
 *
 * @param body borrowed. @param out filled on success (contents unspecified on failure).
 */
sgx_err_t sgx_projection_decode(const sgx_projection_t *p, const uint8_t *body, size_t len,
                                sgx_decoded_t *out);

#endif
