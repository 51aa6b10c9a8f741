#include "cli/demo/demo_env.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "codecs/schema_canonical.h"

#define DEMO_TOKEN "demo-access-token"
#define DEMO_SECRET "demo-app-secret"

static sgx_err_t start_kafka(sgx_demo_env_t *env, const sgx_demo_opts_t *o, char *errbuf)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
    env->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, SGX_ERRBUF_SIZE);
    if (!env->mock_rk) {
        rd_kafka_conf_destroy(conf);
        return SGX_ERR_KAFKA;
    }
    env->mock = rd_kafka_mock_cluster_new(env->mock_rk, 1);
    if (!env->mock) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "cannot start the mock cluster");
        return SGX_ERR_KAFKA;
    }
    snprintf(env->bootstrap, sizeof env->bootstrap, "%s",
             rd_kafka_mock_cluster_bootstraps(env->mock));
    if (rd_kafka_mock_topic_create(env->mock, env->topic, o->partitions, 1) ||
        rd_kafka_mock_topic_create(env->mock, env->dlq_topic, 1, 1)) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "cannot create the demo topics");
        return SGX_ERR_KAFKA;
    }
    return SGX_OK;
}

static sgx_err_t start_services(sgx_demo_env_t *env, const sgx_demo_opts_t *o, char *errbuf)
{
    const char *schema = sgx_schema_canonical();
    sgx_emu_fb_opts_t fo = {.listen_host = "127.0.0.1", .access_token = DEMO_TOKEN,
                            .app_secret = DEMO_SECRET};
    bool meta = env->dests & (1u << SGX_DEST_FACEBOOK);
    if (sgx_emu_registry_start("127.0.0.1", 0, &env->registry) ||
        sgx_emu_registry_register(env->registry, "segment-membership-value", schema,
                                  &env->schema_id) ||
        (meta && sgx_emu_fb_start(&fo, &env->fb))) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "cannot start the registry or the Meta emulator");
        return SGX_ERR_UNAVAILABLE;
    }
    env->nsegments = o->segments;
    env->audience_ids = sgx_calloc(o->segments, sizeof(char *));
    for (size_t s = 0; s < o->segments; s++) {
        char id[32];
        sgx_demo_audience_id(SGX_DEST_FACEBOOK, s, id, sizeof id);
        env->audience_ids[s] = sgx_strdup(id);
        if (meta) {
            sgx_emu_fb_add_audience(env->fb, id);
        }
    }
    return sgx_demo_dests_start(env, errbuf);
}

/* The demo's configuration goes through the same YAML parser as a real one. */
static sgx_err_t make_config(sgx_demo_env_t *env, char *errbuf)
{
    sgx_buf_t y = {0};
    char line[1024];
    snprintf(line, sizeof line,
             "kafka:\n  bootstrap.servers: \"%.200s\"\n  group.id: segexport-demo\n"
             "  session.timeout.ms: 6000\n  log_level: 4\n"
             "topics: [%s]\ndead_letter_topic: %s\n"
             "schema_registry:\n  url: http://127.0.0.1:%u\n"
             "workers: 2\nmax_inflight_events: 200000\nshutdown_grace_ms: 30000\n"
             "retry_base_ms: 100\nretry_cap_ms: 5000\n",
             env->bootstrap, env->topic, env->dlq_topic,
             (unsigned)sgx_emu_registry_port(env->registry));
    sgx_buf_puts(&y, line);
    sgx_buf_puts(&y, "destinations:\n");
    if (env->fb) {
        snprintf(line, sizeof line,
                 "  - name: meta\n    type: facebook\n    settings:\n"
                 "      access_token: %s\n      app_secret: %s\n      keys: EMAIL,PHONE\n"
                 "      base_url: http://127.0.0.1:%u\n    segments:\n",
                 DEMO_TOKEN, DEMO_SECRET, (unsigned)sgx_emu_fb_port(env->fb));
        sgx_buf_puts(&y, line);
        for (size_t s = 0; s < env->nsegments; s++) {
            snprintf(line, sizeof line, "      seg-%02zu: \"%s\"\n", s, env->audience_ids[s]);
            sgx_buf_puts(&y, line);
        }
    }
    sgx_demo_dests_yaml(env, &y);
    sgx_err_t err = sgx_config_parse(y.data, y.len, &env->cfg, errbuf);
    sgx_buf_free(&y);
    return err;
}

sgx_err_t sgx_demo_env_up(sgx_demo_env_t *env, const sgx_demo_opts_t *o, const char *topic,
                          const char *dlq_topic, char *errbuf)
{
    memset(env, 0, sizeof *env);
    env->topic = topic;
    env->dlq_topic = dlq_topic;
    env->partitions = o->partitions;
    env->dests = sgx_demo_dests(o);
    sgx_err_t err = start_kafka(env, o, errbuf);
    if (!err) {
        err = start_services(env, o, errbuf);
    }
    if (!err) {
        err = make_config(env, errbuf);
    }
    return err;
}

void sgx_demo_env_down(sgx_demo_env_t *env)
{
    sgx_config_free(env->cfg);
    sgx_emu_fb_stop(env->fb);
    sgx_demo_dests_stop(env);
    sgx_emu_registry_stop(env->registry);
    if (env->mock) {
        rd_kafka_mock_cluster_destroy(env->mock);
    }
    if (env->mock_rk) {
        rd_kafka_destroy(env->mock_rk);
    }
    for (size_t s = 0; env->audience_ids && s < env->nsegments; s++) {
        sgx_free(env->audience_ids[s]);
    }
    sgx_free(env->audience_ids);
    memset(env, 0, sizeof *env);
}
