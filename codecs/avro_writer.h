/* Avro encoder for the synthetic upstream (demo generator) and tests. It deliberately uses
 * avro-c's generic values, not our code, so the projection decoder is checked against a library
 * we did not write. Not on the consume path; speed is secondary. */
#ifndef SGX_AVRO_WRITER_H
#define SGX_AVRO_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "codecs/avro_projection.h"
#include "codecs/event.h"

/* One event to encode. All strings borrowed for the call; NULL = null (for identifier fields;
 * profile_id/segment_id NULL is only encodable when the schema makes them nullable).
 * date_of_birth is "YYYY-MM-DD", written as a string or as an int `date`, whichever the schema
 * says. */
typedef struct {
    const char *profile_id, *segment_id;
    sgx_op_t op;
    int64_t event_time_ms;
    const char *fields[SGX_F__COUNT];
} sgx_event_in_t;

typedef struct sgx_avro_writer sgx_avro_writer_t;

/**
 * @brief Creates a writer for a record schema whose fields use the canonical names.
 * @param schema_json borrowed. @param out owned on success; free with sgx_avro_writer_destroy.
 * @param errbuf SGX_ERRBUF_SIZE bytes or NULL.
 */
sgx_err_t sgx_avro_writer_new(const char *schema_json, size_t len, sgx_avro_writer_t **out,
                              char *errbuf);

/**
 * @brief Same, with field names (dotted paths allowed) taken from map (copied; NULL = canonical).
 * Fields of the schema that are not targets are filled with varied deterministic values of
 * their type (arrays, maps, unions, fixed, …), so any schema can be exercised. Targets absent
 * from the schema are skipped.
 */
sgx_err_t sgx_avro_writer_new_mapped(const char *schema_json, size_t len,
                                     const sgx_mapping_t *map, sgx_avro_writer_t **out,
                                     char *errbuf);

/**
 * @brief Appends 0x00, the big-endian schema id and the Avro body of ev to out.
 * Not thread-safe (one reused value and memory writer). @param ev borrowed.
 * @returns SGX_ERR_INVALID when ev does not fit the schema (e.g. NULL for a non-null string).
 */
sgx_err_t sgx_avro_writer_encode(sgx_avro_writer_t *w, uint32_t schema_id,
                                 const sgx_event_in_t *ev, sgx_buf_t *out);

/** @brief Frees a writer. NULL-safe. */
void sgx_avro_writer_destroy(sgx_avro_writer_t *w);

#endif
