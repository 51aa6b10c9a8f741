/* Confluent wire framing: magic byte 0x00, then the schema id as a big-endian int32, then the
 * Avro binary body with no container header (kafka.md §2). */
#ifndef SGX_WIRE_H
#define SGX_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SGX_WIRE_HEADER_LEN 5

/**
 * @brief Splits a Kafka message value into schema id and body offset.
 * @param buf borrowed message bytes (may be NULL when len is 0).
 * @param schema_id receives the registry id. @param body_off receives 5 (the body start).
 * @returns SGX_ERR_TRUNCATED when len < 5 and SGX_ERR_BAD_MAGIC when the first byte is not 0
 * (the newer GUID framing, magic 0x01, is not supported): both belong in the DLQ.
 */
sgx_err_t sgx_wire_parse(const uint8_t *buf, size_t len, uint32_t *schema_id, size_t *body_off);

/** @brief Writes the 5-byte header for schema_id into out. */
void sgx_wire_header(uint32_t schema_id, uint8_t out[SGX_WIRE_HEADER_LEN]);

#endif
