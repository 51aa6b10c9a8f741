/* Log lines (log.c) and librdkafka statistics (kstats.c): a JSON line is one JSON object with an
 * RFC 3339 UTC timestamp with date, level, component, msg and the structured fields, whatever
 * bytes the message holds (quotes, newlines, control characters, non-ASCII, over-long); the
 * text line carries the same; a statistics document from librdkafka sets brokers up, group
 * state, lag and committed offsets of the partitions this process tracks only. */
#include <regex.h>
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

#include "pipeline/kstats.h"
#include "base/log.h"

static const struct timespec TS = {.tv_sec = 1796401080, .tv_nsec = 123456789}; /* 2026-12-04 */

static json_t *render_json(const char *msg, const sgx_log_field_t *f, size_t n, char *line,
                           size_t cap)
{
    size_t len = sgx_log_render(line, cap, SGX_LOG_JSON, SGX_LOG_WARN, &TS, "dispatch", f, n, msg);
    assert_int_equal(len, strlen(line));
    assert_true(len > 0 && line[len - 1] == '\n');
    assert_null(memchr(line, '\n', len - 1)); /* exactly one line */
    json_error_t err;
    json_t *o = json_loadb(line, len, 0, &err);
    if (!o) {
        fail_msg("not JSON (%s): %s", err.text, line);
    }
    return o;
}

static void test_json_line(void **state)
{
    (void)state;
    char line[4096];
    json_t *o = render_json("meta: batch sent", SGX_FIELDS(SGX_FS("destination", "meta"),
                                                           SGX_FN("rows", 500),
                                                           SGX_FN("latency_ms", -3)),
                            line, sizeof line);
    assert_string_equal(json_string_value(json_object_get(o, "ts")), "2026-12-04T16:18:00.123Z");
    assert_string_equal(json_string_value(json_object_get(o, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(o, "component")), "dispatch");
    assert_string_equal(json_string_value(json_object_get(o, "msg")), "meta: batch sent");
    assert_string_equal(json_string_value(json_object_get(o, "destination")), "meta");
    assert_int_equal(json_integer_value(json_object_get(o, "rows")), 500);
    assert_int_equal(json_integer_value(json_object_get(o, "latency_ms")), -3);
    json_decref(o);
}

static void test_rfc3339(void **state)
{
    (void)state;
    char line[512];
    json_t *o = render_json("x", NULL, 0, line, sizeof line);
    regex_t re;
    assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                  "\\.[0-9]{3}Z$", REG_EXTENDED | REG_NOSUB), 0);
    assert_int_equal(regexec(&re, json_string_value(json_object_get(o, "ts")), 0, NULL, 0), 0);
    regfree(&re);
    json_decref(o);
}

static void test_json_escaping(void **state)
{
    (void)state;
    char line[4096];
    const char *msg = "say \"hi\"\\ back\nsecond line\ttab \x01 bell \xc3\xa9";
    json_t *o = render_json(msg, SGX_FIELDS(SGX_FS("we\"ird", "v\nal")), line, sizeof line);
    assert_string_equal(json_string_value(json_object_get(o, "msg")),
                        "say \"hi\"\\ back\nsecond line\ttab \x01 bell ??");
    assert_string_equal(json_string_value(json_object_get(o, "we\"ird")), "v\nal");
    json_decref(o);
}

static void test_json_truncated_stays_json(void **state)
{
    (void)state;
    char big[3000];
    memset(big, '"', sizeof big - 1); /* every byte doubles when escaped */
    big[sizeof big - 1] = '\0';
    char line[1024];
    json_t *o = render_json(big, SGX_FIELDS(SGX_FN("n", 1)), line, sizeof line);
    assert_non_null(strstr(json_string_value(json_object_get(o, "msg")), "truncated"));
    json_decref(o);
    /* Just fitting: nothing is cut. */
    o = render_json("short", SGX_FIELDS(SGX_FN("n", 1)), line, 128);
    assert_string_equal(json_string_value(json_object_get(o, "msg")), "short");
    json_decref(o);
}

