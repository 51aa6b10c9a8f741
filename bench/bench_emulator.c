/* The Meta emulator alone (`--stage emulator_facebook`): what one row costs the emulator, since
 * users load-test against it and on a small machine it shares the cores with segexport.
 * The emulator runs in-process; this thread is its only client (libcurl over loopback, one
 * kept-alive connection) and sends bodies encoded beforehand the way the connector encodes them
 * (connectors/facebook/fb_encode.c): POST /{v}/{audience}/users with a form body of 10,000
 * EMAIL+PHONE rows, then DELETEs of 40 rows with the parameters in the query string.
 * Emulator CPU = process CPU (getrusage RUSAGE_SELF, which keeps the time of MHD connection
 * threads that have exited) minus this thread's own (RUSAGE_THREAD); nothing else runs in the
 * process during this stage. */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "base/buf.h"
#include "base/mem.h"
#include "bench/bench.h"
#include "emulators/facebook.h"

#define EMU_ROWS 10000    /* rows per POST: Meta's cap, what segexport sends when batches fill */
#define EMU_POSTS 20      /* POST bodies per run: 200,000 distinct members */
#define EMU_DEL_ROWS 40   /* rows per DELETE: what fits segexport's 8000-byte removal URL */
#define EMU_DELETES 5000  /* DELETEs per run: every member removed again */
#define EMU_MAX_RUNS 16

typedef struct {
    sgx_buf_t *posts; /* EMU_POSTS form bodies */
    char **deletes;   /* EMU_DELETES URLs (owned), the port patched in by each run */
} emu_work_t;

static void put_hex(sgx_buf_t *b, uint64_t seed)
{
    static const char hex[] = "0123456789abcdef";
    char out[64];
    for (int w = 0; w < 4; w++) {
        seed += 0x9e3779b97f4a7c15ULL;
        uint64_t x = seed;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        x ^= x >> 31;
        for (int i = 0; i < 16; i++) {
            out[w * 16 + i] = hex[(x >> (4 * i)) & 15];
        }
    }
    sgx_buf_append(b, out, sizeof out);
}

/* The payload of rows [first, first+n), form-encoded as fb_encode.c does: '[' '"' ',' ':' '{'
 * '}' escaped, hex digits as they are. */
static void put_payload(sgx_buf_t *b, size_t first, size_t n)
{
    sgx_buf_puts(b, "payload=%7B%22schema%22%3A%5B%22EMAIL%22%2C%22PHONE%22%5D%2C%22is_raw%22"
                    "%3Atrue%2C%22data%22%3A%5B");
    for (size_t i = first; i < first + n; i++) {
        sgx_buf_puts(b, i > first ? "%2C%5B%22" : "%5B%22");
        put_hex(b, i * 2);
        sgx_buf_puts(b, "%22%2C%22");
        put_hex(b, i * 2 + 1);
        sgx_buf_puts(b, "%22%5D");
    }
    sgx_buf_puts(b, "%5D%7D&session=%7B%22session_id%22%3A7%2C%22batch_seq%22%3A1%2C%22last_"
                    "batch_flag%22%3Atrue%2C%22estimated_num_total%22%3A200000%7D"
                    "&access_token=test-token");
}

static void work_build(emu_work_t *w)
{
    w->posts = sgx_calloc(EMU_POSTS, sizeof *w->posts);
    w->deletes = sgx_calloc(EMU_DELETES, sizeof *w->deletes);
    for (size_t i = 0; i < EMU_POSTS; i++) {
        put_payload(&w->posts[i], i * EMU_ROWS, EMU_ROWS);
    }
    for (size_t i = 0; i < EMU_DELETES; i++) {
        sgx_buf_t u = {0};
        sgx_buf_puts(&u, "http://127.0.0.1:00000/v25.0/4242/users?");
        put_payload(&u, i * EMU_DEL_ROWS, EMU_DEL_ROWS);
        sgx_buf_append(&u, "", 1);
        w->deletes[i] = (char *)u.data;
    }
}

static void work_free(emu_work_t *w)
{
    for (size_t i = 0; i < EMU_POSTS; i++) {
        sgx_buf_free(&w->posts[i]);
    }
    for (size_t i = 0; i < EMU_DELETES; i++) {
        sgx_free(w->deletes[i]);
    }
    sgx_free(w->posts);
    sgx_free(w->deletes);
}

