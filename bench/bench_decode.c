/* Decode stage: frame parse + projection decode of canonical events encoded once by avro-c. */
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "codecs/avro_projection.h"
#include "codecs/avro_writer.h"
#include "codecs/wire.h"

#define SCHEMA_ID 1

static char *read_schema(size_t *len)
{
    static const char *const paths[] = {"deploy/schemas/segment_membership.avsc",
                                        "../deploy/schemas/segment_membership.avsc"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        FILE *f = fopen(paths[i], "rb");
        if (f) {
            sgx_buf_t b = {0};
            char chunk[4096];
            size_t n;
            while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
                sgx_buf_append(&b, chunk, n);
            }
            fclose(f);
            *len = b.len;
            return b.data;
        }
    }
    return NULL;
}

/* Realistic mix: every event has email; most have phone; some have names, dob, city. */
static void make_event(size_t i, sgx_event_in_t *ev, char *pid, char *email)
{
    static const char *const first[] = {"Alice", "Bob", "Zoë", "Jean-Luc"};
    static const char *const last[] = {"Martin", "Smith", "Müller", "Nguyen"};
    snprintf(pid, 48, "8f14e45f-ceea-467a-9575-%012zu", i % 1000000000000u);
    snprintf(email, 64, "user.%zu@example-mail.com", i);
    *ev = (sgx_event_in_t){.profile_id = pid, .segment_id = "seg-high-value-2024",
                           .op = (i % 5) ? SGX_OP_ENTER : SGX_OP_EXIT,
                           .event_time_ms = 1700000000000 + (int64_t)i};
    ev->fields[SGX_F_EMAIL] = email;
    ev->fields[SGX_F_PHONE] = (i % 4) ? "+33612345678" : NULL;
    ev->fields[SGX_F_FIRST_NAME] = (i % 3) ? first[i % 4] : NULL;
    ev->fields[SGX_F_LAST_NAME] = (i % 3) ? last[i % 4] : NULL;
    ev->fields[SGX_F_DATE_OF_BIRTH] = (i % 2) ? "1985-07-14" : NULL;
    ev->fields[SGX_F_CITY] = (i % 2) ? "Paris" : NULL;
    ev->fields[SGX_F_COUNTRY] = "FR";
}

void sgx_bench_decode(size_t n, int runs)
{
    size_t len;
    char *schema = read_schema(&len);
    sgx_avro_writer_t *w = NULL;
    sgx_projection_t *p = NULL;
    if (!schema || sgx_avro_writer_new(schema, len, &w, NULL) ||
        sgx_projection_new(schema, len, NULL, &p, NULL)) {
        fprintf(stderr, "bench decode: cannot load deploy/schemas/segment_membership.avsc\n");
        goto out;
    }
    sgx_buf_t all = {0};
    size_t *ends = malloc(n * sizeof *ends);
    for (size_t i = 0; i < n; i++) {
        sgx_event_in_t ev;
        char pid[48], email[64];
        make_event(i, &ev, pid, email);
        sgx_avro_writer_encode(w, SCHEMA_ID, &ev, &all);
        ends[i] = all.len;
    }
    double *rates = malloc((size_t)runs * sizeof *rates);
    size_t ok = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = sgx_bench_now();
        for (size_t i = 0, start = 0; i < n; start = ends[i++]) {
            const uint8_t *msg = (const uint8_t *)all.data + start;
            uint32_t id;
            size_t off;
            sgx_decoded_t d;
            if (sgx_wire_parse(msg, ends[i] - start, &id, &off) == SGX_OK &&
                sgx_projection_decode(p, msg + off, ends[i] - start - off, &d) == SGX_OK) {
                ok += d.present != 0;
            }
        }
        rates[r] = (double)n / (sgx_bench_now() - t0);
    }
    if (ok != n * (size_t)runs) {
        fprintf(stderr, "bench decode: %zu of %zu events failed\n", n * (size_t)runs - ok,
                n * (size_t)runs);
    }
    double median = sgx_bench_median(rates, (size_t)runs);
    printf("RESULT stage=decode events_per_s=%.0f\n", median);
    fprintf(stderr, "decode: %.1f ns/event, %.1f bytes/event\n", 1e9 / median,
            (double)all.len / (double)n);
    free(rates);
    free(ends);
    sgx_buf_free(&all);
out:
    sgx_avro_writer_destroy(w);
    sgx_projection_destroy(p);
    free(schema);
}
