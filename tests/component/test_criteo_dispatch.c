/* The Criteo connector driven end to end by the REAL pipeline and dispatcher: mock Kafka
 * cluster, schema registry double, the Criteo emulator, a YAML configuration with
 * `type: criteo`, the demo's event generator, and an exact check of every audience and of the
 * committed offsets. One segment has audience id "" and must be created (step 0) before its
 * amendments (step 1). Scenario A expires every token between two rounds (401 -> REAUTH) and
 * injects throttles; scenario B runs with a 2-second token lifetime and a rate limit low
 * enough to be hit, so the 429 path with x-ratelimit-reset minus Date is taken for real.
 *
 * Expected members are computed here, independently of the pipeline: the Criteo e-mail
 * normalization of each profile's raw e-mail, SHA-256, lowercase hex. */
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
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "base/log.h"
#include "base/mem.h"
#include "codecs/normalize.h"
#include "emulators/criteo.h"
#include "tests/testkit/testkit.h"

#define CID "crt-client"
#define CSECRET "crt-secret"
#define SEGMENTS 4
#define CREATED_SEG 2 /* seg-02 has audience id "" */

typedef struct {
    int token_ttl_s;
    int rate_limit, rate_window_s;
    int events, profiles;
    unsigned seed;
    bool existing; /* seg-02's segment exists already (a previous run, another replica) */
} scenario_t;

typedef struct {
    sgx_testkit_t kit;
    sgx_emu_criteo_t *emu;
    char ids[SEGMENTS][32];
    char secret_file[64]; /* "": client_secret inline; else client_secret_file */
    char existing[32];    /* the id seg-02's segment had before the run, or "" */
} env_t;

/* The test's own configuration, parsed by the real YAML parser. */
static sgx_err_t criteo_config(env_t *e, char *errbuf)
{
    sgx_demo_env_t *env = &e->kit.env;
    sgx_buf_t y = {0};
    char line[1024];
    snprintf(line, sizeof line,
             "kafka:\n  bootstrap.servers: \"%.200s\"\n  group.id: %s\n"
             "  session.timeout.ms: 6000\n  log_level: 3\n"
             "topics: [%s]\ndead_letter_topic: %s\n"
             "schema_registry:\n  url: http://127.0.0.1:%u\n"
             "workers: 2\nmax_inflight_events: 200000\nshutdown_grace_ms: 30000\n"
             "retry_base_ms: 50\nretry_cap_ms: 1000\n"
             "destinations:\n  - name: criteo\n    type: criteo\n    settings:\n"
             "      client_id: %s\n      client_secret%s: %s\n      advertiser_id: \"777\"\n"
             "      base_url: http://127.0.0.1:%u/\n"
             "    limits:\n      linger_ms: 100\n    segments:\n",
             env->bootstrap, SGX_TESTKIT_GROUP, env->topic, env->dlq_topic,
             (unsigned)sgx_emu_registry_port(env->registry), CID, e->secret_file[0] ? "_file" : "",
             e->secret_file[0] ? e->secret_file : CSECRET,
             (unsigned)sgx_emu_criteo_port(e->emu));
    sgx_buf_puts(&y, line);
    for (size_t s = 0; s < SEGMENTS; s++) {
        snprintf(line, sizeof line, "      seg-%02zu: \"%s\"\n", s, e->ids[s]);
        sgx_buf_puts(&y, line);
    }
    sgx_config_free(env->cfg);
    env->cfg = NULL;
    sgx_err_t err = sgx_config_parse(y.data, y.len, &env->cfg, errbuf);
    sgx_buf_free(&y);
    return err;
}

