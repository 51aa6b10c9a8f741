/* Row-build stage: what one worker does per event, on the preloaded data set. Every record is
 * decoded once up front; the timed loop is sgx_row_build (EMAIL+PHONE normalized by Meta's
 * rules and SHA-256 hashed) plus freeing the row, on one thread. */
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "bench/bench.h"
#include "bench/bench_e2e.h"
#include "codecs/schema_canonical.h"
#include "codecs/wire.h"
#include "pipeline/rowbuild.h"

static sgx_decoded_t *decode_all(const sgx_bench_data_t *d, size_t *body_off)
{
    const char *schema = sgx_schema_canonical();
    sgx_projection_t *proj = NULL;
    if (sgx_projection_new(schema, strlen(schema), NULL, &proj, NULL)) {
        return NULL;
    }
    sgx_decoded_t *dec = sgx_calloc(d->n, sizeof *dec);
    for (size_t i = 0, start = 0; i < d->n; start = d->ends[i++]) {
        const uint8_t *msg = (const uint8_t *)d->msgs.data + start;
        uint32_t id;
        size_t off;
        if (sgx_wire_parse(msg, d->ends[i] - start, &id, &off) ||
            sgx_projection_decode(proj, msg + off, d->ends[i] - start - off, &dec[i])) {
            sgx_free(dec);
            dec = NULL;
            break;
        }
        body_off[i] = start + off;
    }
    sgx_projection_destroy(proj);
    return dec;
}

/* One run. @returns events/s; *no_key counts events without a usable identifier. */
static double rowbuild_once(const sgx_bench_data_t *d, sgx_rowbuilder_t *rb,
                            const sgx_decoded_t *dec, const size_t *body_off,
                            const sgx_key_t *keys, size_t nkeys, const char *country,
                            size_t *no_key)
{
    sgx_drop_counts_t drops;
    memset(&drops, 0, sizeof drops);
    *no_key = 0;
    double t0 = sgx_bench_now();
    for (size_t i = 0; i < d->n; i++) {
        sgx_row_t *row = NULL;
        const unsigned char *base = (const unsigned char *)d->msgs.data + body_off[i];
        if (sgx_row_build(rb, SGX_DEST_FACEBOOK, keys, nkeys, country, &dec[i], base, &row,
                          &drops, NULL) != SGX_OK) {
            (*no_key)++;
        }
        sgx_row_free(row);
    }
    return (double)d->n / (sgx_bench_now() - t0);
}

double sgx_bench_rowbuild(const sgx_bench_data_t *d, const sgx_bench_opts_t *o)
{
    const sgx_dest_config_t *dc = &d->env.cfg->dests[0]; /* the demo's Meta destination */
    void *ctx = NULL;
    const sgx_key_t *keys = NULL;
    size_t nkeys = 0;
    char errbuf[SGX_ERRBUF_SIZE];
    size_t *body_off = sgx_calloc(d->n, sizeof *body_off);
    sgx_decoded_t *dec = decode_all(d, body_off);
    sgx_rowbuilder_t *rb = NULL;
    double *rates = sgx_calloc((size_t)o->runs, sizeof *rates);
    double median = 0;
    if (!dec || dc->def->init(&dc->settings, &ctx, errbuf) || sgx_rowbuilder_new(&rb)) {
        fprintf(stderr, "bench rowbuild: cannot decode the data set or set up the builder\n");
        goto out;
    }
    dc->def->keys(ctx, &keys, &nkeys);
    for (int r = 0; r < o->runs; r++) {
        size_t no_key = 0;
        rates[r] = rowbuild_once(d, rb, dec, body_off, keys, nkeys, dc->default_country,
                                 &no_key);
        if (no_key != d->truth.expected_dlq) {
            fprintf(stderr, "bench rowbuild: %zu events without a key, expected %zu\n", no_key,
                    (size_t)d->truth.expected_dlq);
            goto out;
        }
    }
    median = sgx_bench_median(rates, (size_t)o->runs);
    fprintf(stderr, "rowbuild: %.0f ns/event on one thread (%zu keys)\n", 1e9 / median, nkeys);
out:
    if (ctx) {
        dc->def->destroy(ctx);
    }
    sgx_rowbuilder_destroy(rb);
    sgx_free(rates);
    sgx_free(dec);
    sgx_free(body_off);
    return median;
}
