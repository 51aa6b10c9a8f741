/* Meta through the REAL pipeline and dispatcher with one segment mapped to "": mock Kafka cluster,
 * registry double, the Meta emulator, the demo's event generator. The segment's first ENTER batch
 * searches the ad account by name, creates the audience once, and every later batch (ENTER and
 * EXIT, the removals in the query string cut to the URL bound) uses the recorded id. Every
 * audience must then hold exactly the generator's truth and every offset be committed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "base/log.h"
#include "base/mem.h"
#include "config/config.h"
#include "emulators/facebook.h"
#include "tests/testkit/testkit.h"

#define SEGMENTS 4
#define CREATED 2 /* seg-02 is mapped to "" */

/* The demo's Meta destination, with an ad account and seg-02 left to be found or created. */
static sgx_err_t config(sgx_testkit_t *kit, char *errbuf)
{
    sgx_demo_env_t *env = &kit->env;
    sgx_buf_t y = {0};
    char line[1024];
    snprintf(line, sizeof line,
             "kafka:\n  bootstrap.servers: \"%.200s\"\n  group.id: %s\n"
             "  session.timeout.ms: 6000\n  log_level: 3\n"
             "topics: [%s]\ndead_letter_topic: %s\n"
             "schema_registry:\n  url: http://127.0.0.1:%u\n"
             "workers: 2\nretry_base_ms: 50\nretry_cap_ms: 1000\n"
             "destinations:\n  - name: meta\n    type: facebook\n    settings:\n"
             "      access_token: %s\n      app_secret: demo-app-secret\n"
             "      ad_account_id: act_42\n      base_url: http://127.0.0.1:%u\n"
             "    limits:\n      linger_ms: 50\n    segments:\n",
             env->bootstrap, SGX_TESTKIT_GROUP, env->topic, env->dlq_topic,
             (unsigned)sgx_emu_registry_port(env->registry), SGX_TESTKIT_TOKEN,
             (unsigned)sgx_emu_fb_port(env->fb));
    sgx_buf_puts(&y, line);
    for (size_t s = 0; s < SEGMENTS; s++) {
        snprintf(line, sizeof line, "      seg-%02zu: \"%s\"\n", s,
                 s == CREATED ? "" : env->audience_ids[s]);
        sgx_buf_puts(&y, line);
    }
    sgx_config_free(env->cfg);
    env->cfg = NULL;
    sgx_err_t err = sgx_config_parse(y.data, y.len, &env->cfg, errbuf);
    sgx_buf_free(&y);
    return err;
}

static void test_audience_created_once(void **state)
{
    (void)state;
    sgx_testkit_t kit;
    memset(&kit, 0, sizeof kit);
    sgx_demo_opts_t o = {.events = 6000, .profiles = 500, .segments = SEGMENTS,
                         .partitions = 2, .bad = 3, .seed = 17};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_up(&kit, &o, NULL, errbuf)) {
        fail_msg("setup: %s", errbuf);
    }
    /* The demo pre-creates every audience; this one must come from the connector. */
    sgx_emu_fb_delete_audience(kit.env.fb, kit.env.audience_ids[CREATED]);
    if (config(&kit, errbuf) || sgx_testkit_start_pipeline(&kit, errbuf)) {
        fail_msg("config/pipeline: %s", errbuf);
    }
    kit.o.window = 50000;
    if (sgx_testkit_start_gen(&kit, true, errbuf)) {
        fail_msg("generator: %s", errbuf);
    }
    sgx_testkit_join_gen(&kit);
    assert_true(sgx_testkit_wait_final(&kit, 0, 60000));
    sgx_stats_t *st = sgx_pipeline_stats(kit.pipe);
    assert_int_equal(SGX_GET(st->dest[0].audiences_created), 1);
    assert_int_equal(SGX_GET(st->dest[0].rows_rejected), 0);
    char id[32];
    assert_true(sgx_emu_fb_find_audience(kit.env.fb, "seg-02", id, sizeof id));
    sgx_free(kit.env.audience_ids[CREATED]);
    kit.env.audience_ids[CREATED] = sgx_strdup(id);
    sgx_emu_fb_stats_t es;
    sgx_emu_fb_stats(kit.env.fb, &es);
    assert_true(es.remove_requests > 0);
    sgx_testkit_stop_pipeline(&kit, true); /* commits the offsets */
    char report[512];
    bool ok = sgx_testkit_final_state(&kit, o.partitions,
                                      (int64_t)atomic_load(&kit.truth.produced), report,
                                      sizeof report);
    if (!ok) {
        fail_msg("%s", report);
    }
    sgx_testkit_down(&kit);
}

int main(void)
{
    sgx_log_set_level(getenv("FB_DEBUG") ? SGX_LOG_INFO : SGX_LOG_ERROR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audience_created_once),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
