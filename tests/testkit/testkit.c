/* Component-test runner: the demo's surroundings with configuration knobs, the real pipeline
 * and end-state checks. The demo's own files stay untouched; this only composes them. */
#include "tests/testkit/testkit.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/backoff.h"
#include "base/buf.h"
#include "base/mem.h"
#include "pipeline/dispatch_req.h"

/* Must match demo_env.c: the emulator was started with these credentials. */
#define KIT_TOKEN SGX_TESTKIT_TOKEN
#define KIT_SECRET "demo-app-secret"

static int or_default(int v, int def)
{
    return v ? v : def;
}

static void put_limits(sgx_buf_t *y, const sgx_testkit_knobs_t *k)
{
    char line[256];
    if (!k->linger_ms && !k->max_rows && !k->usage_window_ms && !k->max_inflight) {
        return;
    }
    sgx_buf_puts(y, "    limits:\n");
    if (k->linger_ms) {
        snprintf(line, sizeof line, "      linger_ms: %d\n", k->linger_ms < 0 ? 0 : k->linger_ms);
        sgx_buf_puts(y, line);
    }
    if (k->max_rows) {
        snprintf(line, sizeof line, "      max_rows: %d\n", k->max_rows);
        sgx_buf_puts(y, line);
    }
    if (k->usage_window_ms) {
        snprintf(line, sizeof line, "      usage_window_ms: %d\n", k->usage_window_ms);
        sgx_buf_puts(y, line);
    }
    if (k->max_inflight) {
        snprintf(line, sizeof line, "      max_inflight: %d\n", k->max_inflight);
        sgx_buf_puts(y, line);
    }
}

/* The demo's configuration (demo_env.c make_config) with the knobs applied. */
static sgx_err_t make_config(sgx_demo_env_t *env, const sgx_testkit_knobs_t *k, char *errbuf)
{
    sgx_buf_t y = {0};
    char line[1024];
    snprintf(line, sizeof line,
             "kafka:\n  bootstrap.servers: \"%.200s\"\n  group.id: %s\n"
             "  session.timeout.ms: 6000\n  log_level: 3\n",
             env->bootstrap, SGX_TESTKIT_GROUP);
    sgx_buf_puts(&y, line);
    if (k->kafka_extra) {
        sgx_buf_puts(&y, k->kafka_extra);
    }
    snprintf(line, sizeof line,
             "topics: [%s]\ndead_letter_topic: %s\n"
             "schema_registry:\n  url: http://127.0.0.1:%u\n"
             "workers: %d\nmax_inflight_events: %d\nshutdown_grace_ms: %d\n"
             "retry_base_ms: %d\nretry_cap_ms: %d\n",
             env->topic, env->dlq_topic,
             (unsigned)sgx_emu_registry_port(env->registry), or_default(k->workers, 2),
             or_default(k->max_inflight_events, 200000), or_default(k->shutdown_grace_ms, 30000),
             or_default(k->retry_base_ms, 50),
             or_default(k->retry_cap_ms, 2000));
    sgx_buf_puts(&y, line);
    if (k->max_record_bytes) {
        snprintf(line, sizeof line, "max_record_bytes: %zu\n", k->max_record_bytes);
        sgx_buf_puts(&y, line);
    }
    if (k->max_server_wait_ms) {
        snprintf(line, sizeof line, "max_server_wait_ms: %d\n", k->max_server_wait_ms);
        sgx_buf_puts(&y, line);
    }
    if (k->extra) {
        sgx_buf_puts(&y, k->extra);
    }
    snprintf(line, sizeof line,
             "destinations:\n  - name: meta\n    type: facebook\n    settings:\n"
             "      access_token%s: %s\n      app_secret: %s\n      keys: EMAIL,PHONE\n"
             "      base_url: http://127.0.0.1:%u\n",
             k->token_file ? "_file" : "", k->token_file ? k->token_file : KIT_TOKEN,
             KIT_SECRET, (unsigned)sgx_emu_fb_port(env->fb));
    sgx_buf_puts(&y, line);
    put_limits(&y, k);
    sgx_buf_puts(&y, "    segments:\n");
    for (size_t s = 0; s < env->nsegments; s++) {
        snprintf(line, sizeof line, "      seg-%02zu: \"%s\"\n", s, env->audience_ids[s]);
        sgx_buf_puts(&y, line);
    }
    sgx_demo_dests_yaml(env, &y); /* the other emulators the options asked for, if any */
    sgx_err_t err = sgx_config_parse(y.data, y.len, &env->cfg, errbuf);
    sgx_buf_free(&y);
    return err;
}

sgx_err_t sgx_demo_env_up_with(sgx_demo_env_t *env, const sgx_demo_opts_t *o, const char *topic,
                               const char *dlq_topic, const sgx_testkit_knobs_t *k,
                               char *errbuf)
{
    sgx_err_t err = sgx_demo_env_up(env, o, topic, dlq_topic, errbuf);
    if (err) {
        return err;
    }
    sgx_config_free(env->cfg);
    env->cfg = NULL;
    static const sgx_testkit_knobs_t none;
    return make_config(env, k ? k : &none, errbuf);
}

