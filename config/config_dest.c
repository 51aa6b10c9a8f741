/* `destinations:` — one map per destination: name, type, settings, segments, limits. */
#include <stdlib.h>
#include <string.h>

#include "config/config_util.h"
#include "base/mem.h"
#include "codecs/normalize.h"
#include "connectors/registry.h"

static const sgx_config_key_t *find_key(const sgx_connector_def_t *def, const char *name)
{
    for (const sgx_config_key_t *k = def->config_keys; k && k->name; k++) {
        if (strcmp(k->name, name) == 0) {
            return k;
        }
    }
    return NULL;
}

/* @param value transferred. @param file borrowed: the secret file value came from, or NULL. */
static void add_setting(sgx_dest_config_t *d, const char *key, char *value, const char *file)
{
    size_t n = d->settings.nsettings;
    d->settings.keys = sgx_realloc((void *)d->settings.keys, (n + 1) * sizeof(char *));
    d->settings.values = sgx_realloc((void *)d->settings.values, (n + 1) * sizeof(char *));
    d->setting_files = sgx_realloc(d->setting_files, (n + 1) * sizeof(char *));
    ((char **)d->settings.keys)[n] = sgx_strdup(key);
    ((char **)d->settings.values)[n] = value;
    d->setting_files[n] = file ? sgx_strdup(file) : NULL;
    d->settings.nsettings = n + 1;
}

/* A key `x_file` reads setting `x` from a file, so secrets stay out of the config text. */
static sgx_err_t parse_settings(const sgx_yaml_t *n, sgx_dest_config_t *d, char *errbuf)
{
    for (size_t i = 0; n && i < n->n; i++) {
        char key[128];
        const char *raw = sgx_cfg_scalar(n->items[i]);
        size_t kl = strlen(n->keys[i]);
        int is_file = kl > 5 && kl < sizeof key && strcmp(n->keys[i] + kl - 5, "_file") == 0;
        snprintf(key, sizeof key, "%.*s", (int)(is_file ? kl - 5 : kl), n->keys[i]);
        if (!find_key(d->def, key)) {
            FAIL("line %d: destination %s: unknown setting '%s' for type %s", n->items[i]->line,
                 d->name, n->keys[i], d->def->name);
        }
        if (!raw) {
            FAIL("line %d: destination %s: setting '%s' must be a plain value",
                 n->items[i]->line, d->name, n->keys[i]);
        }
        char *val = NULL;
        if (sgx_cfg_expand_env(raw, key, &val, errbuf)) {
            return SGX_ERR_CONFIG;
        }
        char *path = NULL;
        if (is_file) {
            char *secret = NULL;
            sgx_err_t err = sgx_cfg_read_secret_file(val, n->items[i]->line, n->keys[i], &secret,
                                                     errbuf);
            path = val; /* kept: a blocked destination re-reads it (dispatch_block.c) */
            if (err) {
                sgx_free(path);
                return err;
            }
            val = secret;
        }
        add_setting(d, key, val, path);
        sgx_free(path);
    }
    for (const sgx_config_key_t *k = d->def->config_keys; k && k->name; k++) {
        if (!sgx_settings_get(&d->settings, k->name)) {
            if (!k->def) {
                FAIL("destination %s: setting '%s' is required (%s)", d->name, k->name, k->help);
            }
            add_setting(d, k->name, sgx_strdup(k->def), NULL);
        }
    }
    return SGX_OK;
}

/* Segment ids and audience ids may come from the environment like any string. A literal ""
 * audience id asks for creation; one that only became empty through ${VAR} is a mistake. */
static sgx_err_t expand_segment(const sgx_yaml_t *n, size_t i, sgx_dest_config_t *d,
                                char *errbuf)
{
    char where[160];
    int line = n->items[i]->line;
    snprintf(where, sizeof where, "destination %s: segment id", d->name);
    if (sgx_cfg_expand_nonempty(n->keys[i], line, where, &d->segments[i], errbuf)) {
        return SGX_ERR_CONFIG;
    }
    const char *aud = sgx_cfg_scalar(n->items[i]);
    snprintf(where, sizeof where, "destination %s: audience id of segment '%.64s'", d->name,
             d->segments[i]);
    if (!*aud) {
        d->audience_ids[i] = sgx_strdup("");
        return SGX_OK;
    }
    return sgx_cfg_expand_nonempty(aud, line, where, &d->audience_ids[i], errbuf);
}

static sgx_err_t check_country(const sgx_yaml_t *settings, const sgx_dest_config_t *d,
                               char *errbuf)
{
    const char *cc = d->default_country;
    if (cc && *cc && !sgx_country_known(cc)) {
        const sgx_yaml_t *k = sgx_yaml_get(settings, "default_country");
        FAIL("line %d: destination %s: default_country '%.16s' is not a known country (ISO "
             "3166-1 alpha-2, e.g. US, DE, FR)", k ? k->line : 0, d->name, cc);
    }
    return SGX_OK;
}

