#include "pipeline/dlq.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "pipeline/part.h"

struct sgx_dlq {
    rd_kafka_t *rk;
    char *topic;
    sgx_ring_t *done;
    sgx_stats_t *stats;
    bool closing; /* set by destroy: failed deliveries are released, not produced again */
};

/* Consumer-only properties the producer would warn about; everything else passes through. */
static bool consumer_only(const char *key)
{
    static const char *const keys[] = {
        "group.id", "group.instance.id", "auto.offset.reset", "enable.auto.commit",
        "enable.auto.offset.store", "auto.commit.interval.ms", "partition.assignment.strategy",
        "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms",
        "isolation.level", "enable.partition.eof", "fetch.min.bytes", "fetch.wait.max.ms",
        "fetch.max.bytes", "max.partition.fetch.bytes", "queued.min.messages",
        "queued.max.messages.kbytes", "check.crcs", "group.protocol.type", NULL,
    };
    for (int i = 0; keys[i]; i++) {
        if (strcmp(keys[i], key) == 0) {
            return true;
        }
    }
    return false;
}

rd_kafka_conf_t *sgx_kafka_conf(const sgx_config_t *cfg, bool for_producer, char *errbuf)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (size_t i = 0; i < cfg->nkafka; i++) {
        if (for_producer && consumer_only(cfg->kafka_keys[i])) {
            continue;
        }
        char why[SGX_ERRBUF_SIZE];
        if (rd_kafka_conf_set(conf, cfg->kafka_keys[i], cfg->kafka_values[i], why, sizeof why) !=
            RD_KAFKA_CONF_OK) {
            /* librdkafka's text may omit the name; the operator needs the key they wrote. */
            snprintf(errbuf, SGX_ERRBUF_SIZE, "kafka.%.64s: %.170s", cfg->kafka_keys[i], why);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    return conf;
}

static void send_headers(sgx_dlq_t *dlq, sgx_record_t *rec, rd_kafka_headers_t *hdrs,
                         const void *value, size_t value_len)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            dlq->rk, RD_KAFKA_V_TOPIC(dlq->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(sgx_record_key(rec), rec->key_len),
            RD_KAFKA_V_VALUE((void *)(uintptr_t)value, value_len), RD_KAFKA_V_HEADERS(hdrs),
            RD_KAFKA_V_OPAQUE(rec), RD_KAFKA_V_END);
        if (!err) {
            return; /* headers now owned by librdkafka */
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            SGX_ERROR("dlq", "cannot produce to %s: %s; retrying", dlq->topic,
                      rd_kafka_err2str(err));
        }
        usleep(10000); /* the DLQ producer's queue is full: wait for deliveries */
    }
}

void sgx_dlq_send(sgx_dlq_t *dlq, sgx_record_t *rec, const char *reason, const char *dest,
                  bool with_value)
{
    char num[32];
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(5);
    rd_kafka_header_add(hdrs, "reason", -1, reason, -1);
    rd_kafka_header_add(hdrs, "source.topic", -1, rec->part->topic, -1);
    snprintf(num, sizeof num, "%" PRId32, rec->part->partition);
    rd_kafka_header_add(hdrs, "source.partition", -1, num, -1);
    snprintf(num, sizeof num, "%" PRId64, rec->offset);
    rd_kafka_header_add(hdrs, "source.offset", -1, num, -1);
    if (dest) {
        rd_kafka_header_add(hdrs, "destination", -1, dest, -1);
    }
    sgx_record_hold(rec);
    send_headers(dlq, rec, hdrs, with_value ? sgx_record_value(rec) : NULL,
                 with_value ? rec->value_len : 0);
}

/* A failed DLQ delivery is produced again: dropping it would lose the record, because its
 * offset is committed once the DLQ record is acknowledged. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    sgx_dlq_t *dlq = opaque;
    sgx_record_t *rec = msg->_private;
    if (msg->err && dlq->closing) {
        sgx_record_release(rec, dlq->done);
        return;
    }
    if (msg->err) {
        rd_kafka_headers_t *hdrs = NULL, *copy = NULL;
        SGX_WARN("dlq", "delivery to %s failed (%s); producing again", dlq->topic,
                 rd_kafka_err2str(msg->err));
        if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            copy = rd_kafka_headers_copy(hdrs);
        }
        send_headers(dlq, rec, copy ? copy : rd_kafka_headers_new(0), msg->payload, msg->len);
        return;
    }
    SGX_INC(dlq->stats->dead_lettered);
    sgx_record_release(rec, dlq->done);
}

/* Learn the topic's partitions now, so the first dead letters are not held (with their
 * offsets) until the producer's first metadata refresh. Failure is harmless: it only means
 * the first records wait for that refresh. */
static void warm_metadata(sgx_dlq_t *dlq)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(dlq->rk, dlq->topic, NULL);
    if (rkt && rd_kafka_metadata(dlq->rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_metadata_destroy(md);
    }
    if (rkt) {
        rd_kafka_topic_destroy(rkt);
    }
}

sgx_err_t sgx_dlq_new(const sgx_config_t *cfg, sgx_ring_t *done, sgx_stats_t *stats,
                      sgx_dlq_t **out, char *errbuf)
{
    rd_kafka_conf_t *conf = sgx_kafka_conf(cfg, true, errbuf);
    if (!conf) {
        return SGX_ERR_CONFIG;
    }
    sgx_dlq_t *dlq = sgx_calloc(1, sizeof *dlq);
    dlq->topic = sgx_strdup(cfg->dead_letter_topic);
    dlq->done = done;
    dlq->stats = stats;
    rd_kafka_conf_set(conf, "enable.idempotence", "true", NULL, 0);
    rd_kafka_conf_set(conf, "linger.ms", "5", NULL, 0);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, dlq);
    dlq->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, SGX_ERRBUF_SIZE);
    if (!dlq->rk) {
        rd_kafka_conf_destroy(conf);
        sgx_dlq_destroy(dlq);
        return SGX_ERR_KAFKA;
    }
    warm_metadata(dlq);
    *out = dlq;
    return SGX_OK;
}

void sgx_dlq_poll(sgx_dlq_t *dlq)
{
    rd_kafka_poll(dlq->rk, 0);
}

void sgx_dlq_flush(sgx_dlq_t *dlq, int timeout_ms)
{
    rd_kafka_flush(dlq->rk, timeout_ms);
}

void sgx_dlq_destroy(sgx_dlq_t *dlq)
{
    if (!dlq) {
        return;
    }
    if (dlq->rk) {
        dlq->closing = true;
        rd_kafka_purge(dlq->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(dlq->rk, 0);
        rd_kafka_destroy(dlq->rk);
    }
    sgx_free(dlq->topic);
    sgx_free(dlq);
}
