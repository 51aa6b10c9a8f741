/* The demo's synthetic upstream: Avro events written with avro-c (not our decoder's code),
 * keyed by profile_id, paced behind the consumer because the mock cluster silently drops old
 * message sets past ~5 MiB per partition (kafka.md §3). */
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/backoff.h"
#include "base/log.h"
#include "base/mem.h"
#include "cli/demo/demo.h"
#include "codecs/avro_writer.h"
#include "codecs/schema_canonical.h"

struct sgx_demo_gen {
    pthread_t thread;
    rd_kafka_t *rk;
    char *topic;
    uint32_t schema_id;
    sgx_demo_opts_t o;
    const sgx_stats_t *stats;
    sgx_demo_truth_t *truth;
    sgx_avro_writer_t *writer;
    sgx_buf_t buf;
    uint64_t rng;
    atomic_bool stop; /* the demo was interrupted: produce no more */
};

static void produce(sgx_demo_gen_t *g, const char *key, const void *val, size_t len)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            g->rk, RD_KAFKA_V_TOPIC(g->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)(uintptr_t)val, len),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            break;
        }
        rd_kafka_poll(g->rk, 10); /* queue full: let deliveries drain */
    }
    atomic_fetch_add(&g->truth->produced, 1);
}

/* Keeps produced - consumed under the window the mock can retain. */
static void pace(sgx_demo_gen_t *g)
{
    uint64_t produced = atomic_load(&g->truth->produced);
    while (produced > atomic_load(&g->stats->consumed) + g->o.window &&
           !atomic_load(&g->stop)) {
        rd_kafka_poll(g->rk, 1);
    }
}

/* Malformed records of six kinds, each of which must reach the dead-letter topic. */
static void produce_bad(sgx_demo_gen_t *g, size_t i, const sgx_event_in_t *ev)
{
    char key[32];
    snprintf(key, sizeof key, "bad-%zu", i);
    sgx_buf_reset(&g->buf);
    sgx_avro_writer_encode(g->writer, g->schema_id, ev, &g->buf);
    switch (i % 6) {
    case 0: /* wrong magic byte */
        g->buf.data[0] = 1;
        break;
    case 1: /* truncated body */
        g->buf.len = g->buf.len / 2;
        break;
    case 2: /* unknown schema id */
        g->buf.data[1] = 0x7f;
        break;
    case 3: /* garbage after a valid frame */
        for (size_t k = 5; k < g->buf.len; k++) {
            g->buf.data[k] = (char)(sgx_rand_next(&g->rng) | 0x80);
        }
        break;
    case 4: /* too short for a frame */
        g->buf.len = 3;
        break;
    default: { /* missing profile id */
        sgx_event_in_t e = *ev;
        e.profile_id = "";
        sgx_buf_reset(&g->buf);
        sgx_avro_writer_encode(g->writer, g->schema_id, &e, &g->buf);
        break;
    }
    }
    produce(g, key, g->buf.data, g->buf.len);
    g->truth->expected_dlq++;
}

static void make_event(sgx_demo_gen_t *g, size_t i, sgx_event_in_t *ev, sgx_demo_profile_t *pr,
                       char *pid, char *seg)
{
    size_t p = (size_t)(sgx_rand_next(&g->rng) % g->o.profiles);
    size_t s = (size_t)(sgx_rand_next(&g->rng) % g->o.segments);
    sgx_op_t op = sgx_rand_next(&g->rng) % 10 < 6 ? SGX_OP_ENTER : SGX_OP_EXIT;
    sgx_demo_profile(p, pr);
    snprintf(pid, 32, "profile-%zu", p);
    snprintf(seg, 32, "seg-%02zu", s);
    memset(ev, 0, sizeof *ev);
    ev->profile_id = pid;
    ev->segment_id = seg;
    ev->op = op;
    ev->event_time_ms = 1764000000000LL + (int64_t)i;
    ev->fields[SGX_F_EMAIL] = pr->has_email ? pr->email_raw : NULL;
    ev->fields[SGX_F_PHONE] = pr->has_phone ? pr->phone_raw : NULL;
    ev->fields[SGX_F_COUNTRY] = pr->country;
    g->truth->state[p * g->o.segments + s] = op == SGX_OP_ENTER ? 1 : 2;
    g->truth->events++;
    /* No usable identifier for a destination: dead-lettered for it, never hashed. */
    unsigned dests = sgx_demo_dests(&g->o);
    bool email = pr->has_email && pr->email_norm[0];
    for (int k = 0; k < SGX_DEST__COUNT; k++) {
        if ((dests >> k & 1u) && !(k == SGX_DEST_FACEBOOK ? pr->usable : email)) {
            g->truth->expected_dlq++;
        }
    }
}

static void *gen_main(void *arg)
{
    sgx_demo_gen_t *g = arg;
    size_t bad_every = g->o.bad ? g->o.events / g->o.bad : 0;
    for (size_t i = 0; i < g->o.events && !atomic_load(&g->stop); i++) {
        sgx_event_in_t ev;
        sgx_demo_profile_t pr;
        char pid[32], seg[32];
        make_event(g, i, &ev, &pr, pid, seg);
        sgx_buf_reset(&g->buf);
        if (sgx_avro_writer_encode(g->writer, g->schema_id, &ev, &g->buf)) {
            SGX_ERROR("demo", "cannot encode event %zu", i);
            continue;
        }
        produce(g, pid, g->buf.data, g->buf.len);
        if (bad_every && i % bad_every == bad_every / 2) {
            produce_bad(g, i / bad_every, &ev);
        }
        if (i % 1024 == 0) {
            pace(g);
        }
    }
    rd_kafka_flush(g->rk, 60000);
    atomic_store(&g->truth->finished, true);
    return NULL;
}

sgx_err_t sgx_demo_gen_start(const char *bootstrap, const char *topic, uint32_t schema_id,
                             const sgx_demo_opts_t *o, const sgx_stats_t *stats,
                             sgx_demo_truth_t *truth, sgx_demo_gen_t **out, char *errbuf)
{
    sgx_demo_gen_t *g = sgx_calloc(1, sizeof *g);
    g->topic = sgx_strdup(topic);
    g->schema_id = schema_id;
    g->o = *o;
    g->stats = stats;
    g->truth = truth;
    g->rng = o->seed ? o->seed : 1;
    const char *schema = sgx_schema_canonical();
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, NULL, 0);
    rd_kafka_conf_set(conf, "linger.ms", "20", NULL, 0);
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "500000", NULL, 0);
    rd_kafka_conf_set(conf, "enable.idempotence", "true", NULL, 0);
    g->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, SGX_ERRBUF_SIZE);
    if (!g->rk || sgx_avro_writer_new(schema, strlen(schema), &g->writer, errbuf) ||
        pthread_create(&g->thread, NULL, gen_main, g) != 0) {
        if (!g->rk) {
            rd_kafka_conf_destroy(conf);
        }
        g->thread = 0;
        sgx_demo_gen_join(g);
        return SGX_ERR_UNAVAILABLE;
    }
    *out = g;
    return SGX_OK;
}

void sgx_demo_gen_stop(sgx_demo_gen_t *g)
{
    if (g) {
        atomic_store(&g->stop, true);
    }
}

void sgx_demo_gen_join(sgx_demo_gen_t *g)
{
    if (!g) {
        return;
    }
    if (g->thread) {
        pthread_join(g->thread, NULL);
    }
    if (g->rk) {
        rd_kafka_destroy(g->rk);
    }
    sgx_avro_writer_destroy(g->writer);
    sgx_buf_free(&g->buf);
    sgx_free(g->topic);
    sgx_free(g);
}
