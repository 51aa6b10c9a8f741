/* Committed-offset curve (bench_curve.h). */
#include "bench/bench_curve.h"

#include "base/mem.h"

void sgx_curve_sample(sgx_curve_t *c, const sgx_stats_t *st, size_t total, double t)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->p = sgx_realloc(c->p, c->cap * sizeof *c->p);
    }
    /* Offsets of the bench topic start at 0, so a partition's stored or committed offset is
     * the number of its records that are committable or committed. */
    int64_t stored = 0, committed = 0;
    for (size_t i = 0; i < SGX_STATS_MAX_PARTS; i++) {
        const sgx_part_stats_t *ps = &st->parts[i];
        if (!atomic_load(&ps->used)) {
            continue;
        }
        int64_t s = SGX_GET(ps->stored), k = SGX_GET(ps->committed);
        stored += s > 0 ? s : 0;
        committed += k > 0 ? k : 0;
    }
    double n = total ? (double)total : 1.0;
    c->p[c->n++] = (sgx_curve_point_t){.t = t, .done = (double)SGX_GET(st->done) / n,
                                       .stored = (double)stored / n,
                                       .committed = (double)committed / n};
}

sgx_curve_point_t sgx_curve_at(const sgx_curve_t *c, double f)
{
    double want = f * c->p[c->n - 1].t;
    size_t best = 0;
    for (size_t i = 1; i < c->n; i++) {
        double d = c->p[i].t - want, b = c->p[best].t - want;
        if ((d < 0 ? -d : d) < (b < 0 ? -b : b)) {
            best = i;
        }
    }
    return c->p[best];
}

double sgx_curve_max_trail(const sgx_curve_t *c)
{
    double worst = 0;
    for (size_t i = 0; i < c->n; i++) {
        double lag = c->p[i].done - c->p[i].stored;
        worst = lag > worst ? lag : worst;
    }
    return worst;
}

void sgx_curve_free(sgx_curve_t *c)
{
    if (c) {
        sgx_free(c->p);
        *c = (sgx_curve_t){0};
    }
}