static sgx_err_t parse_segments(const sgx_yaml_t *n, sgx_dest_config_t *d, char *errbuf)
{
    if (!n || n->kind != SGX_YAML_MAP || n->n == 0) {
        FAIL("destination %s: segments must map segment ids to audience ids", d->name);
    }
    d->segments = sgx_calloc(n->n, sizeof(char *));
    d->audience_ids = sgx_calloc(n->n, sizeof(char *));
    for (size_t i = 0; i < n->n; i++) {
        /* An empty audience id asks the connector to create one named after the segment. */
        const char *aud = sgx_cfg_scalar(n->items[i]);
        if (!aud) {
            FAIL("line %d: destination %s: segment '%s' needs an audience id (or \"\" to "
                 "create one)", n->items[i]->line, d->name, n->keys[i]);
        }
        d->naudiences = i + 1;
        if (expand_segment(n, i, d, errbuf)) {
            return SGX_ERR_CONFIG;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(d->segments[j], d->segments[i]) == 0) {
                FAIL("line %d: destination %s: segment '%s' listed twice", n->items[i]->line,
                     d->name, d->segments[i]);
            }
            /* Each audience has its own in-flight fence: two segments writing one platform
             * audience could have opposite ops of one profile in flight together. */
            if (*aud && strcmp(d->audience_ids[j], aud) == 0) {
                FAIL("line %d: destination %s: segments '%s' and '%s' both export to audience "
                     "'%s'; one audience can take only one segment", n->items[i]->line,
                     d->name, d->segments[j], n->keys[i], aud);
            }
        }
    }
    return SGX_OK;
}

/* Config may lower the connector's limits, or raise max_rows up to the API's cap where the
 * connector's default is a saner batch than the cap; the minimum interval may only grow. */
static sgx_err_t parse_limits(const sgx_yaml_t *n, sgx_dest_config_t *d, char *errbuf)
{
    const sgx_limits_t *max = &d->def->limits;
    long v[6];
    d->limits = *max;
    if (!n) {
        return SGX_OK;
    }
    size_t rows_cap = max->max_rows_cap ? max->max_rows_cap : max->max_rows;
    if (sgx_cfg_get_int(n, "max_rows", 1, (long)rows_cap, (long)max->max_rows, &v[0], errbuf) ||
        sgx_cfg_get_int(n, "max_bytes", 1024, (long)max->max_bytes, (long)max->max_bytes, &v[1],
                        errbuf) ||
        sgx_cfg_get_int(n, "max_inflight", 1, 64, max->max_inflight, &v[2], errbuf) ||
        sgx_cfg_get_int(n, "linger_ms", 0, 600000, max->linger_ms, &v[3], errbuf) ||
        sgx_cfg_get_int(n, "min_interval_ms", max->min_interval_ms, 3600000,
                        max->min_interval_ms, &v[4], errbuf) ||
        sgx_cfg_get_int(n, "usage_window_ms", 0, 86400000, (long)max->usage_window_ms, &v[5],
                        errbuf)) {
        return SGX_ERR_CONFIG;
    }
    d->limits = (sgx_limits_t){(size_t)v[0], (size_t)v[1], (int)v[2], (int)v[3], (int)v[4],
                               rows_cap, v[5]};
    return SGX_OK;
}

static sgx_err_t parse_dest(const sgx_yaml_t *n, const sgx_config_t *cfg, sgx_dest_config_t *d,
                            char *errbuf)
{
    const char *name = sgx_cfg_scalar(sgx_yaml_get(n, "name"));
    const char *type = sgx_cfg_scalar(sgx_yaml_get(n, "type"));
    if (!name || !*name || !type) {
        FAIL("line %d: each destination needs a name and a type", n->line);
    }
    for (size_t i = 0; i + 1 < cfg->ndests; i++) { /* the last one is d itself */
        if (strcmp(cfg->dests[i].name, name) == 0) {
            FAIL("line %d: destination name '%s' is used twice", n->line, name);
        }
    }
    d->name = sgx_strdup(name);
    d->def = sgx_registry_find(type);
    if (!d->def) {
        FAIL("line %d: destination %s: unknown type '%s'", n->line, name, type);
    }
    for (size_t i = 0; i < n->n; i++) {
        static const char *const keys[] = {"name", "type", "settings", "segments", "limits"};
        size_t k = 0;
        while (k < 5 && strcmp(keys[k], n->keys[i]) != 0) {
            k++;
        }
        if (k == 5 && !sgx_cfg_is_tls_key(n->keys[i])) {
            FAIL("line %d: destination %s: unknown key '%s'", n->items[i]->line, name,
                 n->keys[i]);
        }
    }
    char where[160];
    snprintf(where, sizeof where, "destination %s", name);
    if (sgx_cfg_parse_tls(n, where, &d->tls, errbuf) ||
        parse_settings(sgx_yaml_get(n, "settings"), d, errbuf) ||
        parse_segments(sgx_yaml_get(n, "segments"), d, errbuf) ||
        parse_limits(sgx_yaml_get(n, "limits"), d, errbuf)) {
        return SGX_ERR_CONFIG;
    }
    d->default_country = sgx_settings_get(&d->settings, "default_country");
    return check_country(sgx_yaml_get(n, "settings"), d, errbuf);
}

sgx_err_t sgx_cfg_parse_dests(const sgx_yaml_t *seq, sgx_config_t *cfg, char *errbuf)
{
    if (!seq || seq->kind != SGX_YAML_SEQ || seq->n == 0) {
        FAIL("destinations: a list of one or more destinations is required");
    }
    cfg->dests = sgx_calloc(seq->n, sizeof *cfg->dests);
    for (size_t i = 0; i < seq->n; i++) {
        if (seq->items[i]->kind != SGX_YAML_MAP) {
            FAIL("line %d: each destination must be a map", seq->items[i]->line);
        }
        /* Count it first so a half-parsed destination is still freed. */
        cfg->ndests = i + 1;
        if (parse_dest(seq->items[i], cfg, &cfg->dests[i], errbuf)) {
            return SGX_ERR_CONFIG;
        }
    }
    return SGX_OK;
}
