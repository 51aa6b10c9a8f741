/* Small HTTP helpers shared by the destination emulators (libmicrohttpd + jansson): request body
 * accumulation with a size cap, canned replies, path splitting and urlencoded form parsing.
 * Nothing here keeps global state; every function is safe to call from any MHD thread as long as
 * the objects it is given are not shared. */
#ifndef SGX_EMU_HTTP_H
#define SGX_EMU_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/* Upload accumulator. Bytes past `cap` are dropped and `overflow` is set, so the handler can
 * still drain the connection and answer 413 instead of aborting it mid-upload. */
typedef struct {
    sgx_buf_t buf; /* owned; data is NULL until the first byte arrives */
    size_t cap;
    bool overflow;
} sgx_emu_body_t;

/** @brief Prepares an empty body limited to cap bytes. */
void sgx_emu_body_init(sgx_emu_body_t *body, size_t cap);

/** @brief Appends n bytes, or sets overflow (and keeps nothing more) once cap would be exceeded. */
void sgx_emu_body_append(sgx_emu_body_t *body, const char *data, size_t n);

/** @brief Frees the bytes; NULL-safe. */
void sgx_emu_body_free(sgx_emu_body_t *body);

/**
 * @brief Queues a reply with a copy of `len` bytes of `data`.
 * @param ctype content type (borrowed); @param hname/hval optional extra header (both or neither).
 * @returns MHD's verdict, to be returned from the access handler.
 */
enum MHD_Result sgx_emu_reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
                              const char *data, size_t len, const char *hname, const char *hval);

/** @brief Like sgx_emu_reply with a JSON body; `json` is consumed (decref'd) in every case. */
enum MHD_Result sgx_emu_reply_json(struct MHD_Connection *conn, unsigned status, json_t *json,
                                   const char *hname, const char *hval);

#define SGX_EMU_PATH_MAX_SEGS 8

/* A URL path cut at '/' with empty segments dropped: "/v25.0/123/users" -> 3 segments. */
typedef struct {
    char *buf;                              /* owned copy the segments point into */
    const char *seg[SGX_EMU_PATH_MAX_SEGS]; /* borrowed from buf */
    size_t n;
} sgx_emu_path_t;

/**
 * @brief Splits url (borrowed; the query string, if any, is ignored) into segments.
 * @returns SGX_OK, or SGX_ERR_TOO_LARGE when there are more than SGX_EMU_PATH_MAX_SEGS segments
 *          (the path is then still valid to free). Free with sgx_emu_path_free in every case.
 */
sgx_err_t sgx_emu_path_split(const char *url, sgx_emu_path_t *path);

/** @brief Frees a split path; NULL-safe and safe on a zeroed struct. */
void sgx_emu_path_free(sgx_emu_path_t *path);

typedef struct {
    const char *key; /* borrowed from the form's buffer, decoded */
    const char *val; /* borrowed, decoded, NUL-terminated */
    size_t val_len;  /* decoded length: values may legitimately contain %00 */
} sgx_emu_field_t;

/* application/x-www-form-urlencoded body decoded in one pass ('+' is a space, %XX a byte). */
typedef struct {
    char *buf; /* owned decoded copy */
    sgx_emu_field_t *fields; /* owned array */
    size_t n;
    size_t cap;
} sgx_emu_form_t;

/**
 * @brief Parses len bytes of data (borrowed) into out. Linear in len.
 * @returns SGX_OK, or SGX_ERR_INVALID on a malformed %-escape. Free out with sgx_emu_form_free
 *          in every case.
 */
sgx_err_t sgx_emu_form_parse(const char *data, size_t len, sgx_emu_form_t *out);

/**
 * @brief The request's query arguments, already decoded by libmicrohttpd, as a form: the same
 * fields sgx_emu_form_parse gives for the query string, without encoding it again to parse it.
 * Free out with sgx_emu_form_free.
 */
void sgx_emu_form_from_query(struct MHD_Connection *conn, sgx_emu_form_t *out);

/** @returns the first value of key (borrowed from form) and its length in *len, or NULL. */
const char *sgx_emu_form_get(const sgx_emu_form_t *form, const char *key, size_t *len);

/** @brief Frees a parsed form; NULL-safe and safe on a zeroed struct. */
void sgx_emu_form_free(sgx_emu_form_t *form);

#endif
