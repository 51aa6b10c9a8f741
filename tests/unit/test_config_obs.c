/* Observability keys (config_obs.c): defaults when absent, values when given, and each kind of
 * mistake refused at parse time (so `check` catches it) with a message naming the key. Also
 * consumer_group_per_destination, whose default depends on the destinations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/config_util.h"
#include "base/log.h"

#define BASE                                                                                   \
    "kafka:\n  bootstrap.servers: \"127.0.0.1:9092\"\n  group.id: g\n"                        \
    "topics: [events]\ndead_letter_topic: dlq\n"                                               \
    "schema_registry:\n  url: http://127.0.0.1:8081\n"                                         \
    "destinations:\n  - name: meta\n    type: facebook\n"                                      \
    "    settings:\n      access_token: tok-123\n"                                             \
    "    segments:\n      seg-a: \"111\"\n"

static sgx_config_t *parse(const char *extra, char *errbuf)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "%s%s", BASE, extra);
    sgx_config_t *cfg = NULL;
    errbuf[0] = '\0';
    if (sgx_config_parse(yaml, strlen(yaml), &cfg, errbuf)) {
        sgx_config_free(cfg);
        return NULL;
    }
    return cfg;
}

static void test_defaults(void **state)
{
    (void)state;
    char err[SGX_ERRBUF_SIZE];
    sgx_config_t *cfg = parse("", err);
    assert_non_null(cfg);
    assert_null(cfg->metrics_listen);
    assert_int_equal(cfg->progress_interval_s, 30);
    assert_int_equal(cfg->ready_blocked_max_ms, 300000);
    assert_int_equal(cfg->liveness_stall_ms, 60000);
    assert_int_equal(cfg->log_format, SGX_LOG_TEXT);
    sgx_config_free(cfg);
}

static void test_values(void **state)
{
    (void)state;
    char err[SGX_ERRBUF_SIZE];
    setenv("SGX_TEST_METRICS_PORT", "9464", 1);
    sgx_config_t *cfg = parse("metrics_listen: \"0.0.0.0:${SGX_TEST_METRICS_PORT}\"\n"
                              "progress_interval_s: 0\nready_blocked_max_ms: 1000\n"
                              "liveness_stall_ms: 5000\nlog_format: json\n",
                              err);
    if (!cfg) {
        fail_msg("%s", err);
    }
    assert_string_equal(cfg->metrics_listen, "0.0.0.0:9464");
    assert_int_equal(cfg->progress_interval_s, 0);
    assert_int_equal(cfg->ready_blocked_max_ms, 1000);
    assert_int_equal(cfg->liveness_stall_ms, 5000);
    assert_int_equal(cfg->log_format, SGX_LOG_JSON);
    sgx_config_free(cfg);
}

static void refused(const char *extra, const char *frag)
{
    char err[SGX_ERRBUF_SIZE];
    sgx_config_t *cfg = parse(extra, err);
    if (cfg) {
        sgx_config_free(cfg);
        fail_msg("accepted: %s", extra);
    }
    if (!strstr(err, frag)) {
        fail_msg("message '%s' lacks '%s'", err, frag);
    }
}

static void test_mistakes(void **state)
{
    (void)state;
    refused("metrics_listen: 9464\n", "metrics_listen");
    refused("metrics_listen: \":9464\"\n", "metrics_listen");
    refused("metrics_listen: \"0.0.0.0:65536\"\n", "metrics_listen");
    refused("metrics_listen: \"0.0.0.0:http\"\n", "metrics_listen");
    refused("metrics_listen: \"[::1:9464\"\n", "metrics_listen");
    refused("metrics_listen: \"${SGX_TEST_UNSET_VARIABLE}:1\"\n", "SGX_TEST_UNSET_VARIABLE");
    refused("log_format: xml\n", "log_format");
    refused("progress_interval_s: -1\n", "progress_interval_s");
    refused("liveness_stall_ms: 10\n", "liveness_stall_ms");
    refused("ready_blocked_max_ms: soon\n", "ready_blocked_max_ms");
}

static void test_split_listen(void **state)
{
    (void)state;
    char host[64];
    int port = -1;
    assert_int_equal(sgx_cfg_split_listen("[::1]:9464", host, sizeof host, &port), SGX_OK);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 9464);
    assert_int_equal(sgx_cfg_split_listen("metrics.local:0", host, sizeof host, &port), SGX_OK);
    assert_string_equal(host, "metrics.local");
    assert_int_equal(port, 0);
    assert_int_equal(sgx_cfg_split_listen("host:", host, sizeof host, &port), SGX_ERR_INVALID);
    assert_int_equal(sgx_cfg_split_listen("a-very-long-host-name:1", host, 8, &port),
                     SGX_ERR_INVALID);
}

#define SECOND_DEST                                                                            \
    "  - name: other\n    type: facebook\n    settings:\n      access_token: tok-456\n"        \
    "    segments:\n      seg-a: \"222\"\n"

static void test_group_per_destination(void **state)
{
    (void)state;
    char err[SGX_ERRBUF_SIZE];
    sgx_config_t *cfg = parse("", err);
    assert_false(cfg->group_per_dest); /* one destination: one group, whatever is said */
    sgx_config_free(cfg);
    cfg = parse("consumer_group_per_destination: true\n", err);
    assert_false(cfg->group_per_dest);
    sgx_config_free(cfg);
    cfg = parse(SECOND_DEST, err);
    assert_false(cfg->group_per_dest); /* off by default (the four-way demo ran 2.4x slower) */
    sgx_config_free(cfg);
    cfg = parse(SECOND_DEST "consumer_group_per_destination: true\n", err);
    assert_true(cfg->group_per_dest);
    sgx_config_free(cfg);
    cfg = parse(SECOND_DEST "consumer_group_per_destination: false\n", err);
    assert_false(cfg->group_per_dest);
    sgx_config_free(cfg);
    assert_null(parse(SECOND_DEST "consumer_group_per_destination: yes please\n", err));
    assert_non_null(strstr(err, "consumer_group_per_destination"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_mistakes),
        cmocka_unit_test(test_split_listen),
        cmocka_unit_test(test_group_per_destination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
