/* The dead-letter producer never blocks the poll thread and never spins (issue 10 §4), on the
 * mock cluster with the real pipeline:
 * - a dead letter larger than the producer's message.max.bytes goes without its value, with
 *   header `truncated: value`, instead of being refused (and logged) forever;
 * - a producer queue far smaller than the records to dead-letter (queue.buffering.max.messages)
 *   does not deadlock the poll thread, which used to wait for delivery reports only it served;
 * - a permanent refusal (TOPIC_AUTHORIZATION_FAILED) blocks the partition loudly, once, and is
 *   retried with backoff, not re-produced in a loop; once the topic accepts again, the record
 *   is dead-lettered exactly once and every offset committed.
 * And records of a schema id the registry does not know: dead-lettered, logged once per id.
 * Log lines are counted by redirecting stderr into a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "tests/testkit/testkit.h"

#define PRODUCE_API_KEY 0 /* Kafka protocol: Produce */

/* ---- stderr capture ---------------------------------------------------------------------- */

typedef struct {
    char path[64];
    int saved;
} capture_t;

static void capture_start(capture_t *c)
{
    snprintf(c->path, sizeof c->path, "/tmp/sgx-dlq-log-XXXXXX");
    int fd = mkstemp(c->path);
    assert_true(fd >= 0);
    fflush(stderr);
    c->saved = dup(2);
    assert_true(dup2(fd, 2) >= 0);
    close(fd);
}

/* Lines of the captured log containing every one of the given strings (NULL-terminated). */
static int capture_count(const capture_t *c, const char *a, const char *b)
{
    fflush(stderr);
    FILE *f = fopen(c->path, "r");
    assert_non_null(f);
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        n += strstr(line, a) && (!b || strstr(line, b));
    }
    fclose(f);
    return n;
}

static void capture_stop(capture_t *c)
{
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    unlink(c->path);
}

/* ---- upstream: bad records only, so every record goes to the DLQ ------------------------ */

