#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "connectors/registry.h"
#include "config/config_util.h"
#include "config/yaml_tree.h"



static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        sgx_free(v[i]);
    }
    sgx_free(v);
}

/* For values that may be secrets (sasl.password, tokens, user:pass@ in a URL): wiped. */
static void free_secretv(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        sgx_cfg_free_secret(v[i]);
    }
    sgx_free(v);
}

static void free_dest(sgx_dest_config_t *d)
{
    sgx_free(d->name);
    free_strv((char **)d->settings.keys, d->settings.nsettings);
    free_secretv((char **)d->settings.values, d->settings.nsettings);
    free_strv(d->setting_files, d->settings.nsettings);
    free_strv(d->segments, d->naudiences);
    free_strv(d->audience_ids, d->naudiences);
    sgx_http_tls_clear(&d->tls);
}

void sgx_config_free(sgx_config_t *cfg)
{
    if (!cfg) {
        return;
    }
    free_strv(cfg->kafka_keys, cfg->nkafka);
    free_secretv(cfg->kafka_values, cfg->nkafka);
    free_strv(cfg->topics, cfg->ntopics);
    sgx_free(cfg->dead_letter_topic);
    sgx_cfg_free_secret(cfg->registry_url);
    sgx_http_tls_clear(&cfg->registry_tls);
    for (size_t i = 0; i < cfg->nschema_files; i++) {
        sgx_free(cfg->schema_files[i].path);
    }
    sgx_free(cfg->schema_files);
    sgx_free((char *)cfg->mapping.profile_id);
    sgx_free((char *)cfg->mapping.segment_id);
    sgx_free((char *)cfg->mapping.op);
    sgx_free((char *)cfg->mapping.event_time);
    for (int f = 0; f < SGX_F__COUNT; f++) {
        sgx_free((char *)cfg->mapping.fields[f]);
    }
    for (size_t i = 0; i < cfg->ndests; i++) {
        free_dest(&cfg->dests[i]);
    }
    sgx_free(cfg->dests);
    sgx_free(cfg->metrics_listen);
    sgx_free(cfg);
}

const char *sgx_config_kafka(const sgx_config_t *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->nkafka; i++) {
        if (strcmp(cfg->kafka_keys[i], key) == 0) {
            return cfg->kafka_values[i];
        }
    }
    return NULL;
}


static const char *const top_keys[] = {
    "kafka", "topics", "dead_letter_topic", "schema_registry", "mapping", "workers",
    "max_inflight_events", "max_record_bytes", "shutdown_grace_ms", "retry_base_ms",
    "retry_cap_ms", "request_timeout_ms", "max_uncommitted_span", "max_server_wait_ms",
    "destinations", "consumer_group_per_destination", SGX_CFG_OBS_KEYS, NULL,
};

static sgx_err_t check_keys(const sgx_yaml_t *map, const char *const *allowed, const char *where,
                            char *errbuf)
{
    for (size_t i = 0; i < map->n; i++) {
        size_t k = 0;
        while (allowed[k] && strcmp(allowed[k], map->keys[i]) != 0) {
            k++;
        }
        if (!allowed[k]) {
            FAIL("line %d: unknown key '%s' in %s", map->items[i]->line, map->keys[i], where);
        }
    }
    return SGX_OK;
}

static sgx_err_t parse_kafka(const sgx_yaml_t *n, sgx_config_t *cfg, char *errbuf)
{
    if (!n || n->kind != SGX_YAML_MAP) {
        FAIL("kafka: a map of librdkafka properties is required (bootstrap.servers, group.id)");
    }
    cfg->kafka_keys = sgx_calloc(n->n, sizeof(char *));
    cfg->kafka_values = sgx_calloc(n->n, sizeof(char *));
    for (size_t i = 0; i < n->n; i++) {
        const char *v = sgx_cfg_scalar(n->items[i]);
        if (!v) {
            FAIL("line %d: kafka.%s must be a plain value", n->items[i]->line, n->keys[i]);
        }
        char *val = NULL;
        if (sgx_cfg_expand_env(v, n->keys[i], &val, errbuf)) {
            return SGX_ERR_CONFIG;
        }
        cfg->kafka_keys[i] = sgx_strdup(n->keys[i]);
        cfg->kafka_values[i] = val;
        cfg->nkafka = i + 1;
    }
    if (!sgx_config_kafka(cfg, "group.id")) {
        FAIL("kafka.group.id is required: segexport runs as a consumer group");
    }
    const char *ac = sgx_config_kafka(cfg, "enable.auto.commit");
    if (ac && (strcasecmp(ac, "false") == 0 || strcasecmp(ac, "f") == 0 || strcmp(ac, "0") == 0)) {
        FAIL("kafka.enable.auto.commit: false is not supported: segexport stores only "
             "acknowledged offsets and librdkafka commits them every auto.commit.interval.ms "
             "(lower that to commit more often)");
    }
    if (!sgx_config_kafka(cfg, "bootstrap.servers") && !sgx_config_kafka(cfg, "test.mock.num.brokers")) {
        FAIL("kafka.bootstrap.servers is required");
    }
    return SGX_OK;
}

