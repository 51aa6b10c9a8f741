/* Microsoft Advertising end to end: mock Kafka cluster, registry double, the Microsoft emulator,
 * a YAML configuration with `type: microsoft_ads` and the real pipeline. Phases in one run:
 * ENTER into an existing list and into a list the connector must create (segment with id ""),
 * EXIT under an expired token and 4204 throttling, per-row failures dead-lettered with their
 * reason, a failed upload dead-lettered whole, terms not accepted (nothing acknowledged until a
 * person accepts them), removals from a list never created (acknowledged, nothing created),
 * files over the service's row cap (3225: split until they fit, one list created), and the
 * rotating refresh token kept in the state file (0600) and used after a restart. Membership is
 * checked in the emulator after each phase. */
#include <sys/stat.h>
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
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <openssl/evp.h>

#include "codecs/avro_writer.h"
#include "codecs/schema_canonical.h"
#include "base/buf.h"
#include "config/config.h"
#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "pipeline/pipeline.h"
#include "emulators/msads.h"
#include "emulators/registry.h"

#define TOPIC "segment-membership"
#define DLQ "segexport-dlq"
#define LIST_A "5000001"
#define LIST_E "5000005" /* exists before the run, named seg-e: found, never created */

typedef struct {
    rd_kafka_t *mock_rk, *prod;
    rd_kafka_mock_cluster_t *mock;
    char bootstrap[256];
    sgx_emu_registry_t *reg;
    uint32_t schema_id;
    sgx_emu_msads_t *ms;
    sgx_config_t *cfg;
    sgx_pipeline_t *pipe;
    sgx_avro_writer_t *w;
    sgx_buf_t buf;
    uint64_t produced;
    char fail_prefix;
    char state_path[64];
} env_t;

static void email_of(int i, char *out, size_t cap)
{
    snprintf(out, cap, "user%d@example.com", i);
}

static void hash_of(int i, char hex[65])
{
    char email[64];
    unsigned char md[32];
    unsigned int n = 0;
    email_of(i, email, sizeof email);
    EVP_Digest(email, strlen(email), md, &n, EVP_sha256(), NULL);
    for (int k = 0; k < 32; k++) {
        snprintf(hex + 2 * k, 3, "%02x", md[k]);
    }
}

