/* The service configuration: YAML file (plus ${ENV} and *_file secrets) -> immutable struct. */
#ifndef SGX_CONFIG_H
#define SGX_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/http_tls.h"
#include "codecs/avro_projection.h"
#include "connectors/connector.h"

typedef struct {
    char *name;                      /* destination name, used in logs, metrics, DLQ headers */
    const sgx_connector_def_t *def;  /* borrowed from the registry */
    sgx_dest_settings_t settings;    /* resolved text settings (owned arrays) */
    char **setting_files;            /* same index: the file a `x_file` setting was read from
                                      * (re-read when the destination is blocked on its
                                      * credentials), NULL for inline settings */
    size_t naudiences;
    char **segments;                 /* segment ids this destination exports */
    char **audience_ids;             /* same index: the platform audience each one writes to */
    sgx_limits_t limits;             /* connector defaults lowered by config */
    const char *default_country;     /* borrowed from settings (may be NULL) */
    sgx_http_tls_t tls;              /* ca_file, client cert/key, proxy for its requests */
} sgx_dest_config_t;

typedef struct {
    uint32_t id;
    char *path;
} sgx_schema_file_t;

typedef struct {
    size_t nkafka;
    char **kafka_keys;         /* librdkafka properties, passed through unchanged */
    char **kafka_values;
    size_t ntopics;
    char **topics;
    char *dead_letter_topic;
    char *registry_url;        /* may be NULL when schema files are given */
    sgx_http_tls_t registry_tls; /* ca_file, client cert/key, proxy for the registry */
    size_t nschema_files;
    sgx_schema_file_t *schema_files;
    sgx_mapping_t mapping;     /* strings owned */
    int workers;
    size_t max_inflight_events; /* backpressure bound: events consumed but not yet final */
    size_t max_uncommitted_span; /* per partition: records held behind the oldest unfinished
                                  * one before that partition is paused */
    size_t max_record_bytes;    /* larger records go to the dead-letter topic */
    int shutdown_grace_ms;
    int retry_base_ms;
    int retry_cap_ms;
    int request_timeout_ms;
    int max_server_wait_ms;     /* cap on waits a destination asks for (Retry-After…) */
    size_t ndests;
    sgx_dest_config_t *dests;
    /* consumer_group_per_destination (only ever true with two destinations or more): one
     * consumer group per destination, `<group.id>.<destination name>` (pipeline/groups.c). */
    bool group_per_dest;
    /* Set by pipeline/groups.c on a group's derived configuration, never parsed: records that
     * cannot be decoded are dead-lettered by the first group only (one dead letter per bad
     * record, not one per destination); the others mark them final without sending. */
    bool undecodable_not_dlq;
    /* Observability (config_obs.c) */
    char *metrics_listen;       /* HOST:PORT of /metrics, /healthz, /readyz; NULL: off */
    int ready_blocked_max_ms;   /* not ready once a destination is blocked this long */
    int liveness_stall_ms;      /* not live once a thread has not turned its loop this long */
    int progress_interval_s;    /* progress line every N s; 0: off */
    int log_format;             /* sgx_log_format_t */
} sgx_config_t;

/**
 * @brief Parses and validates a YAML configuration.
 * @param text borrowed. @param out owned on success, free with sgx_config_free.
 * @param errbuf receives a message naming the offending key (never a secret's value).
 */
sgx_err_t sgx_config_parse(const char *text, size_t len, sgx_config_t **out, char *errbuf);

/** @brief Reads FILE and parses it (see sgx_config_parse). */
sgx_err_t sgx_config_load(const char *path, sgx_config_t **out, char *errbuf);

/**
 * @brief What needs the connectors (config_check.c): each destination's settings through its
 * init, each audience id through its validate_audience rule ("" only where creation works);
 * warns about http:// URLs carrying credentials off the host. @param cfg borrowed.
 * @param errbuf names the destination and segment on SGX_ERR_CONFIG.
 */
sgx_err_t sgx_config_check(const sgx_config_t *cfg, char *errbuf);

/** @brief Frees a configuration. NULL-safe. */
void sgx_config_free(sgx_config_t *cfg);

/** @returns the kafka property value (borrowed) or NULL. */
const char *sgx_config_kafka(const sgx_config_t *cfg, const char *key);

#endif
