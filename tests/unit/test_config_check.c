/* What `segexport check` refuses that a plain parse used to accept (issue 12): duplicate YAML
 * keys, retry_base_ms above retry_cap_ms, an unknown default_country, an empty *_file, ${VAR}
 * in every string value (and an empty one where empty is invalid), group/world-readable secret
 * files (a warning naming the path, never the content). Each rejection names the key and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

#define KAFKA "kafka:\n  bootstrap.servers: \"127.0.0.1:9092\"\n  group.id: segexport-test\n"
#define TOPICS "topics: [events-a]\n"
#define DLQ "dead_letter_topic: segexport-dlq\n"
#define REG "schema_registry:\n  url: http://127.0.0.1:8081\n"
#define DEST_HEAD "destinations:\n  - name: meta\n    type: facebook\n"
#define SETTINGS "    settings:\n      access_token: tok-123\n"
#define SEGMENTS "    segments:\n      seg-a: \"111\"\n"
#define DEST DEST_HEAD SETTINGS SEGMENTS

static sgx_config_t *parse_ok(const char *yaml)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_config_t *cfg = NULL;
    if (sgx_config_parse(yaml, strlen(yaml), &cfg, errbuf)) {
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
    sgx_config_free(cfg);
    if (err == SGX_OK) {
        fail_msg("accepted a bad config (expected '%s')", frag1);
    }
    assert_int_equal(err, SGX_ERR_CONFIG);
    if (!strstr(errbuf, frag1) || (frag2 && !strstr(errbuf, frag2))) {
        fail_msg("message '%s' lacks '%s'/'%s'", errbuf, frag1, frag2 ? frag2 : "");
    }
}

static void write_file(char *path, size_t cap, const char *text, mode_t mode)
{
    snprintf(path, cap, "/tmp/sgx-test-cfgcheck-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, mode), 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_duplicate_yaml_key(void **state)
{
    (void)state;
    /* Top level: workers given twice, the second on line 7. */
    parse_err(KAFKA TOPICS DLQ "workers: 2\nworkers: 4\n" REG DEST, "line 7",
              "duplicate key 'workers' (first at line 6)");
    /* Nested: a setting given twice; first-wins would silently use the old token. */
    parse_err(KAFKA TOPICS DLQ REG DEST_HEAD SETTINGS "      access_token: tok-new\n" SEGMENTS,
              "line 13", "duplicate key 'access_token' (first at line 12)");
    /* A duplicate map-valued key names the key's own line, not its value's. */
    parse_err(KAFKA TOPICS DLQ REG "schema_registry:\n  url: http://x\n" DEST, "line 8",
              "duplicate key 'schema_registry' (first at line 6)");
    parse_err(KAFKA TOPICS DLQ REG DEST_HEAD SETTINGS "    segments:\n      seg-a: \"1\"\n"
              "      seg-a: \"2\"\n", "line 15", "duplicate key 'seg-a' (first at line 14)");
}

static void test_retry_base_above_cap(void **state)
{
    (void)state;
    parse_err(KAFKA TOPICS DLQ REG "retry_base_ms: 5000\nretry_cap_ms: 1000\n" DEST, "line 8",
              "retry_base_ms (5000) must not exceed retry_cap_ms (1000)");
    /* Only the cap given, below the default base (200). */
    parse_err(KAFKA TOPICS DLQ REG "retry_cap_ms: 100\n" DEST, "line 8", "retry_base_ms (200)");
    sgx_config_free(parse_ok(KAFKA TOPICS DLQ REG "retry_base_ms: 1000\nretry_cap_ms: 1000\n"
                             DEST));
}

static void test_unknown_default_country(void **state)
{
    (void)state;
    parse_err(KAFKA TOPICS DLQ REG DEST_HEAD SETTINGS "      default_country: XQ\n" SEGMENTS,
              "line 13: destination meta: default_country 'XQ' is not a known country", NULL);
    sgx_config_t *cfg =
        parse_ok(KAFKA TOPICS DLQ REG DEST_HEAD SETTINGS "      default_country: FR\n" SEGMENTS);
    assert_string_equal(cfg->dests[0].default_country, "FR");
    sgx_config_free(cfg);
}

