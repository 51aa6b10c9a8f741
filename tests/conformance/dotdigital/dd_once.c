/* Sends one batch through the Dotdigital connector exactly as segexport does: the connector's
 * init/encode/prepare/classify and the core's own HTTP setup (pipeline/http.c), driven one
 * request at a time instead of by the dispatcher's curl multi loop. The conformance test points
 * it at a recording proxy in front of the emulator and checks every exchange against Dotdigital's
 * published v2 description (test_dd_openapi.py).
 * usage: dd_once BASE_URL ADDRESS_BOOK enter|exit EMAIL... (e-mails already normalized)
 * Exit code 0 when the batch ended DELIVERED or PARTIAL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "connectors/dotdigital/dotdigital.h"
#include "pipeline/http.h"
#include "tests/unit/dd_test_rows.h"

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

/* Runs the job's steps to a final verdict. @returns 0 for DELIVERED/PARTIAL, else 1. */
static int run(void *ctx, const sgx_batch_t *b, sgx_http_t *h)
{
    const sgx_connector_def_t *def = &sgx_connector_dotdigital;
    sgx_buf_t body = {0};
    if (def->encode(ctx, b, &body)) {
        fprintf(stderr, "dd_once: encode failed\n");
        return 1;
    }
    sgx_job_t job = {.batch = b, .body = &body};
    char *state = NULL;
    int rc = 1;
    for (int i = 0; i < 500; i++) {
        sgx_request_t req = {0};
        sgx_response_t resp;
        job.state = state;
        if (def->prepare(ctx, &job, &req) || perform(&req, h, &resp)) {
            fprintf(stderr, "dd_once: step %d cannot be sent\n", job.step);
            sgx_request_clear(&req);
            break;
        }
        sgx_classification_t c = {.retry_after_ms = -1, .next_step = job.step + 1};
        def->classify(ctx, &job, &resp, &c);
        sgx_request_clear(&req);
        printf("step %d: verdict %d %s\n", job.step, (int)c.verdict, c.reason);
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
    sgx_buf_free(&body);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 5 || (strcmp(argv[3], "enter") != 0 && strcmp(argv[3], "exit") != 0)) {
        fprintf(stderr, "usage: dd_once BASE_URL ADDRESS_BOOK enter|exit EMAIL...\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *k[] = {"api_user", "api_password", "region", "base_url", "poll_interval_ms"};
    const char *v[] = {"apiuser-test@apiconnector.com", "test-password", "r1", argv[1], "50"};
    sgx_dest_settings_t s = {"dotdigital", 5, k, v};
    char errbuf[SGX_ERRBUF_SIZE];
    void *ctx = NULL;
    if (sgx_connector_dotdigital.init(&s, &ctx, errbuf) != SGX_OK) {
        fprintf(stderr, "dd_once: %s\n", errbuf);
        return 2;
    }
    size_t n = (size_t)argc - 4;
    sgx_row_t **rows = sgx_calloc(n, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        const char *cell[1] = {argv[4 + i]};
        rows[i] = dd_row(cell, 1);
    }
    sgx_batch_t b = {.audience_id = argv[2], .segment = "conformance",
                     .op = strcmp(argv[3], "enter") == 0 ? SGX_OP_ENTER : SGX_OP_EXIT,
                     .session_id = 1, .batch_seq = 1, .last_batch = true, .nrows = n,
                     .rows = (const sgx_row_t *const *)rows};
    sgx_http_t h = {0};
    int rc = run(ctx, &b, &h);
    sgx_http_cleanup(&h);
    for (size_t i = 0; i < n; i++) {
        sgx_free(rows[i]);
    }
    sgx_free(rows);
    sgx_connector_dotdigital.destroy(ctx);
    curl_global_cleanup();
    return rc;
}