sgx_err_t sgx_testkit_up(sgx_testkit_t *t, const sgx_demo_opts_t *o,
                         const sgx_testkit_knobs_t *k, char *errbuf)
{
    memset(t, 0, sizeof *t);
    t->o = *o;
    t->truth.profiles = o->profiles;
    t->truth.segments = o->segments;
    t->truth.state = sgx_calloc(o->profiles * o->segments, 1);
    return sgx_demo_env_up_with(&t->env, o, SGX_TESTKIT_TOPIC, SGX_TESTKIT_DLQ, k, errbuf);
}

sgx_err_t sgx_testkit_start_pipeline(sgx_testkit_t *t, char *errbuf)
{
    return sgx_pipeline_start(t->env.cfg, &t->pipe, errbuf);
}

sgx_err_t sgx_testkit_start_gen(sgx_testkit_t *t, bool paced, char *errbuf)
{
    sgx_demo_opts_t o = t->o;
    const sgx_stats_t *stats = &t->idle_stats;
    if (paced) {
        stats = sgx_pipeline_stats(t->pipe);
    } else {
        o.window = SIZE_MAX / 2; /* never waits for a consumer, whatever was produced before */
    }
    return sgx_demo_gen_start(t->env.bootstrap, t->env.topic, t->env.schema_id, &o, stats,
                              &t->truth, &t->gen, errbuf);
}

void sgx_testkit_join_gen(sgx_testkit_t *t)
{
    sgx_demo_gen_join(t->gen);
    t->gen = NULL;
}

bool sgx_testkit_wait_final(sgx_testkit_t *t, uint64_t extra, int stall_ms)
{
    sgx_stats_t *st = sgx_pipeline_stats(t->pipe);
    int64_t moved = sgx_now_ms();
    uint64_t last = 0;
    for (;;) {
        uint64_t done = SGX_GET(st->done);
        if (atomic_load(&t->truth.finished) &&
            done == atomic_load(&t->truth.produced) + extra && SGX_GET(st->inflight) == 0) {
            return true;
        }
        int64_t now = sgx_now_ms();
        if (done != last) {
            last = done;
            moved = now;
        } else if (now - moved > stall_ms) {
            return false;
        }
        usleep(50000);
    }
}

void sgx_testkit_stop_pipeline(sgx_testkit_t *t, bool graceful)
{
    if (t->pipe) {
        sgx_pipeline_stop(t->pipe, graceful);
        sgx_pipeline_destroy(t->pipe);
        t->pipe = NULL;
    }
}

bool sgx_testkit_final_state(const sgx_testkit_t *t, int partitions, int64_t produced,
                             char *report, size_t cap)
{
    char aud[200];
    int64_t committed = 0, end = 0;
    bool aud_ok = sgx_testkit_audiences(t, aud, sizeof aud);
    bool commits_ok = sgx_testkit_committed(t, t->env.topic, partitions, &committed, &end);
    snprintf(report, cap, "audiences: %s; committed %lld of %lld (%lld produced)", aud,
             (long long)committed, (long long)end, (long long)produced);
    return aud_ok && commits_ok && end == produced;
}

sgx_err_t sgx_testkit_produce(sgx_testkit_t *t, unsigned seed, char *errbuf)
{
    t->o.seed = seed;
    sgx_err_t err = sgx_testkit_start_gen(t, false, errbuf);
    if (!err) {
        sgx_testkit_join_gen(t);
    }
    return err;
}

bool sgx_testkit_committed(const sgx_testkit_t *t, const char *topic, int partitions,
                           int64_t *committed, int64_t *end)
{
    return sgx_testkit_committed_group(t, SGX_TESTKIT_GROUP, topic, partitions, committed, end);
}

bool sgx_testkit_committed_group(const sgx_testkit_t *t, const char *group, const char *topic,
                                 int partitions, int64_t *committed, int64_t *end)
{
    char errbuf[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", t->env.bootstrap, NULL, 0);
    rd_kafka_conf_set(conf, "group.id", group, NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, sizeof errbuf);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return false;
    }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++) {
        rd_kafka_topic_partition_list_add(list, topic, p);
    }
    bool ok = rd_kafka_committed(rk, list, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR;
    *committed = *end = 0;
    /* Sums over every partition even when one falls short: callers report the totals. */
    for (int p = 0; p < partitions; p++) {
        int64_t lo = 0, hi = -1;
        bool known = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 5000) == 0;
        int64_t c = list->elems[p].offset;
        ok = ok && known && c == hi;
        *committed += c > 0 ? c : 0;
        *end += hi > 0 ? hi : 0;
    }
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
    return ok;
}

bool sgx_testkit_audiences(const sgx_testkit_t *t, char *report, size_t cap)
{
    return sgx_demo_verify(sgx_emu_fb_port(t->env.fb), t->env.audience_ids, &t->truth, report,
                           cap);
}

bool sgx_testkit_write_secret(const char *path, const char *value)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        return false;
    }
    bool ok = fprintf(f, "%s\n", value) > 0;
    ok = fclose(f) == 0 && ok;
    return ok && rename(tmp, path) == 0;
}

void sgx_testkit_down(sgx_testkit_t *t)
{
    sgx_testkit_join_gen(t);
    sgx_testkit_stop_pipeline(t, false);
    sgx_demo_env_down(&t->env);
    sgx_free(t->truth.state);
    t->truth.state = NULL;
}