static void test_empty_secret_file(void **state)
{
    (void)state;
    char secret[64], yaml[1024];
    write_file(secret, sizeof secret, "\n", 0600); /* only a newline: empty once trimmed */
    snprintf(yaml, sizeof yaml,
             KAFKA TOPICS DLQ REG DEST_HEAD "    settings:\n      access_token_file: %s\n" SEGMENTS,
             secret);
    parse_err(yaml, "line 12: access_token_file: file", "is empty");
    unlink(secret);
}

/* stderr goes to a file while fn runs; returns what was logged (owned). */
static char *capture_stderr(const char *yaml, bool expect_ok)
{
    char logpath[64];
    write_file(logpath, sizeof logpath, "", 0600);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *lf = fopen(logpath, "w");
    assert_non_null(lf);
    dup2(fileno(lf), STDERR_FILENO);
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_config_t *cfg = NULL;
    sgx_err_t err = sgx_config_parse(yaml, strlen(yaml), &cfg, errbuf);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fclose(lf);
    sgx_config_free(cfg);
    assert_int_equal(err == SGX_OK, expect_ok);
    FILE *f = fopen(logpath, "r");
    char *buf = calloc(1, 8192);
    size_t n = fread(buf, 1, 8191, f);
    buf[n] = '\0';
    fclose(f);
    unlink(logpath);
    return buf;
}

static void test_readable_secret_warns(void **state)
{
    (void)state;
    char secret[64], yaml[1024];
    write_file(secret, sizeof secret, "very-secret-token\n", 0644);
    snprintf(yaml, sizeof yaml,
             KAFKA TOPICS DLQ REG DEST_HEAD "    settings:\n      access_token_file: %s\n" SEGMENTS,
             secret);
    char *log = capture_stderr(yaml, true);
    assert_non_null(strstr(log, "WARN"));
    assert_non_null(strstr(log, secret));           /* names the file */
    assert_non_null(strstr(log, "0644"));
    assert_null(strstr(log, "very-secret-token"));  /* never the content */
    free(log);
    /* 0600: silent. */
    assert_int_equal(chmod(secret, 0600), 0);
    log = capture_stderr(yaml, true);
    assert_null(strstr(log, secret));
    free(log);
    unlink(secret);
}

static void test_env_in_every_string(void **state)
{
    (void)state;
    setenv("SGX_T_TOPIC", "events-env", 1);
    setenv("SGX_T_DLQ", "dlq-env", 1);
    setenv("SGX_T_SEG", "seg-env", 1);
    setenv("SGX_T_AUD", "424242", 1);
    setenv("SGX_T_FIELD", "contact.mail", 1);
    setenv("SGX_T_SCHEMA", "/tmp/schema-env.avsc", 1);
    sgx_config_t *cfg = parse_ok(
        KAFKA "topics: [\"${SGX_T_TOPIC}\", plain]\ndead_letter_topic: ${SGX_T_DLQ}\n"
        "schema_registry:\n  schemas:\n    7: ${SGX_T_SCHEMA}\n"
        "mapping:\n  email: ${SGX_T_FIELD}\n" DEST_HEAD SETTINGS
        "    segments:\n      ${SGX_T_SEG}: ${SGX_T_AUD}\n      lit: \"\"\n");
    assert_string_equal(cfg->topics[0], "events-env");
    assert_string_equal(cfg->topics[1], "plain");
    assert_string_equal(cfg->dead_letter_topic, "dlq-env");
    assert_string_equal(cfg->schema_files[0].path, "/tmp/schema-env.avsc");
    assert_string_equal(cfg->mapping.fields[SGX_F_EMAIL], "contact.mail");
    assert_string_equal(cfg->dests[0].segments[0], "seg-env");
    assert_string_equal(cfg->dests[0].audience_ids[0], "424242");
    assert_string_equal(cfg->dests[0].audience_ids[1], ""); /* a literal "" still means create */
    sgx_config_free(cfg);
}

