/* Configuration of metrics, probes, progress lines and log format. */
#include <stdlib.h>
#include <string.h>

#include "config/config_util.h"
#include "base/log.h"
#include "base/mem.h"

sgx_err_t sgx_cfg_split_listen(const char *text, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text) {
        return SGX_ERR_INVALID;
    }
    const char *h = text;
    size_t hlen = (size_t)(colon - text);
    if (h[0] == '[') { /* [::1]:9464 */
        if (hlen < 3 || h[hlen - 1] != ']') {
            return SGX_ERR_INVALID;
        }
        h++;
        hlen -= 2;
    }
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535 || hlen + 1 > cap) {
        return SGX_ERR_INVALID;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return SGX_OK;
}

static sgx_err_t parse_listen(const sgx_yaml_t *root, sgx_config_t *cfg, char *errbuf)
{
    const sgx_yaml_t *n = sgx_yaml_get(root, "metrics_listen");
    if (!n) {
        return SGX_OK;
    }
    const char *v = sgx_cfg_scalar(n);
    if (!v) {
        FAIL("line %d: metrics_listen must be HOST:PORT (e.g. 0.0.0.0:9464)", n->line);
    }
    char *val = NULL;
    if (sgx_cfg_expand_env(v, "metrics_listen", &val, errbuf)) {
        return SGX_ERR_CONFIG;
    }
    char host[256];
    int port = 0;
    if (sgx_cfg_split_listen(val, host, sizeof host, &port) || !*host) {
        sgx_free(val);
        FAIL("line %d: metrics_listen must be HOST:PORT (e.g. 0.0.0.0:9464), port 0-65535",
             n->line);
    }
    cfg->metrics_listen = val;
    return SGX_OK;
}

sgx_err_t sgx_cfg_parse_obs(const sgx_yaml_t *root, sgx_config_t *cfg, char *errbuf)
{
    long v[3];
    if (parse_listen(root, cfg, errbuf) ||
        sgx_cfg_get_int(root, "ready_blocked_max_ms", 0, 86400000, 300000, &v[0], errbuf) ||
        sgx_cfg_get_int(root, "liveness_stall_ms", 1000, 3600000, 60000, &v[1], errbuf) ||
        sgx_cfg_get_int(root, "progress_interval_s", 0, 86400, 30, &v[2], errbuf)) {
        return SGX_ERR_CONFIG;
    }
    cfg->ready_blocked_max_ms = (int)v[0];
    cfg->liveness_stall_ms = (int)v[1];
    cfg->progress_interval_s = (int)v[2];
    const sgx_yaml_t *n = sgx_yaml_get(root, "log_format");
    cfg->log_format = SGX_LOG_TEXT;
    if (n) {
        const char *f = sgx_cfg_scalar(n);
        if (!f || sgx_log_format_parse(f) < 0) {
            FAIL("line %d: log_format must be text or json", n->line);
        }
        cfg->log_format = sgx_log_format_parse(f);
    }
    return SGX_OK;
}
