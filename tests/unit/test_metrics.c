/* Prometheus exposition (metrics.c) and probes (health.c) from hand-set stats: every line
 * follows the text format 0.0.4 grammar, each family has HELP and TYPE once, counters carry
 * the values set, histograms are cumulative, label values are escaped and bounded (reason
 * table overflow, drops only when non-zero, partitions only while assigned); liveness and
 * readiness flip on exactly the conditions documented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>

#include "config/config.h"
#include "pipeline/health.h"
#include "pipeline/metrics.h"

#define YAML                                                                                   \
    "kafka:\n  bootstrap.servers: \"127.0.0.1:9092\"\n  group.id: g\n"                        \
    "topics: [events]\ndead_letter_topic: dlq\n"                                               \
    "schema_registry:\n  url: http://127.0.0.1:8081\n"                                         \
    "metrics_listen: 127.0.0.1:0\nready_blocked_max_ms: 60000\nliveness_stall_ms: 5000\n"     \
    "destinations:\n  - name: meta\n    type: facebook\n"                                      \
    "    settings:\n      access_token: tok-123\n"                                             \
    "    segments:\n      seg-a: \"111\"\n      seg-b: \"\"\n"

typedef struct {
    sgx_config_t *cfg;
    sgx_stats_t *s;
    sgx_buf_t out;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_config_parse(YAML, strlen(YAML), &f->cfg, errbuf)) {
        fail_msg("config: %s", errbuf);
    }
    f->s = calloc(1, sizeof *f->s);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    sgx_config_free(f->cfg);
    sgx_buf_free(&f->out);
    free(f->s);
    free(f);
    return 0;
}

static const char *render(fx_t *f, int64_t now)
{
    sgx_buf_reset(&f->out);
    sgx_metrics_render(f->cfg, f->s, now, &f->out);
    return f->out.data;
}

/* The whole line (without its newline) must be present. */
static void has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = strstr(text, line); p; p = strstr(p + 1, line)) {
        if ((p == text || p[-1] == '\n') && p[n] == '\n') {
            return;
        }
    }
    fail_msg("missing line: %s", line);
}

static void lacks(const char *text, const char *frag)
{
    if (strstr(text, frag)) {
        fail_msg("unexpected: %s", frag);
    }
}

/* Text format 0.0.4: comments are "# HELP name text" / "# TYPE name type" (once per family,
 * before its samples); samples are name{label="value",...} value. */
static void check_grammar(const char *text)
{
    char seen_type[256][96];
    int ntypes = 0;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        assert_non_null(eol);
        char line[1024];
        size_t n = (size_t)(eol - p);
        assert_true(n < sizeof line);
        memcpy(line, p, n);
        line[n] = '\0';
        if (strncmp(line, "# TYPE ", 7) == 0) {
            char name[96], type[32];
            assert_int_equal(sscanf(line + 7, "%95s %31s", name, type), 2);
            assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
                        strcmp(type, "histogram") == 0);
            for (int i = 0; i < ntypes; i++) {
                assert_string_not_equal(seen_type[i], name);
            }
            assert_true(ntypes < 256);
            snprintf(seen_type[ntypes++], sizeof seen_type[0], "%s", name);
            size_t len = strlen(name);
            if (strcmp(type, "counter") == 0) {
                assert_string_equal(name + len - 6, "_total");
            }
        } else if (strncmp(line, "# HELP ", 7) == 0) {
            assert_true(strlen(line) > 10);
        } else {
            const char *q = line;
            assert_true(strncmp(q, "segexport_", 10) == 0);
            while ((*q >= 'a' && *q <= 'z') || *q == '_' || (*q >= '0' && *q <= '9')) {
                q++;
            }
            if (*q == '{') {
                const char *close = strrchr(q, '}');
                assert_non_null(close);
                q = close + 1;
            }
            assert_int_equal(*q, ' ');
            char *end = NULL;
            strtod(q + 1, &end);
            assert_true(end != q + 1 && *end == '\0');
        }
        p = eol + 1;
    }
    assert_true(ntypes > 20);
}

