/* Internals shared by facebook.c (server, inspection endpoints) and facebook_graph.c (the Graph
 * endpoints). Not for use outside the Meta emulator. */
#ifndef SGX_EMU_FACEBOOK_PRIV_H
#define SGX_EMU_FACEBOOK_PRIV_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "emulators/emu_http.h"
#include "emulators/emu_strset.h"
#include "emulators/facebook.h"
#include "emulators/ratelimit.h"

/* Business id reported in the usage header; any stable number will do for a client. */
#define FB_BUSINESS_ID "100000000000001"

/* Requests kept for GET /_emulator/requests (~6 MB, heap-allocated with the emulator): enough
 * for the system tests to sum every accepted row of a run even when a loaded machine makes the
 * batches small (the crash scenario sent ~9,300 requests at a load average of 35). */
#define SGX_EMU_FB_LOG_SIZE 65536

/* Longest request target (path and query) answered; longer gets 414. Meta documents no limit;
 * RFC 9110 §4.1 recommends supporting at least 8000 octets, and a server refuses a longer
 * target than it will take with 414 URI Too Long (RFC 9110 §15.5.15). */
#define SGX_EMU_FB_MAX_TARGET 8000

typedef struct {
    sgx_emu_fault_kind_t kind;
    int remaining; /* requests still to fault; 0 = none pending */
    int code;
    int param;
} sgx_emu_fb_fault_t;

/* One request summary for GET /_emulator/requests: never row values. */
typedef struct {
    char method[8];
    char audience[64];
    size_t rows;
    unsigned status;
    int code;
} sgx_emu_fb_logent_t;

struct sgx_emu_fb {
    struct MHD_Daemon *mhd;
    uint16_t port;
    char *secret;      /* owned app secret, NULL when appsecret_proof is not required */
    size_t max_rows;
    size_t max_body;
    bool auto_create;
    atomic_uint_fast64_t trace_seq; /* feeds fbtrace_id and generated session ids, lock-free */

    pthread_mutex_t mu; /* guards every field below */
    char *token;        /* owned */
    char *proof;        /* owned expected appsecret_proof (hex), NULL when not required */
    json_t *refused;    /* owned set of member strings whose requests are refused (code 100) */
    json_t *audiences;  /* owned: id -> integer holding an owned sgx_emu_strset_t * (the
                         * members); a jansson object keeps ids checked as UTF-8 as before,
                         * the members live outside jansson because one is added per row */
    json_t *meta;       /* owned: id -> {"name","account","description"} for the audiences
                         * created through Graph (facebook_account.c) */
    sgx_emu_fb_fault_t fault;
    sgx_emu_rl_t buc;   /* the modelled business-use-case limit (limit <= 0: off) */
    double rnd_p;
    int rnd_max_delay_ms;
    uint64_t rng;
    uint64_t next_id;
    sgx_emu_fb_stats_t stats;
    sgx_emu_fb_logent_t log[SGX_EMU_FB_LOG_SIZE];
    uint64_t log_total;
};

/* A Graph reply decided by a handler, sent (and logged) by facebook.c. */
typedef struct {
    unsigned status;
    int code;            /* Graph error code, 0 on success */
    json_t *json;        /* owned body, or NULL when text is set */
    const char *text;    /* static plain-text body (5xx from "proxies") */
    char usage_hdr[256]; /* X-Business-Use-Case-Usage value when non-empty */
    bool throttled;
    size_t rows;         /* num_received when accepted */
    char audience[64];
} sgx_emu_fb_reply_t;

/**
 * @brief Serves one Graph request (everything outside /_emulator/) into *r.
 * @param path, body borrowed. @locks_required none (takes e->mu as needed).
 */
void sgx_emu_fb_graph(sgx_emu_fb_t *e, struct MHD_Connection *conn, const char *method,
                      const sgx_emu_path_t *path, const sgx_emu_body_t *body,
                      sgx_emu_fb_reply_t *r);

/** @brief Counts a /users call against the modelled business-use-case limit (no-op when off)
 *  and, when admitted, puts the usage after it in r->usage_hdr. @returns false when the call
 *  is over the limit, with *regain_min the minutes until it would be admitted (rounded down,
 *  so a scaled-down window reports 0). @locks_required none. */
bool sgx_emu_fb_buc_take(sgx_emu_fb_t *e, sgx_emu_fb_reply_t *r, int *regain_min);

/** @brief Sets a Graph error reply {"error":{message,type,code[,error_subcode],fbtrace_id}}. */
void sgx_emu_fb_error(sgx_emu_fb_t *e, sgx_emu_fb_reply_t *r, unsigned status, int code,
                      int subcode, const char *type, const char *msg);

/** @brief Graph's reply to a `fields` entry the node does not have: code 100. */
void sgx_emu_fb_no_field(sgx_emu_fb_t *e, sgx_emu_fb_reply_t *r, const char *field);

/** @brief Checks access_token (and appsecret_proof) in form, else the query string; on failure
 *  sets the Graph error in *r. @returns true when authorized. @locks_required none. */
bool sgx_emu_fb_auth(sgx_emu_fb_t *e, struct MHD_Connection *conn, const sgx_emu_form_t *form,
                     sgx_emu_fb_reply_t *r);

/** @brief Re-encodes the request's query arguments into q (reset first) as
 *  application/x-www-form-urlencoded, every byte but unreserved ones escaped ('+' for a space),
 *  as the SDK (requests) and segexport send them. @returns its length. */
size_t sgx_emu_fb_query(struct MHD_Connection *conn, sgx_buf_t *q);

/** @brief POST act_{account}/customaudiences (facebook_account.c). account borrowed. */
void sgx_emu_fb_create(sgx_emu_fb_t *e, struct MHD_Connection *conn, const sgx_emu_form_t *form,
                       const char *account, sgx_emu_fb_reply_t *r);

/** @brief GET act_{account}/customaudiences with the query's fields/filtering. */
void sgx_emu_fb_search(sgx_emu_fb_t *e, struct MHD_Connection *conn, const sgx_emu_form_t *query,
                       const char *account, sgx_emu_fb_reply_t *r);

/**
 * @brief Returns the audience's member set, creating it when create is true (ids that are empty
 * or not UTF-8 are never created and read as unknown).
 * @returns a set borrowed from e->audiences, or NULL. @locks_required e->mu.
 */
sgx_emu_strset_t *sgx_emu_fb_audience_locked(sgx_emu_fb_t *e, const char *id, bool create);

/** @returns a uniform double in [0,1) from e->rng. @locks_required e->mu. */
double sgx_emu_fb_rand_locked(sgx_emu_fb_t *e);

#endif
