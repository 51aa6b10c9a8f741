/* Validation of the Custom Audiences `payload` parameter, kept pure (no I/O, no locks, no clock)
 * so the HTTP layer can parse outside its mutex and only the set update happens under it. */
#ifndef SGX_EMU_FACEBOOK_PAYLOAD_H
#define SGX_EMU_FACEBOOK_PAYLOAD_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/* Outcome of one accepted payload. A member string is the row's non-empty cells as KEY:value
 * joined with ',' in Meta's fixed key order (EXTERN_ID, EMAIL, PHONE, ... COUNTRY). */
typedef struct {
    size_t num_received; /* rows in data, valid or not */
    size_t num_invalid;  /* rows skipped: bad hash or all cells empty */
    json_t *samples;     /* owned object: row index (string) -> short reason; at most 10 */
    sgx_buf_t members;   /* owned: n_members NUL-terminated strings stored back to back */
    size_t n_members;
} sgx_emu_fb_batch_t;

/**
 * @brief Validates payload text (len bytes, borrowed) and builds the member strings.
 * @returns SGX_OK with *out filled; SGX_ERR_TOO_LARGE when data has more than max_rows rows;
 *          SGX_ERR_INVALID for any other violation. On failure msg (msg_len bytes) says why in
 *          Graph style, never quoting row values. Free *out with sgx_emu_fb_batch_free in every
 *          case.
 */
sgx_err_t sgx_emu_fb_payload_parse(const char *text, size_t len, size_t max_rows,
                                   sgx_emu_fb_batch_t *out, char *msg, size_t msg_len);

/** @brief The same, always through jansson's tree: what sgx_emu_fb_payload_parse falls back to
 *  for text outside the fast reader's subset (facebook_payload_scan.h); tests compare the two. */
sgx_err_t sgx_emu_fb_payload_parse_tree(const char *text, size_t len, size_t max_rows,
                                        sgx_emu_fb_batch_t *out, char *msg, size_t msg_len);

/** @brief Frees a batch; NULL-safe and safe on a zeroed struct. */
void sgx_emu_fb_batch_free(sgx_emu_fb_batch_t *batch);

#endif
