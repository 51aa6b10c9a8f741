/* A profile changes its e-mail (issue 10 §3): ENTER(A) is exported; then EXIT(A) and ENTER(B)
 * arrive within one linger window. Coalescing by profile alone would drop EXIT(A) (and
 * acknowledge it), leaving A in the audience for good. End to end through the real pipeline,
 * the mock cluster and the Meta emulator: the audience ends with B only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "codecs/avro_writer.h"
#include "codecs/schema_canonical.h"
#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "tests/testkit/testkit.h"

#define EMAIL_A "old.address@example.com"
#define EMAIL_B "new.address@example.com"

typedef struct {
    sgx_testkit_t *t;
    rd_kafka_t *rk;
    sgx_avro_writer_t *w;
    sgx_buf_t buf;
} up_t;

static void produce(up_t *u, sgx_op_t op, const char *email)
{
    sgx_event_in_t ev;
    memset(&ev, 0, sizeof ev);
    ev.profile_id = "profile-1";
    ev.segment_id = "seg-00";
    ev.op = op;
    ev.event_time_ms = 1764000000000LL;
    ev.fields[SGX_F_EMAIL] = email;
    sgx_buf_reset(&u->buf);
    assert_int_equal(sgx_avro_writer_encode(u->w, u->t->env.schema_id, &ev, &u->buf), SGX_OK);
    assert_int_equal(rd_kafka_producev(u->rk, RD_KAFKA_V_TOPIC(u->t->env.topic),
                                       RD_KAFKA_V_PARTITION(0),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_KEY(ev.profile_id, strlen(ev.profile_id)),
                                       RD_KAFKA_V_VALUE(u->buf.data, u->buf.len),
                                       RD_KAFKA_V_END),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
}

static bool wait_done(sgx_testkit_t *t, uint64_t n, int timeout_ms)
{
    sgx_stats_t *st = sgx_pipeline_stats(t->pipe);
    int64_t deadline = sgx_now_ms() + timeout_ms;
    while (SGX_GET(st->done) < n || SGX_GET(st->inflight) != 0) {
        if (sgx_now_ms() > deadline) {
            return false;
        }
        usleep(20000);
    }
    return SGX_GET(st->done) == n;
}

/* The Meta emulator's member string of an e-mail-only row: EMAIL:<sha256 hex>. */
static void member_of(const char *email, char *out, size_t cap)
{
    unsigned char d[32];
    unsigned int n = 0;
    assert_int_equal(EVP_Digest(email, strlen(email), d, &n, EVP_sha256(), NULL), 1);
    int w = snprintf(out, cap, "EMAIL:");
    for (int i = 0; i < 32; i++) {
        w += snprintf(out + w, cap - (size_t)w, "%02x", d[i]);
    }
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    sgx_buf_append(arg, p, size * n);
    return size * n;
}

/* The emulator's members of the audience (caller json_decref's). */
static json_t *members(const sgx_testkit_t *t)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/_emulator/audiences/%s",
             (unsigned)sgx_emu_fb_port(t->env.fb), t->env.audience_ids[0]);
    sgx_buf_t body = {0};
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(e), CURLE_OK);
    curl_easy_cleanup(e);
    json_t *doc = json_loadb(body.data, body.len, 0, NULL);
    sgx_buf_free(&body);
    assert_non_null(doc);
    json_t *m = json_incref(json_object_get(doc, "members"));
    json_decref(doc);
    assert_true(json_is_array(m));
    return m;
}

static void test_exit_old_enter_new_in_one_window(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_ERROR);
    sgx_demo_opts_t o = {.events = 1, .profiles = 1, .segments = 1, .partitions = 1, .seed = 1};
    sgx_testkit_knobs_t k = {.linger_ms = 1500}; /* EXIT(A) and ENTER(B) meet in one window */
    sgx_testkit_t t;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_up(&t, &o, &k, errbuf) || sgx_testkit_start_pipeline(&t, errbuf)) {
        sgx_testkit_down(&t);
        fail_msg("setup: %s", errbuf);
    }
    up_t u = {.t = &t};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", t.env.bootstrap, NULL, 0);
    u.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, sizeof errbuf);
    assert_non_null(u.rk);
    const char *schema = sgx_schema_canonical();
    assert_int_equal(sgx_avro_writer_new(schema, strlen(schema), &u.w, errbuf), SGX_OK);

    produce(&u, SGX_OP_ENTER, EMAIL_A);
    assert_int_equal(rd_kafka_flush(u.rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_true(wait_done(&t, 1, 30000));
    produce(&u, SGX_OP_EXIT, EMAIL_A);
    produce(&u, SGX_OP_ENTER, EMAIL_B);
    assert_int_equal(rd_kafka_flush(u.rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    bool final = wait_done(&t, 3, 30000);

    char want[80], gone[80];
    member_of(EMAIL_B, want, sizeof want);
    member_of(EMAIL_A, gone, sizeof gone);
    json_t *m = members(&t);
    size_t n = json_array_size(m);
    bool has_b = false, has_a = false;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(m, i));
        has_b = has_b || (s && strcmp(s, want) == 0);
        has_a = has_a || (s && strcmp(s, gone) == 0);
    }
    json_decref(m);
    print_message("final=%d members=%zu has A=%d has B=%d\n", final, n, has_a, has_b);
    sgx_avro_writer_destroy(u.w);
    sgx_buf_free(&u.buf);
    rd_kafka_destroy(u.rk);
    sgx_testkit_down(&t);
    assert_true(final);
    assert_false(has_a);
    assert_true(has_b);
    assert_int_equal(n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_old_enter_new_in_one_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
