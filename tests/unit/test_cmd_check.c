/* `segexport check` (offline) refuses what `run` would: every librdkafka property is set on a
 * real rd_kafka_conf (the message names the property and carries librdkafka's reason), and the
 * consumer and producer are instantiated, which catches what single properties cannot. */
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

#include "base/mem.h"
#include "cli/cmd_check.h"

#define REST                                                                                   \
    "topics: [t]\ndead_letter_topic: dlq\nschema_registry:\n  url: http://127.0.0.1:1\n"       \
    "destinations:\n  - name: meta\n    type: facebook\n    settings:\n"                       \
    "      access_token: tok\n      base_url: http://127.0.0.1:1\n    segments:\n"             \
    "      s1: \"1\"\n"
#define KAFKA "kafka:\n  bootstrap.servers: \"127.0.0.1:1\"\n  group.id: g\n"

/* Runs the offline check with stderr captured; returns rc, *log owned. */
static int check(const char *yaml, char **log)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_config_t *cfg = NULL;
    if (sgx_config_parse(yaml, strlen(yaml), &cfg, errbuf)) {
        fail_msg("parse: %s", errbuf);
    }
    char path[] = "/tmp/sgx-cmd-check-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    fflush(stdout);
    int saved = dup(STDERR_FILENO), saved_out = dup(STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    int rc = sgx_cmd_check(cfg, false);
    fflush(stderr);
    fflush(stdout);
    dup2(saved, STDERR_FILENO);
    dup2(saved_out, STDOUT_FILENO);
    close(saved);
    close(saved_out);
    *log = sgx_calloc(1, 8192);
    ssize_t n = pread(fd, *log, 8191, 0);
    assert_true(n >= 0);
    close(fd);
    unlink(path);
    sgx_config_free(cfg);
    return rc;
}

static void expect_refused(const char *yaml, const char *frag1, const char *frag2)
{
    char *log = NULL;
    int rc = check(yaml, &log);
    if (rc == 0 || !strstr(log, frag1) || (frag2 && !strstr(log, frag2))) {
        fail_msg("rc %d, output '%s' lacks '%s'/'%s'", rc, log, frag1, frag2 ? frag2 : "");
    }
    sgx_free(log);
}

static void test_good_config_passes(void **state)
{
    (void)state;
    char *log = NULL;
    int rc = check(KAFKA "  session.timeout.ms: \"6000\"\n" REST, &log);
    if (rc != 0) {
        fail_msg("refused: %s", log);
    }
    assert_non_null(strstr(log, "configuration OK"));
    sgx_free(log);
    /* The canonical schema pinned by file compiles with the default mapping. */
    rc = check(KAFKA "topics: [t]\ndead_letter_topic: dlq\nschema_registry:\n  schemas:\n"
               "    1: " SGX_SOURCE_DIR "/deploy/schemas/segment_membership.avsc\n"
               "destinations:\n  - name: meta\n    type: facebook\n    settings:\n"
               "      access_token: tok\n    segments:\n      s1: \"1\"\n", &log);
    if (rc != 0) {
        fail_msg("refused the canonical schema: %s", log);
    }
    sgx_free(log);
}

static void test_unknown_property(void **state)
{
    (void)state;
    expect_refused(KAFKA "  fetch.wait.max.msec: \"100\"\n" REST, "kafka.fetch.wait.max.msec:",
                   "No such configuration property");
}

static void test_invalid_value(void **state)
{
    (void)state;
    expect_refused(KAFKA "  session.timeout.ms: soon\n" REST, "kafka.session.timeout.ms:",
                   "Invalid value");
    expect_refused(KAFKA "  auto.offset.reset: sometimes\n" REST, "kafka.auto.offset.reset:",
                   NULL);
}

/* Valid one by one, refused together: only rd_kafka_new sees it. */
static void test_invalid_combination(void **state)
{
    (void)state;
    expect_refused(KAFKA "  security.protocol: ssl\n  ssl.ca.location: /nonexistent/ca.pem\n" REST,
                   "kafka (consumer):", "ssl.ca.location");
    expect_refused(KAFKA "  fetch.max.bytes: \"1000\"\n" REST, "kafka (consumer):",
                   "fetch.max.bytes");
    expect_refused(KAFKA "  enable.idempotence: \"true\"\n  acks: \"1\"\n" REST,
                   "kafka (dead-letter producer):", "acks");
}

static void test_audience_refused_by_check(void **state)
{
    (void)state;
    expect_refused(KAFKA "topics: [t]\ndead_letter_topic: dlq\nschema_registry:\n"
                   "  url: http://127.0.0.1:1\ndestinations:\n  - name: meta\n"
                   "    type: facebook\n    settings:\n      access_token: tok\n"
                   "    segments:\n      s1: act_12\n",
                   "destination meta: segment 's1'", "must be a number");
}

static void test_schema_files_compiled(void **state)
{
    (void)state;
    char path[] = "/tmp/sgx-cmd-check-avsc-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *bad = "{\"type\":\"record\",\"name\":\"E\",\"fields\":[{\"name\":\"x\"";
    assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    char yaml[1024];
    snprintf(yaml, sizeof yaml, KAFKA "topics: [t]\ndead_letter_topic: dlq\nschema_registry:\n"
             "  schemas:\n    7: %s\ndestinations:\n  - name: meta\n    type: facebook\n"
             "    settings:\n      access_token: tok\n    segments:\n      s1: \"1\"\n", path);
    expect_refused(yaml, "schema_registry.schemas: 7", path);
    unlink(path);
    expect_refused(yaml, "schema_registry.schemas: 7", "/tmp/sgx-cmd-check-avsc-");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_config_passes),
        cmocka_unit_test(test_unknown_property),
        cmocka_unit_test(test_invalid_value),
        cmocka_unit_test(test_invalid_combination),
        cmocka_unit_test(test_audience_refused_by_check),
        cmocka_unit_test(test_schema_files_compiled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
