/* Internals shared by dotdigital.c (server, inspection, CLI), dotdigital_limits.c (limits and
 * faults), dotdigital_api.c (the v2 endpoints) and dotdigital_upload.c (the import file). Not
 * for use outside the emulator. */
#ifndef SGX_EMU_DOTDIGITAL_PRIV_H
#define SGX_EMU_DOTDIGITAL_PRIV_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>

#include "emulators/dotdigital.h"
#include "emulators/emu_http.h"

typedef struct {
    char guid[40];
    char book[24];
    int polls_left;
    bool done;
    char status[40];  /* final status once done */
    json_t *rows;     /* [[email, {field: value}], ...] applied when Finished */
    json_t *faults;   /* [[email as sent, reason], ...] */
    int64_t new_contacts, updated, suppressed, invalid, duplicates;
} dd_import_t;

struct sgx_emu_dd {
    struct MHD_Daemon *mhd;
    uint16_t port;
    char *auth;        /* expected "user:password" */
    char host[64];     /* expected Host (without port) */
    char region[4];
    int import_steps;
    int max_imports;
    size_t max_file;
    int rate_limit;
    int rate_window_s;  /* the tiered limit's window (60 s; shorter in benchmarks) */
    char *suppressed;  /* "@domain" lowercase, or NULL */

    pthread_mutex_t mu; /* guards everything below */
    json_t *books;      /* id -> {email: contact id} */
    json_t *contacts;   /* lowercase email -> {"id", "email", "dataFields":{}} */
    json_t *by_id;      /* "id" -> email */
    int64_t next_contact;
    dd_import_t *imports;
    size_t nimports, cap_imports;
    uint64_t next_guid;
    sgx_emu_dd_fault_kind_t fault_kind;
    int fault_count, fault_param;
    char fail_next[40];
    bool stall;       /* imports stay NotFinished (sgx_emu_dd_stall_imports) */
    int64_t window;     /* current rate-limit window (Unix time / rate_window_s) */
    int window_calls;
    int allowance;      /* flat scheme: calls per rolling hour, 0 = none */
    int allowance_window_s; /* the flat scheme's rolling period (an hour; shorter in benchmarks) */
    int64_t *calls;     /* ring of the Unix times of the calls of the last period (allowance) */
    int calls_head, calls_n;
    sgx_emu_dd_stats_t stats;
};

#define DD_MAX_HEADERS 8

/* A reply decided by a handler and sent by dotdigital.c. */
typedef struct {
    unsigned status;
    json_t *json;             /* owned body, or NULL when text is set */
    char *text;               /* owned plain body (CSV) */
    const char *ctype;        /* for text */
    const char *hname[DD_MAX_HEADERS];
    char hval[DD_MAX_HEADERS][64];
    int nh;
} dd_reply_t;

/** @brief Adds a response header to r (dropped past DD_MAX_HEADERS; name is a static string). */
__attribute__((format(printf, 3, 4))) void sgx_emu_dd_add_header(dd_reply_t *r, const char *name,
                                                                  const char *fmt, ...);
/** @brief Injected faults, then the flat allowance and the tiered limit (dotdigital_limits.c).
 *  @returns true when r holds the refusal; otherwise r may carry the tiered limit's headers.
 *  @locks_required none */
bool sgx_emu_dd_limits(sgx_emu_dd_t *e, dd_reply_t *r);

/** @brief Sets an error reply {"message": msg}. */
void sgx_emu_dd_error(dd_reply_t *r, unsigned status, const char *msg);

/** @brief Serves one authenticated v2 request. @locks_required none. */
void sgx_emu_dd_api(sgx_emu_dd_t *e, struct MHD_Connection *conn, const char *method,
                    const sgx_emu_path_t *path, const sgx_emu_body_t *body, dd_reply_t *r);

/** @brief The platform's import queue drained: every import not yet final becomes final now
 *  (and a Finished one applies), polled or not — the platform does not wait for a client to
 *  ask. @locks_required mu */
void sgx_emu_dd_finish_imports_locked(sgx_emu_dd_t *e);

/** @brief Trims blanks at both ends of s into out (cap bytes). */
void sgx_emu_dd_trim_copy(const char *s, char *out, size_t cap);

/** @brief Reads the file of an import request into file/fname; sets an error reply in r and
 *  @returns false when it cannot. @locks_required none */
bool sgx_emu_dd_read_upload(sgx_emu_dd_t *e, struct MHD_Connection *conn,
                            const sgx_emu_body_t *body, sgx_buf_t *file, char *fname, size_t fcap,
                            dd_reply_t *r);

/** @brief Parses the CSV into im. @returns an error message for a 400, or NULL (a structurally
 *  broken file is accepted and ends as InvalidFileFormat). @locks_required none */
const char *sgx_emu_dd_parse_csv(sgx_emu_dd_t *e, const char *data, size_t len, dd_import_t *im);

/** @brief Frees an import's JSON. */
void sgx_emu_dd_import_free(dd_import_t *im);

#endif
