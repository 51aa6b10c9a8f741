/* Internals shared by msads.c (server, tokens, inspection, main) and msads_bulk.c (the bulk
 * job: upload URL, upload, status, file processing, result file). Not for other emulators. */
#ifndef SGX_EMU_MSADS_PRIV_H
#define SGX_EMU_MSADS_PRIV_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>

#include "base/buf.h"
#include "emulators/emu_http.h"
#include "emulators/msads.h"
#include "emulators/ratelimit.h"

typedef struct msads_job {
    char request_id[32];
    char url_token[48];
    int64_t issued_ms;
    bool used, uploaded, final, errors_only;
    int polls;
    const char *status;     /* static */
    sgx_buf_t file;         /* the uploaded CSV until processed */
    sgx_buf_t result;       /* the result CSV once final (served zipped) */
    struct msads_job *next;
} msads_job_t;

struct sgx_emu_msads {
    struct MHD_Daemon *mhd;
    uint16_t port;
    char host[64];
    char *dev_token, *customer, *account, *client;
    char *refresh; /* the newest refresh token; guarded by mu once started */
    int token_ttl_s, url_ttl_s, polls_before_done;
    bool rotate_refresh;
    size_t row_cap, max_bytes;

    pthread_mutex_t mu; /* guards everything below */
    bool terms;
    json_t *lists;      /* id -> {member: true} */
    json_t *names;      /* id -> name */
    json_t *tokens;     /* access token -> expiry (ms) */
    json_t *refresh_valid; /* refresh tokens honoured: the newest and those not yet retired */
    msads_job_t *jobs;
    uint64_t seq;
    uint64_t next_list;
    sgx_emu_rl_t calls;  /* the modelled call-rate limit */
    int throttle_n, fail5xx_n, fail5xx_status, fail_uploads_n, too_many_n;
    const char *final_status; /* static or NULL: the next job ends with this status */
    bool stall; /* uploaded jobs stay InProgress (sgx_emu_msads_stall_jobs) */
    bool results_gone; /* result file URLs answer 404 (sgx_emu_msads_expire_results) */
    char fail_prefix[65];
    sgx_emu_msads_stats_t stats;
};

/* A reply decided by a handler. */
typedef struct {
    unsigned status;
    json_t *json;          /* owned, or NULL when csv is used */
    sgx_buf_t csv;         /* owned text body */
    const char *ctype;
} msads_reply_t;

int64_t sgx_emu_msads_now_ms(void);
/** @brief {"TrackingId","Code","ErrorCode","Message"} error reply. */
void sgx_emu_msads_error(msads_reply_t *r, unsigned status, int code, const char *name,
                         const char *msg);
/** @returns true when the API headers are valid; else fills r. @locks_required e->mu. */
bool sgx_emu_msads_check_headers_locked(sgx_emu_msads_t *e, struct MHD_Connection *conn,
                                        bool upload, msads_reply_t *r);
/** @brief As sgx_emu_msads_check_headers_locked on values already extracted (SOAP headers).
 *  @locks_required e->mu. */
bool sgx_emu_msads_check_creds_locked(sgx_emu_msads_t *e, const char *tok, const char *dev,
                                      const char *cust, const char *acct, bool upload,
                                      msads_reply_t *r);
/** @brief GetBulkUploadUrl: fills r from {"AccountId","ResponseMode"}. @locks_required e->mu. */
void sgx_emu_msads_upload_url_locked(sgx_emu_msads_t *e, const json_t *req, msads_reply_t *r);
/** @brief GetBulkUploadStatus: fills r from {"RequestId"}. @locks_required e->mu. */
void sgx_emu_msads_upload_status_locked(sgx_emu_msads_t *e, const json_t *req,
                                        msads_reply_t *r);
/** @returns true when a fault (5xx, 4204) was injected into r. @locks_required e->mu. */
bool sgx_emu_msads_api_faults_locked(sgx_emu_msads_t *e, msads_reply_t *r);
/** @brief The SOAP endpoint BulkService.svc (msads_soap.c): GetBulkUploadUrl and
 *  GetBulkUploadStatus as the SOAP SDK on PyPI calls them. @locks_required e->mu. */
void sgx_emu_msads_soap_locked(sgx_emu_msads_t *e, const sgx_emu_body_t *body,
                               msads_reply_t *r);
/** @brief Copies into out (cap bytes) the text of the first element whose local name is name,
 *  entities decoded. @returns false when absent. */
bool sgx_emu_msads_xml_text(const char *doc, size_t len, const char *name, char *out,
                            size_t cap);
/** @brief Appends s with & < > escaped. */
void sgx_emu_msads_xml_escape(sgx_buf_t *b, const char *s);
/** @brief Appends the envelope's opening up to <s:Body> (with the TrackingId header). */
void sgx_emu_msads_soap_open(sgx_buf_t *b);
/** @brief Appends a whole SOAP fault envelope for the error reply {"Code","ErrorCode",...}. */
void sgx_emu_msads_soap_fault(const json_t *reply, sgx_buf_t *b);
/** Appends the success envelope of operation op for the JSON reply. */
typedef void (*sgx_emu_msads_soap_body_fn)(const char *op, const json_t *reply, sgx_buf_t *b);
/** @brief Re-encodes a decided JSON reply (r->json) as SOAP: fn's envelope for a 200, else a
 *  fault with HTTP 500; an injected plain-text 5xx is left as it is. */
void sgx_emu_msads_soap_encode(msads_reply_t *r, const char *op, sgx_emu_msads_soap_body_fn fn);
/** @brief The Campaign Management service's GetAudiencesByIds (msads_campaign.c), REST
 *  (json true: /CampaignManagement/v13/Audiences/QueryByIds) or SOAP
 *  (CampaignManagementService.svc). @locks_required e->mu. */
void sgx_emu_msads_campaign_locked(sgx_emu_msads_t *e, struct MHD_Connection *conn, bool json,
                                   const sgx_emu_body_t *body, msads_reply_t *r);
/** @brief Serves the bulk endpoints (everything but the token and inspection). */
void sgx_emu_msads_bulk(sgx_emu_msads_t *e, struct MHD_Connection *conn, const char *method,
                        const sgx_emu_path_t *path, const sgx_emu_body_t *body,
                        msads_reply_t *r);
/** @brief out = a ZIP archive holding data[0..len) as member. @returns SGX_ERR_IO on failure. */
sgx_err_t sgx_emu_msads_zip(const char *member, const char *data, size_t len, sgx_buf_t *out);
/** @brief out = the one member of the ZIP data[0..len), at most cap bytes.
 *  @returns SGX_ERR_INVALID when it is not such an archive. */
sgx_err_t sgx_emu_msads_unzip(const char *data, size_t len, size_t cap, sgx_buf_t *out);
/** @returns the job with this request id or upload-URL token, or NULL. @locks_required e->mu. */
msads_job_t *sgx_emu_msads_find_job_locked(sgx_emu_msads_t *e, const char *request_id,
                                           const char *url_token);
/** @brief POST /upload/{token} (msads_upload.c). @locks_required e->mu. */
void sgx_emu_msads_upload_locked(sgx_emu_msads_t *e, struct MHD_Connection *conn,
                                 const char *token, const sgx_emu_body_t *body,
                                 msads_reply_t *r);
/** @brief Frees every job. @locks_required e->mu or exclusive access. */
void sgx_emu_msads_free_jobs(sgx_emu_msads_t *e);

#endif
