/* Bad input never stalls a partition (architecture.md §3 rule 6): each kind of bad record,
 * placed mid-stream in one partition, reaches the dead-letter topic with headers reason,
 * source.topic, source.partition and source.offset; the good events after it in the same
 * partition are delivered and every offset is committed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/backoff.h"
#include "base/log.h"
#include "codecs/avro_writer.h"
#include "codecs/schema_canonical.h"
#include "tests/testkit/testkit.h"

#define NSEG 4
#define NPROFILES 400
#define GOOD_PER_GAP 40
#define MAX_RECORD 2048

typedef enum { BAD_MAGIC, BAD_TRUNC, BAD_SCHEMA, BAD_GARBAGE, BAD_NOPID, BAD_LARGE, BAD__N } bad_t;

static const char *const expected_reason[BAD__N] = {
    "bad_magic_byte",  "truncated",        "unknown_schema_id", "undecodable_body",
    "missing_required_field", "record_too_large",
};

/* The test's own upstream: one partition, known order, known offsets. */
typedef struct {
    sgx_testkit_t *t;
    rd_kafka_t *rk;
    sgx_avro_writer_t *w;
    sgx_buf_t buf;
    uint64_t rng;
    size_t n;              /* records produced */
    int64_t offsets[512];  /* by production index, from delivery reports */
    size_t bad_index[BAD__N];
    char big[4096];
} up_t;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    up_t *u = opaque;
    size_t i = (size_t)(uintptr_t)m->_private;
    u->offsets[i] = m->err ? -1 : m->offset;
}

static void produce(up_t *u, const char *key)
{
    assert_true(u->n < sizeof u->offsets / sizeof u->offsets[0]);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        u->rk, RD_KAFKA_V_TOPIC(u->t->env.topic), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, strlen(key)),
        RD_KAFKA_V_VALUE(u->buf.data, u->buf.len), RD_KAFKA_V_OPAQUE((void *)(uintptr_t)u->n),
        RD_KAFKA_V_END);
    assert_int_equal(err, RD_KAFKA_RESP_ERR_NO_ERROR);
    u->n++;
}

/* A well-formed event of a usable profile; records its effect in the truth table. */
static void encode_event(up_t *u, sgx_event_in_t *ev, char *pid, sgx_demo_profile_t *pr)
{
    size_t p;
    do {
        p = (size_t)(sgx_rand_next(&u->rng) % NPROFILES);
        sgx_demo_profile(p, pr);
    } while (!pr->usable); /* no-key profiles would add DLQ records of their own */
    size_t s = (size_t)(sgx_rand_next(&u->rng) % NSEG);
    static char seg[NSEG][8];
    snprintf(seg[s], sizeof seg[s], "seg-%02zu", s);
    snprintf(pid, 32, "profile-%zu", p);
    memset(ev, 0, sizeof *ev);
    ev->profile_id = pid;
    ev->segment_id = seg[s];
    ev->op = sgx_rand_next(&u->rng) % 3 ? SGX_OP_ENTER : SGX_OP_EXIT;
    ev->event_time_ms = 1764000000000LL + (int64_t)u->n;
    ev->fields[SGX_F_EMAIL] = pr->has_email ? pr->email_raw : NULL;
    ev->fields[SGX_F_PHONE] = pr->has_phone ? pr->phone_raw : NULL;
    ev->fields[SGX_F_COUNTRY] = pr->country;
    sgx_buf_reset(&u->buf);
    assert_int_equal(sgx_avro_writer_encode(u->w, u->t->env.schema_id, ev, &u->buf), SGX_OK);
    u->t->truth.state[p * NSEG + s] = ev->op == SGX_OP_ENTER ? 1 : 2;
    u->t->truth.events++;
}

static void produce_good(up_t *u)
{
    sgx_event_in_t ev;
    sgx_demo_profile_t pr;
    char pid[32];
    encode_event(u, &ev, pid, &pr);
    produce(u, pid);
}

/* A bad record built from a good event that is NOT recorded in the truth table. */
static void produce_bad(up_t *u, bad_t kind)
{
    sgx_event_in_t ev;
    sgx_demo_profile_t pr;
    char pid[32];
    uint8_t saved[NPROFILES * NSEG];
    memcpy(saved, u->t->truth.state, sizeof saved);
    encode_event(u, &ev, pid, &pr);
    memcpy(u->t->truth.state, saved, sizeof saved);
    u->t->truth.events--;
    switch (kind) {
    case BAD_MAGIC: u->buf.data[0] = 1; break;
    case BAD_TRUNC: u->buf.len -= 3; break; /* ends inside the last fields */
    case BAD_SCHEMA: u->buf.data[1] = 0x7f; break;
    case BAD_GARBAGE:
        for (size_t k = 5; k < u->buf.len; k++) {
            u->buf.data[k] = (char)0xff; /* endless varints: no valid Avro reading */
        }
        break;
    case BAD_NOPID:
        ev.profile_id = "";
        sgx_buf_reset(&u->buf);
        assert_int_equal(sgx_avro_writer_encode(u->w, u->t->env.schema_id, &ev, &u->buf), 0);
        break;
    default: /* a valid event, only too big: 4 KB city */
        ev.fields[SGX_F_CITY] = u->big;
        sgx_buf_reset(&u->buf);
        assert_int_equal(sgx_avro_writer_encode(u->w, u->t->env.schema_id, &ev, &u->buf), 0);
        assert_true(u->buf.len > MAX_RECORD);
        break;
    }
    u->bad_index[kind] = u->n;
    produce(u, pid);
    u->t->truth.expected_dlq++;
}

