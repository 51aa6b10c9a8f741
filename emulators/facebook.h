/* In-process emulator of Meta's Custom Audiences /users edge (Graph API: POST adds with a form
 * body, DELETE removes with the parameters in the query string) and of the ad account's
 * customaudiences edge (create; list with fields/filtering), served over real HTTP by
 * libmicrohttpd so the segexport connector and the official SDK can be exercised end to end. It
 * enforces the wire contract in docs/destinations.md §1/§6 and docs/platform-notes.md (auth,
 * appsecret_proof, payload schema, row caps, hash format, 414 past 8000 bytes of target), keeps
 * each audience as a set of member strings, and can inject throttles, 5xx and delays.
 * Inspection endpoints live under /_emulator/ (see facebook.c).
 *
 * @locality every function may be called from any thread; state is guarded by one mutex. */
#ifndef SGX_EMU_FACEBOOK_H
#define SGX_EMU_FACEBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct sgx_emu_fb sgx_emu_fb_t;

typedef struct {
    const char *listen_host;  /* IPv4 literal, e.g. "127.0.0.1"; NULL = "127.0.0.1" */
    uint16_t port;            /* 0 = ephemeral */
    const char *access_token; /* required token; NULL = "test-token" */
    const char *app_secret;   /* when non-NULL, appsecret_proof is required */
    size_t max_rows;          /* 0 = 10000 */
    size_t max_body_bytes;    /* 0 = 16 MiB */
    bool auto_create; /* true: unknown audience ids are created on first use (demo convenience);
                         false: error 100 */
    /* The custom_audience business-use-case limit (off when buc_calls <= 0): at most buc_calls
     * /users calls in any rolling buc_window_ms (0 = one hour, as Meta counts), every /users
     * reply carries X-Business-Use-Case-Usage with the usage, and a call at 100% gets code
     * 80003 (facebook_graph.c). Meta's limit depends on the account (a formula, not a fixed
     * number): tests and the bench pick one, scaled down. */
    int buc_calls;
    int64_t buc_window_ms;
} sgx_emu_fb_opts_t;

/**
 * @brief Starts the server. Strings in opts are copied; opts may be freed after return.
 * @returns SGX_OK and *out (free with sgx_emu_fb_stop), SGX_ERR_CONFIG for a bad host, or
 *          SGX_ERR_IO when the socket cannot be bound.
 */
sgx_err_t sgx_emu_fb_start(const sgx_emu_fb_opts_t *o, sgx_emu_fb_t **out);

/** @returns the bound port (resolved when opts.port was 0). */
uint16_t sgx_emu_fb_port(const sgx_emu_fb_t *e);

/** @brief Stops the server (waits for in-flight requests) and frees everything. NULL-safe. */
void sgx_emu_fb_stop(sgx_emu_fb_t *e);

/** @brief Creates an empty audience (no-op when it exists). audience_id is copied. */
void sgx_emu_fb_add_audience(sgx_emu_fb_t *e, const char *audience_id);

typedef enum {
    SGX_EMU_FAULT_THROTTLE,
    SGX_EMU_FAULT_5XX,
    SGX_EMU_FAULT_DELAY,
    SGX_EMU_FAULT_UNCONFIRMED, /* HTTP 200 with "{}", rows not applied (a broken proxy/edge) */
} sgx_emu_fault_kind_t;

/**
 * @brief The next `count` requests to /users get the fault; a new injection replaces the pending
 * one. THROTTLE: code (4, 17, 613, 80003; others behave as 17), param = regain minutes for the
 * X-Business-Use-Case-Usage header. 5XX: code = status (500/502/503). DELAY: param = delay_ms before
 * answering normally. Injected faults take precedence over random ones.
 */
void sgx_emu_fb_inject(sgx_emu_fb_t *e, sgx_emu_fault_kind_t kind, int count, int code, int param);

/** @brief Replaces the modelled business-use-case limit (as opts.buc_calls/buc_window_ms;
 *  calls <= 0 turns it off); the calls counted so far are forgotten. */
void sgx_emu_fb_set_buc(sgx_emu_fb_t *e, int calls, int64_t window_ms);
/**
 * @brief Replaces the access token the emulator accepts (a revoked token, then a rotated one);
 * with an app secret configured, the expected appsecret_proof follows. Requests with any other
 * token get code 190. token is copied.
 */
void sgx_emu_fb_set_token(sgx_emu_fb_t *e, const char *token);

/** @brief Finds an audience created through Graph (POST act_{id}/customaudiences) by name.
 *  @returns true with its id in out (cap bytes); false when none has that name. */
bool sgx_emu_fb_find_audience(sgx_emu_fb_t *e, const char *name, char *out, size_t cap);

/** @brief Deletes an audience: later requests for it get code 100, subcode 33 (no-op when it
 *  does not exist). */
void sgx_emu_fb_delete_audience(sgx_emu_fb_t *e, const char *audience_id);

/**
 * @brief From now on, a /users request with a row whose member string (as listed by
 * /_emulator/audiences) equals member is refused as a whole with code 100, as Graph refuses a
 * request with one malformed data row. member is copied.
 */
void sgx_emu_fb_refuse_member(sgx_emu_fb_t *e, const char *member);

/**
 * @brief Random faults: with probability p (0..1) a /users request fails with a 503 and with
 * probability p a request is delayed up to max_delay_ms; deterministic given seed (for a given
 * request order). p=0 turns it off.
 */
void sgx_emu_fb_random_faults(sgx_emu_fb_t *e, double p, int max_delay_ms, unsigned seed);

typedef struct {
    uint64_t requests;        /* Graph requests (everything outside /_emulator/) */
    uint64_t add_requests;    /* POST .../users */
    uint64_t remove_requests; /* DELETE .../users */
    uint64_t rows_received;   /* num_received summed over accepted requests */
    uint64_t rows_invalid;    /* num_invalid_entries summed over accepted requests */
    uint64_t throttled;       /* throttle replies */
    uint64_t failed_5xx;      /* 5xx replies */
    uint64_t rejected_4xx;    /* other 4xx replies */
} sgx_emu_fb_stats_t;

/** @brief Copies a consistent snapshot of the counters into *out. */
void sgx_emu_fb_stats(sgx_emu_fb_t *e, sgx_emu_fb_stats_t *out);

#endif