static sgx_err_t parse_topics(const sgx_yaml_t *n, sgx_config_t *cfg, char *errbuf)
{
    if (!n || n->kind != SGX_YAML_SEQ || n->n == 0) {
        FAIL("topics: a list of one or more topics is required");
    }
    cfg->topics = sgx_calloc(n->n, sizeof(char *));
    for (size_t i = 0; i < n->n; i++) {
        const char *t = sgx_cfg_scalar(n->items[i]);
        if (!t) {
            FAIL("line %d: topics: each entry must be a topic name", n->items[i]->line);
        }
        char *topic = NULL;
        if (sgx_cfg_expand_nonempty(t, n->items[i]->line, "topics: entry", &topic, errbuf)) {
            return SGX_ERR_CONFIG;
        }
        cfg->topics[cfg->ntopics++] = topic;
    }
    return SGX_OK;
}

static sgx_err_t parse_registry(const sgx_yaml_t *n, sgx_config_t *cfg, char *errbuf)
{
    static const char *const keys[] = {"url", "schemas", "ca_file", "client_cert_file",
                                       "client_key_file", "proxy", NULL};
    if (!n || n->kind != SGX_YAML_MAP || check_keys(n, keys, "schema_registry", errbuf) ||
        sgx_cfg_parse_tls(n, "schema_registry", &cfg->registry_tls, errbuf)) {
        if (!n || n->kind != SGX_YAML_MAP) {
            FAIL("schema_registry: a map with url and/or schemas (id: file) is required");
        }
        return SGX_ERR_CONFIG;
    }
    const sgx_yaml_t *un = sgx_yaml_get(n, "url");
    const char *url = sgx_cfg_scalar(un);
    if (url && sgx_cfg_expand_nonempty(url, un->line, "schema_registry.url", &cfg->registry_url,
                                       errbuf)) {
        return SGX_ERR_CONFIG;
    }
    const sgx_yaml_t *files = sgx_yaml_get(n, "schemas");
    if (files && files->kind != SGX_YAML_MAP) {
        FAIL("line %d: schema_registry.schemas must map schema ids to files", files->line);
    }
    for (size_t i = 0; files && i < files->n; i++) {
        char *end = NULL;
        unsigned long id = strtoul(files->keys[i], &end, 10);
        const char *path = sgx_cfg_scalar(files->items[i]);
        if (!*files->keys[i] || *end || id > 0x7fffffffUL || !path) {
            FAIL("line %d: schema_registry.schemas: '%s' must be a schema id with a file path",
                 files->items[i]->line, files->keys[i]);
        }
        char *p = NULL;
        if (sgx_cfg_expand_nonempty(path, files->items[i]->line, "schema_registry.schemas: file",
                                    &p, errbuf)) {
            return SGX_ERR_CONFIG;
        }
        cfg->schema_files = sgx_realloc(cfg->schema_files, (i + 1) * sizeof *cfg->schema_files);
        cfg->schema_files[i] = (sgx_schema_file_t){(uint32_t)id, p};
        cfg->nschema_files = i + 1;
    }
    if (!cfg->registry_url && cfg->nschema_files == 0) {
        FAIL("schema_registry: give a url or at least one schema file");
    }
    return SGX_OK;
}

static sgx_err_t parse_mapping(const sgx_yaml_t *n, sgx_config_t *cfg, char *errbuf)
{
    for (size_t i = 0; n && i < n->n; i++) {
        const char *src = sgx_cfg_scalar(n->items[i]);
        const char *key = n->keys[i];
        int f = sgx_field_parse(key);
        const char **slot = f >= 0 ? &cfg->mapping.fields[f]
                            : strcmp(key, "profile_id") == 0 ? &cfg->mapping.profile_id
                            : strcmp(key, "segment_id") == 0 ? &cfg->mapping.segment_id
                            : strcmp(key, "op") == 0         ? &cfg->mapping.op
                            : strcmp(key, "event_time") == 0 ? &cfg->mapping.event_time
                                                             : NULL;
        if (!slot || !src || !*src) {
            FAIL("line %d: mapping.%s: not a known event field, or no source field named",
                 n->items[i]->line, key);
        }
        char where[96];
        snprintf(where, sizeof where, "mapping.%.64s", key);
        char *v = NULL;
        if (sgx_cfg_expand_nonempty(src, n->items[i]->line, where, &v, errbuf)) {
            return SGX_ERR_CONFIG;
        }
        sgx_free((char *)*slot); /* unique keys, but keep a leak impossible */
        *slot = v;
    }
    return SGX_OK;
}