static void test_counters_and_grammar(void **state)
{
    fx_t *f = *state;
    SGX_ADD(f->s->consumed, 1234);
    SGX_ADD(f->s->done, 1200);
    SGX_SET(f->s->inflight, 34);
    SGX_ADD(f->s->dest[0].aud_rows[0][SGX_OUT_DELIVERED], 900);
    SGX_ADD(f->s->dest[0].aud_rows[1][SGX_OUT_REJECTED], 7);
    SGX_ADD(f->s->dest[0].aud_requests[0][SGX_OUT_THROTTLED], 3);
    SGX_ADD(f->s->dest[0].token_refreshes, 2);
    SGX_ADD(f->s->dest[0].audiences_created, 1);
    sgx_stats_count_reason(f->s, "decode_error");
    sgx_stats_count_reason(f->s, "decode_error");
    sgx_stats_count_reason(f->s, "No Usable \"identifier\"\n");
    const char *t = render(f, 1000);
    check_grammar(t);
    has_line(t, "# TYPE segexport_records_consumed_total counter");
    has_line(t, "segexport_records_consumed_total 1234");
    has_line(t, "segexport_records_acknowledged_total 1200");
    has_line(t, "segexport_records_in_flight 34");
    has_line(t, "segexport_rows_total{destination=\"meta\",audience=\"111\",segment=\"seg-a\","
                "outcome=\"delivered\"} 900");
    has_line(t, "segexport_rows_total{destination=\"meta\",audience=\"\",segment=\"seg-b\","
                "outcome=\"rejected\"} 7");
    has_line(t, "segexport_rows_total{destination=\"meta\",audience=\"\",segment=\"seg-b\","
                "outcome=\"blocked\"} 0");
    has_line(t, "segexport_requests_total{destination=\"meta\",audience=\"111\",segment=\"seg-a\","
                "outcome=\"throttled\"} 3");
    has_line(t, "segexport_token_refreshes_total{destination=\"meta\"} 2");
    has_line(t, "segexport_audiences_created_total{destination=\"meta\"} 1");
    has_line(t, "segexport_records_dead_lettered_total{reason=\"decode_error\"} 2");
    /* Reasons are reduced to a label-safe code: no quote, newline or capital survives. */
    has_line(t, "segexport_records_dead_lettered_total{reason=\"no_usable__identifier__\"} 1");
}

static void test_histogram_cumulative(void **state)
{
    fx_t *f = *state;
    sgx_stats_observe_latency(&f->s->dest[0], 0.004);  /* le 0.005 */
    sgx_stats_observe_latency(&f->s->dest[0], 0.2);    /* le 0.25 */
    sgx_stats_observe_latency(&f->s->dest[0], 0.25);   /* le 0.25: bounds are inclusive */
    sgx_stats_observe_latency(&f->s->dest[0], 99.0);   /* +Inf only */
    const char *t = render(f, 1000);
    has_line(t, "# TYPE segexport_request_duration_seconds histogram");
    has_line(t, "segexport_request_duration_seconds_bucket{destination=\"meta\",le=\"0.005\"} 1");
    has_line(t, "segexport_request_duration_seconds_bucket{destination=\"meta\",le=\"0.1\"} 1");
    has_line(t, "segexport_request_duration_seconds_bucket{destination=\"meta\",le=\"0.25\"} 3");
    has_line(t, "segexport_request_duration_seconds_bucket{destination=\"meta\",le=\"30\"} 3");
    has_line(t, "segexport_request_duration_seconds_bucket{destination=\"meta\",le=\"+Inf\"} 4");
    has_line(t, "segexport_request_duration_seconds_count{destination=\"meta\"} 4");
    has_line(t, "segexport_request_duration_seconds_sum{destination=\"meta\"} 99.454000");
}

static void test_label_escaping(void **state)
{
    (void)state;
    sgx_buf_t b = {0};
    sgx_metrics_label(&b, "a\\b\"c\nd");
    assert_string_equal(b.data, "a\\\\b\\\"c\\nd");
    sgx_buf_free(&b);
}

static void test_reason_table_bounded(void **state)
{
    fx_t *f = *state;
    for (int i = 0; i < 3 * SGX_STATS_MAX_REASONS; i++) {
        char r[32];
        snprintf(r, sizeof r, "reason_%d", i);
        sgx_stats_count_reason(f->s, r);
    }
    const char *t = render(f, 1000);
    int series = 0;
    for (const char *p = strstr(t, "\nsegexport_records_dead_lettered_total{"); p;
         p = strstr(p + 1, "\nsegexport_records_dead_lettered_total{")) {
        series++;
    }
    assert_int_equal(series, SGX_STATS_MAX_REASONS);
    char other[128];
    snprintf(other, sizeof other, "segexport_records_dead_lettered_total{reason=\"other\"} %d",
             2 * SGX_STATS_MAX_REASONS + 1);
    has_line(t, other);
}