static void test_text_line(void **state)
{
    (void)state;
    char line[512];
    size_t n = sgx_log_render(line, sizeof line, SGX_LOG_TEXT, SGX_LOG_INFO, &TS, "progress",
                              SGX_FIELDS(SGX_FN("consumed", 10), SGX_FS("committed", "t[0]=5")),
                              "progress");
    assert_int_equal(n, strlen(line));
    assert_string_equal(line, "2026-12-04T16:18:00.123Z INFO  [progress] progress consumed=10 "
                              "committed=t[0]=5\n");
}

static void test_parse_names(void **state)
{
    (void)state;
    assert_int_equal(sgx_log_format_parse("json"), SGX_LOG_JSON);
    assert_int_equal(sgx_log_format_parse("text"), SGX_LOG_TEXT);
    assert_int_equal(sgx_log_format_parse("JSON"), -1);
    assert_int_equal(sgx_log_level_parse("debug"), SGX_LOG_DEBUG);
}

/* Trimmed from a real librdkafka 2.x consumer statistics document. */
static const char STATS[] =
    "{\"name\":\"rdkafka#consumer-1\",\"type\":\"consumer\",\"ts\":1,"
    "\"brokers\":{"
    "\"127.0.0.1:9092/bootstrap\":{\"name\":\"127.0.0.1:9092/bootstrap\",\"nodeid\":-1,"
    "\"state\":\"UP\"},"
    "\"127.0.0.1:9092/1\":{\"name\":\"127.0.0.1:9092/1\",\"nodeid\":1,\"state\":\"UP\"},"
    "\"127.0.0.1:9093/2\":{\"name\":\"127.0.0.1:9093/2\",\"nodeid\":2,\"state\":\"DOWN\"},"
    "\"GroupCoordinator\":{\"name\":\"GroupCoordinator\",\"nodeid\":1,\"source\":\"logical\","
    "\"state\":\"UP\"}},"
    "\"topics\":{\"events\":{\"topic\":\"events\",\"partitions\":{"
    "\"0\":{\"partition\":0,\"consumer_lag\":17,\"committed_offset\":1000},"
    "\"1\":{\"partition\":1,\"consumer_lag\":5,\"committed_offset\":-1001},"
    "\"2\":{\"partition\":2,\"consumer_lag\":9,\"committed_offset\":50},"
    "\"-1\":{\"partition\":-1,\"consumer_lag\":-1,\"committed_offset\":-1001}}}},"
    "\"cgrp\":{\"state\":\"up\",\"join_state\":\"steady\",\"assignment_size\":2}}";

static void test_kstats_apply(void **state)
{
    (void)state;
    sgx_stats_t *s = calloc(1, sizeof *s);
    sgx_part_stats_t *p0 = sgx_stats_part(s, "events", 0, true);
    sgx_part_stats_t *p1 = sgx_stats_part(s, "events", 1, true);
    atomic_store(&p0->assigned, true);
    atomic_store(&p1->assigned, true);
    assert_int_equal(sgx_kstats_apply(s, STATS, strlen(STATS), 777), SGX_OK);
    assert_int_equal(SGX_GET(s->brokers_up), 1); /* bootstrap and logical entries do not count */
    assert_int_equal(SGX_GET(s->group_steady), 1);
    assert_int_equal(SGX_GET(s->stats_at), 777);
    assert_int_equal(SGX_GET(p0->lag), 17);
    assert_int_equal(SGX_GET(p0->committed), 1000);
    assert_int_equal(SGX_GET(p1->lag), 5);
    assert_int_equal(SGX_GET(p1->committed), -1); /* -1001: nothing committed yet */
    assert_null(sgx_stats_part(s, "events", 2, false)); /* not ours: no slot made */
    const char *joining = "{\"brokers\":{},\"cgrp\":{\"state\":\"up\",\"join_state\":"
                          "\"wait-join\"}}";
    assert_int_equal(sgx_kstats_apply(s, joining, strlen(joining), 778), SGX_OK);
    assert_int_equal(SGX_GET(s->brokers_up), 0);
    assert_int_equal(SGX_GET(s->group_steady), 0);
    assert_int_equal(sgx_kstats_apply(s, "[1,2", 4, 779), SGX_ERR_DECODE);
    assert_int_equal(SGX_GET(s->stats_at), 778);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_line),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_json_truncated_stays_json),
        cmocka_unit_test(test_text_line),
        cmocka_unit_test(test_parse_names),
        cmocka_unit_test(test_kstats_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