static void upstream(up_t *u)
{
    char errbuf[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", u->t->env.bootstrap, NULL, 0);
    rd_kafka_conf_set(conf, "enable.idempotence", "true", NULL, 0);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, u);
    u->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, sizeof errbuf);
    assert_non_null(u->rk);
    const char *schema = sgx_schema_canonical();
    assert_int_equal(sgx_avro_writer_new(schema, strlen(schema), &u->w, errbuf), SGX_OK);
    memset(u->big, 'a', sizeof u->big - 1);
    for (int k = 0; k < BAD__N; k++) {
        for (int g = 0; g < GOOD_PER_GAP; g++) {
            produce_good(u);
        }
        produce_bad(u, (bad_t)k);
    }
    for (int g = 0; g < GOOD_PER_GAP; g++) {
        produce_good(u);
    }
    assert_int_equal(rd_kafka_flush(u->rk, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
    atomic_store(&u->t->truth.produced, u->n);
    atomic_store(&u->t->truth.finished, true);
    sgx_avro_writer_destroy(u->w);
    sgx_buf_free(&u->buf);
    rd_kafka_destroy(u->rk);
}

static const char *header(const rd_kafka_message_t *m, const char *name, char *out, size_t cap)
{
    rd_kafka_headers_t *hdrs = NULL;
    const void *v = NULL;
    size_t n = 0;
    if (rd_kafka_message_headers(m, &hdrs) || rd_kafka_header_get_last(hdrs, name, &v, &n)) {
        return NULL;
    }
    snprintf(out, cap, "%.*s", (int)n, (const char *)v);
    return out;
}

/* Checks one DLQ record against what was produced; @returns its kind or -1. */
static int check_dlq_record(const up_t *u, const rd_kafka_message_t *m)
{
    char reason[128], topic[128], part[16], off[32];
    assert_non_null(header(m, "reason", reason, sizeof reason));
    assert_non_null(header(m, "source.topic", topic, sizeof topic));
    assert_non_null(header(m, "source.partition", part, sizeof part));
    assert_non_null(header(m, "source.offset", off, sizeof off));
    assert_string_equal(topic, u->t->env.topic);
    assert_string_equal(part, "0");
    for (int k = 0; k < BAD__N; k++) {
        if (u->offsets[u->bad_index[k]] == atoll(off)) {
            if (strcmp(reason, expected_reason[k]) != 0) {
                fail_msg("offset %s: reason '%s', expected '%s'", off, reason,
                         expected_reason[k]);
            }
            return k;
        }
    }
    fail_msg("DLQ record for offset %s (reason %s) is not one of the bad ones", off, reason);
    return -1;
}

/* Reads the whole DLQ topic from the beginning; every bad record must be there once. */
static void check_dlq_topic(const up_t *u)
{
    char errbuf[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", u->t->env.bootstrap, NULL, 0);
    rd_kafka_conf_set(conf, "group.id", "dlq-reader", NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, sizeof errbuf);
    assert_non_null(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, u->t->env.dlq_topic, 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
    int seen[BAD__N] = {0}, total = 0;
    for (int idle = 0; idle < 30 && total < BAD__N;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m) {
            idle++;
            continue;
        }
        if (!m->err) {
            seen[check_dlq_record(u, m)]++;
            total++;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    for (int k = 0; k < BAD__N; k++) {
        if (seen[k] != 1) {
            fail_msg("%s: %d DLQ records, expected 1", expected_reason[k], seen[k]);
        }
    }
}

static void test_bad_records_dead_lettered(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_ERROR);
    sgx_demo_opts_t o = {.events = 1, .profiles = NPROFILES, .segments = NSEG, .partitions = 1,
                         .seed = 3};
    sgx_testkit_knobs_t k = {.max_record_bytes = MAX_RECORD};
    sgx_testkit_t t;
    up_t *u = calloc(1, sizeof *u);
    u->t = &t;
    u->rng = 99;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_up(&t, &o, &k, errbuf) || sgx_testkit_start_pipeline(&t, errbuf)) {
        sgx_testkit_down(&t);
        fail_msg("setup: %s", errbuf);
    }
    upstream(u);
    for (size_t i = 0; i < u->n; i++) {
        assert_int_equal(u->offsets[i], (int64_t)i); /* one partition, in order */
    }
    assert_true(sgx_testkit_wait_final(&t, 0, 30000));
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    sgx_pipeline_stop(t.pipe, true);
    assert_int_equal(SGX_GET(st->consumed), u->n);
    assert_int_equal(SGX_GET(st->dead_lettered), BAD__N);
    check_dlq_topic(u);
    char report[256];
    bool aud_ok = sgx_testkit_audiences(&t, report, sizeof report);
    int64_t committed = 0, end = 0;
    bool commits_ok = sgx_testkit_committed(&t, t.env.topic, 1, &committed, &end);
    print_message("audiences: %s; committed %lld of %lld\n", report, (long long)committed,
                  (long long)end);
    sgx_testkit_down(&t);
    free(u);
    assert_true(aud_ok);
    assert_true(commits_ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_records_dead_lettered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
