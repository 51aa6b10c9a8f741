/* The canonical segment-membership schema (deploy/schemas/segment_membership.avsc), compiled
 * into the binary. */
#ifndef SGX_SCHEMA_CANONICAL_H
#define SGX_SCHEMA_CANONICAL_H

/** @returns the schema's JSON text (static, NUL-terminated). */
const char *sgx_schema_canonical(void);

#endif
