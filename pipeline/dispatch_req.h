/* Dispatcher internals shared by dispatcher.c (the loop), dispatch_req.c (requests) and
 * dispatch_auth.c (tokens); why they are one module: dispatcher.h. */
#ifndef SGX_DISPATCH_REQ_H
#define SGX_DISPATCH_REQ_H

#include <curl/curl.h>
#include <pthread.h>

#include "pipeline/audience.h"
#include "pipeline/sched.h"
#include "pipeline/dispatcher.h"
#include "pipeline/http.h"
#include "pipeline/pacer.h"

typedef struct sgx_req sgx_req_t;

/* A destination or one audience that refuses everything (a FATAL verdict): dispatch_block.c. */
typedef struct {
    bool on;
    bool auth;           /* refused credentials: *_file secrets are re-read while blocked */
    bool from_token;     /* the token endpoint refused them (no batch request involved) */
    int attempt;         /* probes that failed so far: the backoff exponent */
    int64_t since;       /* ms; requests started before this cannot end the block */
    int64_t probe_at;    /* the next probe may start then */
    sgx_req_t *probe;    /* the probe on the wire, or NULL */
    char reason[128];
} sgx_block_t;

typedef struct {
    const sgx_dest_t *d;
    uint16_t index;
    sgx_aud_t **auds;
    uint32_t *active;    /* owned: audiences with rows open or held, each once (unordered) */
    size_t nactive;
    bool *listed;        /* owned: per audience, whether it is in active */
    sgx_due_t *due;      /* owned: scratch, two per audience (flush_due in dispatcher.c) */
    char **aud_ids;      /* owned: the audience ids, NULL until a created one is known */
    bool *creating;      /* a request that creates the audience is under way */
    int inflight;        /* requests sent or waiting to be retried, less the parked ones */
    int64_t not_before;  /* throttled: nothing is sent before this (ms) */
    sgx_pacer_t pacer;   /* when the next request may start, how many may be in flight */
    char *token;         /* owned: access token of expiring-credential connectors */
    int64_t token_expiry;
    int64_t token_ttl;
    sgx_req_t *auth;     /* token request under way, or NULL */
    int auth_attempt;
    int64_t auth_retry_at;
    char *refresh_token; /* owned: the newest rotated refresh token, or NULL (dispatch_auth.c) */
    bool refresh_loaded; /* the state file was read */
    sgx_dest_stats_t *st;
    void *ctx;           /* the connector ctx requests use: d->ctx, or own_ctx once rebuilt */
    void *own_ctx;       /* owned: rebuilt after a *_file secret changed, or NULL */
    uint32_t ctx_gen;    /* bumped by each rebuild: bodies encoded before are encoded again */
    char **secrets;      /* owned, settings index: file-backed values now in use, or NULL */
    int64_t secrets_checked;
    sgx_block_t block;   /* the destination as a whole */
    sgx_block_t *aud_block; /* owned, one per audience */
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
    unsigned own_seen;   /* the last ownership epoch purged (dispatch_own.c) */
    bool may_send;       /* group contact recent enough (logged on change) */
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
    bool overdue;        /* the connector said the job ran past its bound (logged once) */
    int backs;           /* NEXT_STEPs back to an earlier step: paced after the first */
    bool await_audience; /* half of a SPLIT batch that must wait for its audience's id */
    bool parked;         /* held by a block: counted out of dest->inflight (dispatch_block.c) */
    int64_t retry_at;
    int64_t started_at;  /* last (re)start: only requests started while blocked may unblock */
    int reauths;         /* REAUTH verdicts: a fresh token refused again blocks instead */
    uint32_t ctx_gen;    /* the dest's ctx_gen when body was encoded (it may hold a secret) */
    sgx_req_t *prev, *next; /* in waiting or active */
};

/** @brief After rows entered or left audience a: lists it while it has rows open or held (so
 *  each iteration only looks at those), frees its buffers once idle (dispatcher.c). */
void sgx_dest_aud_changed(sgx_dest_rt_t *dr, uint32_t a);

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
/** @brief Fills the audience ids the config leaves to creation from the destination's state
 *  file (state_path), where an earlier run saved what it found or created (dispatch_auth.c). */