static void env_up(env_t *e, const scenario_t *sc, const char *secret_file)
{
    memset(e, 0, sizeof *e);
    if (secret_file) {
        snprintf(e->secret_file, sizeof e->secret_file, "%s", secret_file);
        assert_true(sgx_testkit_write_secret(secret_file, CSECRET));
    }
    sgx_demo_opts_t o = {.events = (size_t)sc->events, .profiles = (size_t)sc->profiles,
                         .segments = SEGMENTS, .partitions = 2, .bad = 5, .seed = sc->seed};
    sgx_emu_criteo_opts_t eo = {.client_id = CID, .client_secret = CSECRET,
                                .token_ttl_s = sc->token_ttl_s, .rate_limit = sc->rate_limit,
                                .rate_window_s = sc->rate_window_s};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_up(&e->kit, &o, NULL, errbuf) || sgx_emu_criteo_start(&eo, &e->emu)) {
        fail_msg("setup: %s", errbuf);
    }
    for (size_t s = 0; s < SEGMENTS; s++) {
        if (s != CREATED_SEG) {
            snprintf(e->ids[s], sizeof e->ids[s], "%zu", 5000 + s);
            sgx_emu_criteo_add_audience(e->emu, e->ids[s]);
        }
    }
    if (sc->existing) {
        /* 150 other segments first, so the search finds it on its second page. */
        char id[32], name[32];
        for (int i = 0; i < 150; i++) {
            snprintf(name, sizeof name, "other-%03d", i);
            sgx_emu_criteo_create_segment(e->emu, "777", name, id, sizeof id);
        }
        snprintf(name, sizeof name, "seg-%02d", CREATED_SEG);
        sgx_emu_criteo_create_segment(e->emu, "777", name, e->existing, sizeof e->existing);
    }
    if (criteo_config(e, errbuf) || sgx_testkit_start_pipeline(&e->kit, errbuf)) {
        fail_msg("config/pipeline: %s", errbuf);
    }
}

static void round_of_events(env_t *e, unsigned seed)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    e->kit.o.seed = seed;
    /* Paced behind the pipeline's consumed counter: the unpaced mode bounds the cumulative
     * produced count by one round's size, so a second round would wait forever. */
    e->kit.o.window = 50000;
    if (sgx_testkit_start_gen(&e->kit, true, errbuf)) {
        fail_msg("generator: %s", errbuf);
    }
    sgx_testkit_join_gen(&e->kit);
    assert_true(sgx_testkit_wait_final(&e->kit, 0, 60000));
}

/* ---- verification -------------------------------------------------------------------------- */

