/* In-process emulator of Criteo's Marketing Solutions audience API, served over real HTTP by
 * libmicrohttpd so the segexport connector can be exercised end to end. It enforces the wire
 * contract in docs/destinations.md §3/§6:
 *   POST   /oauth2/token                          client credentials -> Bearer token (ttl)
 *   POST   /{version}/marketing-solutions/audience-segments/search?limit&offset  (paged)
 *   POST   /{version}/marketing-solutions/audience-segments/create
 *   PATCH  /{version}/marketing-solutions/audience-segments/{id}/contact-list  (add|remove)
 *   DELETE /{version}/marketing-solutions/audience-segments/{id}/contact-list  (empties it)
 * Every API call needs a live Bearer token; calls beyond rate_limit per window get 429 with
 * x-ratelimit-limit/-remaining/-reset (epoch seconds) and a Date header. Audiences are sets of
 * the identifiers as sent. Inspection endpoints live under /_emulator/ (see criteo.c).
 *
 * Member strings: exactly the identifier strings the client sent and the emulator counted as
 * valid, e.g. a 64-char lowercase hex SHA-256 of the normalized e-mail (identifierType email
 * accepts 64 lowercase hex, 32 lowercase hex (MD5) or a plausible plain e-mail).
 *
 * @locality every function may be called from any thread; state is guarded by one mutex. */
#ifndef SGX_EMU_CRITEO_H
#define SGX_EMU_CRITEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct sgx_emu_criteo sgx_emu_criteo_t;

typedef struct {
    const char *listen_host;   /* IPv4 literal; NULL = "127.0.0.1" */
    uint16_t port;             /* 0 = ephemeral */
    const char *client_id;     /* NULL = "test-client" */
    const char *client_secret; /* NULL = "test-secret" */
    int token_ttl_s;           /* 0 = 900 */
    size_t max_identifiers;    /* per amendment; 0 = 50000 */
    int rate_limit;            /* calls per window; 0 = 250, <0 = unlimited */
    int rate_window_s;         /* 0 = 60 (windows aligned on epoch multiples) */
    size_t max_body_bytes;     /* 0 = 16 MiB */
    bool auto_create;          /* unknown segment ids are created on first use (else 404) */
    const char *versions;      /* API versions served, comma separated; NULL = "2026-01,
                                * 2026-07,2027-01" (the supported stable versions and the
                                * release candidate at 2026-12); other dated ones get 410 */
} sgx_emu_criteo_opts_t;

/**
 * @brief Starts the server. Strings in opts are copied.
 * @returns SGX_OK and *out (free with sgx_emu_criteo_stop), SGX_ERR_CONFIG, or SGX_ERR_IO.
 */
sgx_err_t sgx_emu_criteo_start(const sgx_emu_criteo_opts_t *o, sgx_emu_criteo_t **out);

/** @returns the bound port. */
uint16_t sgx_emu_criteo_port(const sgx_emu_criteo_t *e);

/** @brief Stops the server (waits for in-flight requests) and frees everything. NULL-safe. */
void sgx_emu_criteo_stop(sgx_emu_criteo_t *e);

/** @brief Creates an empty audience segment (no-op when it exists). id is copied. */
void sgx_emu_criteo_add_audience(sgx_emu_criteo_t *e, const char *id);

/**
 * @brief Creates a contact-list segment as POST .../create does (a new id, its name and
 * advertiser), e.g. one a previous run or another replica made. Strings are copied.
 * @param out receives the id (cap bytes).
 */
void sgx_emu_criteo_create_segment(sgx_emu_criteo_t *e, const char *advertiser,
                                   const char *name, char *out, size_t cap);

/**
 * @brief Finds the segment created (POST .../create) with this name.
 * @returns true and the id in out (cap bytes), false when there is none.
 */
bool sgx_emu_criteo_find_by_name(sgx_emu_criteo_t *e, const char *name, char *out, size_t cap);

/**
 * @brief Number of members of an audience, or -1 when it does not exist.
 */
long sgx_emu_criteo_count(sgx_emu_criteo_t *e, const char *id);

typedef enum { SGX_EMU_CRT_THROTTLE, SGX_EMU_CRT_5XX } sgx_emu_crt_fault_t;

/**
 * @brief The next `count` authenticated API calls get the fault (a new injection replaces the
 * pending one). THROTTLE: 429 with x-ratelimit-* headers, reset = now + param seconds.
 * 5XX: status = code (500/502/503).
 */
void sgx_emu_criteo_inject(sgx_emu_criteo_t *e, sgx_emu_crt_fault_t kind, int count, int code,
                           int param);

/** @brief Every token issued so far expires now (the next call with one gets 401). */
void sgx_emu_criteo_expire_tokens(sgx_emu_criteo_t *e);

/** @brief The app's client secret is rotated (copied): token requests with the old one get
 *  401 invalid_client, and every token issued so far expires. */
void sgx_emu_criteo_set_client_secret(sgx_emu_criteo_t *e, const char *secret);

typedef struct {
    uint64_t requests;          /* API calls (everything outside /_emulator/ and the token) */
    uint64_t token_requests;
    uint64_t tokens_issued;
    uint64_t token_rejected;    /* 400/401 from the token endpoint */
    uint64_t unauthorized;      /* 401 from API calls (missing, unknown or expired token) */
    uint64_t expired;           /* of which: a token that was valid once */
    uint64_t add_requests;      /* accepted PATCH add */
    uint64_t remove_requests;   /* accepted PATCH remove */
    uint64_t wipe_requests;     /* accepted DELETE */
    uint64_t create_requests;   /* accepted segment creations */
    uint64_t search_requests;   /* accepted segment searches (one per page) */
    uint64_t identifiers_valid;
    uint64_t identifiers_invalid;
    uint64_t max_identifiers;   /* largest accepted amendment */
    uint64_t throttled;         /* 429 replies (injected or rate limit) */
    uint64_t rate_limited;      /* of which: the rate limit itself */
    uint64_t failed_5xx;
    uint64_t rejected_4xx;      /* other 4xx from API calls */
    uint64_t peak_window_calls; /* most API calls seen in one rate window */
} sgx_emu_criteo_stats_t;

/** @brief Copies a consistent snapshot of the counters. */
void sgx_emu_criteo_stats(sgx_emu_criteo_t *e, sgx_emu_criteo_stats_t *out);

/** @brief `segexport-emulator criteo …`: runs until SIGINT/SIGTERM. @returns exit code. */
int sgx_emu_criteo_main(int argc, char **argv);

#endif