static void produce(env_t *e, int i, const char *seg, sgx_op_t op)
{
    char pid[32], email[64];
    snprintf(pid, sizeof pid, "profile-%d", i);
    email_of(i, email, sizeof email);
    sgx_event_in_t ev = {.profile_id = pid, .segment_id = seg, .op = op,
                         .event_time_ms = 1764000000000LL + (int64_t)e->produced};
    ev.fields[SGX_F_EMAIL] = email;
    sgx_buf_reset(&e->buf);
    assert_int_equal(sgx_avro_writer_encode(e->w, e->schema_id, &ev, &e->buf), SGX_OK);
    assert_int_equal(rd_kafka_producev(e->prod, RD_KAFKA_V_TOPIC(TOPIC),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_KEY(pid, strlen(pid)),
                                       RD_KAFKA_V_VALUE(e->buf.data, e->buf.len), RD_KAFKA_V_END),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    e->produced++;
}

/* Waits until every produced record is final. */
static bool wait_done(env_t *e, int timeout_ms)
{
    assert_int_equal(rd_kafka_flush(e->prod, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    sgx_stats_t *st = sgx_pipeline_stats(e->pipe);
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        if (SGX_GET(st->done) == e->produced && SGX_GET(st->inflight) == 0) {
            return true;
        }
        usleep(20000);
    }
    print_message("done %llu of %llu\n", (unsigned long long)SGX_GET(st->done),
                  (unsigned long long)e->produced);
    return false;
}

static void make_config(env_t *e)
{
    char y[4096];
    unsigned port = sgx_emu_msads_port(e->ms);
    snprintf(e->state_path, sizeof e->state_path, "/tmp/sgx-msads-state-XXXXXX");
    int fd = mkstemp(e->state_path);
    assert_true(fd >= 0);
    close(fd);
    unlink(e->state_path); /* the core creates it on the first rotation */
    snprintf(y, sizeof y,
             "kafka:\n  bootstrap.servers: \"%s\"\n  group.id: msads-test\n"
             "  session.timeout.ms: 6000\n  log_level: 3\n"
             "topics: [%s]\ndead_letter_topic: %s\n"
             "schema_registry:\n  url: http://127.0.0.1:%u\n"
             "workers: 2\nmax_inflight_events: 10000\nshutdown_grace_ms: 5000\n"
             "retry_base_ms: 20\nretry_cap_ms: 300\n"
             "destinations:\n  - name: msads\n    type: microsoft_ads\n    settings:\n"
             "      customer_id: \"%s\"\n      account_id: \"%s\"\n"
             "      developer_token: %s\n      client_id: %s\n      refresh_token: %s\n"
             "      token_url: http://127.0.0.1:%u/oauth2/v2.0/token\n"
             "      base_url: http://127.0.0.1:%u\n      campaign_url: http://127.0.0.1:%u\n"
             "      poll_interval_ms: 30\n      throttle_wait_ms: 100\n      job_timeout_s: 1\n"
             "      state_path: %s\n"
             "    limits:\n      linger_ms: 100\n"
             "    segments:\n      seg-a: \"%s\"\n      seg-b: \"\"\n      seg-c: \"\"\n"
             "      seg-d: \"\"\n      seg-e: \"\"\n",
             e->bootstrap, TOPIC, DLQ, (unsigned)sgx_emu_registry_port(e->reg),
             SGX_EMU_MSADS_CUSTOMER, SGX_EMU_MSADS_ACCOUNT, SGX_EMU_MSADS_DEV_TOKEN,
             SGX_EMU_MSADS_CLIENT, SGX_EMU_MSADS_REFRESH, port, port, port, e->state_path, LIST_A);
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_config_parse(y, strlen(y), &e->cfg, errbuf) != SGX_OK) {
        fail_msg("config: %s", errbuf);
    }
}

static void env_up(env_t *e)
{
    char errbuf[512];
    memset(e, 0, sizeof *e);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
    e->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, sizeof errbuf);
    assert_non_null(e->mock_rk);
    e->mock = rd_kafka_mock_cluster_new(e->mock_rk, 1);
    assert_non_null(e->mock);
    snprintf(e->bootstrap, sizeof e->bootstrap, "%s", rd_kafka_mock_cluster_bootstraps(e->mock));
    assert_int_equal(rd_kafka_mock_topic_create(e->mock, TOPIC, 2, 1), 0);
    assert_int_equal(rd_kafka_mock_topic_create(e->mock, DLQ, 1, 1), 0);
    const char *schema = sgx_schema_canonical();
    assert_int_equal(sgx_emu_registry_start("127.0.0.1", 0, &e->reg), SGX_OK);
    assert_int_equal(sgx_emu_registry_register(e->reg, TOPIC "-value", schema, &e->schema_id),
                     SGX_OK);
    sgx_emu_msads_opts_t mo = {.terms_accepted = true, .polls_before_done = 2};
    assert_int_equal(sgx_emu_msads_start(&mo, &e->ms), SGX_OK);
    sgx_emu_msads_add_list(e->ms, LIST_A);
    sgx_emu_msads_add_named_list(e->ms, LIST_E, "seg-e");
    make_config(e);
    assert_int_equal(sgx_avro_writer_new(schema, strlen(schema), &e->w, errbuf), SGX_OK);
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", e->bootstrap, NULL, 0);
    rd_kafka_conf_set(conf, "linger.ms", "5", NULL, 0);
    e->prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, sizeof errbuf);
    assert_non_null(e->prod);
    assert_int_equal(sgx_pipeline_start(e->cfg, &e->pipe, errbuf), SGX_OK);
}

static void env_down(env_t *e)
{
    if (e->pipe) {
        sgx_pipeline_stop(e->pipe, true);
        sgx_pipeline_destroy(e->pipe);
    }
    rd_kafka_destroy(e->prod);
    sgx_avro_writer_destroy(e->w);
    sgx_buf_free(&e->buf);
    sgx_config_free(e->cfg);
    sgx_emu_msads_stop(e->ms);
    sgx_emu_registry_stop(e->reg);
    unlink(e->state_path);
    rd_kafka_mock_cluster_destroy(e->mock);
    rd_kafka_destroy(e->mock_rk);
}

/* Counts DLQ records per reason: [0] row errors 8004, [1] upload Failed, [2] other, [3] a
 * single row over the service's row cap (3225). */
