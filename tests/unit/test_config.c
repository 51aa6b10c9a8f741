/* Configuration parsing (config.h): a valid file yields the values, defaults and lowered
 * limits it says; each kind of mistake is refused with a message naming what is wrong, and no
 * partly built configuration leaks (ASan). */
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

#include "config/config.h"

/* The sections of a valid file; tests replace one section at a time. */
#define KAFKA "kafka:\n  bootstrap.servers: \"127.0.0.1:9092\"\n  group.id: segexport-test\n"
#define TOPICS "topics: [events-a, events-b]\n"
#define DLQ "dead_letter_topic: segexport-dlq\n"
#define REG "schema_registry:\n  url: http://127.0.0.1:8081\n"
#define DEST_HEAD "destinations:\n  - name: meta\n    type: facebook\n"
#define SETTINGS "    settings:\n      access_token: tok-123\n"
#define SEGMENTS "    segments:\n      seg-a: \"111\"\n      seg-b: \"222\"\n"
#define DEST DEST_HEAD SETTINGS SEGMENTS

static sgx_config_t *parse_ok(const char *yaml)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_config_t *cfg = NULL;
    sgx_err_t err = sgx_config_parse(yaml, strlen(yaml), &cfg, errbuf);
    if (err) {
        fail_msg("unexpected config error: %s", errbuf);
    }
    assert_non_null(cfg);
    return cfg;
}

/* Refused, with a message containing every given fragment. */
static void parse_err(const char *yaml, const char *frag1, const char *frag2)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_config_t *cfg = NULL;
    sgx_err_t err = sgx_config_parse(yaml, strlen(yaml), &cfg, errbuf);
    sgx_config_free(cfg); /* a bug that returns a config anyway must not also leak */
    if (err == SGX_OK) {
        fail_msg("accepted a bad config (expected '%s')", frag1);
    }
    assert_int_equal(err, SGX_ERR_CONFIG);
    if (!strstr(errbuf, frag1) || (frag2 && !strstr(errbuf, frag2))) {
        fail_msg("message '%s' lacks '%s'/'%s'", errbuf, frag1, frag2 ? frag2 : "");
    }
}

static const char *setting(const sgx_dest_config_t *d, const char *key)
{
    return sgx_settings_get(&d->settings, key);
}

static void test_valid_values_and_defaults(void **state)
{
    (void)state;
    sgx_config_t *cfg = parse_ok(KAFKA "  session.timeout.ms: 6000\n" TOPICS DLQ REG DEST);
    assert_string_equal(sgx_config_kafka(cfg, "group.id"), "segexport-test");
    assert_string_equal(sgx_config_kafka(cfg, "session.timeout.ms"), "6000");
    assert_null(sgx_config_kafka(cfg, "client.id"));
    assert_int_equal(cfg->ntopics, 2);
    assert_string_equal(cfg->topics[1], "events-b");
    assert_string_equal(cfg->dead_letter_topic, "segexport-dlq");
    assert_string_equal(cfg->registry_url, "http://127.0.0.1:8081");
    /* Defaults from config.c parse_limits. */
    assert_int_equal(cfg->workers, 2);
    assert_int_equal(cfg->max_inflight_events, 100000);
    assert_int_equal(cfg->max_uncommitted_span, 500000);
    assert_int_equal(cfg->max_record_bytes, 1 << 20);
    assert_int_equal(cfg->shutdown_grace_ms, 10000);
    assert_int_equal(cfg->retry_base_ms, 200);
    assert_int_equal(cfg->retry_cap_ms, 30000);
    assert_int_equal(cfg->request_timeout_ms, 30000);
    assert_int_equal(cfg->ndests, 1);
    const sgx_dest_config_t *d = &cfg->dests[0];
    assert_string_equal(d->name, "meta");
    assert_non_null(d->def);
    assert_string_equal(d->def->name, "facebook");
    assert_string_equal(setting(d, "access_token"), "tok-123");
    assert_non_null(setting(d, "base_url")); /* connector default filled in */
    assert_int_equal(d->naudiences, 2);
    assert_string_equal(d->segments[0], "seg-a");
    assert_string_equal(d->audience_ids[1], "222");
    /* No limits given: the connector's own. */
    assert_int_equal(d->limits.max_rows, d->def->limits.max_rows);
    assert_int_equal(d->limits.linger_ms, d->def->limits.linger_ms);
    sgx_config_free(cfg);
}

