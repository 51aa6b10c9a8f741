/* Semantic checks of a parsed configuration that need the connectors: each destination's
 * settings through its init, each audience id through its validate_audience rule, and plain
 * http:// URLs that would carry credentials. `check` and `run` both call it, so check refuses
 * what run would. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "config/config.h"

/* Loopback traffic never leaves the host (emulators, sidecar proxies): no warning there. */
static bool loopback(const char *url)
{
    const char *h = url + 7; /* after http:// */
    const char *at = strchr(h, '@');
    const char *slash = strchr(h, '/');
    if (at && (!slash || at < slash)) {
        h = at + 1;
    }
    return strncasecmp(h, "localhost", 9) == 0 || strncmp(h, "127.", 4) == 0 ||
           strncmp(h, "[::1]", 5) == 0;
}

static bool has_userinfo(const char *url)
{
    const char *at = strchr(url, '@');
    const char *slash = strchr(url + 7, '/');
    return at && (!slash || at < slash);
}

static void warn_plain_urls(const sgx_config_t *cfg)
{
    if (sgx_http_is_plain(cfg->registry_url) && has_userinfo(cfg->registry_url) &&
        !loopback(cfg->registry_url)) {
        SGX_WARN("config", "schema_registry.url is http:// with credentials: they travel "
                           "unencrypted; use https://");
    }
    for (size_t i = 0; i < cfg->ndests; i++) {
        const sgx_dest_settings_t *s = &cfg->dests[i].settings;
        for (size_t k = 0; k < s->nsettings; k++) {
            size_t n = strlen(s->keys[k]);
            if (n >= 3 && strcmp(s->keys[k] + n - 3, "url") == 0 &&
                sgx_http_is_plain(s->values[k]) && !loopback(s->values[k])) {
                SGX_WARN("config", "destination %s: %s is http://: its credentials travel "
                                   "unencrypted; use https://",
                         cfg->dests[i].name, s->keys[k]);
            }
        }
    }
}

static sgx_err_t check_dest(const sgx_dest_config_t *d, char *errbuf)
{
    char why[SGX_ERRBUF_SIZE] = "";
    void *ctx = NULL;
    if (d->def->init(&d->settings, &ctx, why)) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "destination %.40s: %.190s", d->name, why);
        return SGX_ERR_CONFIG;
    }
    sgx_err_t err = SGX_OK;
    for (size_t a = 0; !err && d->def->validate_audience && a < d->naudiences; a++) {
        err = d->def->validate_audience(ctx, d->audience_ids[a], why);
        if (err) {
            snprintf(errbuf, SGX_ERRBUF_SIZE, "destination %.40s: segment '%.40s': %.140s",
                     d->name, d->segments[a], why);
        }
    }
    d->def->destroy(ctx);
    return err ? SGX_ERR_CONFIG : SGX_OK;
}

sgx_err_t sgx_config_check(const sgx_config_t *cfg, char *errbuf)
{
    for (size_t i = 0; i < cfg->ndests; i++) {
        if (check_dest(&cfg->dests[i], errbuf)) {
            return SGX_ERR_CONFIG;
        }
    }
    warn_plain_urls(cfg);
    return SGX_OK;
}
