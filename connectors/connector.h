/* The connector interface: a static const descriptor of pure callbacks. The core (dispatcher)
 * owns all I/O, retries, backoff, auth refresh scheduling and acking; a connector only turns
 * rows into bytes, bytes into a request, and a response into a verdict (architecture.md §4). */
#ifndef SGX_CONNECTOR_H
#define SGX_CONNECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "codecs/event.h"
#include "codecs/normalize.h"

#define SGX_CONNECTOR_ABI 1
#define SGX_MAX_ROW_VALS 16

/* ---- rows: one per (event, destination) ------------------------------------------------ */

typedef enum {
    SGX_VAL_ABSENT = 0, /* key missing or dropped: encoders write "" or omit it */
    SGX_VAL_DIGEST,     /* 32-byte binary SHA-256; hex only at encode time */
    SGX_VAL_TEXT,       /* normalized text sent as is (MADID, EXTERN_ID, plain e-mail) */
} sgx_val_kind_t;

typedef struct {
    uint8_t kind;  /* sgx_val_kind_t */
    uint16_t len;  /* bytes in data (32 for a digest) */
    uint32_t off;  /* offset into sgx_row_t.data */
} sgx_row_val_t;

/* A destination row. One allocation: header, vals[], then the bytes they point at. Rows are
 * built by workers, owned by the dispatcher, and freed when final. */
typedef struct sgx_row {
    void *ack;              /* core-owned ack reference; connectors never touch it */
    uint64_t profile_hash;  /* xxh3 of profile_id: fence and coalescing key */
    const char *profile_id; /* borrowed from the event, which outlives the row */
    uint32_t profile_len;
    uint32_t audience;      /* index into the destination's audience table */
    uint16_t dest;          /* core-private: index of the destination */
    uint32_t slot;          /* core-private: position in the open batch */
    sgx_op_t op;
    uint16_t nvals;         /* == the connector's key count for this destination */
    uint16_t data_len;
    sgx_row_val_t vals[SGX_MAX_ROW_VALS];
    unsigned char data[];
} sgx_row_t;

/* ---- batches, requests, responses -------------------------------------------------------- */

typedef struct {
    uint32_t audience;
    const char *audience_id; /* borrowed; NULL when the audience must first be created */
    const char *segment;     /* borrowed: the segment id (names a created audience) */
    sgx_op_t op;
    uint64_t session_id;     /* assigned by the core; deterministic in tests */
    uint32_t batch_seq;      /* 1-based */
    bool last_batch;
    size_t nrows;
    const sgx_row_t *const *rows; /* borrowed */
    /* Optional out, core-owned (NULL: not wanted). An encoder that sets it returns SGX_OK
     * having encoded only the first *fits rows (0 < *fits < nrows) when the rest would not
     * fit, instead of SGX_ERR_TOO_LARGE and the core halving the batch until it fits (a
     * 10,000-row removal cut to a URL's ~50 rows took eight encodes, and halving landed on
     * 39). Encoders that leave it alone keep the halving. */
    size_t *fits;
} sgx_batch_t;

#define SGX_MAX_HEADERS 12

/* What a connector asks the core to send. Strings are owned by the request and freed by
 * sgx_request_clear (connector.c). */
typedef struct {
    char method[8];
    char *url;
    char *headers[SGX_MAX_HEADERS]; /* "Name: value" */
    int nheaders;
    char *content_type;
    const sgx_buf_t *body;          /* the job's encoded body, or &owned_body, or NULL */
    sgx_buf_t owned_body;           /* a body prepare built itself (multipart, JSON of a step) */
} sgx_request_t;

typedef struct {
    long status;             /* HTTP status; 0 when the transport failed */
    int transport_error;     /* non-zero: connection refused, timeout, reset… */
    const char *body;        /* borrowed, NUL-terminated */
    size_t body_len;
    const char *headers;     /* borrowed raw header block, "Name: value\r\n" lines */
} sgx_response_t;

typedef enum {
    SGX_CLS_DELIVERED = 0, /* every row applied (or accepted as invalid-but-received) */
    SGX_CLS_RETRY,         /* transient: retry the same request later */
    SGX_CLS_REJECTED,      /* permanent: rows go to the dead-letter topic with reason */
    SGX_CLS_PARTIAL,       /* some rows rejected (rejected_idx), the rest delivered */
    SGX_CLS_NEXT_STEP,     /* async job: run step `next_step` after retry_after_ms (polling a
                            * job in progress is NEXT_STEP to the same step) */
    SGX_CLS_REAUTH,        /* credentials expired: refresh them, then retry */
    SGX_CLS_FATAL,         /* BLOCKED: the destination (or, with block_scope AUDIENCE, the
                            * batch's audience) cannot take anything until a person acts
                            * (credentials, permissions, terms, a deleted audience). Nothing is
                            * acknowledged or dead-lettered: the core parks the destination or
                            * audience, re-probes with capped backoff and logs each state change
                            * loudly (pipeline/dispatch_block.c) */
    SGX_CLS_SPLIT,         /* the batch is too large for the destination as a whole (e.g. too
                            * many rows for one bulk file): the core sends each half as a
                            * batch of its own from step 0; a single row is rejected */
} sgx_verdict_t;