static double cpu_s(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static size_t sink(char *p, size_t size, size_t n, void *ctx)
{
    sgx_buf_append(ctx, p, size * n);
    return size * n;
}

/* One request; returns 0 when the emulator accepted all `rows` rows. */
static int send_one(CURL *c, sgx_buf_t *reply, size_t rows)
{
    long status = 0;
    char want[48];
    sgx_buf_reset(reply);
    if (curl_easy_perform(c) != CURLE_OK ||
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
        return -1;
    }
    snprintf(want, sizeof want, "\"num_received\":%zu,\"num_invalid_entries\":0", rows);
    sgx_buf_append(reply, "", 1);
    return strstr((const char *)reply->data, want) ? 0 : -1;
}

/* Sends one phase (posts when del is false) and returns its emulator CPU and wall seconds. */
static int phase(CURL *c, emu_work_t *w, uint16_t port, bool del, double *cpu, double *wall)
{
    char url[96];
    sgx_buf_t reply = {0};
    int rc = 0;
    snprintf(url, sizeof url, "http://127.0.0.1:%05u/v25.0/4242/users", port);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
    double c0 = cpu_s(RUSAGE_SELF), t0 = cpu_s(RUSAGE_THREAD), w0 = sgx_bench_now();
    for (size_t i = 0; !rc && i < (del ? EMU_DELETES : EMU_POSTS); i++) {
        if (del) {
            memcpy(w->deletes[i] + 17, url + 17, 5); /* the 5-digit port field */
            curl_easy_setopt(c, CURLOPT_URL, w->deletes[i]);
            curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
        } else {
            curl_easy_setopt(c, CURLOPT_URL, url);
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)w->posts[i].data);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)w->posts[i].len);
        }
        rc = send_one(c, &reply, del ? EMU_DEL_ROWS : EMU_ROWS);
    }
    *wall = sgx_bench_now() - w0;
    *cpu = (cpu_s(RUSAGE_SELF) - c0) - (cpu_s(RUSAGE_THREAD) - t0);
    sgx_buf_free(&reply);
    return rc;
}

/* One run against a fresh emulator; fills the per-row CPU and rate of both phases. */
static int run_once(emu_work_t *w, bool *built, double out[4])
{
    sgx_emu_fb_opts_t o = {.auto_create = true};
    sgx_emu_fb_t *e = NULL;
    if (sgx_emu_fb_start(&o, &e) != SGX_OK) {
        return -1;
    }
    if (!*built) {
        work_build(w);
        *built = true;
    }
    CURL *c = curl_easy_init();
    /* No "Expect: 100-continue" round trip: segexport's core does not wait for one either. */
    struct curl_slist *hdrs = curl_slist_append(NULL, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    double cpu = 0, wall = 0;
    int rc = phase(c, w, sgx_emu_fb_port(e), false, &cpu, &wall);
    out[0] = cpu / (EMU_POSTS * EMU_ROWS) * 1e6;
    out[1] = EMU_POSTS * EMU_ROWS / wall;
    rc = rc ? rc : phase(c, w, sgx_emu_fb_port(e), true, &cpu, &wall);
    out[2] = cpu / (EMU_DELETES * EMU_DEL_ROWS) * 1e6;
    out[3] = EMU_DELETES * EMU_DEL_ROWS / wall;
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    sgx_emu_fb_stop(e);
    return rc;
}

void sgx_bench_emulator_facebook(int runs)
{
    emu_work_t w = {0};
    bool built = false;
    double v[4][EMU_MAX_RUNS];
    runs = runs < 1 ? 1 : runs > EMU_MAX_RUNS ? EMU_MAX_RUNS : runs;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (int r = 0; r < runs; r++) {
        double out[4];
        if (run_once(&w, &built, out)) {
            printf("RESULT stage=emulator_facebook error=failed_request\n");
            goto done;
        }
        fprintf(stderr, "emulator_facebook run %d: add %.3f us/row %.0f rows/s, remove %.3f "
                "us/row %.0f rows/s\n", r + 1, out[0], out[1], out[2], out[3]);
        for (int k = 0; k < 4; k++) {
            v[k][r] = out[k];
        }
    }
    printf("RESULT stage=emulator_facebook us_per_row=%.3f rows_per_s=%.0f\n",
           sgx_bench_median(v[0], (size_t)runs), sgx_bench_median(v[1], (size_t)runs));
    printf("RESULT stage=emulator_facebook_delete us_per_row=%.3f rows_per_s=%.0f\n",
           sgx_bench_median(v[2], (size_t)runs), sgx_bench_median(v[3], (size_t)runs));
done:
    fflush(stdout);
    if (built) {
        work_free(&w);
    }
    curl_global_cleanup();
}