static void test_drops_and_partitions(void **state)
{
    fx_t *f = *state;
    SGX_ADD(f->s->dest[0].dropped[SGX_KEY_PHONE][SGX_DROP_INVALID_PHONE], 5);
    sgx_part_stats_t *p0 = sgx_stats_part(f->s, "events", 0, true);
    sgx_part_stats_t *p1 = sgx_stats_part(f->s, "events", 1, true);
    assert_ptr_equal(sgx_stats_part(f->s, "events", 0, false), p0);
    assert_null(sgx_stats_part(f->s, "events", 7, false));
    atomic_store(&p0->assigned, true);
    SGX_SET(p0->committed, 42);
    SGX_SET(p0->uncommitted, 8);
    SGX_SET(p0->lag, 3);
    SGX_SET(p1->committed, 99); /* not assigned (any more): not exported */
    const char *t = render(f, 1000);
    has_line(t, "segexport_normalization_drops_total{destination=\"meta\",key=\"PHONE\","
                "reason=\"invalid_phone\"} 5");
    lacks(t, "reason=\"invalid_email\"");
    has_line(t, "segexport_partition_committed_offset{topic=\"events\",partition=\"0\"} 42");
    has_line(t, "segexport_partition_uncommitted_records{topic=\"events\",partition=\"0\"} 8");
    has_line(t, "segexport_partition_consumer_lag{topic=\"events\",partition=\"0\"} 3");
    lacks(t, "partition=\"1\"");
}

static void test_destination_state(void **state)
{
    fx_t *f = *state;
    const char *t = render(f, 1000);
    has_line(t, "segexport_destination_state{destination=\"meta\",state=\"ok\"} 1");
    has_line(t, "segexport_destination_state{destination=\"meta\",state=\"blocked\"} 0");
    lacks(t, "segexport_destination_state_reason{");
    sgx_stats_set_dest_state(&f->s->dest[0], SGX_DSTATE_BLOCKED,
                             "meta_error code=190 type=OAuthException", 10000);
    t = render(f, 25000);
    has_line(t, "segexport_destination_state{destination=\"meta\",state=\"ok\"} 0");
    has_line(t, "segexport_destination_state{destination=\"meta\",state=\"blocked\"} 1");
    has_line(t, "segexport_destination_state_reason{destination=\"meta\",state=\"blocked\","
                "reason=\"meta_error_code_190_type_oauthexception\"} 1");
    has_line(t, "segexport_destination_state_seconds{destination=\"meta\"} 15");
    /* The same state again keeps its start time. */
    sgx_stats_set_dest_state(&f->s->dest[0], SGX_DSTATE_BLOCKED, "again", 20000);
    t = render(f, 25000);
    has_line(t, "segexport_destination_state_seconds{destination=\"meta\"} 15");
}

/* Parses a probe body and returns whether the named check is ok (fails when absent). */
static bool check_ok(const char *body, const char *name)
{
    json_t *o = json_loads(body, 0, NULL);
    assert_non_null(o);
    json_t *checks = json_object_get(o, "checks");
    size_t i;
    json_t *c;
    int found = -1;
    json_array_foreach(checks, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "check")), name) == 0) {
            found = json_is_true(json_object_get(c, "ok"));
            assert_non_null(json_string_value(json_object_get(c, "detail")));
        }
    }
    json_decref(o);
    if (found < 0) {
        fail_msg("no check %s in %s", name, body);
    }
    return found;
}

static void test_liveness(void **state)
{
    fx_t *f = *state;
    char *body = NULL;
    /* Nothing beat yet: counted from the start, within the 5 s limit. */
    assert_true(sgx_health_live(f->cfg, f->s, 1000, 4000, &body));
    free(body);
    SGX_SET(f->s->beat_poll, 10000);
    SGX_SET(f->s->beat_dispatcher, 10000);
    SGX_SET(f->s->beat_worker[0], 10000);
    SGX_SET(f->s->beat_worker[1], 3000); /* stuck for 7 s at now=10000 */
    assert_false(sgx_health_live(f->cfg, f->s, 1000, 10000, &body));
    assert_true(check_ok(body, "poll_thread"));
    assert_false(check_ok(body, "worker_thread_1"));
    free(body);
    SGX_SET(f->s->beat_worker[1], 9000);
    assert_true(sgx_health_live(f->cfg, f->s, 1000, 10000, &body));
    free(body);
}

