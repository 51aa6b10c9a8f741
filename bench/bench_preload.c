/* The benchmark's data set: demo events (messy but valid e-mails and phones, as the demo's
 * upstream sends) encoded once, loaded into the mock cluster before any timing starts, and
 * checked to be complete there. Unlike the demo's paced generator, everything is produced up
 * front, so the partition count is chosen to keep each partition well under the mock's
 * ~5 MiB retention (kafka.md §3). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/backoff.h"
#include "base/mem.h"
#include "bench/bench.h"
#include "bench/bench_e2e.h"
#include "codecs/avro_writer.h"
#include "codecs/schema_canonical.h"

#define TOPIC "segment-membership"
#define DLQ_TOPIC "segexport-dlq"
#define SEGMENTS 20
#define SCHEMA_ID 1 /* what the registry double gives the first schema (checked) */
#define EVENTS_PER_PROFILE 5 /* as the demo: 1M events over 200k profiles */
#define RECORD_OVERHEAD 16   /* v2 record framing: length, attributes, deltas, key/value sizes */

/* One event as the demo's generator makes it: random profile and segment, 60% ENTER. */
static sgx_err_t encode_event(sgx_bench_data_t *d, sgx_avro_writer_t *w, uint64_t *rng,
                              size_t i)
{
    sgx_demo_truth_t *t = &d->truth;
    size_t p = (size_t)(sgx_rand_next(rng) % t->profiles);
    size_t s = (size_t)(sgx_rand_next(rng) % t->segments);
    sgx_op_t op = sgx_rand_next(rng) % 10 < 6 ? SGX_OP_ENTER : SGX_OP_EXIT;
    sgx_demo_profile_t pr;
    char pid[32], seg[32];
    sgx_demo_profile(p, &pr);
    snprintf(pid, sizeof pid, "profile-%zu", p);
    snprintf(seg, sizeof seg, "seg-%02zu", s);
    sgx_event_in_t ev = {.profile_id = pid, .segment_id = seg, .op = op,
                         .event_time_ms = 1764000000000LL + (int64_t)i};
    ev.fields[SGX_F_EMAIL] = pr.has_email ? pr.email_raw : NULL;
    ev.fields[SGX_F_PHONE] = pr.has_phone ? pr.phone_raw : NULL;
    ev.fields[SGX_F_COUNTRY] = pr.country;
    sgx_err_t err = sgx_avro_writer_encode(w, SCHEMA_ID, &ev, &d->msgs);
    if (err) {
        return err;
    }
    d->ends[i] = d->msgs.len;
    d->profile[i] = (uint32_t)p;
    d->key_bytes += strlen(pid);
    t->state[p * t->segments + s] = op == SGX_OP_ENTER ? 1 : 2;
    t->events++;
    if (!pr.usable) {
        t->expected_dlq++; /* no usable identifier: dead-lettered by the workers */
    }
    return SGX_OK;
}

/* Encoded before the environment is up (its partition count depends on the size), so with
 * the id the registry double will give; sgx_bench_preload checks it did. */
static sgx_err_t encode_all(const sgx_bench_opts_t *o, sgx_bench_data_t *d, char *errbuf)
{
    const char *schema = sgx_schema_canonical();
    sgx_avro_writer_t *w = NULL;
    if (sgx_avro_writer_new(schema, strlen(schema), &w, errbuf)) {
        return SGX_ERR_CONFIG;
    }
    uint64_t rng = 42;
    d->n = o->events;
    d->ends = sgx_calloc(d->n, sizeof *d->ends);
    d->profile = sgx_calloc(d->n, sizeof *d->profile);
    d->truth.profiles = d->n / EVENTS_PER_PROFILE ? d->n / EVENTS_PER_PROFILE : 1;
    d->truth.segments = SEGMENTS;
    d->truth.state = sgx_calloc(d->truth.profiles * d->truth.segments, 1);
    sgx_err_t err = SGX_OK;
    for (size_t i = 0; i < d->n && !err; i++) {
        err = encode_event(d, w, &rng, i);
    }
    sgx_avro_writer_destroy(w);
    if (err) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "cannot encode the benchmark events: %s",
                 sgx_err_str(err));
    }
    return err;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    if (m->err) {
        (*(size_t *)opaque)++;
    }
}

