/* The committed-offset curve of a pipeline run (issue 13): while a backlog drains, how far the
 * committable (stored) and committed offsets trail the records already final. Sampled by the
 * pipeline stage's watch loop; read at 25/50/75% of the run. */
#ifndef SGX_BENCH_CURVE_H
#define SGX_BENCH_CURVE_H

#include <stddef.h>

#include "pipeline/stats.h"

typedef struct {
    double t;                 /* seconds since the first consumed record */
    double done, stored, committed; /* fractions of the run's records */
} sgx_curve_point_t;

typedef struct {
    sgx_curve_point_t *p;     /* owned */
    size_t n, cap;
} sgx_curve_t;

/** @brief Appends a sample of st (borrowed) at t; total: the run's records. */
void sgx_curve_sample(sgx_curve_t *c, const sgx_stats_t *st, size_t total, double t);
/** @brief The sample nearest to fraction f of the run's duration (c non-empty). */
sgx_curve_point_t sgx_curve_at(const sgx_curve_t *c, double f);
/** @returns the largest lag of the stored fraction behind the done fraction over the run. */
double sgx_curve_max_trail(const sgx_curve_t *c);
/** @brief Frees the samples; NULL-safe. */
void sgx_curve_free(sgx_curve_t *c);

#endif
