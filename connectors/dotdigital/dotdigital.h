/* Dotdigital (Engagement Cloud) v2 API, address books (destinations.md §4). One file per job:
 * dotdigital.c (descriptor, config), dd_encode.c (CSV and multipart bodies), dd_request.c
 * (URLs, methods, auth), dd_classify.c (response -> verdict, ENTER steps), dd_faults.c (the
 * report-faults CSV), dd_exit.c (the EXIT job: its state and its steps).
 *
 * ENTER is an asynchronous bulk import, acknowledged only when it has finished
 * (architecture.md §3 rule 5):
 *   step 0  POST {base}/v2/address-books/{id}/contacts/import   multipart CSV -> 202 {"id":guid}
 *   step 1  GET  {base}/v2/contacts/import/{guid}               NotFinished -> poll again
 *   step 2  GET  {base}/v2/contacts/import/{guid}/report-faults  CSV of the rows not imported
 * EXIT needs contact ids (the delete call takes ids only, and v2 has no batched lookup by
 * e-mail). It reads the book's size first and takes the cheaper of two ways to the ids:
 *   size    GET  {base}/v2/address-books/{id}                   {"contacts": n}
 *   scan    GET  {base}/v2/address-books/{id}/contacts?select=1000&skip=k   ids by e-mail, a
 *                page of 1,000 per call, when 4 * ceil(n/1000) <= the rows' e-mails
 *   resolve GET  {base}/v2/contacts/{email}                     one per e-mail the scan did not
 *                find (or every e-mail, for a small batch against a large book); 404 = absent
 *   delete  POST {base}/v2/address-books/{id}/contacts/delete   [ids] -> 202
 * A scan can miss a contact when the book changes under it (skip paging); every e-mail it did not
 * find is resolved one by one, so a miss costs a call, never a removal.
 * The job state is text (see dd_exit.c for its grammar). */
#ifndef SGX_CONNECTOR_DOTDIGITAL_H
#define SGX_CONNECTOR_DOTDIGITAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connectors/connector.h"

extern const sgx_connector_def_t sgx_connector_dotdigital;

/* Contact ids collected before a delete call: bounds the job state (~17 KB at most with a scan
 * page's worth more, see sgx_dd_exit_state_t) and the request body. */
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

/* Contacts per page of the address-book scan: the documented default and maximum of `select`
 * (GetContactsInAddressBook, Dotdigital v2 swagger). */
#define SGX_DD_PAGE 1000

/* EXIT job state "<phase><pos>;<found>;<ids>" (NULL = the start, "B0;;"):
 *   B  read the book's size                 S  scan the page at skip=pos
 *   T  delete ids, then scan from pos - the ids deleted (the pages before shrank)
 *   R  resolve the first row >= pos with an e-mail that is not found
 *   D  delete ids, then resolve from pos
 * found: hex bitmap of the rows the scan matched (bit i of digit i/4), "" = none;
 * ids: comma-separated decimal contact ids; a delete goes once SGX_DD_DELETE_CHUNK are collected,
 * so at most SGX_DD_DELETE_CHUNK + SGX_DD_PAGE (a page can add up to SGX_DD_PAGE). */
typedef struct {
    char phase;
    size_t pos;
    const char *found;   /* borrowed from the state text */
    size_t found_len;
    const char *ids;     /* borrowed from the state text */
    size_t ids_len;
    size_t nids;
} sgx_dd_exit_state_t;

/** @brief Parses an EXIT state (NULL = the start). @returns SGX_ERR_INVALID if bad. */
sgx_err_t sgx_dd_exit_state_parse(const char *state, sgx_dd_exit_state_t *st);

/** @returns true when the scan matched row i (st->found). */
bool sgx_dd_exit_found(const sgx_dd_exit_state_t *st, size_t i);

/** @returns the first row >= from with an e-mail that the scan did not match, or nrows. */
size_t sgx_dd_exit_next_row(const sgx_dd_ctx_t *dd, const sgx_batch_t *batch,
                            const sgx_dd_exit_state_t *st, size_t from);

/** @brief Builds the EXIT request for st (dd_request.c). */
sgx_err_t sgx_dd_prepare_exit(const sgx_dd_ctx_t *dd, const sgx_job_t *job, sgx_request_t *req);

/** @brief EXIT classification (dd_exit.c); non-2xx answers go to sgx_dd_classify_error. */
void sgx_dd_classify_exit(const sgx_dd_ctx_t *dd, const sgx_job_t *job,
                          const sgx_response_t *resp, sgx_classification_t *out);

/* ---- shared by the classify files --------------------------------------------------------- */

/** @brief Sets verdict, throttled and a formatted reason. */
__attribute__((format(printf, 4, 5))) void sgx_dd_verdict(sgx_classification_t *out,
                                                          sgx_verdict_t v, bool throttled,
                                                          const char *fmt, ...);

/** @brief A non-2xx answer, the same for every step (dd_classify.c). */
void sgx_dd_classify_error(const sgx_dd_ctx_t *dd, const sgx_response_t *resp,
                           sgx_classification_t *out);

/** A row of report-faults: the e-mail (lowercased) and a reason fit for a DLQ header. */
typedef struct {
    char *email;  /* owned */
    char *reason; /* owned */
} sgx_dd_fault_t;

/**
 * @brief Parses a report-faults CSV (dd_faults.c). @param out owned array, free with
 * sgx_dd_faults_free. @returns the number of faults, or -1 when the report has no Email column.
 */
long sgx_dd_parse_faults(const char *body, size_t len, sgx_dd_fault_t **out);
/** @brief Frees n faults and the array. NULL-safe. */
void sgx_dd_faults_free(sgx_dd_fault_t *faults, long n);

/** @brief The final verdict of a batch: rows without an e-mail, and rows whose e-mail is among
 *  faults (sorted here), are rejected; the rest are delivered. */
void sgx_dd_finish(const sgx_dd_ctx_t *dd, const sgx_batch_t *batch, sgx_dd_fault_t *faults,
                   size_t nfaults, sgx_classification_t *out);

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
