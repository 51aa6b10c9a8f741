/* Microsoft Advertising Customer Match through the Bulk API v13 (destinations.md §2), REST/JSON
 * adapters. One batch is one bulk file and one async job of four steps:
 *   find  (step 0 of a batch whose list is not known yet, no job state) POST
 *           {campaign}/CampaignManagement/v13/Audiences/QueryByIds {"Type":"CustomerList"} ->
 *           every Customer List of the account; the one named like the list we would create
 *           becomes created_audience_id and the file is re-encoded for its id (idempotent
 *           creation); none: the job moves to step 0 with state "create" and the file creates it
 *   0  POST {base}/Bulk/v13/BulkUploadUrl/Query    {"AccountId","ResponseMode"} -> RequestId, UploadUrl
 *   1  POST UploadUrl, multipart/form-data (the CSV as the "file" part)
 *   2  POST {base}/Bulk/v13/BulkUploadStatus/Query {"RequestId"} until the job is final
 *   3  GET  ResultFileUrl, a ZIP holding the result CSV (only after CompletedWithErrors, or to
 *           learn the id of a new list)
 * Rows are acknowledged only when the job is final (architecture.md §3 rule 5); per-row errors
 * of the result file come back by their Client Id, "r<index in batch>".
 * Files: msads.c (descriptor, config, OAuth), msads_encode.c (the CSV), msads_request.c
 * (prepare), msads_classify.c (verdicts), msads_find.c (the find reply), msads_result.c
 * (result-file parsing), msads_unzip.c (the result archive). */
#ifndef SGX_CONNECTOR_MSADS_H
#define SGX_CONNECTOR_MSADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "connectors/connector.h"

extern const sgx_connector_def_t sgx_connector_microsoft_ads;

#define SGX_MSADS_STEP_URL 0
#define SGX_MSADS_STEP_UPLOAD 1
#define SGX_MSADS_STEP_STATUS 2
#define SGX_MSADS_STEP_RESULT 3
/* Not a core step number: what step 0 is for a batch without a list id and without job state
 * (sgx_msads_step). The core always starts a job at step 0. */
#define SGX_MSADS_STEP_FIND 4
/* Job state after a find that found nothing: step 0 is then the upload URL of a creating file. */
#define SGX_MSADS_STATE_CREATE "create"

/* Client Id of the Customer List row; item rows carry "r<index>". */
#define SGX_MSADS_LIST_CLIENT_ID "list"
/* Reference id of a list created by the file (negative ids are file-local references). */
#define SGX_MSADS_NEW_LIST_REF "-1"
#define SGX_MSADS_MAX_NAME 128
/* What a person must do; logged loudly by the core with the FATAL verdict. */
#define SGX_MSADS_TERMS_REASON                                                                 \
    "msads 8003 CustomerListTermsAndConditionsNotAccepted: accept the "     \
    "Customer Match terms in the Microsoft Ads web UI"

/* Immutable after init; shared by the dispatcher thread's callbacks without locks. */
typedef struct {
    char *customer_id;     /* digits */
    char *account_id;      /* digits */
    char *developer_token;
    char *token_url;
    char *auth_form;       /* the urlencoded refresh_token grant, built once */
    char *auth_fields;     /* the grant without refresh_token, for a rotated one */
    char *base_url;        /* without trailing '/' */
    char *campaign_url;    /* Campaign Management REST host, without trailing '/' */
    int64_t poll_interval_ms;
    int64_t throttle_wait_ms;
    int64_t max_polls;     /* status polls before a job is overdue (job_timeout_s) */
} sgx_msads_ctx_t;

/* The job state carried between steps: "RequestId\nUploadUrl\npolls\nResultFileUrl". */
typedef struct {
    char request_id[128];
    char *upload_url;  /* owned */
    long polls;
    char *result_url;  /* owned, may be NULL */
} sgx_msads_state_t;

/** @brief Parses job state text (borrowed). @returns SGX_ERR_INVALID when malformed. */
sgx_err_t sgx_msads_state_parse(const char *text, sgx_msads_state_t *st);
/** @returns the owned state text. */
char *sgx_msads_state_format(const sgx_msads_state_t *st);
/** @brief Frees what st owns. */
void sgx_msads_state_free(sgx_msads_state_t *st);

/** @returns the step job->step stands for: SGX_MSADS_STEP_FIND for step 0 of a batch without
 *  a list id and without state, else job->step. */
int sgx_msads_step(const sgx_job_t *job);

sgx_err_t sgx_msads_encode(const void *ctx, const sgx_batch_t *batch, sgx_buf_t *out);
/** @brief The name a list created for batch gets (and is found by): the segment id cut to
 *  SGX_MSADS_MAX_NAME bytes on a UTF-8 boundary. @returns its length; *name borrowed. */
size_t sgx_msads_list_name(const sgx_batch_t *batch, const char **name);
/** @returns true when body is a file that creates its list (reference id -1): one encoded
 *  before a find gave the batch the id of an existing list. */
bool sgx_msads_body_creates(const sgx_buf_t *body);
/**
 * @brief Reads a GetAudiencesByIds reply (borrowed JSON root): the Customer List named like
 * the batch's list (the smallest id when several are) -> created_audience_id and step 0; none
 * -> step 0 with state SGX_MSADS_STATE_CREATE; an unreadable reply -> RETRY.
 */
void sgx_msads_read_find(const sgx_batch_t *batch, const json_t *root,
                         sgx_classification_t *out);
sgx_err_t sgx_msads_prepare(const void *ctx, const sgx_job_t *job, sgx_request_t *req);
void sgx_msads_classify(const void *ctx, const sgx_job_t *job, const sgx_response_t *resp,
                        sgx_classification_t *out);

/**
 * @brief Maps a result file to a verdict: "Customer List Item Error" rows whose Client Id is
 * r<i> reject row i (PARTIAL), a list-level error rejects all (8003: FATAL), a new list's real
 * id becomes created_audience_id. @param body borrowed, BOM optional.
 */
void sgx_msads_parse_result(const sgx_batch_t *batch, const char *body, size_t len,
                            sgx_classification_t *out);

/** @brief sgx_msads_parse_result on the CSV inside a result ZIP (the service's format); a
 *  plain CSV body is parsed as is. @param body borrowed. */
void sgx_msads_read_result(const sgx_batch_t *batch, const char *body, size_t len,
                           sgx_classification_t *out);

/** @returns true when body starts like a ZIP archive (a local file header). */
bool sgx_msads_is_zip(const char *body, size_t len);
/**
 * @brief Inflates the first member of the ZIP archive body[0..len) (borrowed) into out
 * (caller-owned, replaced). @returns SGX_ERR_TOO_LARGE when it exceeds cap bytes,
 * SGX_ERR_INVALID when the archive cannot be read.
 */
sgx_err_t sgx_msads_unzip(const char *body, size_t len, size_t cap, sgx_buf_t *out);

/** @returns true when s[0..n) is a plausible id: 1-19 digits. */
bool sgx_msads_digits(const char *s, size_t n);

#endif
