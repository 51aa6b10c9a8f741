/* Dotdigital (Engagement Cloud) v2 API, address books (destinations.md §4). One file per job:
 * dotdigital.c (descriptor, config), dd_encode.c (CSV and multipart bodies), dd_request.c
 * (URLs, methods, auth, job state), dd_classify.c (response -> verdict).
 *
 * ENTER is an asynchronous bulk import, acknowledged only when it has finished
 * (architecture.md §3 rule 5):
 *   step 0  POST {base}/v2/address-books/{id}/contacts/import   multipart CSV -> 202 {"id":guid}
 *   step 1  GET  {base}/v2/contacts/import/{guid}               NotFinished -> poll again
 *   step 2  GET  {base}/v2/contacts/import/{guid}/report-faults  CSV of the rows not imported
 * EXIT resolves each e-mail to a contact id (v2 has no batched lookup by e-mail), then removes
 * the ids from the address book in chunks:
 *   resolve GET  {base}/v2/contacts/{email}                     404 = already absent
 *   delete  POST {base}/v2/address-books/{id}/contacts/delete   [ids] -> 202
 * The job state is text (see dd_request.c for its grammar). */
#ifndef SGX_CONNECTOR_DOTDIGITAL_H
#define SGX_CONNECTOR_DOTDIGITAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connectors/connector.h"

extern const sgx_connector_def_t sgx_connector_dotdigital;

/* Contact ids removed per delete call: bounds the job state (~6 KB) and the request body. */
#define SGX_DD_DELETE_CHUNK 500

/* The ctx built by init; immutable afterwards (shared by workers and the dispatcher). */
typedef struct {
    char *base_url;      /* without trailing '/' */
    char *host_header;   /* "r1-api.dotdigital.com": sent as Host, so a base_url override
                          * (proxy, emulator) still names the region */
    char *auth_header;   /* "Basic <base64(user:password)>" */
    sgx_key_t keys[SGX_MAX_ROW_VALS];
    size_t nkeys;
    size_t email_idx;    /* index of SGX_KEY_EMAIL in keys */
    int64_t poll_ms;     /* wait between import status polls */
    int64_t max_polls;   /* polls before an import counts as overdue */
} sgx_dd_ctx_t;

/** @returns the CSV column (data field) name for key: "Email", "FIRSTNAME", …, or NULL. */
const char *sgx_dd_column(sgx_key_t key);

/** @brief encode callback (dd_encode.c): the import CSV (ENTER: every field; EXIT: Email). */
sgx_err_t sgx_dd_encode(const void *ctx, const sgx_batch_t *batch, sgx_buf_t *out);

/**
 * @brief Wraps a CSV into a multipart/form-data body with one part, name "file".
 * @param boundary receives the boundary (at most 64 bytes with the NUL); it is derived from
 * session_id and lengthened until the CSV does not contain it. Pure.
 */
void sgx_dd_multipart(const sgx_buf_t *csv, uint64_t session_id, sgx_buf_t *out,
                      char boundary[64]);

/** @returns the index of the first row >= from that has an e-mail, or batch->nrows. */
size_t sgx_dd_next_email_row(const sgx_dd_ctx_t *dd, const sgx_batch_t *batch, size_t from);

/** @returns the row's e-mail (borrowed) and its length, or NULL. */
const char *sgx_dd_row_email(const sgx_dd_ctx_t *dd, const sgx_row_t *row, size_t *len);

/* EXIT job state: "R<next>;<ids>" resolve the first row >= next that has an e-mail;
 * "D<next>;<ids>" delete ids, then resolve from next. ids: comma-separated decimals. */
typedef struct {
    char phase;          /* 'R' or 'D' */
    size_t next;
    const char *ids;     /* borrowed from the state text */
    size_t ids_len;
    size_t nids;
} sgx_dd_exit_state_t;

/** @brief Parses an EXIT state (NULL = the start: "R0;"). @returns SGX_ERR_INVALID if bad. */
sgx_err_t sgx_dd_exit_state_parse(const char *state, sgx_dd_exit_state_t *st);

/** @brief prepare callback (dd_request.c). */
sgx_err_t sgx_dd_prepare(const void *ctx, const sgx_job_t *job, sgx_request_t *req);
/** @brief classify callback (dd_classify.c). */
void sgx_dd_classify(const void *ctx, const sgx_job_t *job, const sgx_response_t *resp,
                     sgx_classification_t *out);

/** @brief Pre-flight callbacks (dd_check.c): numeric ids, creation rules, a read probe. */
sgx_err_t sgx_dd_validate_audience(const void *ctx, const char *audience_id, char *errbuf);
sgx_err_t sgx_dd_probe_prepare(const void *ctx, const char *audience_id, const char *auth_token,
                          sgx_request_t *req);
bool sgx_dd_probe_classify(const void *ctx, const char *audience_id, const sgx_response_t *resp,
                     char *reason);

#endif