void sgx_dest_load_created(sgx_dest_rt_t *dr);
/** @brief Saves the found or created audience id of audience index aud in the state file. */
void sgx_dest_save_created(const sgx_dest_rt_t *dr, size_t aud);
/** @brief Starts a transfer (shared by batches and token requests). */
void sgx_req_start_transfer(sgx_dispatcher_t *d, sgx_req_t *r);
/** @brief Frees a request (not its rows). */
void sgx_req_free(sgx_req_t *r);
/** @brief Drops every request, releasing its rows' records undelivered (abrupt stop). */
void sgx_req_cancel_all(sgx_dispatcher_t *d);
/** @brief Queues r (owned by the waiting list) for its retry_at. */
void sgx_req_push_waiting(sgx_dispatcher_t *d, sgx_req_t *r);
/** @brief Re-encodes r's rows into r->body (a split half). @returns the encoder's error. */
sgx_err_t sgx_req_encode(sgx_dispatcher_t *d, sgx_req_t *r);

/* ---- dispatch_block.c: blocked destinations and audiences, rotated secrets ---------------- */

/** @brief Allocates dr's per-audience block states. */
void sgx_block_setup(sgx_dest_rt_t *dr);
/** @brief Frees what dr's block and secret state own (a rebuilt connector ctx). */
void sgx_block_free(sgx_dest_rt_t *dr);
/** @returns true when no new batch of audience aud may be sent (it or dr is blocked). */
bool sgx_block_holds(const sgx_dest_rt_t *dr, uint32_t aud);
/** @returns true when waiting request r may start now: nothing blocks it, or it is the one
 *  probe its block allows. */
bool sgx_block_may_start(sgx_dispatcher_t *d, sgx_req_t *r, int64_t now);
/** @brief A FATAL verdict: blocks r's destination or audience (logging the change once) and
 *  parks r (ownership moves to the waiting list) as the next probe. */
void sgx_block_enter(sgx_dispatcher_t *d, sgx_req_t *r, sgx_classification_t *c, int64_t now);
/** @brief RETRY or REAUTH for r (retry_at set): if it was a probe, the next probe may go at
 *  r's retry time; the block stays. */
void sgx_block_retried(sgx_req_t *r);
/** @brief Any other verdict for r: a probe that got through ends its block. */
void sgx_block_answered(sgx_dispatcher_t *d, const sgx_req_t *r, int64_t now);
/** @brief The token endpoint refused dr's credentials (true) or issued a token (false). */
void sgx_block_token(sgx_dispatcher_t *d, sgx_dest_rt_t *dr, bool refused, const char *reason,
                     int64_t now);
/** @brief Periodic work: re-reads *_file secrets of destinations blocked on credentials. */
void sgx_block_tick(sgx_dispatcher_t *d, int64_t now);

/* ---- dispatch_split.c: whole-batch refusals, server-supplied waits, pacing input ---------- */

/** @brief Caps c->retry_after_ms at max_server_wait_ms, saying so when it does. */
void sgx_req_cap_wait(sgx_dispatcher_t *d, const sgx_req_t *r, sgx_classification_t *c);
/** @returns true when r was split in two halves queued for retry (r's rows move into them);
 *  false when it cannot be split (one row, or an audience still to be created). */
bool sgx_req_split(sgx_dispatcher_t *d, sgx_req_t *r, const char *reason, int64_t now);

/** @brief Feeds what an answer said about the destination's allowance (c, borrowed) and its
 *  latency (ms, < 0 unknown) to dr's pacer. */
void sgx_req_pace(sgx_dest_rt_t *dr, const sgx_classification_t *c, int64_t latency_ms,
                  int64_t now);

/** @brief Takes r out of the active (on_wire) or waiting list; an active transfer is aborted. */
void sgx_req_unlink(sgx_dispatcher_t *d, sgx_req_t *r, bool on_wire);
/** @brief r->rows[0..r->batch.nrows) changed: encodes them again and queues r as a new job
 *  (step 0, attempt 0) due at now; rows that cannot be expressed go to the dead-letter topic. */
void sgx_req_restart(sgx_dispatcher_t *d, sgx_req_t *r, int64_t now);

/* ---- dispatch_own.c ---- */

/** @brief Drops a row of a partition no longer owned: its record is released, not
 *  acknowledged (the poll thread ignores it: stale generation). @param row owned. */
void sgx_own_drop_row(sgx_dispatcher_t *d, sgx_row_t *row);
/** @brief Drops every open, held, waiting and in-flight row no longer owned (transfers holding
 *  one are aborted; their other rows restart as a new job). */
void sgx_own_purge(sgx_dispatcher_t *d, int64_t now);

#endif