static void test_env_empty_where_invalid(void **state)
{
    (void)state;
    setenv("SGX_T_EMPTY", "", 1);
    parse_err(KAFKA "topics: [\"${SGX_T_EMPTY}\"]\n" DLQ REG DEST, "line 4: topics: entry",
              "is empty after expanding");
    parse_err(KAFKA TOPICS "dead_letter_topic: \"${SGX_T_EMPTY}\"\n" REG DEST,
              "line 5: dead_letter_topic is empty", NULL);
    parse_err(KAFKA TOPICS DLQ "schema_registry:\n  url: \"${SGX_T_EMPTY}\"\n" DEST,
              "line 7: schema_registry.url is empty", NULL);
    parse_err(KAFKA TOPICS DLQ REG "mapping:\n  email: \"${SGX_T_EMPTY}\"\n" DEST,
              "line 9: mapping.email is empty", NULL);
    parse_err(KAFKA TOPICS DLQ REG DEST_HEAD SETTINGS
              "    segments:\n      seg-a: \"${SGX_T_EMPTY}\"\n",
              "line 14: destination meta: audience id of segment 'seg-a' is empty", NULL);
    parse_err(KAFKA TOPICS DLQ REG DEST_HEAD SETTINGS
              "    segments:\n      \"${SGX_T_EMPTY}\": \"1\"\n",
              "line 14: destination meta: segment id is empty", NULL);
    unsetenv("SGX_T_UNSET_X");
    parse_err(KAFKA TOPICS "dead_letter_topic: ${SGX_T_UNSET_X}\n" REG DEST, "SGX_T_UNSET_X",
              "not set");
}

/* Parses (must succeed), then sgx_config_check: refused with a message containing frag. */
static void check_err(const char *yaml, const char *frag1, const char *frag2)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_config_t *cfg = parse_ok(yaml);
    sgx_err_t err = sgx_config_check(cfg, errbuf);
    sgx_config_free(cfg);
    if (err == SGX_OK) {
        fail_msg("check accepted a bad config (expected '%s')", frag1);
    }
    assert_int_equal(err, SGX_ERR_CONFIG);
    if (!strstr(errbuf, frag1) || (frag2 && !strstr(errbuf, frag2))) {
        fail_msg("message '%s' lacks '%s'/'%s'", errbuf, frag1, frag2 ? frag2 : "");
    }
}

static void check_ok(const char *yaml)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_config_t *cfg = parse_ok(yaml);
    if (sgx_config_check(cfg, errbuf)) {
        fail_msg("check refused a good config: %s", errbuf);
    }
    sgx_config_free(cfg);
}

#define BASE KAFKA TOPICS DLQ REG
#define CRITEO(extra) "destinations:\n  - name: crt\n    type: criteo\n    settings:\n" \
    "      client_id: c\n      client_secret: s\n" extra
#define DD "destinations:\n  - name: dd\n    type: dotdigital\n    settings:\n" \
    "      api_user: u@example.com\n      api_password: p\n"
#define MS "destinations:\n  - name: ms\n    type: microsoft_ads\n    settings:\n" \
    "      customer_id: \"1\"\n      account_id: \"2\"\n      developer_token: d\n" \
    "      client_id: c\n      refresh_token: r\n"

