/* `check --online`: the core performs each connector's read-only probe with libcurl easy (the
 * same request setup and TLS options as the dispatcher), and asks the broker and the registry
 * the cheapest question that proves they answer. */
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "cli/cmd_check.h"
#include "connectors/conn_util.h"
#include "pipeline/dlq.h"
#include "pipeline/http.h"

#define ONLINE_TIMEOUT_MS 10000L

__attribute__((format(printf, 3, 4))) static int line(bool ok, const char *reason,
                                                       const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (ok) {
        printf("ok   %s\n", what);
    } else {
        printf("FAIL %s: %s\n", what, reason);
    }
    fflush(stdout);
    return ok ? 0 : 1;
}

static bool has_topic(const rd_kafka_metadata_t *md, const char *topic)
{
    for (int i = 0; i < md->topic_cnt; i++) {
        if (strcmp(md->topics[i].topic, topic) == 0 && !md->topics[i].err) {
            return true;
        }
    }
    return false;
}

static int check_broker(const sgx_config_t *cfg)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    rd_kafka_conf_t *conf = sgx_kafka_conf(cfg, true, errbuf);
    rd_kafka_t *rk = conf ? rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, sizeof errbuf) : NULL;
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return line(false, errbuf, "kafka broker");
    }
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, (int)ONLINE_TIMEOUT_MS);
    int failed = 0;
    if (err) {
        failed = line(false, rd_kafka_err2str(err), "kafka broker");
    } else {
        char n[64];
        snprintf(n, sizeof n, "%d", md->broker_cnt);
        failed += line(true, NULL, "kafka broker (%s broker(s) in the cluster)", n);
        for (size_t i = 0; i < cfg->ntopics; i++) {
            failed += line(has_topic(md, cfg->topics[i]), "not found (or no Describe ACL)",
                           "kafka topic %s", cfg->topics[i]);
        }
        failed += line(has_topic(md, cfg->dead_letter_topic), "not found (or no Describe ACL)",
                       "kafka dead-letter topic %s", cfg->dead_letter_topic);
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_destroy(rk);
    return failed;
}

/* One request through the dispatcher's own setup (headers, timeouts, TLS, proxy). */
static void perform(const sgx_request_t *req, const sgx_http_tls_t *tls, sgx_http_t *h,
                    sgx_response_t *resp)
{
    h->tls = tls;
    CURLcode rc = CURLE_FAILED_INIT;
    if (sgx_http_setup(h, req, ONLINE_TIMEOUT_MS, NULL) == SGX_OK) {
        rc = curl_easy_perform(h->easy);
    }
    sgx_http_response(h, rc, resp);
}

static void transport_reason(const sgx_response_t *resp, char *reason)
{
    snprintf(reason, 128, "%s", curl_easy_strerror((CURLcode)resp->transport_error));
}

static int check_registry(const sgx_config_t *cfg)
{
    if (!cfg->registry_url) {
        return 0;
    }
    sgx_request_t req = {.method = "GET"};
    size_t n = strlen(cfg->registry_url);
    while (n && cfg->registry_url[n - 1] == '/') {
        n--;
    }
    req.url = sgx_malloc(n + sizeof "/subjects");
    snprintf(req.url, n + sizeof "/subjects", "%.*s/subjects", (int)n, cfg->registry_url);
    sgx_request_add_header(&req, "Accept", "application/vnd.schemaregistry.v1+json");
    sgx_http_t h = {0};
    sgx_response_t resp;
    perform(&req, &cfg->registry_tls, &h, &resp);
    char reason[128];
    if (resp.status == 0) {
        transport_reason(&resp, reason);
    } else {
        snprintf(reason, sizeof reason, "HTTP %ld", resp.status);
    }
    int failed = line(resp.status == 200, reason, "schema registry (GET /subjects)");
    sgx_http_cleanup(&h);
    sgx_conn_free_secret(req.url); /* user:pass@ may be in it */
    req.url = NULL;
    sgx_request_clear(&req);
    return failed;
}

/* The token request of an OAuth connector; *token owned on success (wipe it). */
static int check_token(const sgx_dest_config_t *d, void *ctx, char **token)
{
    sgx_request_t req = {0};
    sgx_http_t h = {0};
    sgx_response_t resp;
    char reason[128] = "cannot build the token request";
    int64_t expires = 0;
    bool ok = false;
    if (d->def->auth_prepare(ctx, &req) == SGX_OK) {
        perform(&req, &d->tls, &h, &resp);
        if (resp.status == 0) {
            transport_reason(&resp, reason);
        } else {
            reason[0] = '\0';
            ok = d->def->auth_parse(ctx, &resp, token, &expires, reason) == SGX_OK;
        }
    }
    sgx_http_cleanup(&h);
    sgx_request_clear(&req);
    return line(ok, reason, "destination %s: access token", d->name);
}

static int check_audience(const sgx_dest_config_t *d, void *ctx, size_t a, const char *token)
{
    const char *id = d->audience_ids[a];
    if (!*id) {
        return line(true, NULL, "destination %s: segment %s: audience to be created", d->name,
                    d->segments[a]);
    }
    sgx_request_t req = {0};
    sgx_http_t h = {0};
    sgx_response_t resp;
    char reason[128] = "cannot build the probe request";
    bool ok = false;
    if (d->def->probe_prepare(ctx, id, token, &req) == SGX_OK) {
        perform(&req, &d->tls, &h, &resp);
        reason[0] = '\0';
        if (resp.status == 0) {
            transport_reason(&resp, reason); /* curl's words: TLS verification, refused… */
        } else {
            ok = d->def->probe_classify(ctx, id, &resp, reason);
        }
    }
    sgx_http_cleanup(&h);
    if (req.url) { /* a GET's URL may carry the token (Meta) */
        memset(req.url, 0, strlen(req.url));
    }
    sgx_request_clear(&req);
    return line(ok, reason, "destination %s: segment %s -> audience %s", d->name, d->segments[a],
                id);
}

static int check_dest(const sgx_dest_config_t *d)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    void *ctx = NULL;
    if (d->def->init(&d->settings, &ctx, errbuf)) {
        return line(false, errbuf, "destination %s", d->name);
    }
    char *token = NULL;
    int failed = d->def->auth_prepare ? check_token(d, ctx, &token) : 0, audiences_failed = 0;
    for (size_t a = 0; failed == 0 && d->def->probe_prepare && a < d->naudiences; a++) {
        audiences_failed += check_audience(d, ctx, a, token);
    }
    failed += audiences_failed;
    sgx_conn_free_secret(token);
    d->def->destroy(ctx);
    return failed;
}

int sgx_check_online(const sgx_config_t *cfg)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int failed = check_broker(cfg) + check_registry(cfg);
    for (size_t i = 0; i < cfg->ndests; i++) {
        failed += check_dest(&cfg->dests[i]);
    }
    curl_global_cleanup();
    return failed;
}
