/* /metrics, /healthz and /readyz of a running pipeline, scraped over HTTP with libcurl (mock
 * cluster, Meta emulator): after a run with a few injected throttles, the counters equal what
 * happened — records produced, dead letters expected by the generator, rows the emulator
 * received, throttle replies it sent, one latency sample per classified response — committed
 * offsets reach each partition's end with zero lag, the probes answer 200 with JSON saying
 * why, and readiness turns 503 once the pipeline stops. The run logs JSON at debug level to a
 * file: every line parses as one JSON object, the debug lines are there, and no profile's
 * e-mail (no '@' at all) or phone number appears. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "base/buf.h"
#include "base/log.h"
#include "tests/testkit/testkit.h"

#define EVENTS 4000
#define THROTTLES 3
#define PARTITIONS 4

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    sgx_buf_append(arg, p, size * n);
    return size * n;
}

/* GET http://127.0.0.1:port/path. @returns the HTTP status (0 on transport failure). */
static long get(int port, const char *path, sgx_buf_t *body, char *ctype, size_t cap)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    sgx_buf_reset(body);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        char *ct = NULL;
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        snprintf(ctype, cap, "%s", ct ? ct : "");
    }
    curl_easy_cleanup(c);
    return status;
}

/* Sums the samples of metric `name` whose label set contains every fragment in `want`
 * (each `key="value"`; NULL-terminated). @returns -1 when no sample matched. */
static double sum(const char *text, const char *name, const char *const *want)
{
    double total = 0;
    bool any = false;
    size_t nlen = strlen(name);
    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char buf[1024];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        line += len + (eol ? 1 : 0);
        if (buf[0] == '#' || strncmp(buf, name, nlen) != 0 ||
            (buf[nlen] != '{' && buf[nlen] != ' ')) {
            continue;
        }
        bool ok = true;
        for (int i = 0; want && want[i]; i++) {
            ok = ok && strstr(buf, want[i]);
        }
        if (ok) {
            total += strtod(strrchr(buf, ' ') + 1, NULL); /* the value ends the line */
            any = true;
        }
    }
    return any ? total : -1;
}

static double metric(sgx_buf_t *b, int port, const char *name, const char *const *want)
{
    char ct[128];
    assert_int_equal(get(port, "/metrics", b, ct, sizeof ct), 200);
    assert_non_null(strstr(ct, "version=0.0.4"));
    return sum(b->data, name, want);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits (generous bound: a busy machine) until `name` summed over `want` equals v. */
static bool wait_metric(sgx_buf_t *b, int port, const char *name, const char *const *want,
                        double v, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 200) {
        if (metric(b, port, name, want) == v) {
            return true;
        }
        sleep_ms(200);
    }
    print_message("%s stayed at %g, expected %g\n", name, metric(b, port, name, want), v);
    return false;
}

static void probe_ok(sgx_buf_t *b, int port, const char *path, long want, const char *status)
{
    char ct[128];
    assert_int_equal(get(port, path, b, ct, sizeof ct), want);
    assert_string_equal(ct, "application/json");
    json_t *o = json_loads(b->data, 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "status")), status);
    assert_true(json_array_size(json_object_get(o, "checks")) > 0);
    json_decref(o);
}

static void check_counters(sgx_testkit_t *t, int port, const sgx_emu_fb_stats_t *fb)
{
    sgx_buf_t b = {0};
    double produced = (double)atomic_load(&t->truth.produced);
    static const char *const delivered[] = {"outcome=\"delivered\"", NULL};
    static const char *const throttled[] = {"outcome=\"throttled\"", NULL};
    assert_true(metric(&b, port, "segexport_records_consumed_total", NULL) == produced);
    assert_true(metric(&b, port, "segexport_records_acknowledged_total", NULL) == produced);
    assert_true(metric(&b, port, "segexport_records_in_flight", NULL) == 0);
    assert_true(metric(&b, port, "segexport_records_dead_lettered_total", NULL) ==
                (double)t->truth.expected_dlq);
    /* Malformed records carry their own reasons; at least one distinct reason label. */
    static const char *const decode[] = {"reason=\"", NULL};
    assert_true(metric(&b, port, "segexport_records_dead_lettered_total", decode) > 0);
    assert_true(metric(&b, port, "segexport_rows_total", delivered) ==
                (double)(fb->rows_received));
    assert_true(metric(&b, port, "segexport_requests_total", throttled) == THROTTLES);
    double requests = metric(&b, port, "segexport_requests_total", NULL);
    assert_true(requests == (double)fb->add_requests + (double)fb->remove_requests);
    static const char *const inf[] = {"le=\"+Inf\"", NULL};
    assert_true(metric(&b, port, "segexport_request_duration_seconds_bucket", inf) == requests);
    assert_true(metric(&b, port, "segexport_request_duration_seconds_count", NULL) == requests);
    assert_true(metric(&b, port, "segexport_request_duration_seconds_sum", NULL) > 0);
    static const char *const ok[] = {"state=\"ok\"", NULL};
    assert_true(metric(&b, port, "segexport_destination_state", ok) == 1);
    assert_true(metric(&b, port, "segexport_assigned_partitions", NULL) == PARTITIONS);
    int64_t committed = 0, end = 0;
    (void)sgx_testkit_committed(t, t->env.topic, PARTITIONS, &committed, &end); /* ends only */
    assert_true(end == (int64_t)produced);
    /* Committing is periodic (auto.commit.interval.ms): wait for it, then lag reaches 0. */
    assert_true(wait_metric(&b, port, "segexport_partition_committed_offset", NULL,
                            (double)end, 60000));
    assert_true(wait_metric(&b, port, "segexport_partition_consumer_lag", NULL, 0, 60000));
    assert_true(metric(&b, port, "segexport_partition_uncommitted_records", NULL) == 0);
    sgx_buf_free(&b);
}

