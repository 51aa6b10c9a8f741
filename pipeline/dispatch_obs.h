/* What the dispatcher tells metrics and the debug log about each response: outcome counters
 * per (destination, audience), latency, destination state (ok/throttled/blocked). */
#ifndef SGX_DISPATCH_OBS_H
#define SGX_DISPATCH_OBS_H

#include "pipeline/dispatch_req.h"

/** @brief Counts rows of r's audience under outcome o. @param dr borrowed. */
void sgx_obs_rows(sgx_dest_rt_t *dr, uint32_t aud, sgx_outcome_t o, size_t rows);

/**
 * @brief Accounts for one classified batch response before the dispatcher acts on it: the
 * request's outcome, the rows of every outcome but rejected (counted where rows are dead-
 * lettered), the latency, the destination's state, and a DEBUG line.
 * @param r, c borrowed. @param seconds the transfer's total time.
 */
void sgx_obs_verdict(sgx_dispatcher_t *d, const sgx_req_t *r, const sgx_classification_t *c,
                     double seconds, int64_t now);

/** @brief DEBUG line for a batch put on the wire. */
void sgx_obs_sent(const sgx_req_t *r);

#endif