static void test_audience_ids_per_connector(void **state)
{
    (void)state;
    /* Meta: Graph ids are numbers; "" finds or creates the audience, which needs ad_account_id. */
    check_err(BASE DEST_HEAD SETTINGS "    segments:\n      seg-a: aud-1\n",
              "destination meta: segment 'seg-a'", "custom audience id 'aud-1' must be a number");
    check_err(BASE DEST_HEAD SETTINGS "    segments:\n      seg-a: \"\"\n",
              "destination meta: segment 'seg-a'", "set ad_account_id");
    check_ok(BASE DEST);
    check_ok(BASE DEST_HEAD SETTINGS "      ad_account_id: act_42\n"
                  "    segments:\n      seg-a: \"\"\n");
    /* Criteo: numbers; "" creates a segment, which needs advertiser_id. */
    check_err(BASE CRITEO("") "    segments:\n      s1: \"12/34\"\n", "segment 's1'",
              "audience segment id '12/34' must be a number");
    check_err(BASE CRITEO("") "    segments:\n      s1: \"\"\n", "destination crt: segment 's1'",
              "advertiser_id");
    check_ok(BASE CRITEO("      advertiser_id: \"55\"\n") "    segments:\n      s1: \"\"\n");
    /* Dotdigital: numeric address books, no creation. */
    check_err(BASE DD "    segments:\n      s1: \"\"\n", "destination dd: segment 's1'",
              "does not create Dotdigital address books");
    check_err(BASE DD "    segments:\n      s1: book\n", "address book id 'book'", NULL);
    check_ok(BASE DD "    segments:\n      s1: \"600001\"\n");
    /* Microsoft: numeric list ids; "" creates a list (no extra setting needed). */
    check_err(BASE MS "    segments:\n      s1: \"-10\"\n", "customer list id '-10'", NULL);
    check_ok(BASE MS "    segments:\n      s1: \"\"\n      s2: \"8100000001\"\n");
}

static void test_connector_settings_checked(void **state)
{
    (void)state;
    /* What init refuses, check refuses (run would fail at start). */
    check_err(BASE DEST_HEAD SETTINGS "      ad_account_id: act_x1\n" SEGMENTS,
              "destination meta", "ad_account_id");
}

static void test_tls_options(void **state)
{
    (void)state;
    char ca[64], cert[64], key[64], yaml[2048];
    write_file(ca, sizeof ca, "-----BEGIN CERTIFICATE-----\n", 0644);
    write_file(cert, sizeof cert, "-----BEGIN CERTIFICATE-----\n", 0644);
    write_file(key, sizeof key, "-----BEGIN PRIVATE KEY-----\n", 0600);
    snprintf(yaml, sizeof yaml,
             KAFKA TOPICS DLQ "schema_registry:\n  url: https://reg.example\n  ca_file: %s\n"
             "  proxy: http://proxy.example:3128\n" DEST_HEAD "    ca_file: %s\n"
             "    client_cert_file: %s\n    client_key_file: %s\n" SETTINGS SEGMENTS,
             ca, ca, cert, key);
    sgx_config_t *cfg = parse_ok(yaml);
    assert_string_equal(cfg->registry_tls.ca_file, ca);
    assert_string_equal(cfg->registry_tls.proxy, "http://proxy.example:3128");
    assert_null(cfg->registry_tls.cert_file);
    assert_string_equal(cfg->dests[0].tls.ca_file, ca);
    assert_string_equal(cfg->dests[0].tls.cert_file, cert);
    assert_string_equal(cfg->dests[0].tls.key_file, key);
    assert_null(cfg->dests[0].tls.proxy);
    sgx_config_free(cfg);
    /* A certificate without its key. */
    snprintf(yaml, sizeof yaml, BASE DEST_HEAD "    client_cert_file: %s\n" SETTINGS SEGMENTS,
             cert);
    parse_err(yaml, "line 11: destination meta", "client_cert_file and client_key_file go together");
    /* An unreadable CA file fails at check time, not on the first request. */
    snprintf(yaml, sizeof yaml, KAFKA TOPICS DLQ "schema_registry:\n  url: https://r\n"
             "  ca_file: /nonexistent/ca.pem\n" DEST);
    parse_err(yaml, "line 8: schema_registry.ca_file: cannot read /nonexistent/ca.pem", NULL);
    unlink(ca);
    unlink(cert);
    unlink(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicate_yaml_key),
        cmocka_unit_test(test_retry_base_above_cap),
        cmocka_unit_test(test_unknown_default_country),
        cmocka_unit_test(test_empty_secret_file),
        cmocka_unit_test(test_readable_secret_warns),
        cmocka_unit_test(test_env_in_every_string),
        cmocka_unit_test(test_env_empty_where_invalid),
        cmocka_unit_test(test_audience_ids_per_connector),
        cmocka_unit_test(test_connector_settings_checked),
        cmocka_unit_test(test_tls_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