static sgx_err_t produce_all(sgx_bench_data_t *d, char *errbuf)
{
    size_t failed = 0;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", d->env.bootstrap, NULL, 0);
    rd_kafka_conf_set(conf, "linger.ms", "20", NULL, 0);
    rd_kafka_conf_set(conf, "enable.idempotence", "true", NULL, 0);
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", NULL, 0);
    rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &failed);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, SGX_ERRBUF_SIZE);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return SGX_ERR_KAFKA;
    }
    for (size_t i = 0, start = 0; i < d->n; start = d->ends[i++]) {
        char key[32];
        int kl = snprintf(key, sizeof key, "profile-%" PRIu32, d->profile[i]);
        while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(d->env.topic),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_KEY(key, (size_t)kl),
                                 RD_KAFKA_V_VALUE((void *)(d->msgs.data + start), d->ends[i] - start),
                                 RD_KAFKA_V_END) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_poll(rk, 10); /* queue full: let deliveries drain */
        }
    }
    sgx_err_t err = SGX_OK;
    if (rd_kafka_flush(rk, 120000) || failed) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "preload: %zu records not delivered", failed);
        err = SGX_ERR_KAFKA;
    }
    /* The mock drops old message sets silently: the log must still start at 0 everywhere. */
    int64_t total = 0;
    for (int p = 0; p < d->partitions && !err; p++) {
        int64_t lo = -1, hi = -1;
        if (rd_kafka_query_watermark_offsets(rk, d->env.topic, p, &lo, &hi, 10000) || lo != 0) {
            snprintf(errbuf, SGX_ERRBUF_SIZE,
                     "preload: partition %d starts at %" PRId64 ": the mock dropped records "
                     "(use fewer events or more partitions)", p, lo);
            err = SGX_ERR_KAFKA;
        }
        total += hi;
    }
    if (!err && total != (int64_t)d->n) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "preload: topic holds %" PRId64 " of %zu records",
                 total, d->n);
        err = SGX_ERR_KAFKA;
    }
    rd_kafka_destroy(rk);
    return err;
}

void sgx_bench_set_kafka(sgx_config_t *cfg, const char *key, const char *value)
{
    for (size_t i = 0; i < cfg->nkafka; i++) {
        if (strcmp(cfg->kafka_keys[i], key) == 0) {
            sgx_free(cfg->kafka_values[i]);
            cfg->kafka_values[i] = sgx_strdup(value);
            return;
        }
    }
    cfg->kafka_keys = sgx_realloc(cfg->kafka_keys, (cfg->nkafka + 1) * sizeof(char *));
    cfg->kafka_values = sgx_realloc(cfg->kafka_values, (cfg->nkafka + 1) * sizeof(char *));
    cfg->kafka_keys[cfg->nkafka] = sgx_strdup(key);
    cfg->kafka_values[cfg->nkafka++] = sgx_strdup(value);
}

sgx_err_t sgx_bench_preload(const sgx_bench_opts_t *o, sgx_bench_data_t *d, char *errbuf)
{
    memset(d, 0, sizeof *d);
    double t0 = sgx_bench_now();
    sgx_err_t err = encode_all(o, d, errbuf);
    if (err) {
        return err;
    }
    size_t bytes = d->msgs.len + d->key_bytes + d->n * RECORD_OVERHEAD;
    d->partitions = (int)((bytes + SGX_BENCH_PART_BUDGET - 1) / SGX_BENCH_PART_BUDGET);
    d->partitions = d->partitions < 4 ? 4 : d->partitions;
    sgx_demo_opts_t eo = {.events = d->n, .profiles = d->truth.profiles,
                          .segments = d->truth.segments, .partitions = d->partitions};
    d->env_up = 1;
    err = sgx_demo_env_up(&d->env, &eo, TOPIC, DLQ_TOPIC, errbuf);
    if (!err && d->env.schema_id != SCHEMA_ID) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "registry gave schema id %u, expected 1",
                 (unsigned)d->env.schema_id);
        err = SGX_ERR_CONFIG;
    }
    for (int i = 0; !err && i < o->nkafka; i++) {
        char key[128];
        const char *eq = strchr(o->kafka[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - o->kafka[i]), o->kafka[i]);
        sgx_bench_set_kafka(d->env.cfg, key, eq + 1);
    }
    if (!err) {
        err = produce_all(d, errbuf);
    }
    if (!err) {
        fprintf(stderr,
                "preload: %zu events, %.1f MB in %d partitions (%.2f MiB each, mock keeps 5), "
                "%zu profiles, %zu without a usable key, %.1f s\n",
                d->n, (double)bytes / 1e6, d->partitions,
                (double)bytes / d->partitions / (1 << 20), d->truth.profiles,
                (size_t)d->truth.expected_dlq, sgx_bench_now() - t0);
    }
    return err;
}

void sgx_bench_data_free(sgx_bench_data_t *d)
{
    if (d->env_up) {
        sgx_demo_env_down(&d->env);
    }
    sgx_buf_free(&d->msgs);
    sgx_free(d->ends);
    sgx_free(d->profile);
    sgx_free(d->truth.state);
    memset(d, 0, sizeof *d);
}