static void test_valid_overrides_and_lowered_limits(void **state)
{
    (void)state;
    sgx_config_t *cfg = parse_ok(
        KAFKA TOPICS DLQ REG
        "workers: 5\nmax_inflight_events: 5000\nmax_record_bytes: 2048\n"
        "shutdown_grace_ms: 0\nretry_base_ms: 10\nretry_cap_ms: 500\nrequest_timeout_ms: 1000\n"
        "max_uncommitted_span: 4000\n"
        "mapping:\n  profile_id: user_id\n  email: contact.email\n"
        DEST "    limits:\n      max_rows: 500\n      max_inflight: 2\n      linger_ms: 0\n");
    assert_int_equal(cfg->workers, 5);
    assert_int_equal(cfg->max_inflight_events, 5000);
    assert_int_equal(cfg->max_record_bytes, 2048);
    assert_int_equal(cfg->shutdown_grace_ms, 0);
    assert_int_equal(cfg->retry_base_ms, 10);
    assert_int_equal(cfg->retry_cap_ms, 500);
    assert_int_equal(cfg->request_timeout_ms, 1000);
    assert_int_equal(cfg->max_uncommitted_span, 4000);
    assert_string_equal(cfg->mapping.profile_id, "user_id");
    assert_string_equal(cfg->mapping.fields[SGX_F_EMAIL], "contact.email");
    const sgx_dest_config_t *d = &cfg->dests[0];
    assert_int_equal(d->limits.max_rows, 500);
    assert_int_equal(d->limits.max_inflight, 2);
    assert_int_equal(d->limits.linger_ms, 0);
    assert_int_equal(d->limits.max_bytes, d->def->limits.max_bytes);
    sgx_config_free(cfg);
}

static void test_env_expansion(void **state)
{
    (void)state;
    setenv("SGX_TEST_TOKEN", "from-env", 1);
    setenv("SGX_TEST_GROUP", "grp", 1);
    sgx_config_t *cfg = parse_ok(
        "kafka:\n  bootstrap.servers: \"127.0.0.1:9092\"\n  group.id: pre-${SGX_TEST_GROUP}-post\n"
        TOPICS DLQ REG DEST_HEAD "    settings:\n      access_token: ${SGX_TEST_TOKEN}\n"
        SEGMENTS);
    assert_string_equal(sgx_config_kafka(cfg, "group.id"), "pre-grp-post");
    assert_string_equal(setting(&cfg->dests[0], "access_token"), "from-env");
    sgx_config_free(cfg);
    unsetenv("SGX_TEST_TOKEN");
    unsetenv("SGX_TEST_GROUP");
}

