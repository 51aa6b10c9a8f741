/* Sends one ENTER batch through the Criteo connector exactly as segexport does: the
 * connector's init/encode/prepare/classify and the core's own HTTP setup (pipeline/http.c),
 * driven one request at a time instead of by the dispatcher's curl multi loop. A batch without
 * an audience id runs the search (paged), the creation when not found, then the contact-list
 * PATCH; like the core, a created_audience_id becomes the batch's audience id. The conformance
 * test points it at a recording proxy in front of the emulator to compare its requests with
 * the official SDK's.
 * OP probe instead reads the audience the way `check --online` does (probe_prepare).
 * usage: criteo_once BASE_URL ADVERTISER_ID AUDIENCE_ID|new SEGMENT OP EMAIL...
 *        (OP add|remove|probe; emails already normalized) */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "connectors/criteo/criteo.h"
#include "pipeline/http.h"

static sgx_err_t perform(const sgx_request_t *req, sgx_http_t *h, sgx_response_t *resp)
{
    sgx_err_t err = sgx_http_setup(h, req, 30000, NULL);
    if (err) {
        return err;
    }
    sgx_http_reset_response(h);
    sgx_http_response(h, curl_easy_perform(h->easy), resp);
    return SGX_OK;
}

static sgx_row_t *email_row(const char *email)
{
    sgx_row_t *r = sgx_calloc(1, sizeof *r + 32);
    unsigned int n = 0;
    EVP_Digest(email, strlen(email), r->data, &n, EVP_sha256(), NULL);
    r->nvals = 1;
    r->vals[0] = (sgx_row_val_t){.kind = SGX_VAL_DIGEST, .len = 32, .off = 0};
    r->data_len = 32;
    return r;
}

static char *token_of(void *ctx, sgx_http_t *h)
{
    const sgx_connector_def_t *def = &sgx_connector_criteo;
    sgx_request_t req = {0};
    sgx_response_t resp;
    char *token = NULL, reason[128] = "";
    int64_t ttl = 0;
    if (def->auth_prepare(ctx, &req) || perform(&req, h, &resp) ||
        def->auth_parse(ctx, &resp, &token, &ttl, reason)) {
        fprintf(stderr, "criteo_once: token: %s\n", reason);
    }
    sgx_request_clear(&req);
    return token;
}

/* One step. @returns 1 to go on, 0 when final (rc set), -1 on a local failure. */
static int step(void *ctx, sgx_job_t *job, sgx_batch_t *b, sgx_http_t *h, char **state, int *rc,
                char **created)
{
    const sgx_connector_def_t *def = &sgx_connector_criteo;
    sgx_request_t req = {0};
    sgx_response_t resp;
    job->state = *state;
    if (def->prepare(ctx, job, &req) || perform(&req, h, &resp)) {
        fprintf(stderr, "criteo_once: step %d cannot be sent\n", job->step);
        sgx_request_clear(&req);
        return -1;
    }
    sgx_classification_t c = {.retry_after_ms = -1, .next_step = job->step + 1};
    def->classify(ctx, job, &resp, &c);
    sgx_request_clear(&req);
    printf("step %d: verdict %d %s\n", job->step, (int)c.verdict, c.reason);
    if (c.created_audience_id) {
        printf("audience %s\n", c.created_audience_id);
        sgx_free(*created);
        *created = c.created_audience_id; /* the core records it (dispatch_req.c) */
        c.created_audience_id = NULL;
        b->audience_id = *created;
    }
    int more = c.verdict == SGX_CLS_NEXT_STEP;
    if (more) {
        job->step = c.next_step;
        sgx_free(*state);
        *state = c.state; /* NULL when the step set none */
        c.state = NULL;
    } else {
        *rc = c.verdict == SGX_CLS_DELIVERED || c.verdict == SGX_CLS_PARTIAL ? 0 : 1;
    }
    sgx_classification_clear(&c);
    return more;
}

static int probe(void *ctx, const char *audience_id, sgx_http_t *h)
{
    const sgx_connector_def_t *def = &sgx_connector_criteo;
    char *token = token_of(ctx, h), reason[128] = "";
    sgx_request_t req = {0};
    sgx_response_t resp;
    bool ok = token && !def->probe_prepare(ctx, audience_id, token, &req) &&
              !perform(&req, h, &resp) && def->probe_classify(ctx, audience_id, &resp, reason);
    printf("probe: %s %s\n", ok ? "usable" : "refused", reason);
    sgx_request_clear(&req);
    sgx_free(token);
    return ok ? 0 : 1;
}

static int run(void *ctx, sgx_batch_t *b, sgx_http_t *h)
{
    char *token = token_of(ctx, h), *state = NULL, *created = NULL;
    sgx_buf_t body = {0};
    int rc = 1;
    if (!token || sgx_connector_criteo.encode(ctx, b, &body)) {
        fprintf(stderr, "criteo_once: no token or encode failed\n");
        goto out;
    }
    sgx_job_t job = {.batch = b, .body = &body, .auth_token = token};
    for (int i = 0; i < 1000 && step(ctx, &job, b, h, &state, &rc, &created) > 0; i++) {
    }
out:
    b->audience_id = NULL;
    sgx_free(created);
    sgx_free(state);
    sgx_free(token);
    sgx_buf_free(&body);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: criteo_once BASE_URL ADVERTISER_ID AUDIENCE_ID|new SEGMENT "
                        "add|remove EMAIL...\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *k[] = {"client_id", "client_secret", "advertiser_id", "base_url"};
    const char *v[] = {"test-client", "test-secret", argv[2], argv[1]};
    sgx_dest_settings_t s = {"criteo", 4, k, v};
    char errbuf[SGX_ERRBUF_SIZE];
    void *ctx = NULL;
    if (sgx_connector_criteo.init(&s, &ctx, errbuf) != SGX_OK) {
        fprintf(stderr, "criteo_once: %s\n", errbuf);
        return 2;
    }
    size_t n = (size_t)argc - 6;
    sgx_row_t **rows = sgx_calloc(n, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        rows[i] = email_row(argv[6 + i]);
    }
    sgx_batch_t b = {.audience_id = strcmp(argv[3], "new") ? argv[3] : NULL,
                     .segment = argv[4],
                     .op = strcmp(argv[5], "remove") ? SGX_OP_ENTER : SGX_OP_EXIT,
                     .session_id = 1, .batch_seq = 1, .last_batch = true, .nrows = n,
                     .rows = (const sgx_row_t *const *)rows};
    sgx_http_t h = {0};
    int rc = strcmp(argv[5], "probe") == 0 ? probe(ctx, argv[3], &h) : run(ctx, &b, &h);
    sgx_http_cleanup(&h);
    for (size_t i = 0; i < n; i++) {
        sgx_free(rows[i]);
    }
    sgx_free(rows);
    sgx_connector_criteo.destroy(ctx);
    curl_global_cleanup();
    return rc;
}
