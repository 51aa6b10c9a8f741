/* Dotdigital end to end through the real pipeline: mock Kafka cluster, schema registry double,
 * the Dotdigital emulator, a YAML config with `type: dotdigital`, the real dispatcher. Three
 * phases on one running pipeline:
 *   1. ENTER into two address books; suppressed e-mails come back in report-faults and are
 *      dead-lettered with their reason; everything else is a member only after Finished.
 *   2. EXIT (lookup + delete) and more ENTER while the emulator answers 429 twice.
 *   3. An import that ends RejectedByWatchdog: its row is dead-lettered.
 * The address books must then hold exactly the expected e-mails, and the dead-letter topic
 * exactly the expected records with their reasons. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
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

#include "base/log.h"
#include "codecs/avro_writer.h"
#include "codecs/schema_canonical.h"
#include "config/config.h"
#include "emulators/dotdigital.h"
#include "emulators/registry.h"
#include "pipeline/pipeline.h"

#define TOPIC "segment-membership"
#define DLQ "segexport-dlq"
#define NPROF 60
#define SUPPRESSED(p) ((p) % 10 == 3)

typedef struct {
    rd_kafka_t *mock_rk, *prod;
    rd_kafka_mock_cluster_t *mock;
    char bootstrap[256];
    sgx_emu_registry_t *reg;
    sgx_emu_dd_t *dd;
    uint32_t schema_id;
    sgx_config_t *cfg;
    sgx_pipeline_t *pipe;
    sgx_avro_writer_t *w;
    uint64_t produced;
    int32_t partition; /* where event() produces: RD_KAFKA_PARTITION_UA = by key */
    /* expected membership [profile][book 0..2] */
    bool in[NPROF][3];
} env_t;

static const char *const books[3] = {"1001", "1002", "1003"};
static const char *const segs[3] = {"seg-a", "seg-b", "seg-c"};

/* extra: more lines for the destination's settings (6-space indent), top: more top-level
 * lines; "" for none. */
static void up2(env_t *e, const char *extra, const char *top)
{
    e->partition = RD_KAFKA_PARTITION_UA;
    char errbuf[512];
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
    assert_int_equal(sgx_emu_registry_register(e->reg, TOPIC "-value", schema, &e->schema_id), 0);
    sgx_emu_dd_opts_t o = {.api_user = "apiuser-7@apiconnector.com", .api_password = "pw:7",
                           .region = "r2", .import_steps = 2,
                           .suppressed_domain = "suppressed.test"};
    assert_int_equal(sgx_emu_dd_start(&o, &e->dd), SGX_OK);
    for (int b = 0; b < 3; b++) {
        sgx_emu_dd_add_address_book(e->dd, books[b]);
    }
    char yaml[4096];
    int n = snprintf(yaml, sizeof yaml,
             "kafka:\n  bootstrap.servers: \"%s\"\n  group.id: dd-test\n"
             "  session.timeout.ms: 6000\n  log_level: 3\n"
             "topics: [" TOPIC "]\ndead_letter_topic: " DLQ "\n"
             "schema_registry:\n  url: http://127.0.0.1:%u\n"
             "workers: 2\nmax_inflight_events: 10000\nshutdown_grace_ms: 10000\n%s"
             "retry_base_ms: 50\nretry_cap_ms: 2000\n"
             "destinations:\n  - name: dd\n    type: dotdigital\n    settings:\n"
             "      api_user: apiuser-7@apiconnector.com\n      api_password: \"pw:7\"\n"
             "      region: r2\n      base_url: http://127.0.0.1:%u/\n"
             "      fields: EMAIL,FIRSTNAME,LASTNAME\n      poll_interval_ms: 50\n%s"
             "    limits:\n      linger_ms: 100\n    segments:\n",
             e->bootstrap, (unsigned)sgx_emu_registry_port(e->reg), top,
             (unsigned)sgx_emu_dd_port(e->dd), extra);
    for (int b = 0; b < 3; b++) {
        n += snprintf(yaml + n, sizeof yaml - (size_t)n, "      %s: \"%s\"\n", segs[b], books[b]);
    }
    assert_int_equal(sgx_config_parse(yaml, strlen(yaml), &e->cfg, errbuf), SGX_OK);
    assert_int_equal(sgx_pipeline_start(e->cfg, &e->pipe, errbuf), SGX_OK);
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", e->bootstrap, NULL, 0);
    rd_kafka_conf_set(conf, "linger.ms", "5", NULL, 0);
    e->prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, sizeof errbuf);
    assert_non_null(e->prod);
    assert_int_equal(sgx_avro_writer_new(schema, strlen(schema), &e->w, errbuf), SGX_OK);
}