/* Writes text to a fresh temp file; path receives its name. */
static void write_temp(char *path, size_t cap, const char *text)
{
    snprintf(path, cap, "/tmp/sgx-test-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_secret_file(void **state)
{
    (void)state;
    char secret[64], yaml[1024];
    write_temp(secret, sizeof secret, "s3cret-token\n");
    snprintf(yaml, sizeof yaml,
             KAFKA TOPICS DLQ REG DEST_HEAD "    settings:\n      access_token_file: %s\n" SEGMENTS,
             secret);
    sgx_config_t *cfg = parse_ok(yaml);
    /* Stored under the setting's own name, trailing newline dropped. */
    assert_string_equal(setting(&cfg->dests[0], "access_token"), "s3cret-token");
    sgx_config_free(cfg);
    unlink(secret);
    parse_err(yaml, "access_token", "cannot read");
}

/* `segexport check -c FILE` loads through sgx_config_load. */
static void test_load_file(void **state)
{
    (void)state;
    char path[64];
    write_temp(path, sizeof path, KAFKA TOPICS DLQ REG DEST);
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_config_t *cfg = NULL;
    assert_int_equal(sgx_config_load(path, &cfg, errbuf), SGX_OK);
    assert_string_equal(cfg->dests[0].name, "meta");
    sgx_config_free(cfg);
    unlink(path);
    cfg = NULL;
    assert_int_equal(sgx_config_load(path, &cfg, errbuf), SGX_ERR_CONFIG);
    assert_null(cfg);
    assert_non_null(strstr(errbuf, path));
}

static void test_errors_top_level(void **state)
{
    (void)state;
    parse_err("kafka:\n  bootstrap.servers: x\n" TOPICS DLQ REG DEST, "group.id", NULL);
    parse_err(KAFKA TOPICS DLQ REG "colour: blue\n" DEST, "unknown key 'colour'", "top level");
    parse_err(KAFKA TOPICS DLQ "schema_registry:\n  other: 1\n" DEST, "unknown key 'other'",
              "schema_registry");
    parse_err(KAFKA TOPICS DLQ "schema_registry: {}\n" DEST, "schema_registry", "url");
    parse_err(KAFKA TOPICS REG DEST, "dead_letter_topic", NULL);
    parse_err(KAFKA "topics: []\n" DLQ REG DEST, "topics", NULL);
    parse_err(KAFKA TOPICS DLQ REG, "destinations", NULL);
    parse_err(KAFKA TOPICS DLQ REG "mapping:\n  shoe_size: s\n" DEST, "mapping.shoe_size", NULL);
}

static void test_errors_destinations(void **state)
{
    (void)state;
    parse_err(KAFKA TOPICS DLQ REG "destinations:\n  - name: x\n    type: myspace\n" SETTINGS
              SEGMENTS, "unknown type 'myspace'", NULL);
    parse_err(KAFKA TOPICS DLQ REG DEST_HEAD SETTINGS "      colour: blue\n" SEGMENTS,
              "unknown setting 'colour'", "facebook");
    parse_err(KAFKA TOPICS DLQ REG DEST_HEAD "    settings:\n      app_secret: s\n" SEGMENTS,
              "access_token", "required");
    parse_err(KAFKA TOPICS DLQ REG DEST "  - name: meta\n    type: facebook\n" SETTINGS SEGMENTS,
              "'meta'", "twice");
    parse_err(KAFKA TOPICS DLQ REG DEST_HEAD SETTINGS "    segments: [seg-a, seg-b]\n",
              "segments", "meta");
    parse_err(KAFKA TOPICS DLQ REG DEST_HEAD SETTINGS "    segments: seg-a\n", "segments", NULL);
    parse_err(KAFKA TOPICS DLQ REG DEST "    colour: blue\n", "unknown key 'colour'", "meta");
    /* One audience, two segments: two fences for one platform audience. Refused. */
    parse_err(KAFKA TOPICS DLQ REG DEST_HEAD SETTINGS
              "    segments:\n      seg-a: \"111\"\n      seg-b: \"111\"\n",
              "segments 'seg-a' and 'seg-b' both export to audience '111'", "meta");
    /* "" asks for an audience created per segment: not the same audience. */
    sgx_config_t *cfg = parse_ok(KAFKA TOPICS DLQ REG DEST_HEAD SETTINGS
                                 "    segments:\n      seg-a: \"\"\n      seg-b: \"\"\n");
    sgx_config_free(cfg);
}

/* Nothing would ever be committed: librdkafka commits only what segexport stores when
 * auto-commit is on. Refused, with what to do instead. */
static void test_error_auto_commit_off(void **state)
{
    (void)state;
    parse_err("kafka:\n  bootstrap.servers: \"127.0.0.1:9092\"\n  group.id: g\n"
              "  enable.auto.commit: false\n" TOPICS DLQ REG DEST,
              "enable.auto.commit: false is not supported", "auto.commit.interval.ms");
    parse_err("kafka:\n  bootstrap.servers: \"127.0.0.1:9092\"\n  group.id: g\n"
              "  enable.auto.commit: \"0\"\n" TOPICS DLQ REG DEST,
              "enable.auto.commit", NULL);
    sgx_config_t *cfg = parse_ok("kafka:\n  bootstrap.servers: \"127.0.0.1:9092\"\n"
                                 "  group.id: g\n  enable.auto.commit: true\n" TOPICS DLQ REG
                                 DEST);
    sgx_config_free(cfg);
}

static void test_error_unset_env(void **state)
{
    (void)state;
    unsetenv("SGX_TEST_SURELY_UNSET");
    parse_err(KAFKA TOPICS DLQ REG DEST_HEAD
              "    settings:\n      access_token: ${SGX_TEST_SURELY_UNSET}\n" SEGMENTS,
              "SGX_TEST_SURELY_UNSET", "not set");
}

static void test_error_ranges(void **state)
{
    (void)state;
    parse_err(KAFKA TOPICS DLQ REG "workers: 0\n" DEST, "workers", "between 1 and 64");
    parse_err(KAFKA TOPICS DLQ REG "workers: 65\n" DEST, "workers", "between 1 and 64");
    parse_err(KAFKA TOPICS DLQ REG "workers: two\n" DEST, "workers", NULL);
    parse_err(KAFKA TOPICS DLQ REG "workers: 3x\n" DEST, "workers", NULL);
    parse_err(KAFKA TOPICS DLQ REG "max_record_bytes: 10\n" DEST, "max_record_bytes", NULL);
    parse_err(KAFKA TOPICS DLQ REG "retry_base_ms: -5\n" DEST, "retry_base_ms", NULL);
    parse_err(KAFKA TOPICS DLQ REG "request_timeout_ms: 99\n" DEST, "request_timeout_ms", NULL);
    /* Config may lower a connector limit, never raise it. */
    parse_err(KAFKA TOPICS DLQ REG DEST "    limits:\n      max_rows: 10001\n", "max_rows",
              "between 1 and 10000");
    parse_err(KAFKA TOPICS DLQ REG DEST "    limits:\n      max_inflight: 0\n", "max_inflight",
              NULL);
}

/* A connector whose default batch is below the API's cap lets config raise it to the cap. */
static void test_rows_cap(void **state)
{
    (void)state;
#define MSADS                                                                                  \
    "destinations:\n  - name: ms\n    type: microsoft_ads\n    settings:\n"                     \
    "      customer_id: \"1\"\n      account_id: \"2\"\n      developer_token: d\n"          \
    "      client_id: c\n      refresh_token: r\n    segments:\n      seg-a: \"9\"\n"
    sgx_config_t *cfg = parse_ok(KAFKA TOPICS DLQ REG MSADS);
    assert_int_equal(cfg->dests[0].limits.max_rows, 100000);
    sgx_config_free(cfg);
    cfg = parse_ok(KAFKA TOPICS DLQ REG MSADS "    limits:\n      max_rows: 4000000\n");
    assert_int_equal(cfg->dests[0].limits.max_rows, 4000000);
    sgx_config_free(cfg);
    parse_err(KAFKA TOPICS DLQ REG MSADS "    limits:\n      max_rows: 4000001\n", "max_rows",
              "4000000");
#undef MSADS
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_values_and_defaults),
        cmocka_unit_test(test_valid_overrides_and_lowered_limits),
        cmocka_unit_test(test_env_expansion),
        cmocka_unit_test(test_secret_file),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_errors_top_level),
        cmocka_unit_test(test_errors_destinations),
        cmocka_unit_test(test_error_auto_commit_off),
        cmocka_unit_test(test_error_unset_env),
        cmocka_unit_test(test_error_ranges),
        cmocka_unit_test(test_rows_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
