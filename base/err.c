#include "base/err.h"

const char *sgx_err_str(sgx_err_t err)
{
    switch (err) {
    case SGX_OK: return "ok";
    case SGX_ERR_INVALID: return "invalid";
    case SGX_ERR_NOMEM: return "out_of_memory";
    case SGX_ERR_IO: return "io_error";
    case SGX_ERR_CONFIG: return "config_error";
    case SGX_ERR_TRUNCATED: return "truncated";
    case SGX_ERR_BAD_MAGIC: return "bad_magic_byte";
    case SGX_ERR_UNKNOWN_SCHEMA: return "unknown_schema_id";
    case SGX_ERR_DECODE: return "undecodable_body";
    case SGX_ERR_MISSING_FIELD: return "missing_required_field";
    case SGX_ERR_TOO_LARGE: return "record_too_large";
    case SGX_ERR_FULL: return "queue_full";
    case SGX_ERR_EMPTY: return "empty";
    case SGX_ERR_NOT_FOUND: return "not_found";
    case SGX_ERR_KAFKA: return "kafka_error";
    case SGX_ERR_HTTP: return "http_error";
    case SGX_ERR_UNAVAILABLE: return "unavailable";
    case SGX_ERR_UNSUPPORTED: return "unsupported";
    }
    return "unknown_error";
}
