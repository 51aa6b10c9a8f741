/* Error codes shared by every module. */
#ifndef SGX_ERR_H
#define SGX_ERR_H

#include <stddef.h>

/* Returned by value; SGX_OK is 0 and every failure is negative, so `if (err)` reads naturally.
 * Whether a failure is worth retrying is a separate question answered by the caller's
 * classification, never encoded here. */
typedef enum {
    SGX_OK = 0,
    SGX_ERR_INVALID = -1,     /* caller passed something malformed */
    SGX_ERR_NOMEM = -2,       /* only for allocations sized by untrusted input */
    SGX_ERR_IO = -3,          /* file or socket failure */
    SGX_ERR_CONFIG = -4,      /* configuration rejected */
    SGX_ERR_TRUNCATED = -5,   /* input ended early */
    SGX_ERR_BAD_MAGIC = -6,   /* Confluent frame without magic byte 0 */
    SGX_ERR_UNKNOWN_SCHEMA = -7,
    SGX_ERR_DECODE = -8,      /* Avro body does not match its schema */
    SGX_ERR_MISSING_FIELD = -9,
    SGX_ERR_TOO_LARGE = -10,
    SGX_ERR_FULL = -11,       /* bounded queue full: try later */
    SGX_ERR_EMPTY = -12,      /* nothing to take */
    SGX_ERR_NOT_FOUND = -13,
    SGX_ERR_KAFKA = -14,
    SGX_ERR_HTTP = -15,
    SGX_ERR_UNAVAILABLE = -16, /* a dependency (registry, broker) cannot be reached now */
    SGX_ERR_UNSUPPORTED = -17,
} sgx_err_t;

/**
 * @brief Stable lowercase name of an error, used as the DLQ `reason` header and in logs.
 * @returns a static string (never NULL).
 */
const char *sgx_err_str(sgx_err_t err);

/* Room for a human-readable message; never contains identifiers (PII). */
#define SGX_ERRBUF_SIZE 256

#endif
