#include "pipeline/dlq.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "pipeline/dispatch_req.h"
#include "pipeline/kstats.h"
#include "pipeline/ownership.h"
#include "pipeline/part.h"

/* How long the DLQ thread waits for delivery reports when it has nothing else to do. */
#define SERVE_MS 20
/* A record the DLQ refuses for good is produced again after this, doubling up to the cap. */
#define PARK_FIRST_MS 1000
#define PARK_CAP_MS 60000
/* A key is cut to this when even the key alone does not fit message.max.bytes. */
#define KEY_KEEP 256

/* One record on its way to the dead-letter topic. Owned by whoever holds it: the caller of
 * send until it is queued, then librdkafka (as the message's opaque) or the DLQ's backlog or
 * parked list; freed once the record was released. */
typedef struct letter {
    struct letter *next;
    sgx_record_t *rec; /* held until the DLQ record is acknowledged or the letter dropped */
    char *reason;
    char *dest;            /* NULL: no destination header */
    bool with_value;
    bool drop_value;       /* the value does not fit message.max.bytes */
    bool cut_key;          /* neither does the key */
    bool parked;           /* counted in its partition's dlq_blocked */
} letter_t;

typedef struct {
    letter_t *head, *tail;
} letter_list_t;

struct sgx_dlq {
    rd_kafka_t *rk;
    char *topic;
    sgx_ring_t *done; /* pushed by the DLQ thread only (and by destroy, after the join) */
    sgx_stats_t *stats;
    pthread_mutex_t lock;
    letter_list_t backlog; /* waiting for room in the producer queue (lock) */
    letter_list_t parked;  /* refused for good, produced again at park_at (DLQ thread only) */
    int64_t park_at, park_ms;
    pthread_t thread;
    bool running;
    atomic_bool stop;
    bool closing; /* set by destroy: failed deliveries are released, not produced again */
};

static void list_push(letter_list_t *l, letter_t *lt)
{
    lt->next = NULL;
    if (l->tail) {
        l->tail->next = lt;
    } else {
        l->head = lt;
    }
    l->tail = lt;
}

static letter_t *list_pop(letter_list_t *l)
{
    letter_t *lt = l->head;
    if (lt) {
        l->head = lt->next;
        if (!l->head) {
            l->tail = NULL;
        }
    }
    return lt;
}

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
    sgx_kafka_observe(conf); /* one logger, one format */
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

static rd_kafka_headers_t *make_headers(const letter_t *lt)
{
    char num[32];
    const sgx_record_t *rec = lt->rec;
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(6);
    rd_kafka_header_add(hdrs, "reason", -1, lt->reason, -1);
    rd_kafka_header_add(hdrs, "source.topic", -1, rec->part->topic, -1);
    snprintf(num, sizeof num, "%" PRId32, rec->part->partition);
    rd_kafka_header_add(hdrs, "source.partition", -1, num, -1);
    snprintf(num, sizeof num, "%" PRId64, rec->offset);
    rd_kafka_header_add(hdrs, "source.offset", -1, num, -1);
    if (lt->dest) {
        rd_kafka_header_add(hdrs, "destination", -1, lt->dest, -1);
    }
    if (lt->drop_value || lt->cut_key) {
        rd_kafka_header_add(hdrs, "truncated", -1, lt->cut_key ? "value,key" : "value", -1);
    }
    return hdrs;
}

/* One produce attempt, never waiting. A letter larger than the producer's message.max.bytes
 * is made to fit (value left out, then key cut) and says so in a `truncated` header: it would
 * otherwise be refused the same way forever. @returns the error librdkafka gave, if any. */
