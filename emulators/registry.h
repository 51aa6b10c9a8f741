/* A Confluent Schema Registry test double on libmicrohttpd (kafka.md §2), for the demo, the
 * schema-cache component test and real-broker tests with confluent-kafka's AvroSerializer.
 * Endpoints: POST /subjects/{s}/versions, GET /schemas/ids/{id}, POST /subjects/{s} (lookup),
 * GET /subjects/{s}/versions/latest, GET /subjects/{s}/versions, GET /subjects.
 * Ids are 1, 2, 3… in registration order; the same schema (compared after JSON normalization)
 * gets the same id under any subject. All functions are thread-safe. */
#ifndef SGX_EMU_REGISTRY_H
#define SGX_EMU_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct sgx_emu_registry sgx_emu_registry_t;

/**
 * @brief Starts serving on host:port (host NULL = 127.0.0.1; port 0 = ephemeral).
 * @param out owned on success; stop with sgx_emu_registry_stop.
 * @returns SGX_ERR_INVALID for a bad host, SGX_ERR_IO when the port cannot be bound.
 */
sgx_err_t sgx_emu_registry_start(const char *host, uint16_t port, sgx_emu_registry_t **out);

/** @returns the bound port. */
uint16_t sgx_emu_registry_port(const sgx_emu_registry_t *r);

/**
 * @brief Registers schema_json (borrowed, NUL-terminated) under subject, as the HTTP endpoint
 * does. @param id receives the schema id. @returns SGX_ERR_DECODE when avro-c rejects it.
 */
sgx_err_t sgx_emu_registry_register(sgx_emu_registry_t *r, const char *subject,
                                    const char *schema_json, uint32_t *id);

/** @returns how many HTTP requests were answered so far (lets tests prove a cache hit). */
size_t sgx_emu_registry_requests(const sgx_emu_registry_t *r);

/** @brief Stops the server and frees everything. NULL-safe. */
void sgx_emu_registry_stop(sgx_emu_registry_t *r);

#endif