static void read_dlq(env_t *e, int want, int counts[4])
{
    char errbuf[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", e->bootstrap, NULL, 0);
    rd_kafka_conf_set(conf, "group.id", "dlq-reader", NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, sizeof errbuf);
    assert_non_null(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, DLQ, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
    memset(counts, 0, 4 * sizeof *counts);
    int total = 0;
    for (int idle = 0; idle < 8 && total <= want;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 250);
        if (!m) {
            idle++;
            continue;
        }
        rd_kafka_headers_t *h = NULL;
        const void *v = NULL;
        size_t n = 0;
        if (!m->err && !rd_kafka_message_headers(m, &h) &&
            !rd_kafka_header_get_last(h, "reason", &v, &n)) {
            char reason[160];
            snprintf(reason, sizeof reason, "%.*s", (int)n, (const char *)v);
            if (strcmp(reason, "msads_row_error code=8004 EmailMustBeHashed") == 0) {
                /* exactly the rows that failed: the key is the profile whose hash matched */
                char key[32], hex[65];
                snprintf(key, sizeof key, "%.*s", (int)m->key_len, (const char *)m->key);
                assert_int_equal(strncmp(key, "profile-", 8), 0);
                hash_of(atoi(key + 8), hex);
                if (hex[0] != e->fail_prefix) {
                    fail_msg("%s dead-lettered, but its hash does not match the prefix", key);
                }
                counts[0]++;
            } else if (strcmp(reason, "msads_upload_status=Failed") == 0) {
                counts[1]++;
            } else if (strcmp(reason, "msads_error code=3225 BulkServiceFileRowCountExceeded") ==
                       0) {
                counts[3]++;
            } else {
                print_message("unexpected DLQ reason '%s'\n", reason);
                counts[2]++;
            }
            total++;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

static void assert_member(env_t *e, const char *list, int i, bool want)
{
    char hex[65];
    hash_of(i, hex);
    long got = sgx_emu_msads_list_count(e->ms, list, hex);
    if (got != (want ? 1 : 0)) {
        fail_msg("list %s: profile %d member=%ld, expected %d", list, i, got, want);
    }
}

static void test_end_to_end(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_ERROR);
    env_t e;
    env_up(&e);
    sgx_stats_t *st = sgx_pipeline_stats(e.pipe);

    /* 1. ENTER 0..19 into seg-a (existing list), seg-b (searched by name, not found, created,
     * named after the segment) and seg-e (mapped to "" too, but a list named seg-e exists:
     * found by name and used, nothing created). */
    for (int i = 0; i < 20; i++) {
        produce(&e, i, "seg-a", SGX_OP_ENTER);
        produce(&e, i, "seg-b", SGX_OP_ENTER);
        produce(&e, i, "seg-e", SGX_OP_ENTER);
    }
    assert_true(wait_done(&e, 30000));
    assert_int_equal(sgx_emu_msads_list_count(e.ms, LIST_A, NULL), 20);
    char created[32];
    assert_true(sgx_emu_msads_find_list(e.ms, "seg-b", created, sizeof created));
    assert_int_equal(sgx_emu_msads_list_count(e.ms, created, NULL), 20);
    assert_int_equal(sgx_emu_msads_list_count(e.ms, LIST_E, NULL), 20);
    /* the core records both ids but counts only the one it created */
    assert_int_equal(SGX_GET(st->dest[0].audiences_created), 1);
    for (int i = 0; i < 20; i++) {
        assert_member(&e, LIST_A, i, true);
        assert_member(&e, created, i, true);
        assert_member(&e, LIST_E, i, true);
    }
    sgx_emu_msads_stats_t s0;
    sgx_emu_msads_stats(e.ms, &s0);
    assert_int_equal(s0.lists_created, 1);
    assert_true(s0.audience_queries >= 2); /* seg-b and seg-e were looked up first */

    /* 2. EXIT 0..4 from both under an expired token and two 4204s; seg-b reuses its new id. */
    sgx_emu_msads_expire_tokens(e.ms);
    sgx_emu_msads_inject_throttle(e.ms, 2);
    for (int i = 0; i < 5; i++) {
        produce(&e, i, "seg-a", SGX_OP_EXIT);
        produce(&e, i, "seg-b", SGX_OP_EXIT);
    }
    assert_true(wait_done(&e, 30000));
    sgx_emu_msads_stats_t s1;
    sgx_emu_msads_stats(e.ms, &s1);
    assert_true(s1.unauthorized >= 1);
    assert_int_equal(s1.throttled, 2);
    assert_true(s1.token_requests > s0.token_requests);
    assert_int_equal(s1.lists_created, 1); /* no second list for seg-b */
    assert_int_equal(sgx_emu_msads_list_count(e.ms, LIST_A, NULL), 15);
    assert_int_equal(sgx_emu_msads_list_count(e.ms, created, NULL), 15);
    for (int i = 0; i < 20; i++) {
        assert_member(&e, LIST_A, i, i >= 5);
    }

    /* 3. Per-row failures: items whose hash starts with profile 20's first hex digit fail. */
    char h20[65], prefix[2] = {0};
    hash_of(20, h20);
    prefix[0] = h20[0];
    int expect_bad = 0;
    for (int i = 20; i < 40; i++) {
        char h[65];
        hash_of(i, h);
        expect_bad += h[0] == prefix[0];
    }
    sgx_emu_msads_fail_prefix(e.ms, prefix);
    e.fail_prefix = prefix[0];
    for (int i = 20; i < 40; i++) {
        produce(&e, i, "seg-a", SGX_OP_ENTER);
    }
    assert_true(wait_done(&e, 30000));
    sgx_emu_msads_fail_prefix(e.ms, NULL);
    for (int i = 20; i < 40; i++) {
        char h[65];
        hash_of(i, h);
        assert_member(&e, LIST_A, i, h[0] != prefix[0]);
    }

    /* 4. A failed upload: the whole batch is dead-lettered, nothing applied. */
    sgx_emu_msads_fail_uploads(e.ms, 1);
    for (int i = 40; i < 45; i++) {
        produce(&e, i, "seg-a", SGX_OP_ENTER);
    }
    assert_true(wait_done(&e, 30000));
    for (int i = 40; i < 45; i++) {
        assert_member(&e, LIST_A, i, false);
    }

    /* 5. Terms not accepted: nothing is acknowledged until a person accepts them. */
    sgx_emu_msads_set_terms(e.ms, false);
    uint64_t done_before = SGX_GET(st->done);
    for (int i = 45; i < 50; i++) {
        produce(&e, i, "seg-a", SGX_OP_ENTER);
    }
    assert_int_equal(rd_kafka_flush(e.prod, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    usleep(1500000);
    assert_int_equal(SGX_GET(st->done), done_before);
    sgx_emu_msads_stats_t s2;
    sgx_emu_msads_stats(e.ms, &s2);
    assert_true(s2.terms_refused >= 1);
    sgx_emu_msads_set_terms(e.ms, true);
    assert_true(wait_done(&e, 30000));
    for (int i = 45; i < 50; i++) {
        assert_member(&e, LIST_A, i, true);
    }

    /* 6. Removals from seg-c, which no ENTER created yet: nothing to remove, so they are
     * acknowledged without a request and no list appears (a new Customer List would add them). */
    sgx_emu_msads_stats_t s3;
    sgx_emu_msads_stats(e.ms, &s3);
    for (int i = 0; i < 5; i++) {
        produce(&e, i, "seg-c", SGX_OP_EXIT);
    }
    assert_true(wait_done(&e, 30000));
    sgx_emu_msads_stats_t s4;
    sgx_emu_msads_stats(e.ms, &s4);
    assert_false(sgx_emu_msads_find_list(e.ms, "seg-c", created, sizeof created));
    assert_int_equal(s4.lists_created, s3.lists_created);
    assert_int_equal(s4.uploads, s3.uploads);

    /* 7. The service takes at most 4 records a file now (3225): the batches are split until
     * they fit; seg-d is created once, by the first half, and the rest joins that list. */
    sgx_emu_msads_set_row_cap(e.ms, 4);
    for (int i = 100; i < 112; i++) {
        produce(&e, i, "seg-a", SGX_OP_ENTER);
        produce(&e, i, "seg-d", SGX_OP_ENTER);
    }
    assert_true(wait_done(&e, 60000));
    /* A cap no single row fits under (Format Version + list + 1 item = 3 records): split down
     * to one row, that row is dead-lettered with the code; nothing loops. */
    sgx_emu_msads_set_row_cap(e.ms, 2);
    produce(&e, 300, "seg-a", SGX_OP_ENTER);
    assert_true(wait_done(&e, 30000));
    assert_member(&e, LIST_A, 300, false);
    sgx_emu_msads_set_row_cap(e.ms, 0);
    char seg_d[32];
    assert_true(sgx_emu_msads_find_list(e.ms, "seg-d", seg_d, sizeof seg_d));
    for (int i = 100; i < 112; i++) {
        assert_member(&e, LIST_A, i, true);
        assert_member(&e, seg_d, i, true);
    }
    sgx_emu_msads_stats_t s5;
    sgx_emu_msads_stats(e.ms, &s5);
    assert_true(s5.row_count_exceeded >= 2);
    assert_int_equal(s5.lists_created, s4.lists_created + 1);

    /* 8. The refresh token rotated with every grant: the newest is in the state file, 0600. */
    char rt[64];
    sgx_emu_msads_refresh_token(e.ms, rt, sizeof rt);
    assert_string_not_equal(rt, SGX_EMU_MSADS_REFRESH);
    struct stat sb;
    assert_int_equal(stat(e.state_path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    sgx_buf_t text = {0};
    FILE *f = fopen(e.state_path, "r");
    assert_non_null(f);
    char chunk[512];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        sgx_buf_append(&text, chunk, got);
    }
    fclose(f);
    assert_non_null(strstr(text.data, rt));
    /* The lists it created are saved there too, so a restart reuses them (no lookup). */
    char saved[96];
    assert_true(sgx_emu_msads_find_list(e.ms, "seg-b", created, sizeof created));
    snprintf(saved, sizeof saved, "\"audience:seg-b\": \"%s\"", created);
    assert_non_null(strstr(text.data, saved));
    sgx_buf_free(&text);

    /* 9. A restart after the configured refresh token aged out: the saved one works. */
    sgx_emu_msads_retire_refresh_tokens(e.ms);
    sgx_pipeline_stop(e.pipe, true);
    sgx_pipeline_destroy(e.pipe);
    e.pipe = NULL;
    char errbuf[512];
    assert_int_equal(sgx_pipeline_start(e.cfg, &e.pipe, errbuf), SGX_OK);
    st = sgx_pipeline_stats(e.pipe);
    e.produced = 0; /* the new pipeline counts from zero; replays are idempotent adds */
    sgx_emu_msads_stats_t s5b;
    sgx_emu_msads_stats(e.ms, &s5b);
    for (int i = 200; i < 205; i++) {
        produce(&e, i, "seg-a", SGX_OP_ENTER);
        produce(&e, i, "seg-b", SGX_OP_ENTER); /* restarted: its saved list, not a new one */
    }
    assert_true(wait_done(&e, 30000));
    for (int i = 200; i < 205; i++) {
        assert_member(&e, LIST_A, i, true);
        assert_member(&e, created, i, true);
    }
    sgx_emu_msads_stats_t s6;
    sgx_emu_msads_stats(e.ms, &s6);
    assert_int_equal(s6.refresh_refused, 0);
    assert_int_equal(s6.lists_created, s5b.lists_created);

    int counts[4];
    read_dlq(&e, expect_bad + 5 + 1, counts);
    print_message("row errors %d (expected %d), failed upload %d, other %d\n", counts[0],
                  expect_bad, counts[1], counts[2]);
    assert_true(expect_bad >= 1);
    assert_int_equal(counts[0], expect_bad);
    assert_int_equal(counts[1], 5);
    assert_int_equal(counts[2], 0);
    assert_int_equal(counts[3], 1);
    env_down(&e);
}

/* Waits until *counter (re-read through the emulator's stats) reaches want. */
static void wait_stat(env_t *e, size_t off, uint64_t want, const char *what)
{
    sgx_emu_msads_stats_t s;
    for (int i = 0; i < 1000; i++) {
        sgx_emu_msads_stats(e->ms, &s);
        uint64_t v = *(const uint64_t *)((const char *)&s + off);
        if (v >= want) {
            return;
        }
        usleep(20000);
    }
    fail_msg("emulator %s stayed below %llu", what, (unsigned long long)want);
}
#define WAIT_STAT(e, field, want) \
    wait_stat(e, offsetof(sgx_emu_msads_stats_t, field), (want), #field)

/* Every step of a bulk job is bounded. A: a job the service never finishes is polled every
 * 30 ms only until job_timeout_s (34 polls), then no faster than retry_cap_ms (300 ms): it
 * stays unacknowledged and out of the dead-letter topic, and completes when the service does.
 * B: a finished job whose result file says 8003 (terms revoked while it ran) is not re-read
 * forever: the job starts over, waits for the terms like any upload, then applies. */
static void test_job_bounds(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_ERROR);
    env_t e;
    env_up(&e);
    sgx_stats_t *st = sgx_pipeline_stats(e.pipe);
    sgx_emu_msads_stats_t s0, s1, s2;

    sgx_emu_msads_stall_jobs(e.ms, true);
    sgx_emu_msads_stats(e.ms, &s0);
    for (int i = 100; i < 105; i++) {
        produce(&e, i, "seg-a", SGX_OP_ENTER);
    }
    WAIT_STAT(&e, status_requests, s0.status_requests + 36);
    /* The rows may have made more than one job; each is overdue within job_timeout_s. */
    usleep(1500000);
    uint64_t jobs = SGX_GET(st->dest[0].jobs_overdue);
    sgx_emu_msads_stats(e.ms, &s1);
    usleep(3000000); /* a rate, not a deadline: slow machines only poll less */
    sgx_emu_msads_stats(e.ms, &s2);
    print_message("%llu overdue jobs: %llu status polls in 3 s\n", (unsigned long long)jobs,
                  (unsigned long long)(s2.status_requests - s1.status_requests));
    assert_true(jobs >= 1);
    assert_true(s2.status_requests - s1.status_requests <= jobs * (3000 / 300 + 2));
    assert_int_equal(SGX_GET(st->done), 0);
    assert_int_equal(SGX_GET(st->dest[0].rows_rejected), 0);
    sgx_emu_msads_stall_jobs(e.ms, false);
    assert_true(wait_done(&e, 30000));
    for (int i = 100; i < 105; i++) {
        assert_member(&e, LIST_A, i, true);
    }

    sgx_emu_msads_stall_jobs(e.ms, true);
    sgx_emu_msads_stats(e.ms, &s0);
    for (int i = 105; i < 110; i++) {
        produce(&e, i, "seg-a", SGX_OP_ENTER);
    }
    WAIT_STAT(&e, status_requests, s0.status_requests + 1); /* uploaded, in progress */
    sgx_emu_msads_set_terms(e.ms, false);
    sgx_emu_msads_stall_jobs(e.ms, false); /* completes with list error 8003 */
    WAIT_STAT(&e, result_requests, s0.result_requests + 1);
    WAIT_STAT(&e, terms_refused, s0.terms_refused + 1); /* started over at step 0 */
    sgx_emu_msads_set_terms(e.ms, true);
    assert_true(wait_done(&e, 30000));
    for (int i = 105; i < 110; i++) {
        assert_member(&e, LIST_A, i, true);
    }
    sgx_emu_msads_stats(e.ms, &s1);
    assert_true(s1.result_requests - s0.result_requests <= 2);
    assert_int_equal(SGX_GET(st->dest[0].rows_rejected), 0);

    /* C: the result file of a finished job keeps answering 404 (its URL expired): the job goes
     * back to the status step for a fresh URL, at once the first time, then paced by capped
     * backoff (retry_cap_ms 300) instead of ping-ponging at full speed. A new list needs the
     * file (its real id is there), so seg-b's first job is one. */
    sgx_emu_msads_expire_results(e.ms, true);
    sgx_emu_msads_stats(e.ms, &s0);
    for (int i = 110; i < 115; i++) {
        produce(&e, i, "seg-b", SGX_OP_ENTER);
    }
    WAIT_STAT(&e, result_requests, s0.result_requests + 3);
    sgx_emu_msads_stats(e.ms, &s1);
    usleep(2000000); /* a rate, not a deadline: slow machines only ask less */
    sgx_emu_msads_stats(e.ms, &s2);
    print_message("result file requests in 2 s while it is gone: %llu\n",
                  (unsigned long long)(s2.result_requests - s1.result_requests));
    assert_true(s2.result_requests - s1.result_requests <= 2 * (2000 / 300 + 10));
    sgx_emu_msads_expire_results(e.ms, false);
    assert_true(wait_done(&e, 30000));
    char created[32];
    assert_true(sgx_emu_msads_find_list(e.ms, "seg-b", created, sizeof created));
    for (int i = 110; i < 115; i++) {
        assert_member(&e, created, i, true);
    }
    env_down(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_end_to_end),
        cmocka_unit_test(test_job_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