static rd_kafka_resp_err_t produce(sgx_dlq_t *dlq, letter_t *lt)
{
    for (;;) {
        const sgx_record_t *rec = lt->rec;
        bool value = lt->with_value && !lt->drop_value;
        size_t key_len = lt->cut_key && rec->key_len > KEY_KEEP ? KEY_KEEP : rec->key_len;
        rd_kafka_headers_t *hdrs = make_headers(lt);
        rd_kafka_resp_err_t err = rd_kafka_producev(
            dlq->rk, RD_KAFKA_V_TOPIC(dlq->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(sgx_record_key(rec), key_len),
            RD_KAFKA_V_VALUE(value ? (void *)(uintptr_t)sgx_record_value(rec) : NULL,
                             value ? rec->value_len : 0),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(lt), RD_KAFKA_V_END);
        if (!err) {
            return err; /* headers and letter now with librdkafka */
        }
        rd_kafka_headers_destroy(hdrs);
        if (err != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || (lt->drop_value && lt->cut_key)) {
            return err;
        }
        if (value) {
            lt->drop_value = true; /* first try: leave the value out */
        } else {
            lt->drop_value = lt->cut_key = true;
        }
        SGX_INC(dlq->stats->dlq_truncated);
    }
}

void sgx_dlq_send(sgx_dlq_t *dlq, sgx_record_t *rec, const char *reason, const char *dest,
                  bool with_value)
{
    letter_t *lt = sgx_calloc(1, sizeof *lt);
    lt->rec = rec;
    lt->reason = sgx_strdup(reason);
    lt->dest = dest ? sgx_strdup(dest) : NULL;
    lt->with_value = with_value;
    sgx_record_hold(rec);
    /* Never waits: a full producer queue (or any refusal) leaves the letter to the DLQ thread,
     * which alone serves delivery reports. The caller may be the poll thread. */
    pthread_mutex_lock(&dlq->lock);
    if (dlq->backlog.head || produce(dlq, lt)) {
        list_push(&dlq->backlog, lt);
    }
    pthread_mutex_unlock(&dlq->lock);
}

static void letter_free(letter_t *lt)
{
    sgx_free(lt->reason);
    sgx_free(lt->dest);
    sgx_free(lt);
}

/* The letter's partition is no longer this assignment's: its new owner dead-letters the
 * record again, so this process sends nothing more of it. */
static bool stale(const letter_t *lt)
{
    return !sgx_own_record(lt->rec); /* its partition moved on: not ours to dead-letter */
}

static void unpark(letter_t *lt, bool delivered)
{
    if (!lt->parked) {
        return;
    }
    lt->parked = false;
    sgx_part_t *p = lt->rec->part;
    if (atomic_fetch_sub(&p->dlq_blocked, 1) == 1 && delivered) {
        SGX_WARN("dlq", "%s[%d]: dead letters accepted again; partition unblocked", p->topic,
                 (int)p->partition);
    }
}

/* The letter is final: delivered, or dropped (stale, closing). */
static void finish(sgx_dlq_t *dlq, letter_t *lt, bool delivered)
{
    unpark(lt, delivered);
    if (delivered) {
        SGX_INC(dlq->stats->dead_lettered);
        sgx_stats_count_reason(dlq->stats, lt->reason); /* the table caps distinct reasons */
    }
    sgx_record_release(lt->rec, dlq->done);
    letter_free(lt);
}

/* Errors that producing the same record again cannot cure: retrying them at once would spin
 * and pin the partition's watermark for good. */
static bool permanent(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__FATAL:
        return true;
    default:
        return false;
    }
}

/* Blocks the letter's partition: its offset is not acknowledged, the poll thread pauses the
 * partition (dlq_blocked > 0), and the letter is produced again with capped backoff. Logged
 * once per partition and block, not per record or attempt. */
static void park(sgx_dlq_t *dlq, letter_t *lt, rd_kafka_resp_err_t err)
{
    if (!lt->parked) {
        lt->parked = true;
        sgx_part_t *p = lt->rec->part;
        SGX_INC(dlq->stats->dlq_refused);
        if (atomic_fetch_add(&p->dlq_blocked, 1) == 0) {
            SGX_ERROR("dlq", "%s[%d]: dead-letter topic %s refuses records for good (%s): "
                      "partition blocked (nothing acknowledged, intake paused), retrying "
                      "every %d s at most",
                      p->topic, (int)p->partition, dlq->topic, rd_kafka_err2name(err),
                      PARK_CAP_MS / 1000);
        }
    }
    if (!dlq->parked.head) {
        dlq->park_ms = dlq->park_ms ? dlq->park_ms : PARK_FIRST_MS;
        dlq->park_at = sgx_now_ms() + dlq->park_ms;
    }
    list_push(&dlq->parked, lt);
}

/* A failed letter: transient delivery errors (librdkafka already retried until
 * message.timeout.ms) are produced again; permanent ones, and any refusal of producev itself
 * other than a full queue (immediate), park. @locality the DLQ thread. */
