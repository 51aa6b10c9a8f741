/* A destination's writable state file: one JSON object of string values (the rotated OAuth
 * refresh token, "refresh_token"; audiences found or created, "audience:<segment>"). Replaced
 * atomically - written to a temporary file beside it, fsync'ed, renamed over it, the directory
 * fsync'ed - and created mode 0600, since it holds a credential. */
#ifndef SGX_STATE_FILE_H
#define SGX_STATE_FILE_H

#include "base/err.h"

/**
 * @brief Reads key from the state file at path (borrowed).
 * @param value_out owned on SGX_OK. @returns SGX_ERR_NOT_FOUND when the file or the key is
 * missing, SGX_ERR_IO / SGX_ERR_INVALID when it cannot be read or parsed.
 */
sgx_err_t sgx_state_file_get(const char *path, const char *key, char **value_out);

/**
 * @brief Sets key to value (both borrowed) in the state file at path, keeping its other keys.
 * @returns SGX_ERR_IO when any step of the atomic replacement fails (the old file is intact).
 */
sgx_err_t sgx_state_file_set(const char *path, const char *key, const char *value);

#endif
