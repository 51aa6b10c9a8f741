/* Sends one ENTER batch through the Microsoft Advertising connector exactly as segexport does:
 * the connector's init/encode/prepare/classify and the core's own HTTP setup (pipeline/http.c),
 * driven one request at a time instead of by the dispatcher's curl multi loop. The conformance
 * test points it at a recording proxy in front of the emulator to compare its requests with the
 * official SDK's.
 * usage: msads_once BASE_URL TOKEN_URL LIST_ID EMAIL... (emails already normalized); BASE_URL
 * serves the Campaign Management REST adapter too; LIST_ID "new": the batch of segment
 * "conformance" has no list id, so the connector looks its list up by name first and creates
 * it only when there is none. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connectors/microsoft_ads/msads.h"
#include "pipeline/http.h"
#include "base/mem.h"
#include "emulators/msads.h"

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

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
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

static int run(void *ctx, sgx_batch_t *b, sgx_http_t *h)
{
    const sgx_connector_def_t *def = &sgx_connector_microsoft_ads;
    sgx_request_t req = {0};
    sgx_response_t resp;
    char *token = NULL, reason[128] = "";
    int64_t ttl = 0;
    if (def->auth_prepare(ctx, &req) || perform(&req, h, &resp) ||
        def->auth_parse(ctx, &resp, &token, &ttl, reason)) {
        fprintf(stderr, "msads_once: token: %s\n", reason);
        sgx_request_clear(&req);
        return 1;
    }
    sgx_request_clear(&req);
    sgx_buf_t body = {0};
    if (def->encode(ctx, b, &body)) {
        fprintf(stderr, "msads_once: encode failed\n");
        return 1;
    }
    sgx_job_t job = {.batch = b, .body = &body, .auth_token = token};
    char *state = NULL;
    int rc = 1;
    for (int i = 0; i < 200; i++) {
        job.state = state;
        if (def->prepare(ctx, &job, &req) || perform(&req, h, &resp)) {
            fprintf(stderr, "msads_once: step %d cannot be sent\n", job.step);
            break;
        }
        sgx_classification_t c = {.retry_after_ms = -1, .next_step = job.step + 1};
        def->classify(ctx, &job, &resp, &c);
        sgx_request_clear(&req);
        printf("step %d: verdict %d %s\n", job.step, (int)c.verdict, c.reason);
        if (c.created_audience_id) {
            printf("%s %s\n", job.step == SGX_MSADS_STEP_URL && !b->audience_id && !job.state
                                   ? "found" : "created", c.created_audience_id);
            if (!b->audience_id) {
                /* what the core does (dispatch_req.c record_created): the batch has it now */
                b->audience_id = c.created_audience_id;
                c.created_audience_id = NULL;
            }
        }
        if (c.verdict == SGX_CLS_NEXT_STEP) {
            job.step = c.next_step;
            if (c.state) {
                sgx_free(state);
                state = c.state;
                c.state = NULL;
            }
            sleep_ms(c.retry_after_ms > 0 ? c.retry_after_ms : 0);
            sgx_classification_clear(&c);
            continue;
        }
        rc = c.verdict == SGX_CLS_DELIVERED || c.verdict == SGX_CLS_PARTIAL ? 0 : 1;
        sgx_classification_clear(&c);
        break;
    }
    sgx_free(state);
    sgx_free(token);
    sgx_buf_free(&body);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: msads_once BASE_URL TOKEN_URL LIST_ID EMAIL...\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *k[] = {"customer_id", "account_id",   "developer_token", "client_id",
                       "refresh_token", "token_url",  "base_url",        "campaign_url",
                       "poll_interval_ms"};
    const char *v[] = {SGX_EMU_MSADS_CUSTOMER, SGX_EMU_MSADS_ACCOUNT, SGX_EMU_MSADS_DEV_TOKEN,
                       SGX_EMU_MSADS_CLIENT,   SGX_EMU_MSADS_REFRESH, argv[2],
                       argv[1],                argv[1],               "50"};
    sgx_dest_settings_t s = {"msads", 9, k, v};
    char errbuf[SGX_ERRBUF_SIZE];
    void *ctx = NULL;
    if (sgx_connector_microsoft_ads.init(&s, &ctx, errbuf) != SGX_OK) {
        fprintf(stderr, "msads_once: %s\n", errbuf);
        return 2;
    }
    size_t n = (size_t)argc - 4;
    sgx_row_t **rows = sgx_calloc(n, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        rows[i] = email_row(argv[4 + i]);
    }
    sgx_batch_t b = {.audience_id = strcmp(argv[3], "new") ? argv[3] : NULL,
                     .segment = "conformance", .op = SGX_OP_ENTER, .session_id = 1,
                     .batch_seq = 1, .last_batch = true, .nrows = n,
                     .rows = (const sgx_row_t *const *)rows};
    sgx_http_t h = {0};
    int rc = run(ctx, &b, &h);
    if (strcmp(argv[3], "new") == 0) {
        sgx_free((char *)b.audience_id); /* found or created: taken from the classification */
    }
    sgx_http_cleanup(&h);
    for (size_t i = 0; i < n; i++) {
        sgx_free(rows[i]);
    }
    sgx_free(rows);
    sgx_connector_microsoft_ads.destroy(ctx);
    curl_global_cleanup();
    return rc;
}
