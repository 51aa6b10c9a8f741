/* Dispatcher internals shared by dispatcher.c (the loop) and dispatch_req.c (requests). */
#ifndef SGX_DISPATCH_REQ_H
#define SGX_DISPATCH_REQ_H

#include <curl/curl.h>
#include <pthread.h>

#include "pipeline/audience.h"
#include "pipeline/dispatcher.h"
#include "pipeline/http.h"

typedef struct sgx_req sgx_req_t;

typedef struct {
    const sgx_dest_t *d;
    uint16_t index;
    sgx_aud_t **auds;
    char **aud_ids;      /* owned: the audience ids, NULL until a created one is known */
    bool *creating;      /* a request that creates the audience is under way */
    int inflight;        /* requests sent or waiting to be retried */
    int64_t not_before;  /* throttled: nothing is sent before this (ms) */
    int64_t next_start;  /* min_interval_ms pacing */
    char *token;         /* owned: access token of expiring-credential connectors */
    int64_t token_expiry;
    int64_t token_ttl;
    sgx_req_t *auth;     /* token request under way, or NULL */
    int auth_attempt;
    int64_t auth_retry_at;
    char *refresh_token; /* owned: the newest rotated refresh token, or NULL (dispatch_auth.c) */
    bool refresh_loaded; /* the state file was read */
    sgx_dest_stats_t *st;
} sgx_dest_rt_t;

struct sgx_dispatcher {
    sgx_dispatcher_opts_t o;
    pthread_t thread;
    bool started;
    CURLM *multi;
    sgx_dest_rt_t *dests;
    sgx_req_t *waiting;  /* requests waiting for their retry time */
    sgx_req_t *active;   /* requests on the wire */
    uint64_t rng;
    uint64_t next_session;
};

struct sgx_req {
    sgx_dest_rt_t *dest;
    bool is_auth;        /* a token request, not a batch */
    uint32_t aud;
    sgx_row_t **rows;
    sgx_batch_t batch;
    sgx_buf_t body;
    sgx_job_t job;
    sgx_request_t req;
    sgx_http_t http;
    char *state;         /* owned: carried between the steps of an async job */
    bool await_audience; /* half of a SPLIT batch that must wait for its audience's id */
    int64_t retry_at;
    sgx_req_t *prev, *next; /* in waiting or active */
};

/** @returns CLOCK_MONOTONIC in milliseconds. */
int64_t sgx_now_ms(void);

/** @brief Encodes the open batch of (dr, aud, op) — splitting it when the body would exceed
 *  the byte cap — and sends it. */
void sgx_req_send_batch(sgx_dispatcher_t *d, sgx_dest_rt_t *dr, uint32_t aud, sgx_op_t op,
                        int64_t now);
/** @brief Re-sends the waiting requests whose retry time has come. */
void sgx_req_start_due_retries(sgx_dispatcher_t *d, int64_t now);
/** @brief Classifies finished transfers and acts on the verdicts. */
void sgx_req_collect(sgx_dispatcher_t *d);
/** @returns true when the destination may start a request now (pacing, throttling, a valid
 *  token); starts a token request when one is needed. */
bool sgx_dest_ready(sgx_dispatcher_t *d, sgx_dest_rt_t *dr, int64_t now);
/** @brief Acts on a finished token request (dispatch_auth.c). */
void sgx_auth_done(sgx_dispatcher_t *d, sgx_req_t *r, const sgx_response_t *resp, int64_t now);
/** @brief Starts a transfer (shared by batches and token requests). */
void sgx_req_start_transfer(sgx_dispatcher_t *d, sgx_req_t *r);
/** @brief Frees a request (not its rows). */
void sgx_req_free(sgx_req_t *r);
/** @brief Drops every request, releasing its rows' records undelivered (abrupt stop). */
void sgx_req_cancel_all(sgx_dispatcher_t *d);

#endif
