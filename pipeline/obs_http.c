#include "pipeline/obs_http.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "config/config_util.h"
#include "pipeline/dispatch_req.h"
#include "pipeline/health.h"
#include "base/log.h"
#include "pipeline/metrics.h"

struct sgx_obs_http {
    const sgx_config_t *cfg;
    sgx_stats_t *stats;
    struct MHD_Daemon *mhd;
    int port;
    int64_t started_ms;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             char *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result probe(struct MHD_Connection *conn, sgx_obs_http_t *h, bool live)
{
    char *body = NULL;
    int64_t now = sgx_now_ms();
    bool ok = live ? sgx_health_live(h->cfg, h->stats, h->started_ms, now, &body)
                   : sgx_health_ready(h->cfg, h->stats, now, &body);
    enum MHD_Result r = reply(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                              "application/json", body ? body : "{}", body ? strlen(body) : 2);
    free(body);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    sgx_obs_http_t *h = cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        static char msg[] = "only GET\n";
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", msg, sizeof msg - 1);
    }
    if (strcmp(url, "/metrics") == 0) {
        sgx_buf_t out = {0};
        sgx_metrics_render(h->cfg, h->stats, sgx_now_ms(), &out);
        enum MHD_Result r =
            reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out.data,
                  out.len);
        sgx_buf_free(&out);
        return r;
    }
    if (strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0) {
        return probe(conn, h, strcmp(url, "/healthz") == 0);
    }
    static char msg[] = "not found: /metrics, /healthz, /readyz\n";
    return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", msg, sizeof msg - 1);
}

/* Resolves HOST (a name or a literal, v4 or v6) to the first address getaddrinfo offers. */
static sgx_err_t resolve(const char *host, int port, struct sockaddr_storage *sa, int *family,
                         char *errbuf)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "metrics_listen: cannot resolve %.64s: %s", host,
                 gai_strerror(rc));
        return SGX_ERR_CONFIG;
    }
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *family = res->ai_family;
    freeaddrinfo(res);
    return SGX_OK;
}

sgx_err_t sgx_obs_http_start(const sgx_config_t *cfg, sgx_stats_t *s, sgx_obs_http_t **out,
                             char *errbuf)
{
    char host[256];
    int port = 0, family = AF_INET;
    struct sockaddr_storage sa;
    if (sgx_cfg_split_listen(cfg->metrics_listen, host, sizeof host, &port) ||
        resolve(host, port, &sa, &family, errbuf)) {
        if (!errbuf[0]) {
            snprintf(errbuf, SGX_ERRBUF_SIZE, "metrics_listen must be HOST:PORT");
        }
        return SGX_ERR_CONFIG;
    }
    sgx_obs_http_t *h = sgx_calloc(1, sizeof *h);
    h->cfg = cfg;
    h->stats = s;
    h->started_ms = sgx_now_ms();
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | (family == AF_INET6 ? MHD_USE_IPv6 : 0);
    h->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, h,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                              MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!h->mhd) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "metrics_listen: cannot listen on %.200s",
                 cfg->metrics_listen);
        sgx_free(h);
        return SGX_ERR_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : port;
    SGX_INFO("metrics", "serving /metrics, /healthz and /readyz on %s port %d", host, h->port);
    *out = h;
    return SGX_OK;
}

int sgx_obs_http_port(const sgx_obs_http_t *h)
{
    return h->port;
}

void sgx_obs_http_stop(sgx_obs_http_t *h)
{
    if (!h) {
        return;
    }
    MHD_stop_daemon(h->mhd);
    sgx_free(h);
}
