/* `segexport check --online` against the real surroundings of the demo: a librdkafka mock
 * cluster, the registry double and the four destination emulators, each probe going over
 * loopback HTTP through libcurl. A good configuration gives one `ok` line per check and exit 0;
 * a wrong token, a wrong client secret, an unknown audience and a missing dead-letter topic each
 * give a FAIL line naming what and why (no secret) and a non-zero exit. */
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
#include "cli/demo/demo_env.h"

#define WRONG_TOKEN "wrong-token-Zq81"
#define WRONG_SECRET "wrong-secret-Yp27"

typedef struct {
    sgx_demo_env_t env;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = sgx_calloc(1, sizeof *f);
    sgx_demo_opts_t o = {.events = 1, .profiles = 1, .segments = 2, .partitions = 1,
                         .seed = 1, .dests = (1u << SGX_DEST__COUNT) - 1};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_demo_env_up(&f->env, &o, "segment-membership", "segexport-dlq", errbuf)) {
        fail_msg("environment: %s", errbuf);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    sgx_demo_env_down(&f->env);
    sgx_free(f);
    return 0;
}

/* Runs sgx_cmd_check(cfg, online) with stdout captured; returns the output (owned). */
static char *run_check(const sgx_config_t *cfg, int *rc)
{
    char path[] = "/tmp/sgx-check-online-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    *rc = sgx_cmd_check(cfg, true);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    char *out = sgx_calloc(1, 16384);
    ssize_t n = pread(fd, out, 16383, 0);
    assert_true(n > 0);
    close(fd);
    unlink(path);
    print_message("%s", out);
    return out;
}

static void expect_line(const char *out, const char *line)
{
    if (!strstr(out, line)) {
        fail_msg("output lacks \"%s\"", line);
    }
}

static sgx_dest_config_t *dest(sgx_config_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->ndests; i++) {
        if (strcmp(cfg->dests[i].name, name) == 0) {
            return &cfg->dests[i];
        }
    }
    fail_msg("no destination %s", name);
    return NULL;
}

static void set_setting(sgx_dest_config_t *d, const char *key, const char *value)
{
    for (size_t i = 0; i < d->settings.nsettings; i++) {
        if (strcmp(d->settings.keys[i], key) == 0) {
            sgx_free((char *)d->settings.values[i]);
            ((char **)d->settings.values)[i] = sgx_strdup(value);
            return;
        }
    }
    fail_msg("no setting %s", key);
}

static void test_all_ok(void **state)
{
    fixture_t *f = *state;
    int rc = -1;
    char *out = run_check(f->env.cfg, &rc);
    expect_line(out, "ok   kafka broker");
    expect_line(out, "ok   kafka topic segment-membership\n");
    expect_line(out, "ok   kafka dead-letter topic segexport-dlq\n");
    expect_line(out, "ok   schema registry (GET /subjects)\n");
    char line[160];
    for (size_t s = 0; s < 2; s++) {
        char id[32];
        sgx_demo_audience_id(SGX_DEST_FACEBOOK, s, id, sizeof id);
        snprintf(line, sizeof line, "ok   destination meta: segment seg-%02zu -> audience %s\n", s,
                 id);
        expect_line(out, line);
        sgx_demo_audience_id(SGX_DEST_CRITEO, s, id, sizeof id);
        snprintf(line, sizeof line, "ok   destination criteo: segment seg-%02zu -> audience %s\n",
                 s, id);
        expect_line(out, line);
        sgx_demo_audience_id(SGX_DEST_DOTDIGITAL, s, id, sizeof id);
        snprintf(line, sizeof line,
                 "ok   destination dotdigital: segment seg-%02zu -> audience %s\n", s, id);
        expect_line(out, line);
    }
    expect_line(out, "ok   destination criteo: access token\n");
    expect_line(out, "ok   destination microsoft: access token\n");
    assert_null(strstr(out, "FAIL"));
    assert_int_equal(rc, 0);
    sgx_free(out);
}

static const char *get_setting(const sgx_dest_config_t *d, const char *key)
{
    const char *v = sgx_settings_get(&d->settings, key);
    assert_non_null(v);
    return v;
}

/* With a valid token, an audience Meta does not know: Graph code 100 (subcode 33). */
static void test_meta_unknown_audience(void **state)
{
    fixture_t *f = *state;
    sgx_dest_config_t *meta = dest(f->env.cfg, "meta");
    char *saved = meta->audience_ids[1];
    meta->audience_ids[1] = sgx_strdup("238509999999999");
    int rc = -1;
    char *out = run_check(f->env.cfg, &rc);
    sgx_free(meta->audience_ids[1]);
    meta->audience_ids[1] = saved;
    assert_int_not_equal(rc, 0);
    char id[32], line[160];
    sgx_demo_audience_id(SGX_DEST_FACEBOOK, 0, id, sizeof id);
    snprintf(line, sizeof line, "ok   destination meta: segment seg-00 -> audience %s\n", id);
    expect_line(out, line);
    expect_line(out, "FAIL destination meta: segment seg-01 -> audience 238509999999999: "
                     "meta_100: audience not found or not readable (HTTP 400)");
    expect_line(out, "1 online check(s) failed");
    sgx_free(out);
}

static void test_failures_named(void **state)
{
    fixture_t *f = *state;
    sgx_config_t *cfg = f->env.cfg;
    assert_string_not_equal(get_setting(dest(cfg, "meta"), "access_token"), WRONG_TOKEN);
    set_setting(dest(cfg, "meta"), "access_token", WRONG_TOKEN);
    set_setting(dest(cfg, "criteo"), "client_secret", WRONG_SECRET);
    set_setting(dest(cfg, "microsoft"), "refresh_token", WRONG_TOKEN);
    sgx_dest_config_t *dd = dest(cfg, "dotdigital");
    sgx_free(dd->audience_ids[1]);
    dd->audience_ids[1] = sgx_strdup("3309999");
    sgx_free(cfg->dead_letter_topic);
    cfg->dead_letter_topic = sgx_strdup("no-such-dlq");
    int rc = -1;
    char *out = run_check(cfg, &rc);
    assert_int_not_equal(rc, 0);
    expect_line(out, "FAIL kafka dead-letter topic no-such-dlq: not found");
    expect_line(out, "ok   kafka topic segment-membership\n");
    expect_line(out, "FAIL destination meta: segment seg-00 -> audience");
    expect_line(out, "meta_190: access token invalid or expired");
    expect_line(out, "FAIL destination criteo: access token:");
    expect_line(out, "FAIL destination dotdigital: segment seg-01 -> audience 3309999: "
                     "dotdigital: audience not found (HTTP 404)");
    char id[32], line[160];
    sgx_demo_audience_id(SGX_DEST_DOTDIGITAL, 0, id, sizeof id);
    snprintf(line, sizeof line, "ok   destination dotdigital: segment seg-00 -> audience %s\n", id);
    expect_line(out, line);
    expect_line(out, "FAIL destination microsoft: access token:");
    expect_line(out, "6 online check(s) failed");
    /* Never a secret, not even a wrong one. */
    assert_null(strstr(out, WRONG_TOKEN));
    assert_null(strstr(out, WRONG_SECRET));
    sgx_free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_ok),
        cmocka_unit_test(test_meta_unknown_audience),
        cmocka_unit_test(test_failures_named),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
