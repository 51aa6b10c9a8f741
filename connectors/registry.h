/* The connector registry: the one piece of global state, and it is a static const table, so it
 * is frozen by construction before any thread starts. */
#ifndef SGX_REGISTRY_H
#define SGX_REGISTRY_H

#include "connectors/connector.h"

/** @returns the descriptor named name (borrowed, static) or NULL. */
const sgx_connector_def_t *sgx_registry_find(const char *name);

/** @returns the i-th descriptor or NULL past the end (for listings). */
const sgx_connector_def_t *sgx_registry_at(size_t i);

#endif
