/* `segexport check [--online]`: everything `run` would refuse, found before it runs; with
 * --online, one cheap read-only call per broker, registry and destination audience. */
#ifndef SGX_CMD_CHECK_H
#define SGX_CMD_CHECK_H

#include <stdbool.h>

#include "config/config.h"

/**
 * @brief Offline checks (what run refuses): sgx_config_check, the librdkafka consumer and
 * producer configurations, set property by property and instantiated (no connection needed).
 * @param cfg borrowed. Messages go to stderr. @returns 0 when all pass, else 1.
 */
int sgx_cmd_check(const sgx_config_t *cfg, bool online);

/**
 * @brief The online checks (check_online.c): the broker (metadata with a timeout, every topic
 * and the dead-letter topic present), the registry (GET /subjects), each destination's token and
 * each audience through the connector's probe. One line per check on stdout, `ok   what` or
 * `FAIL what: reason`; never a secret or a URL (it may carry credentials).
 * @param cfg borrowed. @returns the number of failed checks.
 */
int sgx_check_online(const sgx_config_t *cfg);

#endif