static rd_kafka_t *upstream_new(const sgx_testkit_t *t)
{
    char errbuf[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", t->env.bootstrap, NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, sizeof errbuf);
    assert_non_null(rk);
    return rk;
}

/* n records to partition 0, keyed bad-<i>; schema_ids NULL: a wrong magic byte (reason
 * bad_magic_byte), else a well-framed record of schema id schema_ids[i]. value_len bytes each.
 * The truth table expects n records and nothing in any audience. */
static void produce_bad_ids(sgx_testkit_t *t, size_t n, size_t value_len,
                            const uint32_t *schema_ids)
{
    rd_kafka_t *rk = upstream_new(t);
    char *value = malloc(value_len);
    memset(value, 'x', value_len);
    value[0] = 1;
    for (size_t i = 0; i < n; i++) {
        if (schema_ids) {
            value[0] = 0;
            for (int b = 0; b < 4; b++) {
                value[1 + b] = (char)(schema_ids[i] >> (24 - 8 * b));
            }
        }
        char key[32];
        snprintf(key, sizeof key, "bad-%zu", i);
        rd_kafka_resp_err_t err;
        while ((err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(t->env.topic),
                                        RD_KAFKA_V_PARTITION(0),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                        RD_KAFKA_V_KEY(key, strlen(key)),
                                        RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk, 10);
        }
        assert_int_equal(err, RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    assert_int_equal(rd_kafka_flush(rk, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(rk);
    free(value);
    atomic_store(&t->truth.produced, n);
    atomic_store(&t->truth.finished, true);
    t->truth.expected_dlq += n;
}

static void produce_bad(sgx_testkit_t *t, size_t n, size_t value_len)
{
    produce_bad_ids(t, n, value_len, NULL);
}

/* ---- reading the DLQ topic ---------------------------------------------------------------- */

typedef struct {
    size_t records;
    size_t truncated;   /* with header truncated: value */
    size_t with_value;  /* records whose value is non-empty */
    size_t keys_seen[4096];
} dlq_read_t;

static bool header(const rd_kafka_message_t *m, const char *name, char *out, size_t cap)
{
    rd_kafka_headers_t *hdrs = NULL;
    const void *v = NULL;
    size_t n = 0;
    if (rd_kafka_message_headers(m, &hdrs) || rd_kafka_header_get_last(hdrs, name, &v, &n)) {
        return false;
    }
    snprintf(out, cap, "%.*s", (int)n, (const char *)v);
    return true;
}

/* Reads the DLQ until `want` records arrived or nothing came for a few seconds; each must
 * carry reason `reason`. */
static void read_dlq_reason(const sgx_testkit_t *t, size_t want, const char *reason,
                            dlq_read_t *r)
{
    char errbuf[512], val[64];
    memset(r, 0, sizeof *r);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", t->env.bootstrap, NULL, 0);
    rd_kafka_conf_set(conf, "group.id", "dlq-reader", NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, sizeof errbuf);
    assert_non_null(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, t->env.dlq_topic, 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
    for (int idle = 0; idle < 10 && r->records < want + 1;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 300);
        if (!m) {
            idle += r->records >= want; /* wait longer for the first ones */
            continue;
        }
        if (!m->err) {
            assert_true(header(m, "reason", val, sizeof val));
            assert_string_equal(val, reason);
            r->records++;
            r->with_value += m->len > 0;
            if (header(m, "truncated", val, sizeof val)) {
                assert_string_equal(val, "value");
                r->truncated++;
            }
            size_t k = (size_t)atol((const char *)m->key + 4);
            assert_true(k < 4096);
            r->keys_seen[k]++;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

static void read_dlq(const sgx_testkit_t *t, size_t want, dlq_read_t *r)
{
    read_dlq_reason(t, want, "bad_magic_byte", r);
}

static void up(sgx_testkit_t *t, const char *kafka_extra)
{
    sgx_demo_opts_t o = {.events = 1, .profiles = 10, .segments = 1, .partitions = 1,
                         .seed = 5};
    sgx_testkit_knobs_t k = {.kafka_extra = kafka_extra};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_up(t, &o, &k, errbuf)) {
        sgx_testkit_down(t);
        fail_msg("setup: %s", errbuf);
    }
}

static void start(sgx_testkit_t *t)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_start_pipeline(t, errbuf)) {
        sgx_testkit_down(t);
        fail_msg("pipeline: %s", errbuf);
    }
}

static void expect_committed(sgx_testkit_t *t)
{
    int64_t committed = 0, end = 0;
    bool ok = sgx_testkit_committed(t, t->env.topic, 1, &committed, &end);
    print_message("committed %lld of %lld\n", (long long)committed, (long long)end);
    assert_true(ok);
}

/* (a) 4 KB values against a producer limited to 1,000 bytes per message. */
static void test_oversized_dead_letter_truncated(void **state)
{
    (void)state;
    capture_t cap;
    sgx_testkit_t t;
    sgx_log_set_level(SGX_LOG_WARN);
    up(&t, "  message.max.bytes: 1000\n");
    produce_bad(&t, 3, 4000);
    capture_start(&cap);
    start(&t);
    bool final = sgx_testkit_wait_final(&t, 0, 15000);
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    uint64_t dead = SGX_GET(st->dead_lettered);
    sgx_testkit_stop_pipeline(&t, true);
    int size_lines = capture_count(&cap, "[dlq]", NULL);
    capture_stop(&cap);
    print_message("final=%d dead_lettered=%llu dlq log lines=%d\n", final,
                  (unsigned long long)dead, size_lines);
    assert_true(final);
    assert_int_equal(dead, 3);
    assert_true(size_lines <= 1); /* not one line per attempt every 10 ms */
    dlq_read_t r;
    read_dlq(&t, 3, &r);
    assert_int_equal(r.records, 3);
    assert_int_equal(r.truncated, 3);
    assert_int_equal(r.with_value, 0);
    expect_committed(&t);
    sgx_testkit_down(&t);
}

/* (b) 3,000 dead letters through a producer queue of 10 messages, all from the poll thread. */
static void test_full_queue_no_deadlock(void **state)
{
    (void)state;
    enum { N = 3000 };
    sgx_testkit_t t;
    sgx_log_set_level(SGX_LOG_ERROR);
    up(&t, "  queue.buffering.max.messages: 10\n");
    produce_bad(&t, N, 64);
    start(&t);
    bool final = sgx_testkit_wait_final(&t, 0, 20000);
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    uint64_t dead = SGX_GET(st->dead_lettered);
    print_message("final=%d dead_lettered=%llu of %d\n", final, (unsigned long long)dead, N);
    sgx_testkit_stop_pipeline(&t, true);
    assert_true(final);
    assert_int_equal(dead, N);
    dlq_read_t r;
    read_dlq(&t, N, &r);
    assert_int_equal(r.records, N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(r.keys_seen[i], 1);
    }
    expect_committed(&t);
    sgx_testkit_down(&t);
}

/* (c) The DLQ topic refuses with TOPIC_AUTHORIZATION_FAILED (many times over): the partition
 * is blocked and logged once, not re-produced in a loop; once accepted, exactly once. */
static void test_permanent_refusal_blocks(void **state)
{
    (void)state;
    enum { N = 5, ERRS = 200 };
    capture_t cap;
    sgx_testkit_t t;
    sgx_log_set_level(SGX_LOG_WARN);
    up(&t, NULL);
    produce_bad(&t, N, 64);
    rd_kafka_resp_err_t errs[ERRS];
    for (int i = 0; i < ERRS; i++) {
        errs[i] = RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED;
    }
    rd_kafka_mock_push_request_errors_array(t.env.mock, PRODUCE_API_KEY, ERRS, errs);
    capture_start(&cap);
    start(&t);
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    int64_t deadline = sgx_now_ms() + 20000;
    while (capture_count(&cap, "[dlq]", "partition blocked") == 0 && sgx_now_ms() < deadline) {
        usleep(20000);
    }
    int blocked_lines = capture_count(&cap, "[dlq]", "partition blocked");
    usleep(2500 * 1000); /* a spinning producer burns through every injected error by now */
    int dlq_lines = capture_count(&cap, "[dlq]", NULL);
    int paused_lines = capture_count(&cap, "[consumer]", "paused: the dead-letter topic");
    uint64_t dead_while_blocked = SGX_GET(st->dead_lettered);
    uint64_t done_while_blocked = SGX_GET(st->done);
    rd_kafka_mock_clear_request_errors(t.env.mock, PRODUCE_API_KEY);
    bool final = sgx_testkit_wait_final(&t, 0, 90000);
    uint64_t dead = SGX_GET(st->dead_lettered);
    sgx_testkit_stop_pipeline(&t, true);
    int unblocked_lines = capture_count(&cap, "[dlq]", "unblocked");
    capture_stop(&cap);
    print_message("blocked=%d dlq lines=%d paused=%d dead/done while blocked=%llu/%llu "
                  "final=%d dead=%llu unblocked=%d\n",
                  blocked_lines, dlq_lines, paused_lines,
                  (unsigned long long)dead_while_blocked,
                  (unsigned long long)done_while_blocked, final, (unsigned long long)dead,
                  unblocked_lines);
    assert_int_equal(blocked_lines, 1);
    assert_int_equal(dlq_lines, 1); /* once, not per record or attempt */
    assert_int_equal(paused_lines, 1);
    assert_int_equal(dead_while_blocked, 0);
    assert_int_equal(done_while_blocked, 0);
    assert_true(final);
    assert_int_equal(dead, N);
    assert_int_equal(unblocked_lines, 1);
    dlq_read_t r;
    read_dlq(&t, N, &r);
    assert_int_equal(r.records, N);
    expect_committed(&t);
    sgx_testkit_down(&t);
}

/* Issue 10 §6: records of schema ids the registry does not know are dead-lettered, logged once
 * per id (no PII: the id only) and counted. */
static void test_unknown_schema_logged_once_per_id(void **state)
{
    (void)state;
    static const uint32_t ids[] = {900001, 900002, 900001, 900001, 900002, 900001};
    enum { N = sizeof ids / sizeof ids[0] };
    capture_t cap;
    sgx_testkit_t t;
    sgx_log_set_level(SGX_LOG_WARN);
    up(&t, NULL);
    produce_bad_ids(&t, N, 64, ids);
    capture_start(&cap);
    start(&t);
    bool final = sgx_testkit_wait_final(&t, 0, 15000);
    sgx_stats_t *st = sgx_pipeline_stats(t.pipe);
    uint64_t unknown = SGX_GET(st->unknown_schema), dead = SGX_GET(st->dead_lettered);
    sgx_testkit_stop_pipeline(&t, true);
    int lines = capture_count(&cap, "unknown to the schema registry", NULL);
    int first = capture_count(&cap, "schema id 900001 is unknown", NULL);
    int second = capture_count(&cap, "schema id 900002 is unknown", NULL);
    capture_stop(&cap);
    print_message("final=%d unknown=%llu dead=%llu log lines=%d\n", final,
                  (unsigned long long)unknown, (unsigned long long)dead, lines);
    assert_true(final);
    assert_int_equal(dead, N);
    assert_int_equal(unknown, N);
    assert_int_equal(lines, 2);
    assert_int_equal(first, 1);
    assert_int_equal(second, 1);
    dlq_read_t r;
    read_dlq_reason(&t, N, "unknown_schema_id", &r);
    assert_int_equal(r.records, N);
    expect_committed(&t);
    sgx_testkit_down(&t);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]); /* run one scenario by hand */
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversized_dead_letter_truncated),
        cmocka_unit_test(test_full_queue_no_deadlock),
        cmocka_unit_test(test_permanent_refusal_blocks),
        cmocka_unit_test(test_unknown_schema_logged_once_per_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