static sgx_err_t parse_limits(const sgx_yaml_t *root, sgx_config_t *cfg, char *errbuf)
{
    long v[9];
    if (sgx_cfg_get_int(root, "workers", 1, 64, 2, &v[0], errbuf) ||
        sgx_cfg_get_int(root, "max_inflight_events", 1000, 100000000, 100000, &v[1], errbuf) ||
        sgx_cfg_get_int(root, "max_record_bytes", 64, 1L << 30, 1L << 20, &v[2], errbuf) ||
        sgx_cfg_get_int(root, "shutdown_grace_ms", 0, 600000, 10000, &v[3], errbuf) ||
        sgx_cfg_get_int(root, "retry_base_ms", 1, 60000, 200, &v[4], errbuf) ||
        sgx_cfg_get_int(root, "retry_cap_ms", 1, 3600000, 30000, &v[5], errbuf) ||
        sgx_cfg_get_int(root, "request_timeout_ms", 100, 600000, 30000, &v[6], errbuf) ||
        sgx_cfg_get_int(root, "max_uncommitted_span", 10, 100000000, 500000, &v[7], errbuf) ||
        sgx_cfg_get_int(root, "max_server_wait_ms", 1000, 86400000, 3600000, &v[8], errbuf)) {
        return SGX_ERR_CONFIG;
    }
    cfg->workers = (int)v[0];
    cfg->max_inflight_events = (size_t)v[1];
    cfg->max_record_bytes = (size_t)v[2];
    cfg->shutdown_grace_ms = (int)v[3];
    cfg->retry_base_ms = (int)v[4];
    cfg->retry_cap_ms = (int)v[5];
    cfg->request_timeout_ms = (int)v[6];
    cfg->max_uncommitted_span = (size_t)v[7];
    cfg->max_server_wait_ms = (int)v[8];
    if (cfg->retry_base_ms > cfg->retry_cap_ms) {
        const sgx_yaml_t *b = sgx_yaml_get(root, "retry_base_ms");
        FAIL("line %d: retry_base_ms (%d) must not exceed retry_cap_ms (%d)",
             b ? b->line : sgx_yaml_get(root, "retry_cap_ms")->line, cfg->retry_base_ms,
             cfg->retry_cap_ms);
    }
    return SGX_OK;
}

/* After the destinations: only ever on with two or more. Off by default: measured, a group per
 * destination made the four-way demo 2.4x slower (each group decodes every record and gets a
 * quarter of max_inflight_events), so it is the operator's trade (README "How it works"). */
static sgx_err_t parse_group_mode(const sgx_yaml_t *n, sgx_config_t *cfg, char *errbuf)
{
    cfg->group_per_dest = false;
    if (!n) {
        return SGX_OK;
    }
    const char *v = sgx_cfg_scalar(n);
    if (v && (!strcmp(v, "true") || !strcmp(v, "false"))) {
        cfg->group_per_dest = !strcmp(v, "true") && cfg->ndests >= 2;
        return SGX_OK;
    }
    FAIL("line %d: consumer_group_per_destination takes true or false", n->line);
}

static sgx_err_t parse_root(const sgx_yaml_t *root, sgx_config_t *cfg, char *errbuf)
{
    if (check_keys(root, top_keys, "the top level", errbuf) ||
        parse_kafka(sgx_yaml_get(root, "kafka"), cfg, errbuf) ||
        parse_topics(sgx_yaml_get(root, "topics"), cfg, errbuf) ||
        parse_registry(sgx_yaml_get(root, "schema_registry"), cfg, errbuf) ||
        parse_mapping(sgx_yaml_get(root, "mapping"), cfg, errbuf) ||
        parse_limits(root, cfg, errbuf) || sgx_cfg_parse_obs(root, cfg, errbuf)) {
        return SGX_ERR_CONFIG;
    }
    const sgx_yaml_t *dn = sgx_yaml_get(root, "dead_letter_topic");
    const char *dlq = sgx_cfg_scalar(dn);
    if (!dlq || !*dlq) {
        FAIL("dead_letter_topic is required: bad records must go somewhere");
    }
    if (sgx_cfg_expand_nonempty(dlq, dn->line, "dead_letter_topic", &cfg->dead_letter_topic,
                                errbuf)) {
        return SGX_ERR_CONFIG;
    }
    if (sgx_cfg_parse_dests(sgx_yaml_get(root, "destinations"), cfg, errbuf)) {
        return SGX_ERR_CONFIG;
    }
    return parse_group_mode(sgx_yaml_get(root, "consumer_group_per_destination"), cfg, errbuf);
}

sgx_err_t sgx_config_parse(const char *text, size_t len, sgx_config_t **out, char *errbuf)
{
    sgx_yaml_t *root = NULL;
    sgx_config_t *cfg = sgx_calloc(1, sizeof *cfg);
    sgx_err_t err = sgx_yaml_parse(text, len, &root, errbuf);
    if (!err) {
        err = parse_root(root, cfg, errbuf);
    }
    sgx_yaml_free(root);
    if (err) {
        sgx_config_free(cfg);
        return err;
    }
    *out = cfg;
    return SGX_OK;
}

sgx_err_t sgx_config_load(const char *path, sgx_config_t **out, char *errbuf)
{
    char *text = NULL;
    if (sgx_cfg_read_secret(path, "config", &text, errbuf)) {
        return SGX_ERR_CONFIG;
    }
    sgx_err_t err = sgx_config_parse(text, strlen(text), out, errbuf);
    sgx_free(text);
    return err;
}