/* FATAL: what the refusal is about. */
typedef enum {
    SGX_BLOCK_DEST = 0,     /* account, credentials, permissions: every audience */
    SGX_BLOCK_AUDIENCE = 1, /* this audience only (deleted, not owned, upload blocked) */
} sgx_block_scope_t;

/* A 2xx whose body does not confirm the rows is retried this many times, then blocks. */
#define SGX_UNCONFIRMED_RETRIES 3

typedef struct {
    sgx_verdict_t verdict;
    int64_t retry_after_ms; /* -1: none given, the core uses capped backoff with jitter */
    bool throttled;         /* the destination asked us to slow down (counts, pacing) */
    char reason[128];       /* stable code + short text, no PII: DLQ header and logs */
    uint32_t nrejected;     /* PARTIAL: indexes into batch rows; owned, core frees */
    uint32_t *rejected_idx;
    char **row_reasons;     /* PARTIAL, optional: per rejected row reason (owned, core frees) */
    int next_step;          /* NEXT_STEP: the step to run; preset by the core to step + 1.
                             * RETRY/FATAL/REAUTH: left at step + 1 the same step is retried,
                             * any other value moves the job to that step */
    char *state;            /* NEXT_STEP: owned text for the next step's job->state (a job id,
                             * an upload URL…); NULL keeps the current state */
    char *created_audience_id; /* owned: this step created the batch's audience, or found it
                                * by name; the core records it, saves it in state_path and
                                * uses it for every later batch */
    bool audience_found;       /* created_audience_id existed already (found, not created) */
    bool overdue;           /* NEXT_STEP: the job has run past the connector's bound and is
                             * still not final. The platform may yet apply it, so its rows are
                             * neither acknowledged nor dead-lettered: the core keeps them
                             * fenced, logs once, counts, and polls no faster than
                             * retry_cap_ms until a final verdict (docs/guarantees.md §2) */
    uint8_t block_scope;    /* FATAL: sgx_block_scope_t */
    bool block_auth;        /* FATAL: the credentials were refused; the core re-reads secrets
                             * that came from *_file settings and rebuilds the connector */
    bool split;             /* REJECTED: the whole batch was refused for a reason that may
                             * concern only some rows; the core retries it in halves until
                             * the bad rows are isolated, and dead-letters only those */
    /* What the response said about the destination's allowance, whatever the verdict: the
     * core's pacer (pipeline/pacer.h) spaces requests by it. Connectors report the headers as
     * they read them and decide nothing: they have no clock. */
    bool has_usage;         /* usage of a rolling allowance was reported (Meta's BUC header) */
    uint16_t usage_pct;     /* the highest percentage reported (may exceed 100) */
    bool has_quota;         /* calls left until a reset were reported (x-ratelimit-*) */
    int64_t quota_remaining;
    int64_t quota_reset_ms; /* until the reset, on the response's own clock (reset - Date) */
} sgx_classification_t;

/* A request in flight: the batch, its encoded body, and the async step. */
typedef struct {
    const sgx_batch_t *batch;
    const sgx_buf_t *body;
    int step;               /* 0 for single-step APIs */
    int attempt;            /* 0 on first try of this step */
    const char *state;      /* borrowed: what the previous step's classify returned, or NULL */
    const char *auth_token; /* borrowed: the current access token (auth connectors), or NULL */
} sgx_job_t;

/* ---- destination configuration ------------------------------------------------------------ */

typedef enum { SGX_CFG_STRING, SGX_CFG_INT, SGX_CFG_BOOL, SGX_CFG_LIST } sgx_cfg_type_t;

typedef struct {
    const char *name;
    sgx_cfg_type_t type;
    const char *def;   /* default as text, NULL when required */
    const char *help;
} sgx_config_key_t;

/* The connector-specific settings of one destination, as text key/value pairs (already
 * resolved from ${ENV} and *_file). Borrowed by connectors during init. */
typedef struct {
    const char *name;  /* the destination's name from config */
    size_t nsettings;
    const char *const *keys;
    const char *const *values;
} sgx_dest_settings_t;

/** @returns the setting's value (borrowed) or NULL. */
const char *sgx_settings_get(const sgx_dest_settings_t *s, const char *key);

typedef struct {
    size_t max_rows;
    size_t max_bytes;
    int max_inflight;
    int linger_ms;
    int min_interval_ms; /* spacing between request starts (rate limits), 0 = none */
    size_t max_rows_cap; /* what config may raise max_rows to (the API's cap); 0 = max_rows */
    int64_t usage_window_ms; /* the rolling window a reported usage covers (Meta: an hour), so
                              * the pacer knows when its own calls stop counting; 0 = unknown */
} sgx_limits_t;

/* ---- the descriptor ---------------------------------------------------------------------- */

