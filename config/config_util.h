/* Helpers shared by the configuration parsers (config.c, config_dest.c). Internal. */
#ifndef SGX_CONFIG_UTIL_H
#define SGX_CONFIG_UTIL_H

#include <stdbool.h>
#include <stdio.h>

#include "base/err.h"
#include "config/yaml_tree.h"

#define FAIL(...)                                                                              \
    do {                                                                                       \
        snprintf(errbuf, SGX_ERRBUF_SIZE, __VA_ARGS__);                                        \
        return SGX_ERR_CONFIG;                                                                 \
    } while (0)

/** @brief Expands ${NAME}; an unset variable is an error. @param out owned on success. */
sgx_err_t sgx_cfg_expand_env(const char *in, const char *where, char **out, char *errbuf);
/** @brief Expands ${NAME} like sgx_cfg_expand_env, refusing an empty result ("line N: where
 *  is empty"). @param out owned on success. */
sgx_err_t sgx_cfg_expand_nonempty(const char *in, int line, const char *where, char **out,
                                  char *errbuf);
/** @brief Reads a `*_file` secret: an empty file is an error, a file that group or others may
 *  read logs a warning naming the path (never the content). @param out owned on success. */
sgx_err_t sgx_cfg_read_secret_file(const char *path, int line, const char *where, char **out,
                                   char *errbuf);
/** @brief Wipes a NUL-terminated copy of a secret and frees it. NULL is a no-op. */
void sgx_cfg_free_secret(char *s);
/** @brief Reads a secret file without its trailing newline. @param out owned on success. */
sgx_err_t sgx_cfg_read_secret(const char *path, const char *where, char **out, char *errbuf);
/** @returns the node's text if it is a scalar (borrowed), else NULL. */
const char *sgx_cfg_scalar(const sgx_yaml_t *n);
/** @brief Reads an optional integer in [min, max] under key, def when absent. */
sgx_err_t sgx_cfg_get_int(const sgx_yaml_t *root, const char *key, long min, long max, long def,
                          long *out, char *errbuf);
#include "config/config.h"

/* Top-level keys of config_obs.c. */
#define SGX_CFG_OBS_KEYS                                                                       \
    "metrics_listen", "ready_blocked_max_ms", "liveness_stall_ms", "progress_interval_s",      \
        "log_format"

/** @brief Parses the observability keys (metrics_listen, ready_blocked_max_ms,
 *  liveness_stall_ms, progress_interval_s, log_format). */
sgx_err_t sgx_cfg_parse_obs(const sgx_yaml_t *root, sgx_config_t *cfg, char *errbuf);

/** @brief Splits "HOST:PORT" ("[v6]:PORT" too) into host (out, cap bytes) and port.
 *  @returns SGX_OK or SGX_ERR_INVALID. */
sgx_err_t sgx_cfg_split_listen(const char *text, char *host, size_t cap, int *port);

/** @returns true for ca_file, client_cert_file, client_key_file and proxy. */
bool sgx_cfg_is_tls_key(const char *key);
/** @brief Reads those keys of map (paths must be readable; cert and key go together) into out,
 *  whose strings become owned by the caller (free with sgx_http_tls_clear).
 *  @param where names the map in messages ("schema_registry", "destination meta"). */
sgx_err_t sgx_cfg_parse_tls(const sgx_yaml_t *map, const char *where, sgx_http_tls_t *out,
                            char *errbuf);
/** @brief Parses `destinations:` (a sequence of maps) into cfg->dests. */
sgx_err_t sgx_cfg_parse_dests(const sgx_yaml_t *seq, sgx_config_t *cfg, char *errbuf);
#endif
