/* Sends one ENTER and one EXIT batch through the Meta connector exactly as segexport does: the
 * connector's init/encode/prepare/classify and the core's own HTTP setup (pipeline/http.c), one
 * request at a time instead of the dispatcher's curl multi loop. The ENTER batch has no audience
 * id, so it first finds the audience named SEGMENT in the ad account or creates it; the EXIT
 * batch removes the same rows from it. The conformance test points it at a recording proxy in
 * front of the emulator to compare its requests with the official SDK's.
 * usage: fb_once BASE_URL TOKEN AD_ACCOUNT SEGMENT EMAIL,PHONE... (values already normalized) */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "connectors/facebook/fb.h"
#include "pipeline/http.h"

static sgx_err_t perform(sgx_request_t *req, sgx_http_t *h, sgx_response_t *resp)
{
    sgx_err_t err = sgx_http_setup(h, req, 30000, NULL);
    if (!err) {
        sgx_http_reset_response(h);
        sgx_http_response(h, curl_easy_perform(h->easy), resp);
    }
    sgx_request_clear(req);
    return err;
}

/* "email,phone" -> a two-key row of SHA-256 digests, as the core builds it. */
static sgx_row_t *row_new(const char *pair)
{
    const char *comma = strchr(pair, ',');
    size_t n[2] = {comma ? (size_t)(comma - pair) : strlen(pair), comma ? strlen(comma + 1) : 0};
    const char *v[2] = {pair, comma ? comma + 1 : ""};
    sgx_row_t *r = sgx_calloc(1, sizeof *r + 64);
    r->nvals = 2;
    for (int i = 0; i < 2; i++) {
        unsigned int len = 0;
        EVP_Digest(v[i], n[i], r->data + 32 * i, &len, EVP_sha256(), NULL);
        r->vals[i] = (sgx_row_val_t){.kind = SGX_VAL_DIGEST, .len = 32, .off = 32u * (unsigned)i};
    }
    r->data_len = 64;
    return r;
}

/* One batch to a final verdict; a found or created audience id goes to *aud_id (owned). */
static int run(void *ctx, sgx_batch_t *b, char **aud_id, sgx_http_t *h)
{
    const sgx_connector_def_t *def = &sgx_connector_facebook;
    sgx_buf_t body = {0};
    if (def->encode(ctx, b, &body)) {
        fprintf(stderr, "fb_once: encode failed\n");
        return 1;
    }
    sgx_job_t job = {.batch = b, .body = &body};
    int rc = 1;
    for (int i = 0; i < 8; i++) {
        sgx_request_t req = {0};
        sgx_response_t resp;
        b->audience_id = *aud_id;
        if (def->prepare(ctx, &job, &req) || perform(&req, h, &resp)) {
            fprintf(stderr, "fb_once: step %d cannot be sent\n", job.step);
            break;
        }
        sgx_classification_t c = {.retry_after_ms = -1, .next_step = job.step + 1};
        def->classify(ctx, &job, &resp, &c);
        printf("%s step %d: verdict %d %s\n", b->op == SGX_OP_EXIT ? "exit" : "enter", job.step,
               (int)c.verdict, c.reason);
        if (c.created_audience_id && !*aud_id) {
            printf("audience %s\n", c.created_audience_id);
            *aud_id = c.created_audience_id;
            c.created_audience_id = NULL;
        }
        sgx_verdict_t v = c.verdict;
        job.step = c.next_step;
        sgx_classification_clear(&c);
        if (v != SGX_CLS_NEXT_STEP) {
            rc = v == SGX_CLS_DELIVERED ? 0 : 1;
            break;
        }
    }
    sgx_buf_free(&body);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: fb_once BASE_URL TOKEN AD_ACCOUNT SEGMENT EMAIL,PHONE...\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *k[] = {"access_token", "base_url", "ad_account_id", "keys", "api_version"};
    const char *v[] = {argv[2], argv[1], argv[3], "EMAIL,PHONE", "v25.0"};
    sgx_dest_settings_t s = {"facebook", 5, k, v};
    char errbuf[SGX_ERRBUF_SIZE];
    void *ctx = NULL;
    if (sgx_connector_facebook.init(&s, &ctx, errbuf) != SGX_OK) {
        fprintf(stderr, "fb_once: %s\n", errbuf);
        return 2;
    }
    size_t n = (size_t)argc - 5;
    sgx_row_t **rows = sgx_calloc(n, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        rows[i] = row_new(argv[5 + i]);
    }
    sgx_batch_t b = {.segment = argv[4], .op = SGX_OP_ENTER, .session_id = 1, .batch_seq = 1,
                     .last_batch = true, .nrows = n, .rows = (const sgx_row_t *const *)rows};
    sgx_http_t h = {0};
    char *aud = NULL;
    int rc = run(ctx, &b, &aud, &h);
    if (rc == 0) {
        b.op = SGX_OP_EXIT;
        b.session_id = 2;
        rc = run(ctx, &b, &aud, &h);
    }
    sgx_free(aud);
    sgx_http_cleanup(&h);
    for (size_t i = 0; i < n; i++) {
        sgx_free(rows[i]);
    }
    sgx_free(rows);
    sgx_connector_facebook.destroy(ctx);
    curl_global_cleanup();
    return rc;
}