/* The member string of profile p, or false when its e-mail is missing or invalid. */
static bool expected_member(size_t p, char out[65])
{
    sgx_demo_profile_t prof;
    sgx_demo_profile(p, &prof);
    if (!prof.has_email) {
        return false;
    }
    char norm[SGX_NORM_MAX + 1];
    size_t n = 0;
    bool prehashed = false;
    if (sgx_normalize(SGX_DEST_CRITEO, SGX_KEY_EMAIL, prof.email_raw, strlen(prof.email_raw),
                      NULL, norm, sizeof norm, &n, &prehashed) != SGX_DROP_NONE || n == 0) {
        return false;
    }
    if (prehashed) {
        snprintf(out, 65, "%.64s", norm);
        return true;
    }
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(norm, n, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
    return true;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    sgx_buf_append(arg, p, size * n);
    return size * n;
}

static json_t *fetch_members(uint16_t port, const char *id)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/_emulator/audiences/%s", port, id);
    sgx_buf_t body = {0};
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    long status = 0;
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    json_t *doc = rc == CURLE_OK && status == 200 ? json_loadb(body.data, body.len, 0, NULL)
                                                  : NULL;
    sgx_buf_free(&body);
    json_t *m = json_incref(json_object_get(doc, "members"));
    json_decref(doc);
    return m;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every audience equals, exactly, the profiles whose last event in it was ENTER. */
static void verify(env_t *e, size_t *total)
{
    const sgx_demo_truth_t *t = &e->kit.truth;
    char (*member)[65] = sgx_calloc(t->profiles, 65);
    bool *has = sgx_calloc(t->profiles, sizeof *has);
    char **expected = sgx_calloc(t->profiles, sizeof *expected);
    for (size_t p = 0; p < t->profiles; p++) {
        has[p] = expected_member(p, member[p]);
    }
    *total = 0;
    for (size_t s = 0; s < SEGMENTS; s++) {
        size_t n = 0;
        for (size_t p = 0; p < t->profiles; p++) {
            if (t->state[p * t->segments + s] == 1 && has[p]) {
                expected[n++] = member[p];
            }
        }
        qsort(expected, n, sizeof *expected, cmp_str);
        json_t *got = fetch_members(sgx_emu_criteo_port(e->emu), e->ids[s]);
        if (!json_is_array(got)) {
            fail_msg("segment %zu (%s): audience unreadable", s, e->ids[s]);
        }
        if (json_array_size(got) != n) {
            fail_msg("segment %zu: %zu members, %zu expected", s, json_array_size(got), n);
        }
        for (size_t i = 0; i < n; i++) {
            assert_string_equal(json_string_value(json_array_get(got, i)), expected[i]);
        }
        json_decref(got);
        *total += n;
    }
    sgx_free(member);
    sgx_free(has);
    sgx_free(expected);
}

static void finish(env_t *e, sgx_emu_criteo_stats_t *es)
{
    sgx_stats_t *st = sgx_pipeline_stats(e->kit.pipe);
    sgx_pipeline_stop(e->kit.pipe, true);
    char seg[16];
    snprintf(seg, sizeof seg, "seg-%02d", CREATED_SEG);
    /* The created segment is named after the segment id and is now where its rows went. */
    assert_true(sgx_emu_criteo_find_by_name(e->emu, seg, e->ids[CREATED_SEG],
                                            sizeof e->ids[CREATED_SEG]));
    if (e->existing[0]) {
        assert_string_equal(e->ids[CREATED_SEG], e->existing);
    }
    size_t total = 0;
    verify(e, &total);
    assert_true(total > 0);
    int64_t committed = 0, end = 0;
    assert_true(sgx_testkit_committed(&e->kit, e->kit.env.topic, 2, &committed, &end));
    sgx_emu_criteo_stats(e->emu, es);
    const sgx_dest_stats_t *d = &st->dest[0];
    /* Found by name (search before create), or created exactly once. */
    assert_int_equal(es->create_requests, e->existing[0] ? 0 : 1);
    assert_true(es->search_requests >= (e->existing[0] ? 2 : 1));
    assert_int_equal(SGX_GET(d->audiences_created), e->existing[0] ? 0 : 1); /* found: none */
    assert_true(es->identifiers_valid > 0);
    assert_int_equal(es->identifiers_invalid, 0);
    assert_int_equal(es->rejected_4xx, 0);
    print_message("members %zu; committed %lld/%lld; calls %llu tokens %llu 401 %llu "
                  "429 %llu (rate %llu) peak/window %llu; dispatcher retries %llu throttled "
                  "%llu\n",
                  total, (long long)committed, (long long)end,
                  (unsigned long long)es->requests, (unsigned long long)es->tokens_issued,
                  (unsigned long long)es->unauthorized, (unsigned long long)es->throttled,
                  (unsigned long long)es->rate_limited,
                  (unsigned long long)es->peak_window_calls,
                  (unsigned long long)SGX_GET(d->retries),
                  (unsigned long long)SGX_GET(d->throttled));
}

static void env_down(env_t *e)
{
    sgx_testkit_down(&e->kit);
    sgx_emu_criteo_stop(e->emu);
}

/* ---- scenarios ----------------------------------------------------------------------------- */

static void test_expiry_throttle_and_creation(void **state)
{
    (void)state;
    scenario_t sc = {.token_ttl_s = 900, .rate_limit = -1, .events = 3000, .profiles = 400,
                     .seed = 21};
    env_t e;
    env_up(&e, &sc, NULL);
    round_of_events(&e, 21);
    sgx_emu_criteo_stats_t mid;
    sgx_emu_criteo_stats(e.emu, &mid);
    assert_int_equal(mid.tokens_issued, 1);
    assert_int_equal(mid.unauthorized, 0);
    /* Every token dies and the next calls are throttled (reset = now + 1 s). */
    sgx_emu_criteo_expire_tokens(e.emu);
    sgx_emu_criteo_inject(e.emu, SGX_EMU_CRT_THROTTLE, 3, 0, 1);
    round_of_events(&e, 22);
    sgx_emu_criteo_stats_t es;
    sgx_stats_t *st = sgx_pipeline_stats(e.kit.pipe);
    uint64_t throttled = SGX_GET(st->dest[0].throttled);
    finish(&e, &es);
    assert_true(es.unauthorized >= 1);
    assert_int_equal(es.expired, es.unauthorized); /* never a token it did not issue */
    assert_int_equal(es.tokens_issued, 2);
    assert_int_equal(es.throttled, 3);
    assert_int_equal(throttled, 3);
    env_down(&e);
}

static void test_short_tokens_and_rate_limit(void **state)
{
    (void)state;
    /* 240 ms pacing alone is ~8 calls per 2 s window, twice a limit of 4; the pacer reads
     * x-ratelimit-remaining/-reset on every answer and waits for the reset instead, so the
     * limit is met rarely (about half the calls would be refused without it). */
    scenario_t sc = {.token_ttl_s = 2, .rate_limit = 4, .rate_window_s = 2, .events = 4000,
                     .profiles = 600, .seed = 31};
    env_t e;
    env_up(&e, &sc, NULL);
    round_of_events(&e, 31);
    round_of_events(&e, 32);
    sgx_emu_criteo_stats_t es;
    finish(&e, &es);
    assert_true(es.requests >= 8); /* the run spans windows: the limit applied */
    assert_true(es.rate_limited * 20 <= es.requests);
    assert_true(es.tokens_issued >= 2);
    /* Refreshed a quarter of the lifetime early: a request that still meets an expired token
     * is one that started in time but reached the emulator late (a loaded machine), and its
     * 401 costs one refresh, never a run of stale tokens. */
    assert_true(es.expired <= es.tokens_issued / 2);
    env_down(&e);
}

/* seg-02 has no audience id in the configuration but its segment exists (made by an earlier
 * run whose state was lost, or by another replica): the connector finds it by name on the
 * second search page and creates nothing. */
static void test_existing_segment_is_found_not_created(void **state)
{
    (void)state;
    scenario_t sc = {.token_ttl_s = 900, .rate_limit = -1, .events = 1500, .profiles = 300,
                     .seed = 61, .existing = true};
    env_t e;
    env_up(&e, &sc, NULL);
    round_of_events(&e, 61);
    sgx_emu_criteo_stats_t es;
    finish(&e, &es);
    env_down(&e);
}

/* The client secret is rotated at Criteo: the token endpoint refuses the old one (401
 * invalid_client). The destination is blocked — nothing rejected, nothing dead-lettered — until
 * client_secret_file holds the new secret; then everything is delivered exactly. */
static void test_rotated_client_secret_blocks_until_the_file_changes(void **state)
{
    (void)state;
    scenario_t sc = {.token_ttl_s = 900, .rate_limit = -1, .events = 2000, .profiles = 400,
                     .seed = 41};
    char path[64];
    snprintf(path, sizeof path, "/tmp/sgx-crt-secret-%d", (int)getpid());
    env_t e;
    env_up(&e, &sc, path);
    round_of_events(&e, 41);
    sgx_stats_t *st = sgx_pipeline_stats(e.kit.pipe);
    sgx_dest_stats_t *d = &st->dest[0];
    sgx_emu_criteo_set_client_secret(e.emu, "crt-secret-rotated");
    char errbuf[SGX_ERRBUF_SIZE] = "";
    e.kit.o.seed = 42;
    e.kit.o.window = 50000;
    if (sgx_testkit_start_gen(&e.kit, true, errbuf)) {
        fail_msg("generator: %s", errbuf);
    }
    sgx_testkit_join_gen(&e.kit);
    for (int i = 0; i < 1200 && SGX_GET(d->blocks) == 0; i++) {
        usleep(50000);
    }
    assert_int_equal(SGX_GET(d->blocks), 1);
    usleep(1500000); /* blocked for a while: probes refused, nothing given up */
    assert_int_equal(SGX_GET(d->blocks), 1);
    /* Dead-lettered records are the stream's own (bad frames, no e-mail): none refused. */
    assert_int_equal(SGX_GET(d->rows_rejected), 0);
    assert_true(SGX_GET(st->done) < atomic_load(&e.kit.truth.produced));
    assert_true(sgx_testkit_write_secret(path, "crt-secret-rotated"));
    assert_true(sgx_testkit_wait_final(&e.kit, 0, 60000));
    assert_int_equal(SGX_GET(d->secret_reloads), 1);
    assert_int_equal(SGX_GET(d->blocked), 0);
    assert_int_equal(SGX_GET(d->rows_rejected), 0);
    sgx_emu_criteo_stats_t es;
    finish(&e, &es);
    assert_true(es.token_rejected >= 1);
    env_down(&e);
    unlink(path);
}

int main(void)
{
    sgx_log_set_level(getenv("CRT_DEBUG") ? SGX_LOG_INFO : SGX_LOG_ERROR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expiry_throttle_and_creation),
        cmocka_unit_test(test_short_tokens_and_rate_limit),
        cmocka_unit_test(test_existing_segment_is_found_not_created),
        cmocka_unit_test(test_rotated_client_secret_blocks_until_the_file_changes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