static void up(env_t *e, const char *extra)
{
    up2(e, extra, "");
}

static void down(env_t *e)
{
    if (e->pipe) {
        sgx_pipeline_stop(e->pipe, true);
        sgx_pipeline_destroy(e->pipe);
    }
    sgx_avro_writer_destroy(e->w);
    if (e->prod) {
        rd_kafka_destroy(e->prod);
    }
    sgx_config_free(e->cfg);
    sgx_emu_dd_stop(e->dd);
    sgx_emu_registry_stop(e->reg);
    rd_kafka_mock_cluster_destroy(e->mock);
    rd_kafka_destroy(e->mock_rk);
}

/* One event; raw e-mail with spaces and capitals, so normalization shows in the members. */
static void event(env_t *e, int p, int b, sgx_op_t op)
{
    char pid[32], email[64], fn[32], ln[32];
    snprintf(pid, sizeof pid, "profile-%d", p);
    snprintf(email, sizeof email, "  User%d@%s ", p,
             SUPPRESSED(p) ? "Suppressed.TEST" : "Example.COM");
    snprintf(fn, sizeof fn, "First%d", p);
    snprintf(ln, sizeof ln, "Last, %d", p);
    sgx_event_in_t ev = {.profile_id = pid, .segment_id = segs[b], .op = op,
                         .event_time_ms = 1764000000000LL + (int64_t)e->produced};
    ev.fields[SGX_F_EMAIL] = email;
    ev.fields[SGX_F_FIRST_NAME] = fn;
    ev.fields[SGX_F_LAST_NAME] = ln;
    sgx_buf_t buf = {0};
    assert_int_equal(sgx_avro_writer_encode(e->w, e->schema_id, &ev, &buf), SGX_OK);
    assert_int_equal(rd_kafka_producev(e->prod, RD_KAFKA_V_TOPIC(TOPIC),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_KEY(pid, strlen(pid)),
                                       RD_KAFKA_V_PARTITION(e->partition),
                                       RD_KAFKA_V_VALUE(buf.data, buf.len), RD_KAFKA_V_END),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    sgx_buf_free(&buf);
    e->produced++;
    if (b < 3) {
        e->in[p][b] = op == SGX_OP_ENTER && !SUPPRESSED(p);
    }
}

static void wait_final(env_t *e)
{
    assert_int_equal(rd_kafka_flush(e->prod, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    sgx_stats_t *st = sgx_pipeline_stats(e->pipe);
    for (int i = 0; i < 600; i++) {
        if (SGX_GET(st->done) == e->produced && SGX_GET(st->inflight) == 0) {
            return;
        }
        usleep(50000);
    }
    fail_msg("not final: done %llu of %llu", (unsigned long long)SGX_GET(st->done),
             (unsigned long long)e->produced);
}

static void check_book(env_t *e, int b)
{
    json_t *a = sgx_emu_dd_audience(e->dd, books[b]);
    assert_non_null(a);
    json_t *want = json_array();
    char email[64];
    for (int p = 0; p < NPROF; p++) {
        if (e->in[p][b]) {
            snprintf(email, sizeof email, "user%d@example.com", p);
            json_array_append_new(want, json_string(email));
        }
    }
    json_t *got = json_object_get(a, "members");
    size_t n = json_array_size(want);
    bool same = json_array_size(got) == n;
    /* both sorted by strcmp: sort want the same way */
    for (size_t i = 0; same && i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < n && !found; k++) {
            found = strcmp(json_string_value(json_array_get(got, i)),
                           json_string_value(json_array_get(want, k))) == 0;
        }
        same = found && (i == 0 || strcmp(json_string_value(json_array_get(got, i - 1)),
                                          json_string_value(json_array_get(got, i))) < 0);
    }
    if (!same) {
        char *g = json_dumps(got, 0), *w = json_dumps(want, 0);
        fprintf(stderr, "book %s\n got %s\nwant %s\n", books[b], g, w);
        free(g);
        free(w);
        fail();
    }
    json_decref(want);
    json_decref(a);
}

/* Reads the DLQ: @returns the number of records whose reason header equals reason. */
static void read_dlq(env_t *e, int *faults, int *failed, int *other)
{
    char errbuf[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", e->bootstrap, NULL, 0);
    rd_kafka_conf_set(conf, "group.id", "dlq-reader", NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, sizeof errbuf);
    assert_non_null(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, DLQ, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
    *faults = *failed = *other = 0;
    for (int idle = 0; idle < 6;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m) {
            idle++;
            continue;
        }
        rd_kafka_headers_t *h = NULL;
        const void *v = NULL;
        size_t n = 0;
        if (!m->err && !rd_kafka_message_headers(m, &h) &&
            !rd_kafka_header_get_last(h, "reason", &v, &n)) {
            char reason[128];
            snprintf(reason, sizeof reason, "%.*s", (int)n, (const char *)v);
            if (strcmp(reason, "dd_import_fault=Globally_Suppressed") == 0) {
                (*faults)++;
            } else if (strcmp(reason, "dd_import_status=RejectedByWatchdog") == 0) {
                (*failed)++;
            } else {
                fprintf(stderr, "unexpected DLQ reason '%s'\n", reason);
                (*other)++;
            }
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

static void test_end_to_end(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_ERROR);
    env_t *e = calloc(1, sizeof *e);
    up(e, "");
    /* 1: ENTER 0..39 into books a and b */
    for (int p = 0; p < 40; p++) {
        event(e, p, 0, SGX_OP_ENTER);
        event(e, p, 1, SGX_OP_ENTER);
    }
    wait_final(e);
    check_book(e, 0);
    check_book(e, 1);
    sgx_emu_dd_stats_t s1;
    sgx_emu_dd_stats(e->dd, &s1);
    assert_true(s1.imports >= 2);
    assert_int_equal(s1.rows_faulted, 8); /* 3, 13, 23, 33 in two books */
    /* 2: EXIT 0..9 from book a, ENTER 40..49, under two 429s (reset 1 s ahead) */
    sgx_emu_dd_inject(e->dd, SGX_EMU_DD_FAULT_THROTTLE, 2, 1);
    for (int p = 0; p < 10; p++) {
        event(e, p, 0, SGX_OP_EXIT);
        event(e, 40 + p, 0, SGX_OP_ENTER);
    }
    wait_final(e);
    check_book(e, 0);
    check_book(e, 1);
    sgx_emu_dd_stats_t s2;
    sgx_emu_dd_stats(e->dd, &s2);
    assert_int_equal(s2.throttled, 2);
    assert_true(SGX_GET(sgx_pipeline_stats(e->pipe)->dest[0].throttled) >= 1);
    assert_true(s2.deletes >= 1);
    assert_int_equal(s2.contacts_removed, 9); /* 0..9 without the suppressed 3 */
    /* 3: an import the platform rejects */
    sgx_emu_dd_fail_next_import(e->dd, "RejectedByWatchdog");
    event(e, 50, 2, SGX_OP_ENTER);
    e->in[50][2] = false;
    wait_final(e);
    check_book(e, 2);
    sgx_stats_t *st = sgx_pipeline_stats(e->pipe);
    assert_int_equal(SGX_GET(st->consumed), e->produced);
    int faults = 0, failed = 0, other = 0;
    read_dlq(e, &faults, &failed, &other);
    assert_int_equal(faults, 9); /* 8 from phase 1 and 43 */
    assert_int_equal(failed, 1);
    assert_int_equal(other, 0);
    assert_int_equal(SGX_GET(st->dead_lettered), 10);
    down(e);
    free(e);
}

static void wait_polls(env_t *e, uint64_t polls)
{
    sgx_emu_dd_stats_t s;
    for (int i = 0; i < 600; i++) {
        sgx_emu_dd_stats(e->dd, &s);
        if (s.import_polls >= polls) {
            return;
        }
        usleep(50000);
    }
    fail_msg("only %llu import polls", (unsigned long long)s.import_polls);
}

/* An import that outlives import_timeout_s may still apply (v2 cannot cancel it): it must not
 * release its profile's fence. ENTER P goes into an import the emulator stalls past the
 * timeout (20 polls of 50 ms); then EXIT P arrives; then the import queue drains and the
 * import applies. The EXIT must run after it: P ends absent, nothing is dead-lettered, and
 * neither record is acknowledged while the import is unresolved. */
static void test_overdue_import_keeps_fence(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_ERROR);
    env_t *e = calloc(1, sizeof *e);
    up(e, "      import_timeout_s: 1\n");
    sgx_stats_t *st = sgx_pipeline_stats(e->pipe);
    sgx_emu_dd_stall_imports(e->dd, true);
    event(e, 7, 0, SGX_OP_ENTER);
    assert_int_equal(rd_kafka_flush(e->prod, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    wait_polls(e, 21); /* past the timeout */
    event(e, 7, 0, SGX_OP_EXIT);
    assert_int_equal(rd_kafka_flush(e->prod, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    for (int i = 0; i < 600 && SGX_GET(st->consumed) < 2; i++) {
        usleep(20000);
    }
    sgx_emu_dd_stats_t s;
    sgx_emu_dd_stats(e->dd, &s);
    wait_polls(e, s.import_polls + 1); /* the import is still being watched */
    assert_int_equal(SGX_GET(st->done), 0);
    assert_int_equal(SGX_GET(st->dest[0].jobs_overdue), 1);
    sgx_emu_dd_stall_imports(e->dd, false); /* the import applies now */
    wait_final(e);
    check_book(e, 0);
    int faults = 0, failed = 0, other = 0;
    read_dlq(e, &faults, &failed, &other);
    assert_int_equal(faults + failed + other, 0);
    sgx_emu_dd_stats(e->dd, &s);
    assert_int_equal(s.contacts_removed, 1);
    down(e);
    free(e);
}

/* One stuck record must not let a partition's offset tracker grow without bound. ENTER P sits
 * in an import the emulator stalls; 400 EXITs of other profiles, all in the same partition,
 * finish quickly behind it (done, but not committable). With max_uncommitted_span 50 the
 * partition pauses near 50 records; when the import finishes it resumes and everything
 * completes. */
static void test_span_cap_pauses_partition(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_ERROR);
    env_t *e = calloc(1, sizeof *e);
    up2(e, "", "max_uncommitted_span: 50\n");
    sgx_stats_t *st = sgx_pipeline_stats(e->pipe);
    e->partition = 0;
    sgx_emu_dd_stall_imports(e->dd, true);
    event(e, 0, 0, SGX_OP_ENTER);
    for (int p = 1; p <= 400; p++) {
        event(e, p % NPROF, 1, SGX_OP_EXIT); /* never members: each is one 404 lookup */
    }
    assert_int_equal(rd_kafka_flush(e->prod, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    /* Paused, and everything consumed but the stuck record is done: nothing moves any more. */
    for (int i = 0; i < 600 && !(SGX_GET(st->span_pauses) >= 1 &&
                                 SGX_GET(st->done) + 1 == SGX_GET(st->consumed));
         i++) {
        usleep(50000);
    }
    uint64_t consumed = SGX_GET(st->consumed);
    print_message("consumed %llu of %llu while one record is stuck\n",
                  (unsigned long long)consumed, (unsigned long long)e->produced);
    assert_int_equal(SGX_GET(st->span_pauses), 1);
    assert_true(consumed <= 50 + 2); /* the record over the cap, and the stuck one */
    assert_int_equal(SGX_GET(st->done) + 1, consumed);
    sgx_emu_dd_stall_imports(e->dd, false);
    wait_final(e); /* resumed: every record consumed and final */
    assert_int_equal(SGX_GET(st->consumed), e->produced);
    assert_true(SGX_GET(st->span_pauses) >= 1);
    check_book(e, 0);
    check_book(e, 1);
    down(e);
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_end_to_end),
        cmocka_unit_test(test_overdue_import_keeps_fence),
        cmocka_unit_test(test_span_cap_pauses_partition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