static void failed(sgx_dlq_t *dlq, letter_t *lt, rd_kafka_resp_err_t err, bool immediate)
{
    if (dlq->closing || stale(lt)) {
        finish(dlq, lt, false);
    } else if (immediate || permanent(err)) {
        park(dlq, lt, err);
    } else {
        SGX_WARN("dlq", "delivery to %s failed (%s); producing again", dlq->topic,
                 rd_kafka_err2str(err));
        pthread_mutex_lock(&dlq->lock);
        list_push(&dlq->backlog, lt);
        pthread_mutex_unlock(&dlq->lock);
    }
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    sgx_dlq_t *dlq = opaque;
    letter_t *lt = msg->_private;
    if (msg->err) {
        failed(dlq, lt, msg->err, false);
        return;
    }
    if (dlq->parked.head == NULL) {
        dlq->park_ms = 0;
    }
    finish(dlq, lt, true);
}

/* Produces the backlog in order until the queue is full again. Letters refused at once (not
 * for lack of room) go through the same path as a failed delivery. */
static void drain_backlog(sgx_dlq_t *dlq)
{
    letter_list_t refused = {0};
    rd_kafka_resp_err_t errs[64];
    size_t nref = 0;
    pthread_mutex_lock(&dlq->lock);
    while (dlq->backlog.head && nref < 64) {
        letter_t *lt = dlq->backlog.head;
        rd_kafka_resp_err_t err = stale(lt) ? RD_KAFKA_RESP_ERR__STATE : produce(dlq, lt);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            break;
        }
        list_pop(&dlq->backlog);
        if (err) {
            errs[nref++] = err;
            list_push(&refused, lt);
        }
    }
    pthread_mutex_unlock(&dlq->lock);
    for (size_t i = 0; i < nref; i++) {
        failed(dlq, list_pop(&refused), errs[i], true); /* stale ones are dropped first */
    }
}

/* Parked letters go back to the backlog once their backoff is over. */
static void retry_parked(sgx_dlq_t *dlq)
{
    if (!dlq->parked.head || sgx_now_ms() < dlq->park_at) {
        return;
    }
    dlq->park_ms = dlq->park_ms * 2 > PARK_CAP_MS ? PARK_CAP_MS : dlq->park_ms * 2;
    pthread_mutex_lock(&dlq->lock);
    letter_t *lt;
    while ((lt = list_pop(&dlq->parked)) != NULL) {
        list_push(&dlq->backlog, lt);
    }
    pthread_mutex_unlock(&dlq->lock);
}

/* Serves delivery reports apart from every thread that produces, so a full producer queue can
 * always drain: no producing thread ever waits for a report only it could serve. */
static void *dlq_main(void *arg)
{
    sgx_dlq_t *dlq = arg;
    while (!atomic_load(&dlq->stop)) {
        rd_kafka_poll(dlq->rk, SERVE_MS);
        drain_backlog(dlq);
        retry_parked(dlq);
    }
    return NULL;
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
    pthread_mutex_init(&dlq->lock, NULL);
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
    if (pthread_create(&dlq->thread, NULL, dlq_main, dlq) != 0) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "cannot start the dead-letter thread");
        sgx_dlq_destroy(dlq);
        return SGX_ERR_UNAVAILABLE;
    }
    dlq->running = true;
    *out = dlq;
    return SGX_OK;
}

void sgx_dlq_destroy(sgx_dlq_t *dlq)
{
    if (!dlq) {
        return;
    }
    if (dlq->running) {
        atomic_store(&dlq->stop, true);
        pthread_join(dlq->thread, NULL);
    }
    /* From here on this thread is the DLQ thread: it serves the purged reports itself. */
    dlq->closing = true;
    if (dlq->rk) {
        rd_kafka_purge(dlq->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        for (int i = 0; i < 500 && rd_kafka_outq_len(dlq->rk) > 0; i++) {
            rd_kafka_poll(dlq->rk, 10); /* every purged letter comes back to be released */
        }
    }
    letter_t *lt;
    while ((lt = list_pop(&dlq->backlog)) != NULL || (lt = list_pop(&dlq->parked)) != NULL) {
        finish(dlq, lt, false);
    }
    if (dlq->rk) {
        rd_kafka_destroy(dlq->rk);
    }
    pthread_mutex_destroy(&dlq->lock);
    sgx_free(dlq->topic);
    sgx_free(dlq);
}
