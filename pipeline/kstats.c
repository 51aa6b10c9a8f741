#include "pipeline/kstats.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/consumer.h"
#include "pipeline/dispatch_req.h"
#include "base/log.h"

#define DEFAULT_STATS_INTERVAL "5000"

void sgx_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    /* syslog levels: 0-3 errors, 4 warning, 5-6 notice/info, 7 debug */
    sgx_log_level_t l = level <= 3 ? SGX_LOG_ERROR : level == 4 ? SGX_LOG_WARN
                        : level <= 6                        ? SGX_LOG_INFO
                                                            : SGX_LOG_DEBUG;
    if (!sgx_log_enabled(l)) {
        return;
    }
    sgx_log_fields(l, "rdkafka", SGX_FIELDS(SGX_FS("fac", fac), SGX_FS("client", rd_kafka_name(rk))),
                   "%s", buf);
}

/* Error events: without this callback librdkafka also logs each one, repeating the FAIL line
 * its log callback already gave. Fatal ones stay loud; all-brokers-down is worth a warning. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)opaque;
    sgx_log_level_t l = rd_kafka_fatal_error(rk, NULL, 0) ? SGX_LOG_ERROR
                        : err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ? SGX_LOG_WARN
                                                                     : SGX_LOG_DEBUG;
    if (sgx_log_enabled(l)) {
        sgx_log_fields(l, "rdkafka", SGX_FIELDS(SGX_FS("client", rd_kafka_name(rk)),
                                                 SGX_FS("error", rd_kafka_err2name(err))),
                       "%s", reason);
    }
}

void sgx_kafka_observe(rd_kafka_conf_t *conf)
{
    rd_kafka_conf_set_log_cb(conf, sgx_kafka_log_cb);
    rd_kafka_conf_set_error_cb(conf, on_error);
}

static int brokers_up(json_t *brokers)
{
    const char *name;
    json_t *b;
    int up = 0;
    json_object_foreach(brokers, name, b)
    {
        json_t *id = json_object_get(b, "nodeid");
        const char *state = json_string_value(json_object_get(b, "state"));
        const char *source = json_string_value(json_object_get(b, "source"));
        /* Bootstrap entries carry nodeid -1; a logical one (GroupCoordinator) is a second
         * connection to a broker already counted. */
        if (json_is_integer(id) && json_integer_value(id) >= 0 && state &&
            strcmp(state, "UP") == 0 && !(source && strcmp(source, "logical") == 0)) {
            up++;
        }
    }
    return up;
}

static void apply_partitions(sgx_stats_t *s, const char *topic, json_t *parts)
{
    const char *key;
    json_t *p;
    json_object_foreach(parts, key, p)
    {
        json_t *id = json_object_get(p, "partition");
        if (!json_is_integer(id) || json_integer_value(id) < 0) {
            continue; /* -1: librdkafka's internal "unassigned" partition */
        }
        sgx_part_stats_t *ps = sgx_stats_part(s, topic, (int32_t)json_integer_value(id), false);
        if (!ps || !atomic_load(&ps->assigned)) {
            continue;
        }
        json_t *lag = json_object_get(p, "consumer_lag");
        json_t *committed = json_object_get(p, "committed_offset");
        if (json_is_integer(lag)) {
            SGX_SET(ps->lag, json_integer_value(lag));
        }
        if (json_is_integer(committed) && json_integer_value(committed) >= 0) {
            SGX_SET(ps->committed, json_integer_value(committed));
        }
    }
}

sgx_err_t sgx_kstats_apply(sgx_stats_t *s, const char *json, size_t len, int64_t now_ms)
{
    json_t *root = json_loadb(json, len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return SGX_ERR_DECODE;
    }
    json_t *brokers = json_object_get(root, "brokers");
    if (json_is_object(brokers)) {
        SGX_SET(s->brokers_up, brokers_up(brokers));
    }
    json_t *cgrp = json_object_get(root, "cgrp");
    if (json_is_object(cgrp)) {
        const char *join = json_string_value(json_object_get(cgrp, "join_state"));
        const char *state = json_string_value(json_object_get(cgrp, "state"));
        SGX_SET(s->group_steady, join && state && strcmp(join, "steady") == 0 &&
                                     strcmp(state, "up") == 0);
    }
    json_t *topics = json_object_get(root, "topics");
    const char *name;
    json_t *t;
    json_object_foreach(topics, name, t)
    {
        json_t *parts = json_object_get(t, "partitions");
        if (json_is_object(parts)) {
            apply_partitions(s, name, parts);
        }
    }
    SGX_SET(s->stats_at, now_ms);
    json_decref(root);
    return SGX_OK;
}

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    sgx_consumer_t *c = opaque;
    if (sgx_kstats_apply(c->stats, json, len, sgx_now_ms())) {
        SGX_WARN("consumer", "librdkafka statistics could not be parsed");
    }
    return 0; /* librdkafka frees json */
}

static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    (void)rk;
    sgx_consumer_t *c = opaque;
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET || !offsets) {
        return;
    }
    if (err) {
        SGX_WARN("consumer", "offset commit failed: %s", rd_kafka_err2str(err));
    }
    for (int i = 0; i < offsets->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &offsets->elems[i];
        sgx_part_stats_t *ps = sgx_stats_part(c->stats, tp->topic, tp->partition, false);
        if (ps && !tp->err && tp->offset >= 0) {
            SGX_SET(ps->committed, tp->offset);
            SGX_DEBUG("consumer", "committed %s[%d] at %lld", tp->topic, (int)tp->partition,
                      (long long)tp->offset);
        }
    }
}

void sgx_kstats_install(rd_kafka_conf_t *conf, const sgx_config_t *cfg)
{
    rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
    if (!cfg->metrics_listen) {
        return; /* lag and broker states are only read by /metrics and /readyz */
    }
    if (!sgx_config_kafka(cfg, "statistics.interval.ms")) {
        rd_kafka_conf_set(conf, "statistics.interval.ms", DEFAULT_STATS_INTERVAL, NULL, 0);
    }
    rd_kafka_conf_set_stats_cb(conf, on_stats);
}

void sgx_kstats_publish_parts(sgx_consumer_t *c)
{
    int assigned = 0;
    for (size_t i = 0; i < c->nparts; i++) {
        sgx_part_t *p = c->parts[i];
        sgx_part_stats_t *ps = p->stats;
        assigned += p->assigned;
        if (!ps) {
            continue;
        }
        atomic_store(&ps->assigned, p->assigned);
        int64_t pos = sgx_offsets_position(p->offsets);
        if (p->assigned && pos >= 0) {
            SGX_SET(ps->stored, pos);
            SGX_SET(ps->uncommitted, p->next_expected > pos ? p->next_expected - pos : 0);
        } else if (p->assigned) {
            SGX_SET(ps->uncommitted, 0);
        }
    }
    SGX_SET(c->stats->assigned_parts, assigned);
}

void sgx_kstats_committed_all(sgx_consumer_t *c)
{
    for (size_t i = 0; i < c->nparts; i++) {
        sgx_part_t *p = c->parts[i];
        int64_t pos = sgx_offsets_position(p->offsets);
        if (p->stats && p->assigned && pos >= 0) {
            SGX_SET(p->stats->committed, pos);
        }
    }
}