/* stderr goes to a temporary file while the pipeline runs. */
typedef struct {
    char path[64];
    int saved; /* the real stderr while capturing, else -1 */
} capture_t;

static void capture_start(capture_t *c)
{
    snprintf(c->path, sizeof c->path, "/tmp/sgx-metrics-log-XXXXXX");
    int fd = mkstemp(c->path);
    assert_true(fd >= 0);
    fflush(stderr);
    c->saved = dup(2);
    assert_true(dup2(fd, 2) == 2);
    close(fd);
}

static void capture_stop(capture_t *c)
{
    if (c->saved < 0) {
        return;
    }
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    c->saved = -1;
}

/* A failure inside the run wrote cmocka's message into the capture: show the end of it. */
static int teardown(void **state)
{
    capture_t *c = *state;
    if (c->saved >= 0) {
        capture_stop(c);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "tail -n 30 %s >&2", c->path);
        if (system(cmd) != 0) {
            fprintf(stderr, "log kept in %s\n", c->path);
        }
    }
    return 0;
}

/* Every line one JSON object with ts/level/component/msg; debug and batch lines present; no
 * identifier of any generated profile. */
static void check_log(const capture_t *c, size_t profiles)
{
    FILE *f = fopen(c->path, "r");
    assert_non_null(f);
    sgx_buf_t all = {0};
    char line[8192];
    size_t lines = 0, debug = 0, batches = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t err;
        json_t *o = json_loads(line, 0, &err);
        if (!o) {
            fail_msg("log line is not JSON (%s): %s", err.text, line);
        }
        assert_non_null(json_string_value(json_object_get(o, "ts")));
        assert_non_null(json_string_value(json_object_get(o, "component")));
        assert_non_null(json_string_value(json_object_get(o, "msg")));
        const char *level = json_string_value(json_object_get(o, "level"));
        debug += level && strcmp(level, "debug") == 0;
        batches += strstr(line, "batch sent") != NULL;
        json_decref(o);
        sgx_buf_puts(&all, line);
        lines++;
    }
    fclose(f);
    unlink(c->path);
    print_message("%zu log lines, %zu debug, %zu batches sent\n", lines, debug, batches);
    assert_true(debug > 0 && batches > 0);
    assert_null(strchr(all.data, '@'));
    for (size_t p = 0; p < profiles; p++) {
        sgx_demo_profile_t pr;
        sgx_demo_profile(p, &pr);
        if (pr.has_phone) {
            assert_null(strstr(all.data, pr.phone_norm));
            assert_null(strstr(all.data, pr.phone_raw));
        }
    }
    sgx_buf_free(&all);
}

static void test_metrics_match_what_happened(void **state)
{
    static capture_t cap = {.saved = -1};
    *state = &cap;
    capture_start(&cap);
    sgx_log_set_level(SGX_LOG_DEBUG);
    sgx_log_set_format(SGX_LOG_JSON);
    sgx_demo_opts_t o = {.events = EVENTS, .profiles = 1500, .segments = 6,
                         .partitions = PARTITIONS, .bad = 9, .seed = 21};
    sgx_testkit_knobs_t k = {.retry_base_ms = 20, .retry_cap_ms = 500,
                             .kafka_extra = "  statistics.interval.ms: 300\n"
                                            "  auto.commit.interval.ms: 300\n",
                             .extra = "metrics_listen: 127.0.0.1:0\nprogress_interval_s: 1\n"};
    sgx_testkit_t t;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_up(&t, &o, &k, errbuf) || sgx_testkit_start_pipeline(&t, errbuf)) {
        sgx_testkit_down(&t);
        fail_msg("setup: %s", errbuf);
    }
    int port = sgx_pipeline_metrics_port(t.pipe);
    assert_true(port > 0);
    sgx_buf_t b = {0};
    probe_ok(&b, port, "/healthz", 200, "live");
    char ct[64];
    assert_int_equal(get(port, "/nope", &b, ct, sizeof ct), 404);
    sgx_emu_fb_inject(t.env.fb, SGX_EMU_FAULT_THROTTLE, THROTTLES, 17, 0);
    if (sgx_testkit_start_gen(&t, false, errbuf)) {
        fail_msg("generator: %s", errbuf);
    }
    sgx_testkit_join_gen(&t);
    assert_true(sgx_testkit_wait_final(&t, 0, 60000));
    sgx_emu_fb_stats_t fb;
    sgx_emu_fb_stats(t.env.fb, &fb);
    assert_int_equal(fb.throttled, THROTTLES);
    check_counters(&t, port, &fb);
    /* Ready once librdkafka's statistics show the group joined and a broker up. */
    bool ready = false;
    for (int i = 0; i < 150 && !ready; i++) {
        ready = get(port, "/readyz", &b, ct, sizeof ct) == 200;
        if (!ready) {
            sleep_ms(200);
        }
    }
    assert_true(ready);
    probe_ok(&b, port, "/readyz", 200, "ready");
    probe_ok(&b, port, "/healthz", 200, "live");
    sgx_pipeline_stop(t.pipe, true);
    probe_ok(&b, port, "/readyz", 503, "not ready"); /* stopping */
    sgx_buf_free(&b);
    char report[256];
    bool aud_ok = sgx_testkit_audiences(&t, report, sizeof report);
    sgx_testkit_down(&t);
    capture_stop(&cap);
    sgx_log_set_level(SGX_LOG_ERROR);
    sgx_log_set_format(SGX_LOG_TEXT);
    assert_true(aud_ok);
    check_log(&cap, (size_t)o.profiles);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_metrics_match_what_happened, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
