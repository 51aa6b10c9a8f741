/* Internals shared by criteo.c (server, inspection, CLI) and criteo_api.c (the API). */
#ifndef SGX_EMU_CRITEO_PRIV_H
#define SGX_EMU_CRITEO_PRIV_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>

#include "emulators/criteo.h"
#include "emulators/emu_http.h"

struct sgx_emu_criteo {
    struct MHD_Daemon *mhd;
    uint16_t port;
    char *client_id, *client_secret; /* owned */
    int token_ttl_s;
    size_t max_identifiers;
    int rate_limit, rate_window_s;
    size_t max_body;
    bool auto_create;

    pthread_mutex_t mu;  /* guards everything below */
    json_t *audiences;   /* id -> object used as a set (member -> true) */
    json_t *names;       /* id -> name of created segments */
    json_t *advertisers; /* id -> advertiserId of created segments */
    json_t *versions;    /* API versions served (set); other dated versions get 410 */
    json_t *tokens;      /* token -> expiry (epoch ms) */
    uint64_t next_id, token_seq, trace_seq;
    sgx_emu_crt_fault_t fault;
    int fault_left, fault_code, fault_param;
    int64_t win;         /* current rate window number */
    int win_calls;
    sgx_emu_criteo_stats_t stats;
};

/* A reply decided by a handler and sent by criteo.c. */
typedef struct {
    unsigned status;
    json_t *json;          /* owned */
    bool ratelimit;        /* add x-ratelimit-* headers */
    long long rl_limit, rl_remaining, rl_reset;
    char date[64];         /* Date header when non-empty */
} sgx_emu_crt_reply_t;

/** @brief Serves one request outside /_emulator/. @locks_required none. */
void sgx_emu_crt_api(sgx_emu_criteo_t *e, struct MHD_Connection *conn, const char *method,
                     const sgx_emu_path_t *path, const sgx_emu_body_t *body,
                     sgx_emu_crt_reply_t *r);

/** @brief A JSON:API error reply (criteo_api.c). @locks_required none. */
void sgx_emu_crt_error(sgx_emu_criteo_t *e, sgx_emu_crt_reply_t *r, unsigned status,
                       const char *type, const char *code, const char *instance,
                       const char *detail);

/** @brief The request's JSON object body, or NULL with *r set (criteo_api.c). */
json_t *sgx_emu_crt_load_json(sgx_emu_criteo_t *e, struct MHD_Connection *conn,
                              const sgx_emu_body_t *body, const char *inst,
                              sgx_emu_crt_reply_t *r);

typedef enum { SGX_EMU_CRT_V_SERVED, SGX_EMU_CRT_V_GONE, SGX_EMU_CRT_V_NONE } sgx_emu_crt_ver_t;

/** @brief What the path's version segment is (criteo_segments.c). */
sgx_emu_crt_ver_t sgx_emu_crt_version(const sgx_emu_criteo_t *e, const char *v);

/** @brief POST .../audience-segments/search (criteo_segments.c). */
void sgx_emu_crt_search(sgx_emu_criteo_t *e, struct MHD_Connection *conn, const char *inst,
                        const sgx_emu_body_t *body, sgx_emu_crt_reply_t *r);

/** @brief POST .../audience-segments/create (criteo_segments.c). */
void sgx_emu_crt_create(sgx_emu_criteo_t *e, struct MHD_Connection *conn, const char *inst,
                        const sgx_emu_body_t *body, sgx_emu_crt_reply_t *r);

/** @brief A new contact-list segment; its id in out. @locks_required e->mu. */
void sgx_emu_crt_create_locked(sgx_emu_criteo_t *e, const char *advertiser, const char *name,
                               char *out, size_t cap);

/** @returns the audience set, creating it when create. @locks_required e->mu. */
json_t *sgx_emu_crt_audience_locked(sgx_emu_criteo_t *e, const char *id, bool create);

#endif
