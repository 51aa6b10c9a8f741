/* The observability listener (metrics_listen): GET /metrics (Prometheus text 0.0.4),
 * /healthz and /readyz (JSON, 200 or 503). One libmicrohttpd thread; reads stats only. */
#ifndef SGX_OBS_HTTP_H
#define SGX_OBS_HTTP_H

#include "config/config.h"
#include "pipeline/stats.h"

typedef struct sgx_obs_http sgx_obs_http_t;

/**
 * @brief Listens on cfg->metrics_listen (port 0: any free port).
 * @param cfg, s borrowed: must outlive the server. @param out owned on success; stop with
 * sgx_obs_http_stop. @param errbuf says why it could not listen.
 */
sgx_err_t sgx_obs_http_start(const sgx_config_t *cfg, sgx_stats_t *s, sgx_obs_http_t **out,
                             char *errbuf);

/** @returns the port actually bound. */
int sgx_obs_http_port(const sgx_obs_http_t *h);

/** @brief Stops listening and frees the server. NULL-safe. */
void sgx_obs_http_stop(sgx_obs_http_t *h);

#endif