typedef struct sgx_connector_def {
    unsigned abi_version;
    const char *name; /* "facebook" */
    const char *description;
    sgx_dest_kind_t kind;
    const sgx_config_key_t *config_keys; /* terminated by {NULL}; unknown keys are errors */
    sgx_limits_t limits;                 /* defaults; config may lower them */

    /** Builds ctx from settings. @param ctx_out owned on success, free with destroy. */
    sgx_err_t (*init)(const sgx_dest_settings_t *settings, void **ctx_out, char *errbuf);
    /** Frees ctx. NULL-safe, safe on a half-built ctx. */
    void (*destroy)(void *ctx);
    /** The destination keys a row carries, in order; *nkeys <= SGX_MAX_ROW_VALS. */
    void (*keys)(const void *ctx, const sgx_key_t **keys, size_t *nkeys);
    /** Pure: serialize a batch. Appends to out (caller-owned). No I/O, no clock. */
    sgx_err_t (*encode)(const void *ctx, const sgx_batch_t *batch, sgx_buf_t *out);
    /** Pure: build the request for job's step. req is zeroed by the caller. */
    sgx_err_t (*prepare)(const void *ctx, const sgx_job_t *job, sgx_request_t *req);
    /** Pure: map a response to a verdict. out is zeroed by the caller, retry_after_ms = -1. */
    void (*classify)(const void *ctx, const sgx_job_t *job, const sgx_response_t *resp,
                     sgx_classification_t *out);

    /** Optional, pure: true when the connector wants key's normalized text instead of the core's
     *  SHA-256 digest (it sends it plain or hashes it otherwise, e.g. Criteo's md5 mode). */
    bool (*plain_key)(const void *ctx, sgx_key_t key);

    /* Expiring credentials (OAuth). Both NULL when credentials are static. The core asks for a
     * token before the first request, again shortly before it expires, and after REAUTH. */
    /** Pure: the token request. req is zeroed by the caller. */
    sgx_err_t (*auth_prepare)(const void *ctx, sgx_request_t *req);
    /** Pure: parse the token response. @param token owned on success.
     *  @param expires_in_ms lifetime from now. @param reason (128 bytes) on failure. */
    sgx_err_t (*auth_parse)(const void *ctx, const sgx_response_t *resp, char **token,
                            int64_t *expires_in_ms, char *reason);

    /* Rotating refresh tokens (OAuth refresh_token grant). Both NULL when the grant does not
     * rotate. The core keeps the newest refresh token, persists it (atomically, 0600) in the
     * file named by the destination's `state_path` setting - the connector lists that key; a
     * key ending in `_file` would name a secret to read - and prefers it on restart. */
    /** Pure: the refresh token a successful token response carries, owned, or NULL. */
    char *(*auth_rotated)(const void *ctx, const sgx_response_t *resp);
    /** Pure: as auth_prepare, but with refresh_token (borrowed) instead of the configured one. */
    sgx_err_t (*auth_prepare_refresh)(const void *ctx, const char *refresh_token,
                                      sgx_request_t *req);
    /* Pre-flight (`segexport check`, and `run` before it starts). All optional and pure. */
    /** Checks one configured audience id against the platform's format, after init; "" asks for
     *  creation and is refused when this destination cannot create (no advertiser, no API).
     *  @returns SGX_OK or SGX_ERR_CONFIG with the reason in errbuf (no secrets). */
    sgx_err_t (*validate_audience)(const void *ctx, const char *audience_id, char *errbuf);
    /** `check --online`: a cheap read-only request showing that the credentials work and the
     *  audience exists and may be written. auth_token as in sgx_job_t. req is zeroed. */
    sgx_err_t (*probe_prepare)(const void *ctx, const char *audience_id, const char *auth_token,
                               sgx_request_t *req);
    /** Reads the probe's answer. @returns true when usable; else reason (128 bytes, a stable
     *  code and short text, no secrets and nothing the platform echoed). */
    bool (*probe_classify)(const void *ctx, const char *audience_id, const sgx_response_t *resp,
                           char *reason);
} sgx_connector_def_t;

/** @brief Frees the strings a request owns and zeroes it. NULL-safe. */
void sgx_request_clear(sgx_request_t *req);
/** @brief Frees what a classification owns and zeroes it. NULL-safe. */
void sgx_classification_clear(sgx_classification_t *c);
/** @brief Adds a header (copied). @returns SGX_ERR_FULL past SGX_MAX_HEADERS. */
sgx_err_t sgx_request_add_header(sgx_request_t *req, const char *name, const char *value);
/** @brief Finds a header value in a raw header block (case-insensitive name).
 *  @returns SGX_OK and a borrowed pointer/length into block, or SGX_ERR_NOT_FOUND. */
sgx_err_t sgx_response_header(const sgx_response_t *resp, const char *name, const char **value,
                              size_t *len);
/** @brief Reads row value i. @returns its kind; *p and *len borrowed from row. */
sgx_val_kind_t sgx_row_val(const sgx_row_t *row, size_t i, const unsigned char **p,
                           size_t *len);

#endif