static void test_readiness(void **state)
{
    fx_t *f = *state;
    char *body = NULL;
    int64_t now = 100000;
    assert_false(sgx_health_ready(f->cfg, f->s, now, &body)); /* no statistics yet */
    assert_false(check_ok(body, "kafka_broker"));
    free(body);
    SGX_SET(f->s->stats_at, now - 1000);
    SGX_SET(f->s->brokers_up, 1);
    SGX_SET(f->s->group_steady, 1);
    SGX_SET(f->s->assigned_parts, 0);
    assert_true(sgx_health_ready(f->cfg, f->s, now, &body)); /* idle by design */
    assert_non_null(strstr(body, "idle by design"));
    free(body);
    SGX_SET(f->s->assigned_parts, 4);
    SGX_SET(f->s->brokers_up, 0);
    assert_false(sgx_health_ready(f->cfg, f->s, now, &body));
    assert_false(check_ok(body, "kafka_broker"));
    assert_true(check_ok(body, "consumer_group"));
    free(body);
    SGX_SET(f->s->brokers_up, 1);
    SGX_SET(f->s->stats_at, now - 60000); /* stale: librdkafka stopped reporting */
    assert_false(sgx_health_ready(f->cfg, f->s, now, &body));
    free(body);
    SGX_SET(f->s->stats_at, now - 1000);
    /* Blocked, but not yet longer than ready_blocked_max_ms (60 s). */
    sgx_stats_set_dest_state(&f->s->dest[0], SGX_DSTATE_BLOCKED, "terms_not_accepted",
                             now - 59000);
    assert_true(sgx_health_ready(f->cfg, f->s, now, &body));
    free(body);
    assert_false(sgx_health_ready(f->cfg, f->s, now + 2000, &body));
    assert_false(check_ok(body, "destination_meta"));
    assert_non_null(strstr(body, "terms_not_accepted"));
    free(body);
    sgx_stats_set_dest_state(&f->s->dest[0], SGX_DSTATE_OK, NULL, now + 3000);
    assert_true(sgx_health_ready(f->cfg, f->s, now + 4000, &body));
    free(body);
    atomic_store(&f->s->stopping, 1);
    assert_false(sgx_health_ready(f->cfg, f->s, now + 4000, &body));
    free(body);
}

/* Writers (the dispatcher, the poll thread) and a reader (the metrics listener) at once: the
 * TSan build checks that every shared field is accessed as an atomic or under its lock, and
 * the totals come out exact. */
#define ROUNDS 20000

static void *writer(void *arg)
{
    fx_t *f = arg;
    for (int i = 0; i < ROUNDS; i++) {
        char reason[16];
        snprintf(reason, sizeof reason, "r%d", i % 8);
        sgx_stats_count_reason(f->s, reason);
        sgx_stats_observe_latency(&f->s->dest[0], 0.001 * (i % 100));
        sgx_stats_set_dest_state(&f->s->dest[0], i % 2 ? SGX_DSTATE_THROTTLED : SGX_DSTATE_OK,
                                 i % 2 ? "slow_down" : NULL, i);
        SGX_INC(f->s->dest[0].aud_rows[0][SGX_OUT_DELIVERED]);
    }
    return NULL;
}

static void *reader(void *arg)
{
    fx_t *f = arg;
    sgx_buf_t b = {0};
    char *body = NULL;
    for (int i = 0; i < 50; i++) {
        sgx_buf_reset(&b);
        sgx_metrics_render(f->cfg, f->s, i, &b);
        check_grammar(b.data);
        sgx_health_ready(f->cfg, f->s, i, &body);
        free(body);
    }
    sgx_buf_free(&b);
    return NULL;
}

static void test_concurrent_updates_and_scrapes(void **state)
{
    fx_t *f = *state;
    pthread_t w1, w2, r;
    assert_int_equal(pthread_create(&w1, NULL, writer, f), 0);
    assert_int_equal(pthread_create(&w2, NULL, writer, f), 0);
    assert_int_equal(pthread_create(&r, NULL, reader, f), 0);
    pthread_join(w1, NULL);
    pthread_join(w2, NULL);
    pthread_join(r, NULL);
    const char *t = render(f, 0);
    char line[160];
    for (int k = 0; k < 8; k++) {
        snprintf(line, sizeof line, "segexport_records_dead_lettered_total{reason=\"r%d\"} %d", k,
                 2 * ROUNDS / 8);
        has_line(t, line);
    }
    snprintf(line, sizeof line,
             "segexport_request_duration_seconds_count{destination=\"meta\"} %d", 2 * ROUNDS);
    has_line(t, line);
    snprintf(line, sizeof line,
             "segexport_rows_total{destination=\"meta\",audience=\"111\",segment=\"seg-a\","
             "outcome=\"delivered\"} %d", 2 * ROUNDS);
    has_line(t, line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counters_and_grammar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_histogram_cumulative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reason_table_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drops_and_partitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destination_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_liveness, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readiness, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_updates_and_scrapes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
