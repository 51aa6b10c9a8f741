#include "cli/cmd_check.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>

#include "codecs/schema_cache.h"
#include "pipeline/consumer.h"
#include "pipeline/dlq.h"
#include "pipeline/stats.h"

/* An offline check must not print librdkafka's connection attempts of the throw-away handle;
 * rd_kafka_new reports its own refusals through errstr, not the log. */
static void silent_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

/* rd_kafka_new catches what setting single properties cannot: combinations (SASL without a
 * mechanism's settings), unreadable ssl.* files, a bad ssl.ca.location. It starts librdkafka's
 * threads; the handle is destroyed at once, before any group join. */
static int check_kafka(const sgx_config_t *cfg, bool producer)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    const char *what = producer ? "dead-letter producer" : "consumer";
    rd_kafka_conf_t *conf = sgx_kafka_conf(cfg, producer, errbuf);
    if (!conf) {
        fprintf(stderr, "segexport: %s\n", errbuf);
        return 1;
    }
    if (!producer) {
        sgx_consumer_defaults(conf, cfg); /* as sgx_consumer_open builds it */
    }
    rd_kafka_conf_set_log_cb(conf, silent_log);
    rd_kafka_t *rk = rd_kafka_new(producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER, conf, errbuf,
                                  sizeof errbuf);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "segexport: kafka (%s): %s\n", what, errbuf);
        return 1;
    }
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return 0;
}

/* The pinned schema files are compiled (with the mapping bound) when the pipeline starts: an
 * unreadable file, bad JSON or a mapping naming a field the schema lacks stops run there. */
static int check_schemas(const sgx_config_t *cfg)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_schema_cache_t *c = NULL;
    int rc = 0;
    if (sgx_schema_cache_new(NULL, &cfg->mapping, &c)) {
        fprintf(stderr, "segexport: cannot create the schema cache\n");
        return 1;
    }
    for (size_t i = 0; !rc && i < cfg->nschema_files; i++) {
        errbuf[0] = '\0';
        if (sgx_schema_cache_add_file(c, cfg->schema_files[i].id, cfg->schema_files[i].path,
                                      errbuf)) {
            fprintf(stderr, "segexport: schema_registry.schemas: %u (%s): %s\n",
                    (unsigned)cfg->schema_files[i].id, cfg->schema_files[i].path,
                    errbuf[0] ? errbuf : "cannot read or compile it");
            rc = 1;
        }
    }
    sgx_schema_cache_destroy(c);
    return rc;
}

int sgx_cmd_check(const sgx_config_t *cfg, bool online)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_config_check(cfg, errbuf)) {
        fprintf(stderr, "segexport: %s\n", errbuf);
        return 1;
    }
    if (cfg->ndests > SGX_STATS_MAX_DESTS) {
        fprintf(stderr, "segexport: at most %d destinations\n", SGX_STATS_MAX_DESTS);
        return 1;
    }
    if (check_schemas(cfg) || check_kafka(cfg, false) || check_kafka(cfg, true)) {
        return 1;
    }
    printf("configuration OK: %zu topic(s), %zu destination(s), dead-letter topic %s\n",
           cfg->ntopics, cfg->ndests, cfg->dead_letter_topic);
    if (!online) {
        return 0;
    }
    int failed = sgx_check_online(cfg);
    if (failed) {
        printf("%d online check(s) failed\n", failed);
    }
    fflush(stdout);
    return failed ? 1 : 0;
}
