#include "pipeline/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"

struct sgx_progress {
    const sgx_config_t *cfg;
    sgx_stats_t *stats;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool quit;
};

/* "topic[0]=12,topic[1]=30": partitions with a known committed offset, assigned ones only
 * unless all (the final summary comes after the group was left). */
static void committed_list(const sgx_config_t *cfg, sgx_stats_t *s, sgx_buf_t *out, bool all)
{
    for (int i = 0; i < SGX_STATS_MAX_PARTS; i++) {
        sgx_part_stats_t *p = &s->parts[i];
        if (!atomic_load_explicit(&p->used, memory_order_acquire)) {
            break;
        }
        int64_t c = SGX_GET(p->committed);
        if ((!all && !atomic_load(&p->assigned)) || c < 0) {
            continue;
        }
        char item[SGX_STATS_TOPIC_LEN + 160];
        /* "meta:topic[0]=12" with a consumer group per destination */
        snprintf(item, sizeof item, "%s%.80s%s%s[%d]=%lld", out->len ? "," : "",
                 p->group > 0 ? cfg->dests[p->group - 1].name : "", p->group > 0 ? ":" : "",
                 p->topic, (int)p->partition, (long long)c);
        sgx_buf_puts(out, item);
    }
}

void sgx_progress_log(const sgx_config_t *cfg, sgx_stats_t *s, bool final)
{
    enum { FIXED = 6 };
    sgx_log_field_t f[FIXED + SGX_STATS_MAX_DESTS];
    char keys[SGX_STATS_MAX_DESTS][96];
    sgx_buf_t committed = {0};
    committed_list(cfg, s, &committed, final);
    int64_t inflight = SGX_GET(s->inflight);
    f[0] = SGX_FN("consumed", SGX_GET(s->consumed));
    f[1] = SGX_FN("acknowledged", SGX_GET(s->done));
    f[2] = SGX_FN("dead_lettered", SGX_GET(s->dead_lettered));
    f[3] = SGX_FN(final ? "unacknowledged" : "in_flight", inflight < 0 ? 0 : inflight);
    f[4] = SGX_FN("paused", SGX_GET(s->paused));
    f[5] = SGX_FS("committed", committed.data ? committed.data : "");
    size_t n = FIXED;
    for (size_t d = 0; d < cfg->ndests && d < SGX_STATS_MAX_DESTS; d++) {
        snprintf(keys[d], sizeof keys[d], "delivered.%.80s", cfg->dests[d].name);
        f[n++] = SGX_FN(keys[d], SGX_GET(s->dest[d].rows_delivered));
    }
    sgx_log_fields(SGX_LOG_INFO, "progress", f, n, "%s", final ? "final summary" : "progress");
    sgx_buf_free(&committed);
}

static void *progress_main(void *arg)
{
    sgx_progress_t *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->quit) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += p->cfg->progress_interval_s;
        while (!p->quit && pthread_cond_timedwait(&p->cv, &p->mu, &until) == 0) {
        }
        if (!p->quit) {
            sgx_progress_log(p->cfg, p->stats, false);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

sgx_err_t sgx_progress_start(const sgx_config_t *cfg, sgx_stats_t *s, sgx_progress_t **out)
{
    *out = NULL;
    if (cfg->progress_interval_s <= 0) {
        return SGX_OK;
    }
    sgx_progress_t *p = sgx_calloc(1, sizeof *p);
    p->cfg = cfg;
    p->stats = s;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&p->mu, NULL);
    if (pthread_create(&p->thread, NULL, progress_main, p) != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        sgx_free(p);
        return SGX_ERR_UNAVAILABLE;
    }
    *out = p;
    return SGX_OK;
}

void sgx_progress_stop(sgx_progress_t *p)
{
    if (!p) {
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    sgx_free(p);
}
